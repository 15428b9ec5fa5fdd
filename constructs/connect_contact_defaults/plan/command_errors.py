"""Errors that stop the command (exit code 1), each with a message that says what to change."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403"})
CREDENTIALS_ERRORS = (NoCredentialsError, PartialCredentialsError, TokenRetrievalError, UnauthorizedSSOTokenError)


class PlanError(Exception):
    """The command cannot go on; the message is printed as it is."""


def no_credentials(error: Exception) -> PlanError:
    return PlanError(
        f"no AWS credentials ({type(error).__name__}): the plan reads the deployed stack and the live contacts; "
        "configure credentials (AWS_PROFILE, environment variables or an SSO login) with read access"
    )


def no_region() -> PlanError:
    return PlanError(
        "no AWS Region: the stack is environment-agnostic and no Region is configured; "
        "set AWS_DEFAULT_REGION (or a profile's region), or give the stack an env in the app"
    )


def access_denied(action: str, resource: str) -> PlanError:
    return PlanError(f"AccessDenied: the caller may not call {action} on {resource}; grant {action} to run the plan")


def unreachable(what: str, endpoint: str, origin: str) -> PlanError:
    """An endpoint that refused every connection (or whose name does not resolve): not throttling."""
    return PlanError(
        f"cannot connect to {endpoint} ({what}), the endpoint set by {origin}: check the URL, "
        "or start the service it names (the Connect emulator: python -m connect_contact_defaults.testing.connect_emulator)"
    )


def is_access_denied(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code", "") in ACCESS_DENIED_CODES


def aws_call_failed(action: str, resource: str, error: Exception) -> PlanError:
    """The PlanError for a failed AWS call: no credentials, no Region, AccessDenied, or the error code."""
    if isinstance(error, CREDENTIALS_ERRORS):
        return no_credentials(error)
    if isinstance(error, NoRegionError):
        return no_region()
    if isinstance(error, ConnectionError):
        endpoint = error.kwargs.get("endpoint_url") or "the endpoint"
        return PlanError(f"{action} on {resource} failed: cannot connect to {endpoint} ({type(error).__name__})")
    if isinstance(error, ClientError):
        if is_access_denied(error):
            return access_denied(action, resource)
        code = error.response.get("Error", {}).get("Code", "Unknown")
        return PlanError(f"{action} on {resource} failed: {code}")
    return PlanError(f"{action} on {resource} failed: {type(error).__name__}")
