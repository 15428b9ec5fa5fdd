"""A small local Amazon Connect emulator for contacts (DescribeContact, GetContactAttributes,
UpdateContactAttributes, UpdateContact), with Connect's quotas, fault injection and a request log.

Point boto3 at it with ``endpoint_url=emulator.endpoint_url`` or ``AWS_ENDPOINT_URL_CONNECT``.
"""

from connect_emulator.contact_store import ContactSnapshot, SeedContact
from connect_emulator.emulator import ConnectEmulator
from connect_emulator.request_log import RequestRecord

__all__ = ["ConnectEmulator", "ContactSnapshot", "RequestRecord", "SeedContact"]
