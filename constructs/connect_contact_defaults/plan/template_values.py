"""Intrinsic functions of a template, resolved for the stack's environment the way CloudFormation would.

A ContactDefaults' properties hold few of them: ``Ref AWS::Region`` (an instance in the stack's
Region), the asset bucket's ``Fn::Sub`` (``cdk-<qualifier>-assets-${AWS::AccountId}-${AWS::Region}``)
and, for values given as tokens, parameters. A value known only after deployment (``Fn::GetAtt``, a
``Ref`` to a resource, ``Fn::ImportValue``) raises Unresolvable with what it refers to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.session import get_session

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Unresolvable(Exception):
    """A value that cannot be known before deployment (the message says which and why)."""


@dataclass(frozen=True)
class StackEnvironment:
    """What CloudFormation substitutes for the pseudo parameters and parameters of one stack."""

    region: str
    stack_name: str
    account_id: Callable[[], str]
    """Called only when a value refers to AWS::AccountId (it may need an STS call); raises Unresolvable."""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """Parameter name -> value (a list for CommaDelimitedList and List<...> types)."""

    @property
    def partition(self) -> str:
        return get_session().get_partition_for_region(self.region)

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def pseudo_parameter(self, name: str) -> str | None:
        values: dict[str, Callable[[], str]] = {
            "AWS::Region": lambda: self.region,
            "AWS::Partition": lambda: self.partition,
            "AWS::URLSuffix": lambda: self.url_suffix,
            "AWS::StackName": lambda: self.stack_name,
            "AWS::AccountId": self.account_id,
        }
        value = values.get(name)
        return value() if value is not None else None


def parameter_values(template: Mapping[str, Any], given: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The template's parameters with a value: the given (deployed) value, else the default.

    List types become lists, as a Ref to them does in CloudFormation.
    """
    values: dict[str, Any] = {}
    for name, declaration in (template.get("Parameters") or {}).items():
        raw = (given or {}).get(name, declaration.get("Default"))
        if raw is None:
            continue
        kind = str(declaration.get("Type", "String"))
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        values[name] = [part.strip() for part in str(raw).split(",")] if is_list else str(raw)
    return values


def string_properties(value: Any) -> Any:
    """CloudFormation hands every scalar to a custom resource as a string."""
    if isinstance(value, dict):
        return {key: string_properties(item) for key, item in value.items()}
    if isinstance(value, list):
        return [string_properties(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve(value: Any, environment: StackEnvironment) -> Any:
    """The value with every intrinsic function replaced; raises Unresolvable naming what is not known yet."""
    if isinstance(value, list):
        return [resolve(item, environment) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            return _ref(argument, environment)
        if name == "Fn::Sub":
            return _sub(argument, environment)
        if name == "Fn::Join":
            delimiter, items = argument
            return str(delimiter).join(_string(item, environment, name) for item in resolve(items, environment))
        if name == "Fn::Select":
            index, items = resolve(argument, environment)
            return items[int(index)]
        if name == "Fn::Split":
            delimiter, text = argument
            return _string(resolve(text, environment), environment, name).split(delimiter)
        if name == "Fn::GetAtt":
            target = ".".join(argument) if isinstance(argument, list) else str(argument)
            raise Unresolvable(f"Fn::GetAtt {target} is known only after deployment")
        if name.startswith("Fn::") or name == "Condition":
            raise Unresolvable(f"{name} is not resolved before deployment")
    return {key: resolve(item, environment) for key, item in value.items()}


def _string(value: Any, environment: StackEnvironment, function: str) -> str:
    value = resolve(value, environment)
    if not isinstance(value, str):
        raise Unresolvable(f"{function} of a {type(value).__name__} is not a string")
    return value


def _ref(name: Any, environment: StackEnvironment) -> Any:
    name = str(name)
    pseudo = environment.pseudo_parameter(name)
    if pseudo is not None:
        return pseudo
    if name in environment.parameters:
        return environment.parameters[name]
    raise Unresolvable(f"Ref {name} (a resource or a parameter without a value) is known only after deployment")


def _sub(argument: Any, environment: StackEnvironment) -> str:
    text, variables = (argument, {}) if isinstance(argument, str) else argument
    values = {key: resolve(item, environment) for key, item in variables.items()}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"  # ${!Literal} is written as ${Literal}
        if name in values:
            return str(values[name])
        if "." in name:
            raise Unresolvable(f"Fn::Sub ${{{name}}} is known only after deployment")
        return str(_ref(name, environment))

    return _SUB_VARIABLE.sub(substitute, text)
