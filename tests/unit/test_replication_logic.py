"""Pure decisions of the replication monitor, as tables."""

from __future__ import annotations

import pytest

from functions.replication_monitor.logic import (
    LagSample,
    Member,
    Status,
    evaluate_lag,
    metric_queries,
    parse_topology,
    samples_from_results,
    topology_transition,
    transitions,
    writer_can_write,
    writer_health,
    writer_unreachable,
)

PRIMARY = "arn:aws:rds:us-east-1:123456789012:cluster:drkit-dev-us-east-1"
WEST = "arn:aws:rds:us-west-2:123456789012:cluster:drkit-dev-us-west-2"
EU = "arn:aws:rds:eu-west-1:123456789012:cluster:drkit-dev-eu-west-1"


def response(*members: tuple[str, bool]) -> dict[str, object]:
    return {
        "GlobalClusters": [{"GlobalClusterIdentifier": "drkit-dev", "GlobalClusterMembers": [{"DBClusterArn": a, "IsWriter": w} for a, w in members]}]
    }


def test_topology_before_and_after_switchover() -> None:
    before = parse_topology(response((PRIMARY, True), (WEST, False)), "drkit-dev")
    assert before.writer and before.writer.region == "us-east-1"
    assert [m.region for m in before.secondaries] == ["us-west-2"]
    after = parse_topology(response((PRIMARY, False), (WEST, True)), "drkit-dev")
    assert after.writer and after.writer.region == "us-west-2"
    assert [m.identifier for m in after.secondaries] == ["drkit-dev-us-east-1"]


def test_unknown_global_cluster_has_no_writer() -> None:
    topology = parse_topology({"GlobalClusters": []}, "drkit-dev")
    assert topology.writer is None and topology.secondaries == ()


def test_one_query_set_per_region_covers_every_secondary() -> None:
    topology = parse_topology(response((PRIMARY, True), (WEST, False), (EU, False)), "drkit-dev")
    regions = topology.secondaries_by_region()
    assert sorted(regions) == ["eu-west-1", "us-west-2"]
    queries = metric_queries(regions["us-west-2"])
    assert [q["MetricStat"]["Metric"]["MetricName"] for q in queries] == ["AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag"]
    assert queries[0]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "DBClusterIdentifier", "Value": "drkit-dev-us-west-2"}]


def test_samples_take_the_newest_value() -> None:
    member = Member(WEST, False)
    results = [{"Id": "m0_repl", "Values": [1200.0, 90.0]}, {"Id": "m0_rpo", "Values": []}]
    (sample,) = samples_from_results([member], results)
    assert sample.replication_lag_ms == 1200.0 and sample.rpo_lag_ms is None


@pytest.mark.parametrize(
    ("replication_ms", "rpo_ms", "threshold", "status", "lag"),
    [
        (1000.0, 900.0, 5, Status.OK, 1.0),
        (5000.0, None, 5, Status.OK, 5.0),  # exactly at the threshold is not above it
        (5001.0, None, 5, Status.LAGGING, 5.001),
        (100.0, 7000.0, 5, Status.LAGGING, 7.0),  # the worst of the two lags counts
        (None, None, 5, Status.NO_DATA, None),
        (1500.0, None, 1, Status.LAGGING, 1.5),
        (0.0, 0.0, 0.5, Status.OK, 0.0),
    ],
)
def test_evaluate_lag(replication_ms: float | None, rpo_ms: float | None, threshold: float, status: Status, lag: float | None) -> None:
    verdict = evaluate_lag([LagSample(Member(WEST, False), replication_ms, rpo_ms)], threshold, "us-east-1")
    (secondary,) = verdict.secondaries
    assert secondary.status is status and secondary.lag_seconds == lag
    assert verdict.status is status


def test_verdict_without_writer_or_secondaries_is_no_data() -> None:
    assert evaluate_lag([], 5, "us-east-1").status is Status.NO_DATA
    assert evaluate_lag([LagSample(Member(WEST, False), 1.0, 1.0)], 5, None).status is Status.NO_DATA


@pytest.mark.parametrize(
    ("previous", "status", "alerts"),
    [
        ({}, Status.OK, 0),  # first run, healthy: quiet
        ({}, Status.LAGGING, 1),  # first run, lagging: alert
        ({"drkit-dev-us-west-2": "OK"}, Status.LAGGING, 1),
        ({"drkit-dev-us-west-2": "LAGGING"}, Status.LAGGING, 0),  # still lagging: no repeat every minute
        ({"drkit-dev-us-west-2": "LAGGING"}, Status.OK, 1),  # recovery is announced once
        ({"drkit-dev-us-west-2": "OK"}, Status.NO_DATA, 1),  # missing data is an alert
        ({"drkit-dev-us-west-2": "NO_DATA"}, Status.NO_DATA, 0),
    ],
)
def test_alerts_once_per_state_change(previous: dict[str, str], status: Status, alerts: int) -> None:
    lag = {Status.OK: 1000.0, Status.LAGGING: 9000.0, Status.NO_DATA: None}[status]
    verdict = evaluate_lag([LagSample(Member(WEST, False), lag, None)], 5, "us-east-1")
    assert len(transitions(previous, verdict)) == alerts


def test_writer_visibility_changes_alert_once() -> None:
    blind = evaluate_lag([], 5, None)
    assert topology_transition({}, blind) is not None
    assert topology_transition({"__writer__": "NO_DATA"}, blind) is None
    assert topology_transition({"__writer__": "NO_DATA"}, evaluate_lag([], 5, "us-east-1")) is not None
    seen = evaluate_lag([], 5, "us-east-1")
    lost = topology_transition({}, seen, answers=False)  # the writer's region does not answer: the page
    assert lost is not None and lost.current is Status.NO_DATA
    assert topology_transition({"__writer__": "NO_DATA"}, seen, answers=False) is None  # once, not every minute
    assert topology_transition({"__writer__": "NO_DATA"}, seen, answers=True) is not None  # and once when it is back


REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


@pytest.mark.parametrize(
    ("monitor", "writer", "answers", "expected"),
    [
        # Healthy: the writer's region answers for it.
        ("us-west-2", "us-east-1", True, {"us-east-1": 1, "eu-west-1": 0}),
        # A regional outage: the writer's region does not answer -> it counts against the writer.
        ("us-west-2", "us-east-1", False, {"us-east-1": 0, "eu-west-1": 0}),
        # After a switchover to eu-west-1, the other regions see it there.
        ("us-east-1", "eu-west-1", True, {"us-west-2": 0, "eu-west-1": 1}),
        # The monitor in the writer's own region judges only the others.
        ("us-east-1", "us-east-1", True, {"us-west-2": 0, "eu-west-1": 0}),
    ],
)
def test_writer_health_is_judged_from_outside(monitor: str, writer: str, answers: bool, expected: dict[str, int]) -> None:
    arns = {r: f"arn:aws:rds:{r}:123456789012:cluster:drkit-dev-{r}" for r in REGIONS}
    topology = parse_topology(response(*((arns[r], r == writer) for r in REGIONS)), "drkit-dev")
    assert writer_health(topology, monitor, REGIONS, answers) == expected


@pytest.mark.parametrize(
    ("status", "can_write"),
    [("available", True), ("modifying", True), ("upgrading", True), ("backing-up", True), ("failing-over", True), ("stopped", False),
     ("deleting", False), ("inaccessible-encryption-credentials", False), (None, False)],
)  # fmt: skip
def test_routine_cluster_states_never_count_against_the_writer(status: str | None, can_write: bool) -> None:
    """The review's point: a writer being modified or upgraded still takes writes; moving its name away would stop them."""
    assert writer_can_write(status) is can_write


def test_writer_health_without_a_writer_is_zero_everywhere() -> None:
    topology = parse_topology({"GlobalClusters": []}, "drkit-dev")
    assert writer_health(topology, "us-west-2", REGIONS, None) == {"us-east-1": 0, "eu-west-1": 0}


@pytest.mark.parametrize(
    ("monitor", "writer", "answers", "expected"),
    [
        # The writer in the primary, its region answers: evidence for it.
        ("us-west-2", "us-east-1", True, {"us-east-1": 0}),
        # The primary lost: the global cluster still names the writer there, and the region does not answer for it.
        ("us-west-2", "us-east-1", False, {"us-east-1": 1}),
        # After any switchover the writer is elsewhere: nothing about the primary at all, so an alarm on it is not red
        # (the writer-healthy alarm of the primary is, for as long as the writer stays away).
        ("us-west-2", "us-west-2", True, {}),
        ("us-west-2", "eu-west-1", True, {"eu-west-1": 0}),
        ("us-west-2", "eu-west-1", False, {"eu-west-1": 1}),
    ],
)
def test_writer_unreachable_means_the_writers_region_is_lost_never_that_the_writer_moved(
    monitor: str, writer: str, answers: bool, expected: dict[str, int]
) -> None:
    arns = {r: f"arn:aws:rds:{r}:123456789012:cluster:drkit-dev-{r}" for r in REGIONS}
    topology = parse_topology(response(*((arns[r], r == writer) for r in REGIONS)), "drkit-dev")
    assert writer_unreachable(topology, monitor, answers) == expected


def test_writer_unreachable_without_a_writer_says_nothing() -> None:
    """An observer that cannot read the global cluster has no evidence against the primary (its silence pages)."""
    assert writer_unreachable(parse_topology({"GlobalClusters": []}, "drkit-dev"), "us-west-2", None) == {}
