"""A small local Amazon Connect emulator for contacts (DescribeContact, GetContactAttributes,
UpdateContactAttributes, UpdateContact, SearchContacts) and DescribeInstanceAttribute, with Connect's
quotas, fault injection and a request log.

Point boto3 at it with ``endpoint_url=emulator.endpoint_url`` or ``AWS_ENDPOINT_URL_CONNECT``.
"""

from .contact_store import ContactSnapshot, SeedContact
from .emulator import ConnectEmulator
from .request_log import RequestRecord

__all__ = ["ConnectEmulator", "ContactSnapshot", "RequestRecord", "SeedContact"]
