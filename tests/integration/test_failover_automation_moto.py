"""The failover automation against moto, three regions: quorum, latch, lag rule, dry run, manual page, re-arm,
and two deciders racing for one incident. The handler's alarm path is what CloudWatch invokes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from drkit_lab.emulator.patches import apply_all
from functions.failover.automation import AutomationSettings, on_alarm, rearm
from functions.failover.contract import FailoverMode
from functions.failover.runner import RunbookSettings, read_state

pytestmark = pytest.mark.integration
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
TEMPLATE = "drkit-t-writer-lost-in-{writer}-seen-from-{observer}"
LATCH = "/drkit/t/failover/automation-latch"


def client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


@dataclass
class World:
    arns: dict[str, str]
    queues: dict[str, str]
    now: datetime

    def alarm(self, writer: str, observer: str, state: str) -> None:
        client("cloudwatch", observer).set_alarm_state(
            AlarmName=TEMPLATE.format(writer=writer, observer=observer), StateValue=state, StateReason="test"
        )

    def lag(self, region: str, milliseconds: float, minutes_ago: int = 2) -> None:
        client("cloudwatch", region).put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": "DBClusterIdentifier", "Value": f"drkit-t-{region}"}],
                    "Value": milliseconds,
                    "Unit": "Milliseconds",
                    "Timestamp": self.now - timedelta(minutes=minutes_ago),
                }
                for metric in ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")
            ],
        )

    def event(self, writer: str, observer: str) -> dict[str, Any]:
        name = TEMPLATE.format(writer=writer, observer=observer)
        stamp = self.now.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        return {
            "source": "aws.cloudwatch",
            "alarmArn": f"arn:aws:cloudwatch:{observer}:123456789012:alarm:{name}",
            "accountId": "123456789012",
            "time": stamp,
            "region": observer,
            "alarmData": {"alarmName": name, "state": {"value": "ALARM", "reason": "t", "timestamp": stamp}, "previousState": {"value": "OK"}},
        }

    def pages(self, region: str) -> list[dict[str, Any]]:
        sqs = client("sqs", region)
        messages = sqs.receive_message(QueueUrl=self.queues[region], MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=self.queues[region], ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(m["Body"]) for m in messages]

    def writer(self) -> str:
        state = read_state(client, runbook("eu-west-1"))
        return state.writer.region if state.writer else "none"


def runbook(home: str) -> RunbookSettings:
    return RunbookSettings(
        environment="test", home_region=home, global_cluster_id="drkit-t",
        alert_topic_arns={home: f"arn:aws:sns:{home}:123456789012:drkit-t-alerts"},
        zone_id=None, record_names=(), switchover_max_lag_seconds=5, poll_seconds=0.01, timeout_seconds=5,
    )  # fmt: skip


AUTOMATIC = AutomationSettings(
    mode=FailoverMode.AUTOMATIC,
    dry_run=False,
    config_name="three",
    member_regions=REGIONS,
    alarm_template=TEMPLATE,
    latch_parameter=LATCH,
    max_lag_seconds=30,
    probe_interval_seconds=10,
    lost_after_probes=3,
)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    apply_all()
    with mock_aws():
        client("rds", "us-east-1").create_global_cluster(GlobalClusterIdentifier="drkit-t", Engine="aurora-postgresql", EngineVersion="16.6")
        arns, queues = {}, {}
        for region in REGIONS:
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
            topic = client("sns", region).create_topic(Name="drkit-t-alerts")["TopicArn"]
            queue = client("sqs", region).create_queue(QueueName="pager")["QueueUrl"]
            queue_arn = client("sqs", region).get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            client("sns", region).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
            queues[region] = queue
            for writer in REGIONS:
                if writer != region:
                    client("cloudwatch", region).put_metric_alarm(
                        AlarmName=TEMPLATE.format(writer=writer, observer=region), Namespace="drkit", MetricName="WriterLost",
                        Statistic="Minimum", Period=10, EvaluationPeriods=3, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                    )  # fmt: skip
        now = datetime.now(UTC).replace(microsecond=0)
        current = World(arns=arns, queues=queues, now=now)
        for region in ("us-west-2", "eu-west-1"):
            current.lag(region, 400, minutes_ago=3)
        yield current


def act(world: World, observer: str, settings: AutomationSettings = AUTOMATIC, writer: str = "us-east-1") -> dict[str, Any]:
    said: list[str] = []
    outcome = on_alarm(world.event(writer, observer), runbook(observer), settings, client, world.now, said.append)
    outcome["said"] = said
    return outcome


def test_no_quorum_no_failover_and_a_page(world: World) -> None:
    world.alarm("us-east-1", "eu-west-1", "ALARM")  # eu-west-1 lost sight of the writer; us-west-2 still sees it
    world.alarm("us-east-1", "us-west-2", "OK")
    outcome = act(world, "eu-west-1")
    assert outcome["result"] == "defer" and "no quorum" in outcome["reason"]
    assert world.writer() == "us-east-1"
    (page,) = world.pages("eu-west-1")
    assert "defer" in page["Subject"] and "1 of 2 observer(s)" in json.loads(page["Message"])["quorum"]
    assert client("ssm", "us-west-2").describe_parameters()["Parameters"] == []  # no latch


def test_quorum_fails_over_once_and_latches(world: World) -> None:
    world.alarm("us-east-1", "us-west-2", "ALARM")
    world.alarm("us-east-1", "eu-west-1", "ALARM")
    outcome = act(world, "us-west-2")
    assert outcome["result"] == "completed" and outcome["automation"] == "fail over", outcome["said"]
    assert world.writer() == "us-west-2"  # least lag, tie broken by configuration order
    latch = json.loads(client("ssm", "us-west-2").get_parameter(Name=LATCH)["Parameter"]["Value"])
    assert latch == {"incident": "us-east-1", "target": "us-west-2", "at": world.now.isoformat(), "by": "us-west-2"}
    copy = json.loads(client("ssm", "eu-west-1").get_parameter(Name=LATCH)["Parameter"]["Value"])
    assert copy == latch  # losing the lock's region later cannot hide the latch
    subjects = [p["Subject"] for p in world.pages("us-west-2")]
    assert any("automation (automatic): fail over" in s for s in subjects) and any("failover to us-west-2 completed" in s for s in subjects)

    # the other observer's alarm arrives late: the writer moved, this alarm is about a former writer
    late = act(world, "eu-west-1")
    assert late["result"] == "ignore" and world.writer() == "us-west-2"

    # the new writer is lost too: no second automatic failover until re-armed
    world.alarm("us-west-2", "us-east-1", "ALARM")
    world.alarm("us-west-2", "eu-west-1", "ALARM")
    second = act(world, "eu-west-1", writer="us-west-2")
    assert second["result"] == "refuse" and "latched" in second["reason"] and world.writer() == "us-west-2"

    said: list[str] = []
    assert rearm(client, LATCH, REGIONS, said.append) == ["us-west-2", "eu-west-1"]
    assert "removed the latch of an automatic failover from us-east-1 to us-west-2" in said[0]
    again = act(world, "eu-west-1", writer="us-west-2")
    assert again["result"] == "completed" and world.writer() in ("us-east-1", "eu-west-1")


def test_two_deciders_of_one_incident_one_acts(world: World) -> None:
    """Both observers' alarms fire at once; each decider may pick a different target on slightly different
    lag reads, and still only one acts: the latch of an incident lives in one region both agree on."""
    world.alarm("us-east-1", "us-west-2", "ALARM")
    world.alarm("us-east-1", "eu-west-1", "ALARM")
    world.lag("eu-west-1", 100, minutes_ago=2)  # eu-west-1 now has the least lag
    from functions.failover import automation

    first_take = automation.take_latch
    taken: list[str] = []

    def racing(client_: Any, settings: AutomationSettings, latch: Any) -> str | None:
        taken.append(latch.target)
        if len(taken) == 1:  # the other decider wins the race between this one's reads and its create
            other = replace(latch, target="us-west-2", by="us-west-2")
            assert first_take(client_, settings, other) is None
        return first_take(client_, settings, latch)

    automation.take_latch = racing  # type: ignore[assignment]
    try:
        outcome = act(world, "eu-west-1")
    finally:
        automation.take_latch = first_take  # type: ignore[assignment]
    assert outcome["result"] == "refuse" and "another decider took the latch of this incident in us-west-2" in outcome["reason"]
    assert world.writer() == "us-east-1"  # this decider changed nothing


def test_lag_above_the_rpo_budget_refuses_and_pages_the_command(world: World) -> None:
    world.alarm("us-east-1", "us-west-2", "ALARM")
    world.alarm("us-east-1", "eu-west-1", "ALARM")
    for region in ("us-west-2", "eu-west-1"):
        world.lag(region, 45_000, minutes_ago=2)  # the last full minute before the loss began (30 s before the alarm)
    outcome = act(world, "us-west-2")
    assert outcome["result"] == "refuse" and "above the RPO budget (30 s)" in outcome["reason"]
    assert outcome["command"] == "drkit runbook failover --env three --to us-west-2"
    assert world.writer() == "us-east-1"
    assert "refuse" in world.pages("us-west-2")[0]["Subject"]


def test_lag_after_the_writer_was_lost_is_not_what_had_replicated(world: World) -> None:
    """While the writer is gone the published lag grows; the rule reads the lag from before the loss."""
    world.alarm("us-east-1", "us-west-2", "ALARM")
    world.alarm("us-east-1", "eu-west-1", "ALARM")
    for region in ("us-west-2", "eu-west-1"):
        world.lag(region, 45_000, minutes_ago=0)  # published after the loss began
    assert act(world, "us-west-2")["result"] == "completed"


def test_dry_run_and_manual_change_nothing(world: World) -> None:
    world.alarm("us-east-1", "us-west-2", "ALARM")
    world.alarm("us-east-1", "eu-west-1", "ALARM")
    dry = act(world, "us-west-2", replace(AUTOMATIC, dry_run=True))
    assert dry["result"] == "dry run" and world.writer() == "us-east-1"
    manual = act(world, "us-west-2", replace(AUTOMATIC, mode=FailoverMode.MANUAL))
    assert manual["result"] == "page" and manual["command"] == "drkit runbook failover --env three --to us-west-2"
    pages = world.pages("us-west-2")
    assert len(pages) == 2 and "drkit runbook failover --env three --to us-west-2" in pages[1]["Message"]
    assert client("ssm", "us-west-2").describe_parameters()["Parameters"] == []


def test_an_old_alarm_event_never_acts(world: World) -> None:
    world.alarm("us-east-1", "us-west-2", "ALARM")
    world.alarm("us-east-1", "eu-west-1", "ALARM")
    said: list[str] = []
    outcome = on_alarm(world.event("us-east-1", "us-west-2"), runbook("us-west-2"), AUTOMATIC, client, world.now + timedelta(minutes=5), said.append)
    assert outcome["result"] == "rejected" and "stale requests never act" in outcome["reason"]
    assert world.writer() == "us-east-1"


def test_one_failed_probe_then_silence_never_fails_over_a_healthy_writer(world: World) -> None:
    """Two regions, automatic: the single observer is the quorum. Its probe comes back after a gap (its runs were
    throttled), its first probe fails on both paths (its own network was not ready), and it falls silent again:
    ``- - X - -``, the CloudWatch User Guide's "premature alarm state" row. The alarm exactly as deployed, evaluated
    as CloudWatch evaluates it (drkit_lab.emulator.evaluation), must not go to ALARM: if it did, its action would
    run the automation, which would fail over a writer nothing is wrong with."""
    from constructs_lib.writer_probe import LOST_ALARM_MISSING_DATA
    from drkit_lab.emulator.evaluation import ALARM, Evaluator, alarm_event
    from functions.writer_probe import contract

    observer = "us-west-2"
    name = TEMPLATE.format(writer="us-east-1", observer=observer)
    dimensions = [{"Name": k, "Value": v} for k, v in contract.writer_dimensions("test", "us-east-1").items()]
    cloudwatch = client("cloudwatch", observer)
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace=contract.NAMESPACE, MetricName=contract.Metric.LOST, Dimensions=dimensions, Statistic="Minimum",
        Period=10, EvaluationPeriods=3, DatapointsToAlarm=3, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData=LOST_ALARM_MISSING_DATA,
    )  # fmt: skip
    evaluator = Evaluator("http://unused", (observer,), down=set, alarm_prefix=name)  # this alarm only
    evaluator._clients[("cloudwatch", observer)] = cloudwatch
    start = datetime.fromtimestamp(int(world.now.timestamp()) // 10 * 10 - 50, UTC)
    cloudwatch.put_metric_data(
        Namespace=contract.NAMESPACE,
        MetricData=[
            {
                "MetricName": contract.Metric.LOST,
                "Dimensions": dimensions,
                "Value": 1,
                "Timestamp": start + timedelta(seconds=20),
                "StorageResolution": 1,
            }
        ],
    )
    two_regions = replace(AUTOMATIC, member_regions=("us-east-1", "us-west-2"))
    outcomes = []
    for step in range(3, 6):  # evaluated as each 10 s period ends, the probe silent after its one failed probe
        at = start + timedelta(seconds=10 * step)
        for change in evaluator.evaluate_alarms(at):
            if change.kind == "alarm" and change.new == ALARM:  # its action: the runbook function, with CloudWatch's event
                event = alarm_event({"AlarmName": change.subject}, observer, "123456789012", change.old, ALARM, change.detail, at)
                outcomes.append(on_alarm(event, runbook(observer), two_regions, client, at, lambda line: None))
    assert evaluator.states[(observer, name)] != ALARM and outcomes == [], [
        (o.get("automation") or o.get("result"), o.get("reason")) for o in outcomes
    ]
    assert world.writer() == "us-east-1"


def test_a_latch_create_whose_answer_was_lost_is_still_this_deciders(world: World) -> None:
    """botocore retries a PutParameter that timed out: the retry meets the latch the first attempt created. That is
    this decider's latch, not another's: it must act, not leave the incident latched with nobody failing over."""
    world.alarm("us-east-1", "us-west-2", "ALARM")
    world.alarm("us-east-1", "eu-west-1", "ALARM")
    from functions.failover import automation

    first_take = automation.take_latch

    def answer_lost(client_: Any, settings: AutomationSettings, latch: Any) -> str | None:
        assert first_take(client_, settings, latch) is None  # the first attempt commits; its response never arrives
        return first_take(client_, settings, latch)  # the retry: ParameterAlreadyExists

    automation.take_latch = answer_lost  # type: ignore[assignment]
    try:
        outcome = act(world, "us-west-2")
    finally:
        automation.take_latch = first_take  # type: ignore[assignment]
    assert outcome.get("result") == "completed", outcome["said"]
    assert world.writer() == "us-west-2"


def test_a_failed_failover_call_pages_with_the_command_and_keeps_the_latch(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.alarm("us-east-1", "us-west-2", "ALARM")
    world.alarm("us-east-1", "eu-west-1", "ALARM")
    from botocore.exceptions import ClientError

    from functions.failover import automation

    def refused(*_: Any, **__: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "InvalidGlobalClusterStateFault", "Message": "not now"}}, "FailoverGlobalCluster")

    monkeypatch.setattr(automation, "execute", refused)
    outcome = act(world, "us-west-2")
    assert outcome["result"] == "failed" and "InvalidGlobalClusterStateFault" in outcome["reason"], outcome
    assert "drkit runbook failover" in outcome["reason"] and world.writer() == "us-east-1"
    assert any("FAILOVER CALL FAILED" in p["Subject"] for p in world.pages("us-west-2"))
    assert client("ssm", "us-west-2").get_parameter(Name=LATCH)["Parameter"]["Value"]  # no second automatic attempt
