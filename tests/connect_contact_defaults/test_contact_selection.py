"""ContactSelection: of_ids, from_file (the S3 asset, its exact grant, line-numbered errors, a template
that does not grow with the file), and the bind() seam."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template
from contact_defaults_testing import (
    ASSET_HASH,
    CONTACT_IDS,
    INSTANCE_ID,
    build_file_app,
    cdk,
    read_json,
    write_contact_file,
)

from connect_contact_defaults import ContactDefaults, ContactDefaultsValidationError, ContactSelection
from connect_contact_defaults.instance_reference import InstanceReference
from connect_contact_defaults.plan.cloud_assembly import ContactDefaultsResource
from connect_contact_defaults.plan.resource_plans import Action, coarse_action
from connect_contact_rules import CONTACT_ID_MAX_LENGTH, Prop, RuleViolation


def bind_target(stack: cdk.Stack) -> tuple[iam.Policy, InstanceReference]:
    """A policy and an instance to bind a selection with, as ContactDefaults passes them."""
    policy = iam.Policy(stack, "Policy")
    return policy, InstanceReference.of(stack, instance_id=INSTANCE_ID, instance_arn=None)


def test_of_ids_binds_to_the_contact_ids_property(stack):
    selection = ContactSelection.of_ids(tuple(CONTACT_IDS))
    policy, instance = bind_target(stack)
    assert selection.bind(stack, policy, instance) == {Prop.CONTACT_IDS: CONTACT_IDS}
    # of_ids needs no grant to read its IDs (they are in the template), only the instance probe's
    assert [statement["Action"] for statement in stack.resolve(policy.document.to_json())["Statement"]] == [
        "connect:DescribeInstanceAttribute"
    ]
    assert selection.known_contact_ids() == CONTACT_IDS


def test_of_ids_copies_its_input(stack):
    ids = list(CONTACT_IDS)
    selection = ContactSelection.of_ids(ids)
    ids.append("added-later")
    assert selection.bind(stack, *bind_target(stack)) == {Prop.CONTACT_IDS: CONTACT_IDS}


def test_of_ids_rejects_a_single_string():
    with pytest.raises(TypeError, match="list of contact IDs"):
        ContactSelection.of_ids("11111111-2222-3333-4444-123456789012")


def test_of_ids_checks_when_bound(stack):
    with pytest.raises(RuleViolation) as raised:
        ContactSelection.of_ids(["a", "a"]).bind(stack, *bind_target(stack))
    assert raised.value.field == "contacts[1]"


def test_contact_selection_is_abstract():
    with pytest.raises(TypeError):
        ContactSelection()  # type: ignore[abstract]


class _ObjectSelection(ContactSelection):
    """A selection of another kind: an S3 object the handler streams, granted by the selection."""

    def __init__(self, object_arn: str) -> None:
        self.object_arn = object_arn

    def bind(self, scope: Any, policy: iam.Policy, instance: InstanceReference) -> dict[str, Any]:
        policy.add_statements(iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.object_arn]))
        return {"ContactIdsObject": self.object_arn}


def test_bind_lets_a_selection_grant_the_handler_what_reading_it_takes(stack):
    object_arn = "arn:aws:s3:::contacts-bucket/selection.csv"
    ContactDefaults(
        stack, "Defaults", instance_id=INSTANCE_ID, contacts=_ObjectSelection(object_arn), attributes={"a": "b"}
    )
    template = Template.from_stack(stack)
    (resource,) = template.find_resources("Custom::ConnectContactDefaults").values()
    assert resource["Properties"]["ContactIdsObject"] == object_arn
    assert Prop.CONTACT_IDS not in resource["Properties"]
    # In the ContactDefaults' own policy, which its custom resource depends on.
    (policy_id, policy), *others = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"PolicyName": Match.string_like_regexp("^DefaultsGrants")}}
    ).items()
    assert not others
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {"Action": "s3:GetObject", "Effect": "Allow", "Resource": object_arn} in statements
    assert policy_id in resource["DependsOn"]
    # A selection of unknown contacts stays one custom resource.
    assert _ObjectSelection(object_arn).known_contact_ids() is None


def test_a_selection_is_bound_with_the_contact_defaults_its_policy_and_instance(stack):
    seen: list[Any] = []

    class Recording(ContactSelection):
        def bind(self, scope: Any, policy: iam.Policy, instance: InstanceReference) -> dict[str, Any]:
            seen.extend([scope.node.path, policy.node.path, instance.instance_id])
            return {Prop.CONTACT_IDS: ["c1"]}

    ContactDefaults(stack, "Defaults", instance_id=INSTANCE_ID, contacts=Recording(), attributes={"a": "b"})
    assert seen == ["TestStack/Defaults", "TestStack/Defaults/Grants", INSTANCE_ID]


# --- from_file ---------------------------------------------------------------------------------

ASSET_BUCKET = {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}
"""The default synthesizer's asset bucket, as the template names it."""


def object_arn(key: str) -> dict[str, Any]:
    """arn:${Partition}:s3:::<asset bucket>/<key>, as the template writes it."""
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", ASSET_BUCKET, f"/{key}"]]}


def file_properties(stack: cdk.Stack) -> dict[str, Any]:
    (resource,) = Template.from_stack(stack).find_resources("Custom::ConnectContactDefaults").values()
    assert Prop.CONTACT_IDS not in resource["Properties"]
    return resource["Properties"][Prop.CONTACT_FILE]


def policy_statements(template: Template) -> list[dict[str, Any]]:
    """Every statement of every IAM policy of the template."""
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def s3_statements(template: Template) -> list[dict[str, Any]]:
    def actions(statement: dict[str, Any]) -> list[str]:
        return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]

    return [s for s in policy_statements(template) if any(a.lower().startswith("s3:") for a in actions(s))]


def add_file_defaults(scope: Any, construct_id: str, path: Any) -> ContactDefaults:
    return ContactDefaults(
        scope,
        construct_id,
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.from_file(path),
        attributes={"greetingPlayed": "false"},
    )


@pytest.mark.parametrize(
    ("name", "csv_header", "file_format"),
    [("contacts.txt", None, "LINES"), ("contacts.CSV", "Queue,ContactId,Note", "CSV")],
    ids=["lines", "csv"],
)
def test_from_file_binds_to_the_asset_object(stack, tmp_path, name, csv_header, file_format):
    path = write_contact_file(tmp_path / name, CONTACT_IDS, csv_header=csv_header)
    defaults = add_file_defaults(stack, "Defaults", path)
    asset = defaults.node.find_child("ContactFile")
    properties = file_properties(stack)
    assert properties == {"Bucket": ASSET_BUCKET, "Key": asset.s3_object_key, "Format": file_format}
    assert stack.resolve(asset.s3_bucket_name) == ASSET_BUCKET
    # The key is the asset's content hash with the file's own extension: the file is uploaded as is.
    stem, extension = properties["Key"].split(".")
    assert ASSET_HASH.fullmatch(stem) and extension == name.split(".")[1]
    assert asset.is_file and not asset.is_zip_archive


@pytest.mark.parametrize("name", ["contacts.txt", "contacts.csv"])
def test_a_bound_file_knows_its_contact_ids(stack, tmp_path, name):
    """What the construct shards by (the file as the Lambda reads it); unknown before the file is checked."""
    header = "Queue,ContactId" if name.endswith(".csv") else None
    ids = [f"contact-{n}" for n in range(50)]
    selection = ContactSelection.from_file(write_contact_file(tmp_path / name, ids, csv_header=header))
    assert selection.known_contact_ids() is None
    selection.bind(stack, *bind_target(stack))
    assert selection.known_contact_ids() == ids


def test_the_file_is_staged_as_a_file_asset_with_its_bytes(tmp_path):
    path = write_contact_file(tmp_path / "contacts.csv", CONTACT_IDS, csv_header="ContactId")
    out = tmp_path / "cdk.out"
    app, stack = build_file_app(path, outdir=str(out))
    app.synth()
    key = file_properties(stack)["Key"]
    files = read_json(out / "FileStack.assets.json")["files"]
    (entry,) = [f for f in files.values() if f["displayName"] == "Greeting/ContactFile"]
    assert entry["source"]["packaging"] == "file"  # not zipped
    (destination,) = entry["destinations"].values()
    assert destination["objectKey"] == key
    assert (out / entry["source"]["path"]).read_bytes() == path.read_bytes()


def test_a_changed_file_is_a_new_object(tmp_path):
    keys = []
    for ids in (CONTACT_IDS, CONTACT_IDS[:1]):
        path = write_contact_file(tmp_path / "contacts.txt", ids)
        _, stack = build_file_app(path)
        keys.append(file_properties(stack)["Key"])
    assert keys[0] != keys[1]


def test_a_relative_path_is_named_as_given_and_read_from_the_working_directory(stack, tmp_path, monkeypatch):
    write_contact_file(tmp_path / "contacts.txt", ["c1", "c2", "# three", "c1"])
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ContactDefaultsValidationError) as raised:
        add_file_defaults(stack, "GreetingDefaults", "contacts.txt")
    assert str(raised.value) == (
        "TestStack/GreetingDefaults: contacts: contacts.txt line 4: 'c1' duplicates line 1; list each contact once"
    )
    assert (raised.value.path, raised.value.field) == ("TestStack/GreetingDefaults", "contacts")
    write_contact_file(tmp_path / "contacts.txt", ["c1", "c2"])
    add_file_defaults(stack, "Defaults", "contacts.txt")
    assert file_properties(stack)["Format"] == "LINES"


def test_from_file_takes_a_path_like(stack, tmp_path):
    add_file_defaults(stack, "Defaults", write_contact_file(tmp_path / "contacts.txt", CONTACT_IDS))
    assert file_properties(stack)["Key"].endswith(".txt")


def test_from_file_rejects_what_is_not_a_path():
    with pytest.raises(TypeError, match="path of a file"):
        ContactSelection.from_file(CONTACT_IDS)  # type: ignore[arg-type]


LONG_ID = "c" * (CONTACT_ID_MAX_LENGTH + 1)
INVALID_FILES = [
    # id, file name, file text, what the message says after "<path>: contacts: <file>"
    (
        "length",
        "contacts.txt",
        "# header comment\nc1\n\n" + LONG_ID + "\n",
        f" line 4: '{'c' * 60}...' has {CONTACT_ID_MAX_LENGTH + 1} characters; a contact ID has 1 to {CONTACT_ID_MAX_LENGTH}",
    ),
    ("duplicate", "contacts.txt", "c1\nc2\n# c3\nc1\n", " line 4: 'c1' duplicates line 1; list each contact once"),
    (
        "duplicate-crlf",
        "contacts.txt",
        "c1\r\nc2\r\n\r\nc2\r\n",
        " line 4: 'c2' duplicates line 2; list each contact once",
    ),
    (
        "empty",
        "contacts.txt",
        "# no contacts yet\n\n   \n#c1\n",
        ": holds no contact ID; a contact file selects at least one contact",
    ),
    ("empty-zero-bytes", "contacts.txt", "", ": holds no contact ID; a contact file selects at least one contact"),
    ("csv-no-column", "contacts.csv", "Queue,Contact\nsales,c1\n", " line 1: the CSV header has no ContactId column"),
    ("csv-duplicate", "contacts.csv", "ContactId,Queue\nc1,a\n\nc2,b\nc1,c\n", " line 5: 'c1' duplicates line 2"),
    (
        "csv-empty-cell",
        "contacts.csv",
        "Queue,ContactId\nsales,c1\nsales,\n",
        f" line 3: '' has 0 characters; a contact ID has 1 to {CONTACT_ID_MAX_LENGTH}",
    ),
    ("csv-short-row", "contacts.csv", "Queue,ContactId\nsales,c1\nsales\n", " line 3: the row has no ContactId value"),
    ("csv-header-only", "contacts.csv", "Queue,ContactId\n", ": holds no contact ID"),
]


@pytest.mark.parametrize(
    ("name", "text", "expected"), [row[1:] for row in INVALID_FILES], ids=[row[0] for row in INVALID_FILES]
)
def test_an_invalid_file_names_path_field_file_and_line(stack, tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_bytes(text.encode())
    with pytest.raises(ContactDefaultsValidationError) as raised:
        add_file_defaults(stack, "Defaults", str(path))
    message = str(raised.value)
    assert message.startswith(f"TestStack/Defaults: contacts: {path}{expected}"), message
    assert len(message) < 500 + len(str(path)), "error messages quote identifiers shortened"
    # Nothing was half-built: no asset, no grant, no custom resource.
    template = Template.from_stack(stack)
    template.resource_count_is("Custom::ConnectContactDefaults", 0)
    assert s3_statements(template) == []
    assert stack.node.find_child("Defaults").node.try_find_child("ContactFile") is None


def test_a_file_that_is_not_utf8_names_the_line(stack, tmp_path):
    path = tmp_path / "contacts.txt"
    path.write_bytes(b"c1\nc2\n\xff\xfe-not-utf-8\n")
    with pytest.raises(ContactDefaultsValidationError) as raised:
        add_file_defaults(stack, "Defaults", str(path))
    assert str(raised.value) == f"TestStack/Defaults: contacts: {path} line 3: not UTF-8 text; save the file as UTF-8"


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_a_path_that_is_not_a_file_is_an_error(stack, tmp_path, what):
    path = tmp_path / "contacts.txt"
    if what == "directory":
        path.mkdir()
    with pytest.raises(ContactDefaultsValidationError) as raised:
        add_file_defaults(stack, "Defaults", str(path))
    problem = "is a directory" if what == "directory" else "does not exist"
    assert str(raised.value) == (
        f"TestStack/Defaults: contacts: {str(path)!r} {problem}; "
        "ContactSelection.from_file takes the path of a file of contact IDs"
    )


def test_a_missing_relative_path_shows_where_it_was_looked_for(stack, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ContactDefaultsValidationError, match=r"'contacts\.txt' \(.*contacts\.txt\) does not exist"):
        add_file_defaults(stack, "Defaults", "contacts.txt")


def test_a_file_may_be_valid_at_the_limits(stack, tmp_path):
    ids = ["c" * CONTACT_ID_MAX_LENGTH, "c", *(f"contact-{n}" for n in range(5_000))]
    add_file_defaults(stack, "Defaults", write_contact_file(tmp_path / "contacts.txt", ids))
    assert file_properties(stack)["Format"] == "LINES"


# --- from_file: the grant ----------------------------------------------------------------------


def test_the_handler_may_get_exactly_the_one_object(stack, tmp_path):
    add_file_defaults(stack, "Defaults", write_contact_file(tmp_path / "contacts.txt", CONTACT_IDS))
    template = Template.from_stack(stack)
    key = file_properties(stack)["Key"]
    assert s3_statements(template) == [{"Action": "s3:GetObject", "Effect": "Allow", "Resource": object_arn(key)}]
    # In the ContactDefaults' own policy, which the custom resource waits for.
    (policy_id,) = [
        logical_id
        for logical_id, policy in template.find_resources("AWS::IAM::Policy").items()
        if s3_statements(Template.from_json({"Resources": {logical_id: policy}}))
    ]
    assert policy_id.startswith("DefaultsGrants")
    (resource,) = template.find_resources("Custom::ConnectContactDefaults").values()
    assert policy_id in resource["DependsOn"]
    # Nothing wider anywhere in the template (Asset.grant_read would add these on the whole bucket).
    rendered = json.dumps(template.to_json())
    for wider in ("s3:GetObject*", "s3:GetBucket", "s3:List", "s3:*", '"s3:::*'):
        assert wider not in rendered, wider


def test_each_file_resource_gets_its_own_statement_in_its_own_policy(stack, tmp_path):
    first = write_contact_file(tmp_path / "first.txt", CONTACT_IDS)
    second = write_contact_file(tmp_path / "second.csv", CONTACT_IDS, csv_header="ContactId")
    names = ("First", "Second", "FirstAgain")
    for name, path in zip(names, (first, second, first), strict=True):
        add_file_defaults(stack, name, path)
    template = Template.from_stack(stack)
    for name in names:
        key = stack.node.find_child(name).node.find_child("ContactFile").s3_object_key
        (policy,) = template.find_resources(
            "AWS::IAM::Policy", {"Properties": {"PolicyName": Match.string_like_regexp(f"^{name}Grants")}}
        ).values()
        assert s3_statements(Template.from_json({"Resources": {"P": policy}})) == [
            {"Action": "s3:GetObject", "Effect": "Allow", "Resource": object_arn(key)}
        ]
    # The same file twice is the same object (one upload).
    assert len({stack.node.find_child(n).node.find_child("ContactFile").s3_object_key for n in names}) == 2


# --- from_file: the template does not grow with the file ---------------------------------------


def test_the_template_does_not_grow_with_the_file(tmp_path):
    sizes = {}
    for count in (10, 100_000):
        path = write_contact_file(tmp_path / f"contacts-{count}.txt", (str(uuid.uuid4()) for _ in range(count)))
        out = tmp_path / f"out-{count}"
        # A budget at which 100,000 contacts fit one ServiceTimeout: one custom resource either way
        # (test_contact_defaults_shards covers the shards of a large file at the default budget).
        app, _ = build_file_app(path, outdir=str(out), max_requests_per_second=50)
        app.synth()
        sizes[count] = (out / "FileStack.template.json").stat().st_size
    assert path.stat().st_size > 3_000_000  # the large file is large
    small, large = sizes[10], sizes[100_000]
    assert abs(small - large) / small < 0.01, sizes


def test_of_ids_would_grow_with_the_selection(stack):
    """The size check above can fail: inline IDs are in the template."""
    ContactDefaults(
        stack,
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids([str(uuid.uuid4()) for _ in range(100)]),
        attributes={"a": "b"},
    )
    small = cdk.Stack(cdk.App(), "Small")
    ContactDefaults(
        small, "Defaults", instance_id=INSTANCE_ID, contacts=ContactSelection.of_ids(CONTACT_IDS), attributes={"a": "b"}
    )
    sizes = [len(json.dumps(Template.from_stack(s).to_json())) for s in (small, stack)]
    assert (sizes[1] - sizes[0]) / sizes[0] > 0.01, sizes


def _resource_properties(selection: ContactSelection) -> dict[str, Any]:
    """The custom resource's properties of one ContactDefaults with this selection (the handler's ServiceToken
    and all): an app of its own, so two calls compare like with like."""
    stack = cdk.Stack(cdk.App(), "RevisionStack")
    ContactDefaults(stack, "Greeting", instance_id=INSTANCE_ID, contacts=selection, attributes={"greeting": "hi"})
    resources = Template.from_stack(stack).find_resources("Custom::ConnectContactDefaults")
    ((_, resource),) = resources.items()
    return resource["Properties"]


@pytest.mark.parametrize("kind", ["of_ids", "from_file"])
def test_a_new_revision_alone_changes_the_properties_so_cloudformation_calls_the_handler(kind, tmp_path):
    """of_ids(..., revision=...) and from_file(..., revision=...): the Revision property is the only difference,
    so CloudFormation sends an Update (the plan's coarse_action models that: equal properties, no call), and the
    handler's Update re-applies the declaration to the same contacts."""
    path = write_contact_file(tmp_path / "contacts.txt", CONTACT_IDS)

    def selection(revision: str | None) -> ContactSelection:
        if kind == "of_ids":
            return ContactSelection.of_ids(CONTACT_IDS, revision=revision)
        return ContactSelection.from_file(path, revision=revision)

    none, first, second = (_resource_properties(selection(revision)) for revision in (None, "2026-12-01", "2"))
    assert Prop.REVISION not in none
    assert first[Prop.REVISION] == "2026-12-01" and second[Prop.REVISION] == "2"
    for old, new in ((none, first), (first, second)):
        assert {key: value for key, value in old.items() if key != Prop.REVISION} == {
            key: value for key, value in new.items() if key != Prop.REVISION
        }

        def resource(properties: dict[str, Any]) -> ContactDefaultsResource:
            return ContactDefaultsResource("Greeting", "RevisionStack/Greeting", properties)

        assert coarse_action(resource(new), resource(old)) is Action.UPDATE
    assert coarse_action(resource(first), resource(dict(first))) is Action.NONE


@pytest.mark.parametrize("kind", ["of_ids", "from_file", "search"])
def test_every_selection_checks_its_revision_at_synth(kind, tmp_path):
    path = write_contact_file(tmp_path / "contacts.txt", CONTACT_IDS)
    long = "r" * 257
    selection = {
        "of_ids": lambda: ContactSelection.of_ids(CONTACT_IDS, revision=long),
        "from_file": lambda: ContactSelection.from_file(path, revision=long),
        "search": lambda: ContactSelection.search(initiated_within=cdk.Duration.days(1), revision=long),
    }[kind]()
    with pytest.raises(ContactDefaultsValidationError, match=r"revision.*at most 256"):
        _resource_properties(selection)
