"""Contact files for the plan: from the cloud assembly where it holds the object, else from S3.

The handler reads a ``from_file`` selection with ``s3.get_object`` (contact_reconciler.contact_source).
The plan hands the same code an S3 client that answers from the assembly's file assets first: an asset's
object key is the hash of its content, so a key the assembly holds is that very file, before
``cdk deploy`` has uploaded it (the new side) and after (the deployed side, when it did not change).
Any other key is read from S3 with the caller's credentials (the deployed side of a changed file).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from botocore.response import StreamingBody


class AssemblyFirstS3:
    """The ``get_object`` of an S3 client, answered from the assembly's file assets when it has the key."""

    def __init__(self, file_assets: Mapping[str, Path], s3_client: Callable[[], Any]) -> None:
        self._file_assets = file_assets
        self._s3_client = s3_client
        self.read_from_s3: list[str] = []
        """s3://bucket/key of each object read from S3 rather than from the assembly."""

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        local = self._file_assets.get(Key)
        if local is not None and local.is_file():
            data = local.read_bytes()
            return {"Body": StreamingBody(io.BytesIO(data), len(data))}
        self.read_from_s3.append(f"s3://{Bucket}/{Key}")
        return self._s3_client().get_object(Bucket=Bucket, Key=Key)
