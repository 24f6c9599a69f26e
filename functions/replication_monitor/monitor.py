"""One monitoring run: AWS calls around the pure logic. Clients are injected (moto or AWS)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import preserve
from .logic import (
    WRITER_KEY,
    LagSample,
    LagVerdict,
    Member,
    Topology,
    Transition,
    evaluate_lag,
    metric_queries,
    parse_topology,
    render_alert,
    samples_from_results,
    topology_transition,
    transitions,
    writer_can_write,
    writer_health,
    writer_status,
    writer_unreachable,
)
from .settings import MonitorSettings

ClientFactory = Callable[[str, str], Any]  # (service, region) -> boto3 client
LOOKBACK = timedelta(minutes=5)


@dataclass(frozen=True)
class RunResult:
    verdict: LagVerdict
    changes: list[Transition]
    writer_healthy: dict[str, int]  # per other member region, see logic.writer_health
    preservation: preserve.StepResult | None = None  # the point-of-failure snapshot (``preserve``)
    writer_unreachable: dict[str, int] = field(default_factory=dict)  # the writer's region at most, see logic.writer_unreachable


def end_of_period(now: datetime) -> datetime:
    """The end of the current one-minute period, so the newest (partial) datapoint is included."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def read_samples(client: ClientFactory, verdict_regions: dict[str, list[Member]], now: datetime) -> list[LagSample]:
    """One GetMetricData call per region, whatever the number of secondaries there."""
    samples: list[LagSample] = []
    for region, members in sorted(verdict_regions.items()):
        try:
            response = client("cloudwatch", region).get_metric_data(
                MetricDataQueries=metric_queries(members),
                StartTime=now - LOOKBACK,
                EndTime=end_of_period(now),
                ScanBy="TimestampDescending",
            )
            results = response.get("MetricDataResults", [])
        except Exception:  # an unreadable region is missing data, which is itself alerted
            results = []
        samples.extend(samples_from_results(members, results))
    return samples


def writer_answers(client: ClientFactory, topology: Topology) -> bool | None:
    """Does the writer's own region answer for the writer cluster, in a state that can take writes?"""
    if topology.writer is None:
        return None
    try:
        clusters = client("rds", topology.writer.region).describe_db_clusters(DBClusterIdentifier=topology.writer.arn)["DBClusters"]
    except Exception:  # the region (or its RDS API) does not answer: evidence against the writer
        return False
    return writer_can_write(clusters[0].get("Status") if clusters else None)


def load_state(client: ClientFactory, settings: MonitorSettings) -> dict[str, str]:
    try:
        value = client("ssm", settings.region).get_parameter(Name=settings.state_parameter, WithDecryption=True)["Parameter"]["Value"]
        state = json.loads(value)
    except Exception:  # first run, or an unreadable state: start from "all OK"
        return {}
    return {str(k): str(v) for k, v in state.items()} if isinstance(state, dict) else {}


def save_state(client: ClientFactory, settings: MonitorSettings, state: dict[str, str]) -> None:
    extra = {"KeyId": settings.state_key_id} if settings.state_key_id else {}
    client("ssm", settings.region).put_parameter(
        Name=settings.state_parameter, Value=json.dumps(state, sort_keys=True), Type="SecureString", Overwrite=True, **extra
    )


def run(settings: MonitorSettings, client: ClientFactory, now: datetime | None = None) -> RunResult:
    """Discover the topology, read lag, judge the writer, alert on state changes, remember the state."""
    now = now or datetime.now(UTC)
    try:
        response = client("rds", settings.region).describe_global_clusters(GlobalClusterIdentifier=settings.global_cluster_id)
    except Exception:
        response = {}
    topology = parse_topology(response, settings.global_cluster_id)
    samples = read_samples(client, topology.secondaries_by_region(), now)
    verdict = evaluate_lag(samples, settings.lag_alarm_threshold_seconds, topology.writer.region if topology.writer else None)
    answers = writer_answers(client, topology)
    healthy = writer_health(topology, settings.region, settings.member_regions, answers)
    previous = load_state(client, settings)
    changes = transitions(previous, verdict)
    writer_change = topology_transition(previous, verdict, answers)
    if writer_change is not None:
        changes.append(writer_change)
    if changes:
        subject, message = render_alert(settings.environment, settings.region, changes, verdict)
        client("sns", settings.region).publish(TopicArn=settings.alert_topic_arn, Subject=subject, Message=message)
    preservation = preserve.step(settings.preservation, client, now, previous) if settings.preservation else None
    for subject, message in preservation.alerts if preservation else []:
        client("sns", settings.region).publish(TopicArn=settings.alert_topic_arn, Subject=subject, Message=message)
    state = verdict.state()
    state[WRITER_KEY] = writer_status(verdict, answers).value
    state.update(preservation.state if preservation else {})
    if state != previous:  # steady state costs no write
        save_state(client, settings, state)
    unreachable = writer_unreachable(topology, settings.region, answers)
    return RunResult(verdict=verdict, changes=changes, writer_healthy=healthy, writer_unreachable=unreachable, preservation=preservation)
