"""The S3 side of a ``ContactSelection.from_file`` resource for a local run: the bootstrap bucket created in an S3
stand-in (moto's server mode), and each contact file uploaded under its asset key, as ``cdk deploy`` would."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from connect_contact_rules import Prop

from .synthesized_resources import synthesized_resource_properties


def _file_assets(cdk_out: Path) -> dict[str, Path]:
    """Object key -> the file in cdk_out, from each stack's asset manifest (<stack>.assets.json)."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    assets: dict[str, Path] = {}
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") != "cdk:asset-manifest":
            continue
        document = json.loads((cdk_out / artifact["properties"]["file"]).read_text())
        for asset in document.get("files", {}).values():
            for destination in asset.get("destinations", {}).values():
                assets[destination["objectKey"]] = cdk_out / asset["source"]["path"]
    return assets


def upload_contact_files(
    cdk_out: Path,
    aws_endpoint_url: str,
    *,
    stack: str | None = None,
    region: str = "eu-west-2",
    account: str = "123456789012",
) -> list[str]:
    """Creates the bucket of every ContactFile property (the bootstrap bucket) at ``aws_endpoint_url`` and
    uploads the file under its key; returns the ``s3://bucket/key`` of each. The handler reads them when its
    ``AWS_ENDPOINT_URL_S3`` is that endpoint (LambdaRunner passes its own moto endpoint)."""
    import boto3  # noqa: PLC0415 (the testing kit's dependency)

    cdk_out = Path(cdk_out)
    s3: Any = boto3.client(
        "s3",
        region_name=region,
        endpoint_url=aws_endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assets = _file_assets(cdk_out)  # keys are content hashes: the same file in every stack
    uploaded: list[str] = []
    for properties in synthesized_resource_properties(cdk_out, stack=stack, region=region, account=account).values():
        contact_file = properties.get(Prop.CONTACT_FILE)
        if not contact_file:
            continue
        bucket, key = contact_file["Bucket"], contact_file["Key"]
        if key not in assets:
            raise ValueError(f"no file asset with key {key} in {cdk_out}'s asset manifests")
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=bucket, **location)
        s3.upload_file(str(assets[key]), bucket, key)
        uploaded.append(f"s3://{bucket}/{key}")
    return uploaded
