"""Contact files for the shard tests: seeded IDs shaped like Connect's, and an S3 stand-in that counts reads."""

import io
import random
import uuid

from botocore.response import StreamingBody


class S3Files:
    """Stand-in for boto3's S3 client over bytes made before tracing; counts get_object calls and bytes."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.reads: list[str] = []
        self.bytes_read = 0

    def get_object(self, Bucket, Key):
        self.reads.append(Key)
        data = self.objects[Key]
        self.bytes_read += len(data)
        return {"Body": StreamingBody(io.BytesIO(data), len(data))}


def ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


def file_bytes(contact_ids: list[str]) -> bytes:
    return ("\n".join(contact_ids) + "\n").encode()
