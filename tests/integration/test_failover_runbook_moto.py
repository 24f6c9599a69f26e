"""A full drill against moto: switchover to the secondary, verified, repeat is a no-op, then back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.failover.logic import Operation
from functions.failover.runner import RunbookSettings, execute, read_state
from tools.emulator.patches import apply_all
from tools.smoke import seed_lag

pytestmark = pytest.mark.integration


def client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


def lag(region: str, identifier: str, milliseconds: float) -> None:
    seed_lag(client, region, identifier, milliseconds)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    apply_all()
    with mock_aws():
        rds = client("rds", "us-east-1")
        rds.create_global_cluster(GlobalClusterIdentifier="drkit-t", Engine="aurora-postgresql", EngineVersion="16.6")
        arns = {}
        for region in ("us-east-1", "us-west-2"):
            extra = {"MasterUsername": "admin", "MasterUserPassword": "x" * 16} if region == "us-east-1" else {}
            arns[region] = client("rds", region).create_db_cluster(
                DBClusterIdentifier=f"drkit-t-{region}", Engine="aurora-postgresql", EngineVersion="16.6", GlobalClusterIdentifier="drkit-t", **extra
            )["DBCluster"]["DBClusterArn"]
            client("rds", region).create_db_instance(
                DBInstanceIdentifier=f"drkit-t-{region}-1",
                DBClusterIdentifier=f"drkit-t-{region}",
                Engine="aurora-postgresql",
                DBInstanceClass="db.r6g.large",
            )
        sns = client("sns", "us-east-1")
        topic = sns.create_topic(Name="drkit-t-alerts")["TopicArn"]
        sqs = client("sqs", "us-east-1")
        queue = sqs.create_queue(QueueName="audit")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        yield {"arns": arns, "topic": topic, "queue": queue}


def settings(world: dict[str, Any], api_region: str) -> RunbookSettings:
    return RunbookSettings(
        environment="test", api_region=api_region, global_cluster_id="drkit-t", alert_topic_arn=world["topic"],
        zone_id=None, record_name=None, poll_seconds=0.01, timeout_seconds=5,
    )  # fmt: skip


def audit_subjects(world: dict[str, Any]) -> list[str]:
    messages = client("sqs", "us-east-1").receive_message(QueueUrl=world["queue"], MaxNumberOfMessages=10).get("Messages", [])
    return sorted(json.loads(m["Body"])["Subject"] for m in messages)


def test_drill_there_again_and_back(world: dict[str, Any]) -> None:
    said: list[str] = []
    lag("us-west-2", "drkit-t-us-west-2", 300)
    dry = execute(Operation.SWITCHOVER, "us-west-2", True, settings(world, "us-west-2"), client, said.append)
    assert dry["result"] == "dry-run"
    assert read_state(client, settings(world, "us-east-1")).writer.region == "us-east-1"  # type: ignore[union-attr]

    there = execute(Operation.SWITCHOVER, "us-west-2", False, settings(world, "us-west-2"), client, said.append)
    assert there["result"] == "completed"
    assert read_state(client, settings(world, "us-east-1")).writer.region == "us-west-2"  # type: ignore[union-attr]
    assert any(line.startswith("verified: drkit-t-us-west-2 in us-west-2 is the writer") for line in said)

    again = execute(Operation.SWITCHOVER, "us-west-2", False, settings(world, "us-west-2"), client, said.append)
    assert again == {"result": "no-op", "reason": "drkit-t-us-west-2 in us-west-2 is already the writer; nothing to do"}

    back = execute(Operation.FAILOVER, "us-east-1", False, settings(world, "us-east-1"), client, said.append)
    assert back["result"] == "completed"
    assert read_state(client, settings(world, "us-east-1")).writer.region == "us-east-1"  # type: ignore[union-attr]
    assert audit_subjects(world) == [
        "[drkit test] failover to us-east-1 completed",
        "[drkit test] failover to us-east-1 started",
        "[drkit test] switchover to us-west-2 completed",
        "[drkit test] switchover to us-west-2 started",
    ]


def test_switchover_refused_when_lag_is_high_and_audited(world: dict[str, Any]) -> None:
    lag("us-west-2", "drkit-t-us-west-2", 30_000)
    outcome = execute(Operation.SWITCHOVER, "us-west-2", False, settings(world, "us-west-2"), client, lambda _: None)
    assert outcome["result"] == "refused" and "30.0 s, above 5 s" in outcome["reason"]
    assert read_state(client, settings(world, "us-east-1")).writer.region == "us-east-1"  # type: ignore[union-attr]
    assert audit_subjects(world) == ["[drkit test] switchover to us-west-2 refused"]


def test_lambda_handler_rejects_malformed_events(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    for key, value in {
        "DRKIT_ENVIRONMENT": "test",
        "GLOBAL_CLUSTER_ID": "drkit-t",
        "ALERT_TOPIC_ARN": world["topic"],
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    from functions.failover import handler

    handler = importlib.reload(handler)
    assert handler.lambda_handler([], None)["result"] == "rejected"
    assert handler.lambda_handler({"operation": "drop-tables"}, None)["reason"].startswith("operation must be switchover, failover or status")
    assert handler.lambda_handler({"operation": "switchover"}, None) == {"result": "rejected", "reason": "target_region is required"}
    assert "WRITER" in handler.lambda_handler({"operation": "status"}, None)["status"]
