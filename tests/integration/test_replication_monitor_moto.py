"""The replication monitor handler against moto: alerts exactly when they should, EMF on stdout."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from drkit_lab.emf import emf_metrics
from drkit_lab.emulator.patches import apply_all
from drkit_lab.smoke import seed_lag

pytestmark = pytest.mark.integration
ENV = {
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "DRKIT_ENVIRONMENT": "test",
    "GLOBAL_CLUSTER_ID": "drkit-test",
    "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:drkit-test-alerts",
    "STATE_PARAMETER": "/drkit/test/replication-monitor/us-east-1/state",
    "LAG_THRESHOLD_SECONDS": "5",
    "MEMBER_REGIONS": "us-east-1,us-west-2",
    "POWERTOOLS_SERVICE_NAME": "replication-monitor",
    "POWERTOOLS_METRICS_NAMESPACE": "drkit",
}


@dataclass
class Context:
    function_name: str = "drkit-test-replication-monitor"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:drkit-test-replication-monitor"
    aws_request_id: str = "req-1"


@dataclass
class World:
    handler: ModuleType
    queue_url: str
    secondary_arns: dict[str, str]

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return boto3.client(service, region_name=region)

    def lag(self, region: str, milliseconds: float) -> None:
        seed_lag(self.client, region, self.secondary_arns[region].rsplit(":", maxsplit=1)[-1], milliseconds)

    def invoke(self) -> dict[str, Any]:
        return self.handler.lambda_handler({"source": "aws.events"}, Context())

    def alerts(self) -> list[dict[str, Any]]:
        messages = self.client("sqs").receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            self.client("sqs").delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    apply_all()
    with mock_aws():
        rds = boto3.client("rds", region_name="us-east-1")
        rds.create_global_cluster(GlobalClusterIdentifier="drkit-test", Engine="aurora-postgresql", EngineVersion="16.6")
        rds.create_db_cluster(
            DBClusterIdentifier="drkit-test-us-east-1",
            Engine="aurora-postgresql",
            EngineVersion="16.6",
            GlobalClusterIdentifier="drkit-test",
            MasterUsername="admin",
            MasterUserPassword="x" * 16,
        )
        arns = {}
        for region in ("us-west-2",):
            arns[region] = boto3.client("rds", region_name=region).create_db_cluster(
                DBClusterIdentifier=f"drkit-test-{region}",
                Engine="aurora-postgresql",
                EngineVersion="16.6",
                GlobalClusterIdentifier="drkit-test",
            )["DBCluster"]["DBClusterArn"]
        sns = boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="drkit-test-alerts")["TopicArn"]
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        from functions.replication_monitor import handler

        handler = importlib.reload(handler)  # settings are read at import, like a cold start
        handler.client.cache_clear()
        yield World(handler=handler, queue_url=queue_url, secondary_arns=arns)


def test_healthy_lag_publishes_metrics_and_no_alert(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.lag("us-west-2", 1200)
    result = world.invoke()
    assert result == {"status": "OK", "writer_region": "us-east-1", "alerts": 0, "writer_healthy": {"us-west-2": 0}}
    assert world.alerts() == []
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    lag_docs = [d for d in emf if "ReplicationLagSeconds" in d]
    assert len(lag_docs) == 1
    assert lag_docs[0]["ReplicationLagSeconds"] == [1.2]
    assert lag_docs[0]["Secondary"] == "drkit-test-us-west-2"
    assert lag_docs[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "drkit"


def test_lag_above_threshold_alerts_once_then_recovery_once(world: World) -> None:
    world.lag("us-west-2", 9000)
    assert world.invoke()["status"] == "LAGGING"
    (alert,) = world.alerts()
    assert "drkit-test-us-west-2 (us-west-2): OK -> LAGGING, lag 9.0 s" in alert["Message"]
    assert world.invoke()["alerts"] == 0  # still lagging a minute later: no repeat
    assert world.alerts() == []


def test_missing_lag_data_is_an_alert(world: World) -> None:
    result = world.invoke()  # no metric at all for the secondary
    assert result["status"] == "NO_DATA" and result["alerts"] == 1
    (alert,) = world.alerts()
    assert "OK -> NO_DATA, lag no data" in alert["Message"]


def test_topology_follows_a_switchover(world: World) -> None:
    primary_arn = "arn:aws:rds:us-east-1:123456789012:cluster:drkit-test-us-east-1"
    boto3.client("rds", region_name="us-east-1").switchover_global_cluster(
        GlobalClusterIdentifier="drkit-test", TargetDbClusterIdentifier=world.secondary_arns["us-west-2"]
    )
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "AuroraGlobalDBReplicationLag",
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "drkit-test-us-east-1"}],
                "Value": 300.0,
            }
        ],
    )
    result = world.invoke()
    # Seen from us-east-1 (now a secondary, replicating): the writer is in us-west-2, answering.
    assert result == {"status": "OK", "writer_region": "us-west-2", "alerts": 0, "writer_healthy": {"us-west-2": 1}}
    assert primary_arn.endswith("drkit-test-us-east-1")


def test_missing_setting_fails_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.replication_monitor.settings import MissingSetting, MonitorSettings

    env = dict(ENV)
    del env["ALERT_TOPIC_ARN"]
    with pytest.raises(MissingSetting, match="ALERT_TOPIC_ARN is missing"):
        MonitorSettings.from_env(env)
    with pytest.raises(MissingSetting, match="LAG_THRESHOLD_SECONDS must be positive"):
        MonitorSettings.from_env({**ENV, "LAG_THRESHOLD_SECONDS": "-1"})


def test_throttled_aws_calls_become_an_alert_not_a_crash(world: World) -> None:
    from botocore.exceptions import ClientError

    from functions.replication_monitor.monitor import run
    from functions.replication_monitor.settings import MonitorSettings

    class Throttled:
        def __getattr__(self, name: str) -> Any:
            def fail(**_: Any) -> Any:
                raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, name)

            return fail

    def client(service: str, region: str) -> Any:
        return Throttled() if service in {"rds", "cloudwatch"} else boto3.client(service, region_name=region)

    result = run(MonitorSettings.from_env(ENV), client)
    assert result.verdict.status.value == "NO_DATA"
    assert [c.identifier for c in result.changes] == ["__writer__"]
    (alert,) = world.alerts()
    assert "Writer region: unknown (global cluster not readable)" in alert["Message"]


def emitted_metrics(output: str) -> set[tuple[str, str, frozenset[tuple[str, str]]]]:
    """(namespace, metric, dimensions) of every metric in the EMF documents the handler printed."""
    return {
        (namespace, datum["MetricName"], frozenset((d["Name"], d["Value"]) for d in datum["Dimensions"])) for namespace, datum in emf_metrics(output)
    }


def test_dashboard_and_alarms_query_exactly_what_the_monitor_emits(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """CloudWatch matches dimensions exactly: a widget or alarm that differs by one dimension reads nothing."""
    from constructs_lib.dashboard import DashboardProps, dashboard_body
    from functions.replication_monitor import contract

    world.lag("us-west-2", 1200)
    world.invoke()
    boto3.client("rds", region_name="us-east-1").switchover_global_cluster(
        GlobalClusterIdentifier="drkit-test", TargetDbClusterIdentifier=world.secondary_arns["us-west-2"]
    )
    seed_lag(world.client, "us-east-1", "drkit-test-us-east-1", 300.0)
    world.invoke()
    emitted = emitted_metrics(capsys.readouterr().out)
    props = DashboardProps(
        provider=None,  # type: ignore[arg-type]
        name="d",
        environment="test",
        home_region="us-east-1",
        clusters=(("us-east-1", "drkit-test-us-east-1"), ("us-west-2", "drkit-test-us-west-2")),
        monitor_function_name="drkit-test-replication-monitor",
        monitor_regions=("us-east-1",),
    )
    queried = set()
    for widget in json.loads(dashboard_body(props))["widgets"]:
        for row in widget["properties"]["metrics"]:
            namespace, name, *rest = row[:-1]
            if namespace == contract.NAMESPACE:
                queried.add((namespace, name, frozenset(zip(rest[::2], rest[1::2], strict=True))))
    assert queried, "the dashboard shows no monitor metric"
    # Every monitor metric the dashboard shows for the monitor region is one the monitor emitted there.
    missing = queried - emitted
    assert not missing, f"the dashboard queries metrics the monitor never emits: {sorted(missing)}; emitted: {sorted(emitted)}"
    writer_healthy = (contract.NAMESPACE, contract.Metric.WRITER_HEALTHY, frozenset(contract.writer_healthy_dimensions("test", "us-west-2").items()))
    assert writer_healthy in emitted  # what the Route 53 health-check alarm reads
    # What the ARC trigger's writer-lost alarm reads: the writer (now in us-west-2) judged from us-east-1, answering.
    unreachable = (contract.NAMESPACE, contract.Metric.WRITER_UNREACHABLE, frozenset(contract.writer_healthy_dimensions("test", "us-west-2").items()))
    assert unreachable in emitted
