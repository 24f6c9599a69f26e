"""The failover automation's rules as tables: quorum, latch, target, lag rule, dry run, manual page.

Each rule has a row that fails when the rule is removed from ``functions/failover/automation_logic.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from functions.failover.automation_logic import (
    Action,
    Candidate,
    Latch,
    Situation,
    Vote,
    alarm_regions,
    choose_target,
    decide,
    latch_region,
    parse_alarm_event,
    parse_latch,
    parse_time,
    quorum,
)
from functions.failover.contract import FailoverMode
from functions.writer_probe.logic import ProbeResult, observer_votes_lost

EAST, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"
TWO = (EAST, WEST)
THREE = (EAST, WEST, EU)
TEMPLATE = "drkit-t-writer-lost-in-{writer}-seen-from-{observer}"


# --------------------------------------------------------------------------- quorum


@pytest.mark.parametrize(
    ("regions", "states", "lost"),
    [
        (TWO, {WEST: "ALARM"}, True),  # two regions: the single observer decides
        (TWO, {WEST: "OK"}, False),
        (TWO, {WEST: "INSUFFICIENT_DATA"}, False),  # a silent probe is no verdict
        (TWO, {WEST: None}, False),  # unreadable counts as not lost
        (THREE, {WEST: "ALARM", EU: "ALARM"}, True),  # three regions: both observers
        (THREE, {WEST: "ALARM", EU: "OK"}, False),  # one observer partitioned from the writer: no quorum
        (THREE, {WEST: "OK", EU: "ALARM"}, False),
        (THREE, {WEST: "ALARM", EU: None}, False),  # the other observer cannot be read: no quorum
        (THREE, {WEST: "ALARM"}, False),  # an observer missing from the reads counts as not lost
        ((*THREE, "ap-southeast-2"), {WEST: "ALARM", EU: "ALARM", "ap-southeast-2": "OK"}, True),  # 2 of 3
        ((*THREE, "ap-southeast-2"), {WEST: "ALARM", EU: "OK", "ap-southeast-2": None}, False),
    ],
)
def test_quorum_is_a_strict_majority_of_the_observers(regions: tuple[str, ...], states: dict[str, str | None], lost: bool) -> None:
    verdict = quorum(regions, EAST, states)
    assert verdict.lost is lost
    assert EAST not in verdict.votes  # a region never votes on its own writer
    assert set(verdict.votes) == set(regions) - {EAST}


def test_unreadable_is_its_own_vote_and_counts_as_not_lost() -> None:
    verdict = quorum(THREE, EAST, {WEST: "ALARM", EU: None})
    assert verdict.votes == {WEST: Vote.LOST, EU: Vote.UNREADABLE} and verdict.lost_votes == 1 and verdict.needed == 2


DOWN = ProbeResult(EAST, data_path_up=False, api_up=False)
PEERING_DOWN = ProbeResult(EAST, data_path_up=False, api_up=True)
API_DOWN = ProbeResult(EAST, data_path_up=True, api_up=False)
UP = ProbeResult(EAST, data_path_up=True, api_up=True)


@pytest.mark.parametrize(
    ("regions", "observed", "fails_over"),
    [
        # two regions, seen from us-west-2 only
        (TWO, {WEST: [DOWN] * 3}, True),  # the region is lost: both paths fail, three probes in a row
        (TWO, {WEST: [PEERING_DOWN] * 6}, False),  # a partition of the peering link: the API still answers
        (TWO, {WEST: [API_DOWN] * 6}, False),  # the region's API is out, the database answers
        (TWO, {WEST: [UP, DOWN, DOWN, UP]}, False),  # a 20 s flap: two failed probes
        (TWO, {WEST: []}, False),  # the observer is silent (its own region failing)
        # three regions
        (THREE, {WEST: [DOWN] * 3, EU: [DOWN] * 3}, True),
        (THREE, {WEST: [UP] * 3, EU: [DOWN] * 3}, False),  # eu-west-1 lost sight of us-east-1 (every path): us-west-2 still sees it
        (THREE, {WEST: [DOWN] * 3, EU: [PEERING_DOWN] * 3}, False),
        (THREE, {WEST: [DOWN] * 3, EU: []}, False),
    ],
)
def test_a_writer_is_declared_lost_only_on_independent_agreeing_signals(
    regions: tuple[str, ...], observed: dict[str, Sequence[ProbeResult]], fails_over: bool
) -> None:
    """The whole chain as a table: probe results -> each observer's alarm -> the quorum."""
    states: dict[str, str | None] = {
        observer: ("ALARM" if observer_votes_lost(results, 3) else "OK") if results else "INSUFFICIENT_DATA" for observer, results in observed.items()
    }
    assert quorum(regions, EAST, states).lost is fails_over


# --------------------------------------------------------------------------- the decision


def candidate(region: str, lag: float | None, status: str = "available", instances: int | None = 2) -> Candidate:
    return Candidate(region, f"arn:aws:rds:{region}:123456789012:cluster:drkit-t-{region}", status, instances, lag)


SITUATION = Situation(
    mode=FailoverMode.AUTOMATIC,
    dry_run=False,
    config_name="three",
    member_regions=THREE,
    writer_region=EAST,
    alarm_writer_region=EAST,
    quorum=quorum(THREE, EAST, {WEST: "ALARM", EU: "ALARM"}),
    latches=(),
    candidates=(candidate(WEST, 0.4), candidate(EU, 0.4)),
    max_lag_seconds=30.0,
)


def test_automatic_fails_over_to_the_least_lag_target_on_quorum() -> None:
    decision = decide(SITUATION)
    assert decision.action is Action.FAIL_OVER and decision.target is not None and decision.target.region == WEST  # tie: configuration order
    lagging_west = decide(replace(SITUATION, candidates=(candidate(WEST, 2.0), candidate(EU, 0.3))))
    assert lagging_west.target is not None and lagging_west.target.region == EU  # least lag wins


def test_no_quorum_defers_and_changes_nothing() -> None:
    decision = decide(replace(SITUATION, quorum=quorum(THREE, EAST, {WEST: "OK", EU: "ALARM"})))
    assert decision.action is Action.DEFER and "no quorum" in decision.reason and "partition" in decision.reason


def test_a_latch_refuses_a_second_automatic_failover() -> None:
    latch = Latch(incident=EAST, target=WEST, at="2026-01-01T00:00:00+00:00", by=WEST)
    decision = decide(replace(SITUATION, latches=(latch,)))
    assert decision.action is Action.REFUSE and decision.reason.startswith("latched:")
    assert "drkit runbook rearm --env three" in decision.reason


def test_the_lag_rule_refuses_a_target_beyond_the_rpo_budget() -> None:
    decision = decide(replace(SITUATION, candidates=(candidate(WEST, 45.0), candidate(EU, 60.0))))
    assert decision.action is Action.REFUSE and "above the RPO budget (30 s)" in decision.reason
    assert decision.command == "drkit runbook failover --env three --to us-west-2"  # the operator may still decide
    unknown = decide(replace(SITUATION, candidates=(candidate(WEST, None),)))
    assert unknown.action is Action.REFUSE and "unknown" in unknown.reason


def test_a_dry_run_only_says_what_it_would_do() -> None:
    decision = decide(replace(SITUATION, dry_run=True))
    assert decision.action is Action.DRY_RUN and decision.reason.startswith("would fail over to drkit-t-us-west-2")


def test_manual_pages_with_the_exact_command_even_when_automation_would_refuse() -> None:
    manual = replace(SITUATION, mode=FailoverMode.MANUAL)
    decision = decide(manual)
    assert decision.action is Action.PAGE and decision.command == "drkit runbook failover --env three --to us-west-2"
    assert decision.command in decision.reason
    lagging = decide(replace(manual, candidates=(candidate(WEST, 45.0),)))
    assert lagging.action is Action.PAGE and "above the RPO budget" in lagging.notes[0]
    assert decide(replace(manual, quorum=quorum(THREE, EAST, {WEST: "OK", EU: "ALARM"}))).action is Action.PAGE


def test_an_alarm_about_a_former_writer_decides_nothing() -> None:
    decision = decide(replace(SITUATION, writer_region=WEST))
    assert decision.action is Action.IGNORE


def test_no_healthy_secondary_is_a_refusal() -> None:
    decision = decide(replace(SITUATION, candidates=(candidate(WEST, 0.1, instances=0), candidate(EU, 0.1, status="unreachable: 503"))))
    assert decision.action is Action.REFUSE and "no secondary can be promoted" in decision.reason


def test_target_choice_skips_unhealthy_and_sorts_unknown_lag_last() -> None:
    options = (candidate(WEST, None), candidate(EU, 9.0), candidate("ap-southeast-2", 0.1, instances=0))
    chosen = choose_target(options, (*THREE, "ap-southeast-2"))
    assert chosen is not None and chosen.region == EU


# --------------------------------------------------------------------------- names, events, latches


def test_the_latch_of_an_incident_lives_in_one_region_every_decider_agrees_on() -> None:
    assert latch_region(THREE, EAST) == WEST
    assert latch_region(THREE, WEST) == EAST
    latch = Latch(incident=EAST, target=EU, at="t", by=WEST)
    assert parse_latch(latch.to_json()) == latch
    assert parse_latch("garbage").incident == "?"


def test_alarm_names_say_which_writer_and_which_observer() -> None:
    assert alarm_regions(TEMPLATE, "drkit-t-writer-lost-in-us-east-1-seen-from-eu-west-1", THREE) == (EAST, EU)
    assert alarm_regions(TEMPLATE, "drkit-t-writer-healthy-in-us-east-1", THREE) is None


def test_a_cloudwatch_alarm_event_is_parsed() -> None:
    event = {
        "source": "aws.cloudwatch",
        "alarmArn": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:x",
        "accountId": "123456789012",
        "time": "2023-08-04T12:36:15.490+0000",
        "region": WEST,
        "alarmData": {"alarmName": "x", "state": {"value": "ALARM", "reason": "r", "timestamp": "2023-08-04T12:36:15.490+0000"}},
    }
    alarm = parse_alarm_event(event)
    assert alarm.alarm_name == "x" and alarm.state == "ALARM"
    when = parse_time(alarm.state_timestamp)
    assert when is not None and when.isoformat() == "2023-08-04T12:36:15.490000+00:00"
    assert parse_time("not a time") is None
