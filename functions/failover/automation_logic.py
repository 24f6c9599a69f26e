"""Pure decisions of the failover automation: the quorum, the latch, the target, the lag rule, the verdict.

Nothing here calls AWS; tests call these functions with plain data (tables). ``automation.py`` reads
the world (alarm states, latches, members and their lag) and acts on the :class:`Decision`.

The rules, in the order they are applied (each one refuses or defers on its own):

1. **The alarm is about the current writer.** An alarm judges one writer region from one observer
   region; an alarm about a region that no longer holds the writer decides nothing.
2. **Quorum.** The observers of the writer are every member region but the writer's. Each votes
   *lost* when its "writer lost, seen from <observer>" alarm is in ALARM, which it is only after
   ``lost_after_probes`` probes in a row failed on both the data path (the peering link) and the
   control path (the writer's region's RDS API). The writer is lost when a strict majority of
   observers vote lost. An observer whose alarm cannot be read votes *not lost*: silence is never
   evidence. Two regions: the single observer decides, on both paths. Three: both observers.
3. **Latch.** At most one automatic failover until an operator re-arms: any latch found in a reachable
   region refuses (it stays set after a failover, so the automation never fails back on its own).
4. **Target.** The healthy secondary with the least last known replication lag; ties go to the first
   in configuration order. "Healthy": read in its own region, with at least one instance, in a state
   that can take writes after promotion.
5. **Lag rule.** Refuse (and page) when the target's last known lag, measured before the writer was
   lost, exceeds the RPO budget, or is unknown: the failover would lose more than the budget allows.
6. **Dry run** records and pages what it would have done, and changes nothing.

``manual`` mode evaluates the same rules and pages with the exact command instead of acting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .contract import FailoverMode, failover_command, rearm_command

ALARM = "ALARM"
# Cluster states in which a promoted secondary cannot serve writes (the monitor's list, for the target).
UNPROMOTABLE_STATUSES = frozenset(
    {"stopped", "stopping", "deleting", "inaccessible-encryption-credentials", "inaccessible-encryption-credentials-recoverable"}
)


class Vote(StrEnum):
    LOST = "lost"
    NOT_LOST = "not lost"
    UNREADABLE = "unreadable"  # counts as not lost


class Action(StrEnum):
    FAIL_OVER = "fail over"
    REFUSE = "refuse"
    DEFER = "defer"  # no quorum: nothing to do (yet)
    DRY_RUN = "dry run"
    PAGE = "page"  # manual mode: the operator decides, with the command
    IGNORE = "ignore"  # not an alarm this automation acts on


@dataclass(frozen=True)
class AlarmEvent:
    """A CloudWatch alarm action's invocation (``source`` ``aws.cloudwatch``, ``alarmData``): CloudWatch
    User Guide, "Invoke a Lambda function from an alarm"."""

    alarm_name: str
    alarm_arn: str
    state: str
    time: str  # when CloudWatch sent it (ISO 8601)
    state_timestamp: str  # when the alarm changed state


def is_alarm_event(event: object) -> bool:
    return isinstance(event, dict) and event.get("source") == "aws.cloudwatch" and isinstance(event.get("alarmData"), dict)


def parse_alarm_event(event: Mapping[str, Any]) -> AlarmEvent:
    data = event["alarmData"]
    state = data.get("state") or {}
    return AlarmEvent(
        alarm_name=str(data.get("alarmName", "")),
        alarm_arn=str(event.get("alarmArn", "")),
        state=str(state.get("value", "")),
        time=str(event.get("time", "")),
        state_timestamp=str(state.get("timestamp") or event.get("time", "")),
    )


def parse_time(value: str) -> datetime | None:
    """CloudWatch's timestamps (``2023-08-04T12:36:15.490+0000``) and ISO 8601."""
    text = value.strip()
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def alarm_regions(template: str, alarm_name: str, member_regions: Sequence[str]) -> tuple[str, str] | None:
    """(writer region, observer region) an alarm of ``template`` judges, or None when it is not one."""
    for writer in member_regions:
        for observer in member_regions:
            if writer != observer and template.format(writer=writer, observer=observer) == alarm_name:
                return writer, observer
    return None


def observers_of(member_regions: Sequence[str], writer_region: str) -> tuple[str, ...]:
    return tuple(region for region in member_regions if region != writer_region)


def vote_of(alarm_state: str | None) -> Vote:
    """An observer's vote from its alarm's state (None: the alarm could not be read)."""
    if alarm_state is None:
        return Vote.UNREADABLE
    return Vote.LOST if alarm_state == ALARM else Vote.NOT_LOST


@dataclass(frozen=True)
class Quorum:
    writer_region: str
    votes: Mapping[str, Vote]  # observer region -> vote, every observer
    needed: int

    @property
    def lost_votes(self) -> int:
        return sum(vote is Vote.LOST for vote in self.votes.values())

    @property
    def lost(self) -> bool:
        return self.lost_votes >= self.needed

    def describe(self) -> str:
        listed = ", ".join(f"{region}: {vote.value}" for region, vote in self.votes.items())
        return f"{self.lost_votes} of {len(self.votes)} observer(s) say the writer in {self.writer_region} is lost, {self.needed} needed ({listed})"


def quorum(member_regions: Sequence[str], writer_region: str, states: Mapping[str, str | None]) -> Quorum:
    """The writer is lost when a strict majority of its observers' alarms are in ALARM; an observer
    missing from ``states`` (or whose state is None) could not be read and votes not lost."""
    observers = observers_of(member_regions, writer_region)
    votes = {observer: vote_of(states.get(observer)) for observer in observers}
    return Quorum(writer_region=writer_region, votes=votes, needed=len(observers) // 2 + 1)


@dataclass(frozen=True)
class Latch:
    """One automatic failover happened (or is happening): no other until an operator re-arms."""

    incident: str  # the lost writer region
    target: str
    at: str
    by: str  # the region whose automation took it

    def to_json(self) -> str:
        return json.dumps({"incident": self.incident, "target": self.target, "at": self.at, "by": self.by}, sort_keys=True)

    def describe(self) -> str:
        return f"an automatic failover from {self.incident} to {self.target} ({self.at}, by {self.by})"


def parse_latch(value: str) -> Latch:
    try:
        data = json.loads(value)
        return Latch(incident=str(data["incident"]), target=str(data["target"]), at=str(data["at"]), by=str(data["by"]))
    except (ValueError, KeyError, TypeError):
        return Latch(incident="?", target="?", at="?", by=f"unreadable latch {value[:80]!r}")


def latch_region(member_regions: Sequence[str], lost_writer_region: str) -> str:
    """Where the latch of an incident is created, if absent: the first member region that is not the lost
    writer's. Every decider of the incident computes the same region, so exactly one create succeeds
    (SSM PutParameter without Overwrite fails with ParameterAlreadyExists), whichever target each chose."""
    return next(region for region in member_regions if region != lost_writer_region)


@dataclass(frozen=True)
class Candidate:
    region: str
    arn: str
    status: str
    instance_count: int | None  # None: could not be read in its region
    lag_seconds: float | None  # last known, measured before the writer was lost

    @property
    def identifier(self) -> str:
        return self.arn.rsplit(":", maxsplit=1)[-1]

    @property
    def healthy(self) -> bool:
        return bool(self.instance_count) and self.status not in UNPROMOTABLE_STATUSES and not self.status.startswith("unreachable")

    def describe(self) -> str:
        lag = "unknown" if self.lag_seconds is None else f"{self.lag_seconds:.1f} s"
        instances = "?" if self.instance_count is None else str(self.instance_count)
        return f"{self.identifier} ({self.region}: {self.status}, {instances} instance(s), last lag {lag})"


def choose_target(candidates: Sequence[Candidate], member_regions: Sequence[str]) -> Candidate | None:
    """The healthy candidate with the least known lag; unknown lag sorts last; ties by configuration order."""
    order = {region: index for index, region in enumerate(member_regions)}
    healthy = [c for c in candidates if c.healthy]
    ranked = sorted(healthy, key=lambda c: (c.lag_seconds is None, c.lag_seconds or 0.0, order.get(c.region, len(order))))
    return ranked[0] if ranked else None


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    writer_region: str = ""
    target: Candidate | None = None
    quorum: Quorum | None = None
    command: str | None = None  # what an operator would run (every page carries it)
    notes: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        return f"{self.action.value}: {self.reason}"

    def details(self) -> dict[str, Any]:
        """What the audit message and the log carry."""
        return {
            "decision": self.action.value,
            "reason": self.reason,
            "writer_region": self.writer_region,
            "quorum": None if self.quorum is None else self.quorum.describe(),
            "target": None if self.target is None else self.target.describe(),
            "command": self.command,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, kw_only=True)
class Situation:
    """Everything the automation read, as plain data."""

    mode: FailoverMode
    dry_run: bool
    config_name: str
    member_regions: tuple[str, ...]
    writer_region: str | None  # the current writer, read in this region (None: none or unreadable)
    alarm_writer_region: str  # the writer region the alarm judges
    quorum: Quorum
    latches: tuple[Latch, ...]  # found in the regions that answered
    candidates: tuple[Candidate, ...]
    max_lag_seconds: float


def decide(situation: Situation) -> Decision:
    """Apply the rules of the module docstring, in order."""
    s = situation
    writer = s.alarm_writer_region
    if s.writer_region != writer:
        return Decision(Action.IGNORE, f"the alarm judges the writer in {writer}, but the writer is in {s.writer_region or 'no region'} now")
    q = s.quorum
    target = choose_target(s.candidates, s.member_regions)
    command = failover_command(s.config_name, target.region if target else "<region>")
    if not q.lost:
        action = Action.PAGE if s.mode is FailoverMode.MANUAL else Action.DEFER
        reason = (
            f"no quorum: {q.describe()}. Another region still sees the writer, or cannot be read: this may be a partition of the "
            "network between regions rather than an outage. Nothing was changed."
        )
        return Decision(action, reason, writer, target, q, command)
    if s.mode is FailoverMode.AUTOMATIC and s.latches:
        found = "; ".join(dict.fromkeys(latch.describe() for latch in s.latches))  # one copy per region: each once
        reason = f"latched: {found}. No second automatic failover until an operator re-arms ({rearm_command(s.config_name)})"
        return Decision(Action.REFUSE, reason, writer, target, q, command)
    if target is None:
        listed = "; ".join(c.describe() for c in s.candidates) or "none"
        return Decision(
            Action.REFUSE, f"the writer in {writer} is lost ({q.describe()}), but no secondary can be promoted: {listed}", writer, None, q, command
        )
    lag = target.lag_seconds
    lag_problem = (
        f"the last known replication lag of {target.identifier} is unknown: the data loss cannot be bounded by the RPO budget "
        f"({s.max_lag_seconds:g} s)"
        if lag is None
        else (
            f"the last known replication lag of {target.identifier} was {lag:.1f} s, above the RPO budget ({s.max_lag_seconds:g} s): "
            f"a failover would lose up to {lag:.1f} s of acknowledged writes"
            if lag > s.max_lag_seconds
            else None
        )
    )
    if s.mode is FailoverMode.MANUAL:
        notes = (lag_problem,) if lag_problem else ()
        reason = f"the writer in {writer} is lost ({q.describe()}); fail over to {target.describe()} with: {command}"
        return Decision(Action.PAGE, reason, writer, target, q, command, notes)
    if lag_problem is not None:
        reason = f"the writer in {writer} is lost ({q.describe()}), but {lag_problem}. Automation refuses; an operator may still decide: {command}"
        return Decision(Action.REFUSE, reason, writer, target, q, command)
    if s.dry_run:
        return Decision(Action.DRY_RUN, f"would fail over to {target.describe()} ({q.describe()}); nothing was changed", writer, target, q, command)
    return Decision(Action.FAIL_OVER, f"failing over to {target.describe()} ({q.describe()})", writer, target, q, command)
