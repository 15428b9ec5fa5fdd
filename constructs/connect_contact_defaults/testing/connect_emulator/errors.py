"""The errors the emulator answers with, as Amazon Connect names them (rest-json protocol)."""

from __future__ import annotations


class ApiError(Exception):
    """An error answer: HTTP status, the ``x-amzn-ErrorType`` code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def invalid_parameter(message: str) -> ApiError:
    return ApiError(400, "InvalidParameterException", message)


def invalid_request(message: str) -> ApiError:
    return ApiError(400, "InvalidRequestException", message)


def access_denied(message: str) -> ApiError:
    return ApiError(403, "AccessDeniedException", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "ResourceNotFoundException", message)


def throttled(message: str = "Rate exceeded") -> ApiError:
    return ApiError(429, "ThrottlingException", message)


def internal_error(message: str = "Internal service error") -> ApiError:
    return ApiError(500, "InternalServiceException", message)


def unknown_operation(message: str) -> ApiError:
    return ApiError(404, "UnknownOperationException", message)
