"""What the Delete of a custom resource in the cleanup phase of a stack update can still do, from two templates.

CloudFormation updates a stack in two phases. Phase 1 creates the new resources and updates the changed
ones: a policy that loses a statement loses it here. Phase 2 (cleanup) deletes the removed resources and
the old physical resources of replaced ones, each before the resources it depended on in the old template
(DependsOn, Ref, Fn::GetAtt, Fn::Sub; transitively). So a Delete that runs in phase 2 has:

- every policy of the new template (in place since phase 1), and
- every policy the update removes that the deleted resource depended on in the old template (phase 2
  deletes it after the resource).

``PhaseTwoDelete(old, new, logical_id).missing()`` lists the calls the handler makes for that Delete
(derived from the deleted resource's properties and its handler in the old template) that no statement
of those policies, attached to the handler's role, allows, and the resources the Delete runs on that are gone:
the handler's, and its on-failure destination's (the invoke config, the destination function, its role and
log group: when every invocation of the Delete dies, Lambda invokes the destination with the handler's role).
It models IAM as far as these templates need: Allow statements, actions and resources with ``*`` and ``?``
wildcards, no conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"
REGION = "eu-west-2"
PSEUDO_PARAMETERS = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": "aws", "AWS::URLSuffix": ""}
A_CONTACT_ID = "11111111-aaaa-bbbb-cccc-123456789012"

CONTACT_ACTIONS = ("connect:GetContactAttributes", "connect:UpdateContactAttributes")
EXPIRY_ACTIONS = ("connect:DescribeContact", "connect:UpdateContact")
STATE_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


def evaluate(value: Any) -> Any:
    """A template value as a string: pseudo parameters filled in, Fn::Join and Fn::Sub done, and a
    resource's Ref or GetAtt rendered as ``<Name>`` / ``<Name.Attribute>`` (the same on both sides)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [evaluate(item) for item in value]
    (function, argument), *others = value.items()
    assert not others, value
    if function == "Ref":
        return PSEUDO_PARAMETERS.get(argument, f"<{argument}>")
    if function == "Fn::GetAtt":
        return f"<{argument[0]}.{argument[1]}>"
    if function == "Fn::Join":
        delimiter, items = argument
        return delimiter.join(evaluate(item) for item in items)
    if function == "Fn::Sub":
        return re.sub(r"\$\{([^}]+)\}", lambda m: PSEUDO_PARAMETERS.get(m[1], f"<{m[1]}>"), argument)
    if function == "Fn::Select":
        index, items = argument
        return evaluate(items)[int(index)]
    if function == "Fn::Split":
        delimiter, text = argument
        return evaluate(text).split(delimiter)
    raise AssertionError(f"cannot evaluate {value}")


def references(value: Any) -> Iterator[str]:
    """The names a template value refers to (Ref, Fn::GetAtt, Fn::Sub)."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref":
                yield item
            elif key == "Fn::GetAtt":
                yield item[0]
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                yield from (name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text))
                yield from references(item)
            else:
                yield from references(item)


def depends_on(template: dict[str, Any], logical_id: str) -> set[str]:
    """Every resource of the template that ``logical_id`` depends on, directly or through others."""
    resources = template.get("Resources", {})
    found: set[str] = set()
    pending = [logical_id]
    while pending:
        resource = resources[pending.pop()]
        explicit = resource.get("DependsOn", [])
        direct = {*([explicit] if isinstance(explicit, str) else explicit), *references(resource.get("Properties", {}))}
        for name in direct & set(resources) - found:
            found.add(name)
            pending.append(name)
    return found


def _matches(pattern: str, text: str, *, ignore_case: bool) -> bool:
    """IAM's wildcards: * any run of characters, ? one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=re.IGNORECASE if ignore_case else 0) is not None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass
class PhaseTwoDelete:
    """The Delete of ``logical_id`` (a Custom::ConnectContactDefaults of ``old``) in phase 2 of the update to ``new``."""

    old: dict[str, Any]
    new: dict[str, Any]
    logical_id: str

    @property
    def resource(self) -> dict[str, Any]:
        return self.old["Resources"][self.logical_id]

    @property
    def function_id(self) -> str:
        function_id, attribute = self.resource["Properties"]["ServiceToken"]["Fn::GetAtt"]
        assert attribute == "Arn"
        return function_id

    @property
    def function(self) -> dict[str, Any]:
        return self.old["Resources"][self.function_id]["Properties"]

    @property
    def role_id(self) -> str:
        return self.function["Role"]["Fn::GetAtt"][0]

    @property
    def invoke_config_id(self) -> str:
        """The handler's AWS::Lambda::EventInvokeConfig (its retries and on-failure destination)."""
        (config_id,) = [
            logical_id
            for logical_id, r in self.old["Resources"].items()
            if r["Type"] == "AWS::Lambda::EventInvokeConfig"
            and r["Properties"]["FunctionName"] == {"Ref": self.function_id}
        ]
        return config_id

    @property
    def destination_id(self) -> str:
        """The on-failure destination function of the handler's asynchronous invocations."""
        config = self.old["Resources"][self.invoke_config_id]["Properties"]
        destination_id, attribute = config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"]
        assert attribute == "Arn"
        return destination_id

    def still_there(self) -> set[str]:
        """The logical IDs that exist while the Delete runs: the new template's, and the old ones it depends on."""
        return set(self.new.get("Resources", {})) | depends_on(self.old, self.logical_id)

    def policies(self) -> dict[str, dict[str, Any]]:
        """The IAM policies in force during the Delete, by logical ID (a kept one as the new template has it)."""
        removed_after = depends_on(self.old, self.logical_id) - set(self.new.get("Resources", {}))
        in_force = {logical_id: self.old["Resources"][logical_id] for logical_id in removed_after}
        in_force.update(self.new.get("Resources", {}))
        return {logical_id: r for logical_id, r in in_force.items() if r["Type"] == "AWS::IAM::Policy"}

    def allows(self, action: str, resource: str) -> bool:
        """Whether a policy in force, attached to the handler's role, allows the call."""
        for policy in self.policies().values():
            if {"Ref": self.role_id} not in policy["Properties"].get("Roles", []):
                continue
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Effect"] != "Allow" or "Condition" in statement:
                    continue
                actions = _listed(statement["Action"])
                resources = [evaluate(r) for r in _listed(statement["Resource"])]
                if any(_matches(a, action, ignore_case=True) for a in actions) and any(
                    _matches(r, resource, ignore_case=False) for r in resources
                ):
                    return True
        return False

    def needs(self) -> list[tuple[str, str]]:
        """The calls (action, resource) the handler makes for this resource's Delete."""
        properties = self.resource["Properties"]
        contact = (
            f"arn:aws:connect:{evaluate(properties['Region'])}:{ACCOUNT}:"
            f"instance/{evaluate(properties['InstanceId'])}/contact/{A_CONTACT_ID}"
        )
        contact_actions = CONTACT_ACTIONS + (EXPIRY_ACTIONS if "ContactExpiryMinutes" in properties else ())
        calls = [(action, contact) for action in contact_actions]
        if "ContactFile" in properties:
            contact_file = properties["ContactFile"]
            calls.append(("s3:GetObject", f"arn:aws:s3:::{evaluate(contact_file['Bucket'])}/{contact_file['Key']}"))
        table_id = self.function["Environment"]["Variables"]["STATE_TABLE"]["Ref"]
        calls += [(action, f"<{table_id}.Arn>") for action in STATE_TABLE_ACTIONS]
        calls.append(("lambda:InvokeFunction", f"<{self.function_id}.Arn>"))
        calls.append(("lambda:InvokeFunction", f"<{self.destination_id}.Arn>"))  # by Lambda, with this role
        log_group_id = self.function["LoggingConfig"]["LogGroup"]["Ref"]
        calls += [(action, f"<{log_group_id}.Arn>") for action in LOG_ACTIONS]
        return calls

    def missing(self) -> list[tuple[str, str]]:
        """The calls of ``needs()`` that no policy in force allows, and the handler's resources that are gone."""
        destination = self.old["Resources"][self.destination_id]["Properties"]
        handler_resources = (
            self.function_id,
            self.role_id,
            self.function["Environment"]["Variables"]["STATE_TABLE"]["Ref"],
            self.function["LoggingConfig"]["LogGroup"]["Ref"],
            self.invoke_config_id,
            self.destination_id,
            destination["Role"]["Fn::GetAtt"][0],
            destination["LoggingConfig"]["LogGroup"]["Ref"],
        )
        gone = [("exists", logical_id) for logical_id in handler_resources if logical_id not in self.still_there()]
        return gone + [(action, resource) for action, resource in self.needs() if not self.allows(action, resource)]
