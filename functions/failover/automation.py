"""The failover automation's AWS side: invoked by an observer's "writer lost" alarm, it reads the quorum,
the latches, the members and their lag, decides (``automation_logic``), pages, and in ``automatic`` mode
fails over with the runbook's own ``execute`` (which calls the target region and never the lost one).

CloudWatch invokes the function in the alarm's region (the observer's: the one that is up) with an
asynchronous invocation per state change (CloudWatch User Guide, "Invoke a Lambda function from an
alarm"); the function's event invoke configuration never retries and drops events older than 60 s.

Every read of another region may fail during an outage; each failure is recorded as what it is (an
unreadable vote, an unreachable member) and the rules treat it conservatively. Every decision is logged
and published to this region's alert topic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .automation_logic import (
    Action,
    AlarmEvent,
    Candidate,
    Decision,
    Latch,
    Situation,
    alarm_regions,
    decide,
    latch_region,
    observers_of,
    parse_alarm_event,
    parse_latch,
    parse_time,
    quorum,
)
from .contract import MAX_REQUEST_AGE_SECONDS, AutomationEnv, FailoverMode
from .logic import Operation, request_age_refusal
from .runner import RunbookSettings, audit, execute, read_state, replication_lag_seconds

ClientFactory = Callable[[str, str], Any]
Say = Callable[[str], None]


class MissingSetting(RuntimeError):
    pass


@dataclass(frozen=True)
class AutomationSettings:
    mode: FailoverMode
    dry_run: bool
    config_name: str
    member_regions: tuple[str, ...]
    alarm_template: str  # with {writer} and {observer}
    latch_parameter: str
    max_lag_seconds: float
    probe_interval_seconds: int
    lost_after_probes: int

    @property
    def detection_window(self) -> timedelta:
        """How long before its ALARM transition the first failed probe of an alarm's run happened."""
        return timedelta(seconds=self.probe_interval_seconds * self.lost_after_probes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AutomationSettings | None:
        """None when ``FAILOVER_MODE`` is absent (a runbook function without automation: alarm events are
        rejected); drkit's construct always sets it, and then every other variable is required."""
        if not environ.get(AutomationEnv.MODE, "").strip():
            return None

        def required(name: str) -> str:
            value = environ.get(name, "").strip()
            if not value:
                raise MissingSetting(f"environment variable {name} is missing or empty")
            return value

        def number(name: str) -> float:
            raw = required(name)
            try:
                value = float(raw)
            except ValueError:
                raise MissingSetting(f"environment variable {name} is not a number: {raw!r}") from None
            if value <= 0:
                raise MissingSetting(f"environment variable {name} must be positive, got {raw!r}")
            return value

        env = AutomationEnv
        mode = required(env.MODE)
        if mode not in {m.value for m in FailoverMode}:
            raise MissingSetting(f"environment variable {env.MODE} must be manual or automatic, got {mode!r}")
        dry_run = required(env.DRY_RUN)
        if dry_run not in ("true", "false"):
            raise MissingSetting(f"environment variable {env.DRY_RUN} must be true or false, got {dry_run!r}")
        template = required(env.WRITER_LOST_ALARM)
        if "{writer}" not in template or "{observer}" not in template:
            raise MissingSetting(f"environment variable {env.WRITER_LOST_ALARM} needs {{writer}} and {{observer}}, got {template!r}")
        return cls(
            mode=FailoverMode(mode),
            dry_run=dry_run == "true",
            config_name=required(env.CONFIG_NAME),
            member_regions=tuple(r for r in required(env.MEMBER_REGIONS).split(",") if r),
            alarm_template=template,
            latch_parameter=required(env.LATCH_PARAMETER),
            max_lag_seconds=number(env.MAX_LAG_SECONDS),
            probe_interval_seconds=int(number(env.PROBE_INTERVAL_SECONDS)),
            lost_after_probes=int(number(env.LOST_AFTER_PROBES)),
        )


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__


def read_alarm_states(client: ClientFactory, settings: AutomationSettings, writer_region: str) -> dict[str, str | None]:
    """Each observer's "writer lost" alarm state, read in the observer's region (None: could not be read)."""
    states: dict[str, str | None] = {}
    for observer in observers_of(settings.member_regions, writer_region):
        name = settings.alarm_template.format(writer=writer_region, observer=observer)
        try:
            alarms = client("cloudwatch", observer).describe_alarms(AlarmNames=[name])["MetricAlarms"]
            states[observer] = str(alarms[0]["StateValue"]) if alarms else None
        except Exception:
            states[observer] = None
    return states


def read_latches(client: ClientFactory, settings: AutomationSettings, skip: str | None) -> tuple[list[Latch], list[str]]:
    """Latches found in every member region but ``skip`` (the lost one); and the regions that could not be read."""
    found: list[Latch] = []
    unread: list[str] = []
    for region in settings.member_regions:
        if region == skip:
            continue
        ssm = client("ssm", region)
        try:
            value = ssm.get_parameter(Name=settings.latch_parameter)["Parameter"]["Value"]
        except Exception as error:
            if "ParameterNotFound" not in f"{type(error).__name__} {error}":
                unread.append(f"{region}: {_first_line(error)}")
            continue
        found.append(parse_latch(str(value)))
    return found, unread


def take_latch(client: ClientFactory, settings: AutomationSettings, latch: Latch) -> str | None:
    """Create the incident's latch if absent (PutParameter without Overwrite: "ParameterAlreadyExists" when
    it exists, SSM API Reference, PutParameter). None when this decider holds it; else why not."""
    region = latch_region(settings.member_regions, latch.incident)
    try:
        client("ssm", region).put_parameter(
            Name=settings.latch_parameter,
            Value=latch.to_json(),
            Type="String",
            Overwrite=False,
            Description="drkit: an automatic failover happened; remove with the runbook's rearm to allow another",
        )
    except Exception as error:
        if "ParameterAlreadyExists" in f"{type(error).__name__} {error}":
            # botocore retries a timed-out or 5xx PutParameter (retries/standard.py: HTTPClientError, 500-504), so
            # "already exists" may answer this decider's own create whose first response was lost. The latch names
            # its decider and the moment to the microsecond: the same value read back is ours.
            try:
                held = client("ssm", region).get_parameter(Name=settings.latch_parameter)["Parameter"]["Value"]
            except Exception as read_error:
                return f"the latch in {region} exists and could not be read back: {_first_line(read_error)}"
            if held == latch.to_json():
                return None
            return f"another decider took the latch of this incident in {region} first"
        return f"the latch could not be taken in {region}: {_first_line(error)}"
    return None


def spread_latch(client: ClientFactory, settings: AutomationSettings, latch: Latch) -> list[str]:
    """Copy the incident's latch to every other reachable member region (all but the lost one and the
    lock's), so that losing any one region later cannot hide it. A region down now receives its copy when
    it returns: every writer probe copies a latch it finds elsewhere into its own region. Returns the
    regions that could not be written."""
    lock = latch_region(settings.member_regions, latch.incident)
    missed = []
    for region in settings.member_regions:
        if region in (lock, latch.incident):
            continue
        try:
            client("ssm", region).put_parameter(Name=settings.latch_parameter, Value=latch.to_json(), Type="String", Overwrite=True)
        except Exception as error:
            missed.append(f"{region}: {_first_line(error)}")
    return missed


def read_candidates(
    client: ClientFactory, runbook: RunbookSettings, writer_region: str, lag_until: datetime
) -> tuple[str | None, tuple[Candidate, ...]]:
    """(the writer's region as read here, the secondaries read in their own regions with their last lag).

    The lag is read up to ``lag_until`` (before the writer was lost): Aurora publishes it in the
    secondary's region only, and while the writer is gone what it publishes says nothing about what had
    replicated when it was lost."""
    state = read_state(client, runbook, Operation.FAILOVER, None, lost_region=writer_region)
    writer = state.writer.region if state.writer else None
    candidates = []
    for member in state.members:
        if member.is_writer or member.region == writer_region:
            continue
        lag = None
        if member.instance_count is not None:
            try:
                lag = replication_lag_seconds(client, member.region, member.identifier, lag_until - timedelta(seconds=60))
            except Exception:
                lag = None
        candidates.append(Candidate(member.region, member.arn, member.status, member.instance_count, lag))
    return writer, tuple(candidates)


def on_alarm(
    event: Mapping[str, Any],
    runbook: RunbookSettings,
    settings: AutomationSettings | None,
    client: ClientFactory,
    now: datetime,
    say: Say,
) -> dict[str, Any]:
    """Handle one alarm action: decide, page, and (automatic) act."""
    if settings is None:
        return {"result": "rejected", "reason": "this runbook function has no automation settings"}
    alarm = parse_alarm_event(event)
    regions = alarm_regions(settings.alarm_template, alarm.alarm_name, settings.member_regions)
    if regions is None or alarm.state != "ALARM":
        say(f"ignored: alarm {alarm.alarm_name!r} in state {alarm.state!r} is not a writer-lost alarm in ALARM")
        return {"result": "ignored", "reason": f"alarm {alarm.alarm_name} ({alarm.state})"}
    stale = request_age_refusal(alarm.time, now, MAX_REQUEST_AGE_SECONDS)
    if stale is not None:
        say(f"REFUSED: {stale}")
        return {"result": "rejected", "reason": stale}
    writer_region, observer = regions
    decision = evaluate(alarm, writer_region, runbook, settings, client, say)
    subject = f"automation ({settings.mode.value}): {decision.action.value} - writer in {writer_region} judged lost from {observer}"
    details = {"alarm": alarm.alarm_name, "mode": settings.mode.value, "dry_run": settings.dry_run, **decision.details()}
    say(f"{decision.action.value.upper()}: {decision.reason}")
    say(audit(client, runbook, (runbook.home_region,), subject, details))
    if decision.action is not Action.FAIL_OVER or decision.target is None:
        return {"result": decision.action.value, "reason": decision.reason, "command": decision.command}
    latch = Latch(incident=writer_region, target=decision.target.region, at=now.isoformat(), by=runbook.home_region)
    refused = take_latch(client, settings, latch)
    if refused is not None:
        reason = f"{refused}; nothing was changed here"
        say(f"REFUSED: {reason}")
        say(
            audit(
                client, runbook, (runbook.home_region,), f"automation: refuse - {refused}"[:90], {**details, "decision": "refuse", "reason": reason}
            )
        )
        return {"result": Action.REFUSE.value, "reason": reason}
    for missed in spread_latch(client, settings, latch):
        say(f"latch not copied to {missed} (its writer probe copies it when the region answers)")
    try:
        outcome = execute(Operation.FAILOVER, decision.target.region, False, runbook, client, say, expected_writer_region=writer_region)
    except Exception as error:  # the latch is held: nothing automatic follows, so a person must know now
        reason = (
            f"the failover call failed: {_first_line(error)}; the latch is held (no other automatic failover) - "
            f"run `{decision.command}` by hand, or re-arm first"
        )
        say(f"FAILED: {reason}")
        say(audit(client, runbook, (runbook.home_region,), "automation: FAILOVER CALL FAILED - act now"[:90], {**details, "reason": reason}))
        return {"automation": Action.FAIL_OVER.value, "result": "failed", "reason": reason, "latch": latch.to_json()}
    return {"automation": Action.FAIL_OVER.value, "latch": latch.to_json(), **outcome}


def evaluate(
    alarm: AlarmEvent, writer_region: str, runbook: RunbookSettings, settings: AutomationSettings, client: ClientFactory, say: Say
) -> Decision:
    """Read everything the rules need and decide."""
    changed = parse_time(alarm.state_timestamp) or parse_time(alarm.time)
    lag_until = (changed or datetime.fromisoformat("1970-01-01T00:00:00+00:00")) - settings.detection_window
    states = read_alarm_states(client, settings, writer_region)
    latches, unread = read_latches(client, settings, skip=writer_region)
    for problem in unread:
        say(f"latch not read in {problem}")
    try:
        current_writer, candidates = read_candidates(client, runbook, writer_region, lag_until)
    except Exception as error:
        return Decision(Action.REFUSE, f"the global cluster could not be read in {runbook.home_region}: {_first_line(error)}", writer_region)
    situation = Situation(
        mode=settings.mode,
        dry_run=settings.dry_run,
        config_name=settings.config_name,
        member_regions=settings.member_regions,
        writer_region=current_writer,
        alarm_writer_region=writer_region,
        quorum=quorum(settings.member_regions, writer_region, states),
        latches=tuple(latches),
        candidates=candidates,
        max_lag_seconds=settings.max_lag_seconds,
    )
    return decide(situation)


REARM_PASSES = 3  # a writer probe may copy a latch back from a region not yet cleared: clear until none is left


def rearm(client: ClientFactory, parameter: str, regions: tuple[str, ...], say: Say, pause: Callable[[float], None] | None = None) -> list[str]:
    """Remove the automation's latch in every region (the operator's ``rearm``); returns the regions it was
    removed from. Writer probes copy a latch they find elsewhere into their own region, so the removal is
    repeated until a full pass finds none. A region that cannot be reached is reported: when it returns,
    its probe would spread its copy again, so re-arm then too."""
    removed: list[str] = []
    for attempt in range(REARM_PASSES):
        found = False
        for region in regions:
            ssm = client("ssm", region)
            try:
                value = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
            except Exception as error:
                if "ParameterNotFound" not in f"{type(error).__name__} {error}" and attempt == 0:
                    say(f"{region}: latch not read ({_first_line(error)}); re-arm again when it answers")
                continue
            found = True
            ssm.delete_parameter(Name=parameter)
            say(f"{region}: removed the latch of {parse_latch(str(value)).describe()}")
            removed.append(region)
        if not found:
            break
        if pause is not None:
            pause(1.0)
    return sorted(set(removed), key=regions.index)
