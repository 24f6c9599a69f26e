"""The S3 state bucket an environment's backend names, on the emulator."""

from __future__ import annotations

from typing import Any


def create_state_bucket(env: Any, url: str) -> None:
    """The S3 bucket the environment's backend names, versioned, in its region, on the emulator."""
    import boto3

    s3 = boto3.client("s3", region_name=env.state_region, endpoint_url=url, aws_access_key_id="drkit-local", aws_secret_access_key="drkit-local")
    if env.state_bucket in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        return
    location = {"CreateBucketConfiguration": {"LocationConstraint": env.state_region}} if env.state_region != "us-east-1" else {}
    s3.create_bucket(Bucket=env.state_bucket, **location)
    s3.put_bucket_versioning(Bucket=env.state_bucket, VersioningConfiguration={"Status": "Enabled"})
