"""Reading a selection: inline IDs, or a contact file whose object may be unreadable (gone, or no longer granted)."""

import io

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from contact_reconciler.contact_source import ContactFileUnavailable, iter_selection
from contact_reconciler.resource_spec import parse_resource_spec

FILE_PROPS = {
    "InstanceId": "i",
    "ContactFile": {"Bucket": "assets", "Key": "abc.txt", "Format": "LINES"},
    "Attributes": {"a": "1"},
}


class S3Objects:
    """A stand-in for boto3's S3 client: get_object over a dict, or S3's error for a missing/denied object."""

    def __init__(self, objects, denied=()):
        self.objects, self.denied = objects, set(denied)

    def get_object(self, Bucket, Key):
        if Key in self.denied:
            raise ClientError(
                {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetObject"
            )
        if Key not in self.objects:
            raise ClientError(
                {"Error": {"Code": "NoSuchKey"}, "ResponseMetadata": {"HTTPStatusCode": 404}}, "GetObject"
            )
        data = self.objects[Key]
        return {"Body": StreamingBody(io.BytesIO(data), len(data))}


def test_streams_the_file_in_order_skipping_comments_and_a_byte_order_mark():
    spec = parse_resource_spec(FILE_PROPS, "eu-west-2")
    s3 = S3Objects({"abc.txt": "\ufeffc1\r\n# note\r\n\r\nc2\nc3".encode()})
    assert list(iter_selection(spec, lambda: s3)) == ["c1", "c2", "c3"]


@pytest.mark.parametrize(
    ("objects", "denied", "code"), [({}, (), "NoSuchKey"), ({"abc.txt": b"c1"}, {"abc.txt"}, "AccessDenied")]
)
def test_a_missing_or_denied_object_is_unavailable_naming_the_object_and_code(objects, denied, code):
    spec = parse_resource_spec(FILE_PROPS, "eu-west-2")
    with pytest.raises(ContactFileUnavailable, match=f"s3://assets/abc.txt \\({code}\\)"):
        list(iter_selection(spec, lambda: S3Objects(objects, denied)))


def test_inline_ids_need_no_s3():
    spec = parse_resource_spec({"InstanceId": "i", "ContactIds": ["a", "b"], "Attributes": {"k": "v"}}, "eu-west-2")
    assert list(iter_selection(spec, lambda: pytest.fail("no S3 call for an inline selection"))) == ["a", "b"]
