"""A full drill against moto: switchover to the secondary, verified, repeat is a no-op, then back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from drkit_lab.emulator.patches import apply_all
from drkit_lab.smoke import seed_lag
from functions.failover.logic import Operation
from functions.failover.runner import RunbookSettings, execute, read_state
from functions.replication_monitor import preserve

pytestmark = pytest.mark.integration


@dataclass
class Context:
    function_name: str = "drkit-t-failover-runbook"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:drkit-t-failover-runbook"
    aws_request_id: str = "req-1"


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
        environment="test", home_region=api_region, global_cluster_id="drkit-t", alert_topic_arns={"us-east-1": world["topic"]},
        zone_id=world.get("zone"), record_names=("db.t.internal",), switchover_max_lag_seconds=5, poll_seconds=0.01, timeout_seconds=5,
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
        "SWITCHOVER_MAX_LAG_SECONDS": "5",
        "POWERTOOLS_SERVICE_NAME": "failover-runbook",
    }.items():
        monkeypatch.setenv(key, value)
    from functions.failover import handler

    handler = importlib.reload(handler)
    context = Context()
    from functions.failover.arc import UnrecognisedInvocation

    with pytest.raises(UnrecognisedInvocation, match="must be a JSON object"):  # fails, never answers (tests/unit/test_runbook_invocations.py)
        handler.lambda_handler([], context)
    with pytest.raises(UnrecognisedInvocation, match="operation must be switchover, failover or status"):
        handler.lambda_handler({"operation": "drop-tables"}, context)
    assert handler.lambda_handler({"operation": "switchover"}, context) == {"result": "rejected", "reason": "target_region is required"}
    assert "WRITER" in handler.lambda_handler({"operation": "status"}, context)["status"]
    # A request without a time, or older than a minute, never acts (a throttled async invoke could be hours old).
    stale = handler.lambda_handler({"operation": "failover", "target_region": "us-west-2"}, context)
    assert stale == {"result": "rejected", "reason": "the request has no requested_at time; a runbook request must say when it was made"}
    old = handler.lambda_handler({"operation": "failover", "target_region": "us-west-2", "requested_at": "2020-01-01T00:00:00+00:00"}, context)
    assert old["result"] == "rejected" and "stale requests never act" in old["reason"]
    assert read_state(client, settings(world, "us-east-1")).writer.region == "us-east-1"  # type: ignore[union-attr]
    fresh = {"operation": "failover", "target_region": "us-west-2", "dry_run": True, "requested_at": datetime.now(UTC).isoformat()}
    assert handler.lambda_handler(fresh, context)["result"] == "dry-run"


class Recorder:
    """A client factory that records (service, region, operation) of every call it makes; ``accept``: calls answered
    without being done (AWS accepted them, and has not done them yet)."""

    def __init__(self, fail: set[tuple[str, str]] | None = None, accept: set[tuple[str, str]] | None = None) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.fail = fail or set()
        self.accept = accept or set()

    def __call__(self, service: str, region: str) -> Any:
        real = client(service, region)
        recorder = self

        class Proxy:
            def __getattr__(self, name: str) -> Any:
                method = getattr(real, name)

                def call(**kwargs: Any) -> Any:
                    recorder.calls.append((service, region, name))
                    if (service, name) in recorder.fail:
                        raise RuntimeError(f"{service} {name} is out of reach")
                    if (service, name) in recorder.accept:
                        return {}
                    return method(**kwargs)

                return call

        return Proxy()


def test_each_operation_is_sent_to_the_region_aws_documents(world: dict[str, Any]) -> None:
    """Switchover: "the AWS Region where the primary DB cluster ... is running"; failover: "the AWS Region where
    the secondary DB cluster that you want to be the new primary ... is running" (Aurora User Guide)."""
    lag("us-west-2", "drkit-t-us-west-2", 300)
    recorder = Recorder()
    execute(Operation.SWITCHOVER, "us-west-2", False, settings(world, "us-west-2"), recorder, lambda _: None)
    assert [(r, n) for s_, r, n in recorder.calls if n == "switchover_global_cluster"] == [("us-east-1", "switchover_global_cluster")]
    recorder = Recorder()
    execute(Operation.FAILOVER, "us-east-1", False, settings(world, "us-east-1"), recorder, lambda _: None)
    assert [(r, n) for s_, r, n in recorder.calls if n == "failover_global_cluster"] == [("us-east-1", "failover_global_cluster")]


def test_a_failover_calls_nothing_in_the_lost_region(world: dict[str, Any]) -> None:
    """Not even Route 53: its API (control plane) lives in us-east-1, the region lost here."""
    failover_zone(world, "CLOUDWATCH_METRIC")
    recorder = Recorder()
    said: list[str] = []
    outcome = execute(Operation.FAILOVER, "us-west-2", False, settings(world, "us-west-2"), recorder, said.append)
    assert outcome["result"] == "completed"
    assert [call for call in recorder.calls if call[1] == "us-east-1"] == []
    assert any("not verified: Route 53's API (its control plane) is in us-east-1" in line for line in said)


def test_a_failover_that_does_not_finish_in_time_is_recorded_all_the_same(world: dict[str, Any]) -> None:
    """AWS accepted FailoverGlobalCluster and has not moved the writer by the runbook's timeout (a Lambda stopped at its
    limit is the same): the record the point-of-failure watch and reconcile start from is written before the wait."""
    parameter = "/drkit/test/lossy-failovers"
    said: list[str] = []
    recorder = Recorder(accept={("rds", "failover_global_cluster")})
    quick = replace(settings(world, "us-west-2"), lossy_failover_parameter=parameter, timeout_seconds=0.05)
    outcome = execute(Operation.FAILOVER, "us-west-2", False, quick, recorder, said.append)
    assert outcome["result"] == "timeout" and "recorded" in outcome["lossy_failover"], (outcome, said)
    records = preserve.parse_markers(client("ssm", "us-west-2").get_parameter(Name=parameter)["Parameter"]["Value"])
    assert [(r.old_cluster, r.new_writer) for r in records] == [("drkit-t-us-east-1", "drkit-t-us-west-2")]


def failover_zone(world: dict[str, Any], check_type: str) -> None:
    """A private zone with a PRIMARY failover record whose health check is of ``check_type``."""
    route53 = client("route53", "us-east-1")
    vpc = client("ec2", "us-east-1").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    zone = route53.create_hosted_zone(Name="t.internal", CallerReference="z", VPC={"VPCRegion": "us-east-1", "VPCId": vpc})["HostedZone"]["Id"]
    check = route53.create_health_check(
        CallerReference="c", HealthCheckConfig={"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-west-2", "Name": "a"}}
    )["HealthCheck"]["Id"]
    if check_type == "CALCULATED":
        check = route53.create_health_check(
            CallerReference="p", HealthCheckConfig={"Type": "CALCULATED", "ChildHealthChecks": [check], "HealthThreshold": 1}
        )["HealthCheck"]["Id"]
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": "db.t.internal", "Type": "CNAME", "TTL": 30, "SetIdentifier": "primary", "Failover": "PRIMARY",
            "HealthCheckId": check, "ResourceRecords": [{"Value": "east.example"}]}}]},
    )  # fmt: skip
    world["zone"] = zone.rsplit("/", 1)[-1]


def test_verification_problems_never_turn_a_finished_operation_into_a_failure(world: dict[str, Any]) -> None:
    """Route 53 refuses GetHealthCheckStatus for a CALCULATED check, and its control plane may be unreachable:
    report what could not be verified, complete, audit."""
    failover_zone(world, "CLOUDWATCH_METRIC")
    lag("us-west-2", "drkit-t-us-west-2", 300)
    said: list[str] = []
    recorder = Recorder(fail={("route53", "list_resource_record_sets")})
    outcome = execute(Operation.SWITCHOVER, "us-west-2", False, settings(world, "us-west-2"), recorder, said.append)
    assert outcome["result"] == "completed"
    assert any("dns: not verified (ListResourceRecordSets failed: route53 list_resource_record_sets is out of reach)" in line for line in said)
    assert "[drkit test] switchover to us-west-2 completed" in audit_subjects(world)


def test_a_calculated_health_check_is_reported_not_verified(world: dict[str, Any]) -> None:
    failover_zone(world, "CALCULATED")
    lag("us-west-2", "drkit-t-us-west-2", 300)
    said: list[str] = []
    outcome = execute(Operation.SWITCHOVER, "us-west-2", False, settings(world, "us-west-2"), client, said.append)
    assert outcome["result"] == "completed"
    assert any("PRIMARY record not verified" in line and "calculated health check" in line for line in said), said


def test_a_switch_back_waits_until_the_returning_region_has_resynchronized(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """After an unplanned failover the old primary is rebuilt when its region returns and reports SynchronizationStatus
    pending-resync (botocore GlobalClusterMember) until it catches up: the switch-back is refused meanwhile, with the reason."""
    import time

    from drkit_lab.emulator import hooks
    from drkit_lab.emulator.control import STATE
    from drkit_lab.emulator.knobs import KNOBS

    monkeypatch.setattr(STATE, "down_regions", {"us-east-1"})
    monkeypatch.setattr(KNOBS, "resync_seconds", 1.0)
    failed_over = execute(Operation.FAILOVER, "us-west-2", False, settings(world, "us-west-2"), client, lambda _: None)
    assert failed_over["result"] == "completed"
    members = client("rds", "us-west-2").describe_global_clusters(GlobalClusterIdentifier="drkit-t")["GlobalClusters"][0]["GlobalClusterMembers"]
    assert {m["DBClusterArn"].split(":")[3]: m["SynchronizationStatus"] for m in members} == {"us-west-2": "connected", "us-east-1": "pending-resync"}
    STATE.down_regions = set()
    hooks.region_returned("us-east-1")  # rebuilt from the new writer from now on, for resync_seconds
    lag("us-east-1", "drkit-t-us-east-1", 200)
    said: list[str] = []
    refused = execute(Operation.SWITCHOVER, "us-east-1", False, settings(world, "us-west-2"), client, said.append)
    assert refused["result"] == "refused", said
    assert "drkit-t-us-east-1 (us-east-1: pending-resync) is not connected" in refused["reason"]
    time.sleep(1.1)
    assert execute(Operation.SWITCHOVER, "us-east-1", False, settings(world, "us-west-2"), client, said.append)["result"] == "completed"


def test_an_arc_region_switch_step_runs_the_lag_preflight_and_fails_the_step_when_refused(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ARC invokes the runbook with its execution metadata only (InvokedBy, PlanArn, ExecutionId, StepName) in the
    activating region; the lag preflight passes quietly, or raises so that ARC fails the step."""
    import importlib

    from functions.failover import arc

    for key, value in {
        "DRKIT_ENVIRONMENT": "test", "GLOBAL_CLUSTER_ID": "drkit-t", "ALERT_TOPIC_ARN": world["topic"], "AWS_REGION": "us-west-2",
        "SWITCHOVER_MAX_LAG_SECONDS": "5", "POWERTOOLS_SERVICE_NAME": "failover-runbook",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    from functions.failover import handler

    handler = importlib.reload(handler)
    event = {
        "InvokedBy": "ARC Region switch",
        "PlanArn": "arn:aws:arc-region-switch::123456789012:plan/drkit-t-use1-usw2:abc123",
        "ExecutionId": "us-west-2/0123456789abcdef",
        "StepName": arc.LAG_PREFLIGHT,
    }
    assert arc.recognise(event) == arc.Invocation(event["PlanArn"], event["ExecutionId"], event["StepName"], event["InvokedBy"])
    with pytest.raises(arc.UnrecognisedInvocation, match="StepName is not a non-empty string"):
        arc.recognise({**event, "StepName": ""})
    lag("us-west-2", "drkit-t-us-west-2", 400.0)
    passed = handler.lambda_handler(event, Context())
    assert passed["result"] == "ok" and passed["region"] == "us-west-2" and passed["lag_seconds"] == pytest.approx(0.4)
    lag("us-west-2", "drkit-t-us-west-2", 9000.0)
    with pytest.raises(arc.StepRefused, match=r"replication lag of drkit-t-us-west-2 is 9\.0 s, above 5 s"):
        handler.lambda_handler(event, Context())
    with pytest.raises(arc.StepRefused, match="implements only lag-preflight"):
        handler.lambda_handler({**event, "StepName": "drop-the-database"}, Context())
    assert read_state(client, settings(world, "us-east-1")).writer.region == "us-east-1"  # type: ignore[union-attr]  # a check never moves it
