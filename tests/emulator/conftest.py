"""In-process moto with drkit's fidelity patches applied (the emulator's behaviour without a server)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from drkit_lab.emulator.patches import apply_all

Aws = Callable[..., Any]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for key, value in {"AWS_ACCESS_KEY_ID": "drkit-local", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    apply_all()
    with mock_aws():
        yield lambda service, region="us-east-1", **kwargs: boto3.client(service, region_name=region, **kwargs)


def global_with_members(aws: Aws, regions: tuple[str, ...] = ("us-east-1", "us-west-2")) -> list[str]:
    """A global cluster ``g1`` with a member per region, the first one the writer; their ARNs."""
    aws("rds").create_global_cluster(
        GlobalClusterIdentifier="g1", Engine="aurora-postgresql", EngineVersion="16.6", DatabaseName="transactions",
        Tags=[{"Key": "Environment", "Value": "test"}],
    )  # fmt: skip
    arns = []
    for index, region in enumerate(regions):
        extra = {"MasterUsername": "admin", "MasterUserPassword": "x" * 16} if index == 0 else {}
        arns.append(
            aws("rds", region).create_db_cluster(
                DBClusterIdentifier=f"c-{region}", Engine="aurora-postgresql", EngineVersion="16.6", GlobalClusterIdentifier="g1", **extra
            )["DBCluster"]["DBClusterArn"]
        )
    return arns


def writer(aws: Aws) -> str:
    members = aws("rds").describe_global_clusters(GlobalClusterIdentifier="g1")["GlobalClusters"][0]["GlobalClusterMembers"]
    return next(m["DBClusterArn"] for m in members if m["IsWriter"])


def source_of(aws: Aws, arn: str) -> str | None:
    cluster = aws("rds", arn.split(":")[3]).describe_db_clusters(DBClusterIdentifier=arn)["DBClusters"][0]
    return cluster.get("ReplicationSourceIdentifier")


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()
