"""The game-day scenarios: a fault, what must happen, and what was observed.

Each scenario returns an :class:`Outcome`: its checks (what was expected, whether it held, what was
seen) and its measurements. A scenario fails when a check fails, including when an observation
exceeds the recovery budget synth prints (detection, DNS following the alarm, the whole RTO): a
budget that does not match what is observed is a defect in one of the two.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drkit_lab.dataplane.exercise import lag_of
from drkit_lab.emulator.evaluation import ALARM, OK, post_control
from drkit_lab.gameday import lossy
from drkit_lab.gameday.arc import describe, move_writer, note
from drkit_lab.gameday.world import GameDay

SPIKE_LAG_MS = 8000.0
RESYNC_SECONDS = 600.0  # a returning member reports pending-resync here until the scenario turns the knob down (Aurora: until it caught up)
MAX_MINUTES = 15
# A silence alarm (one 5-minute period, missing data breaching) fires only once no real point is left in its
# evaluation range (period + 2 more: drkit_lab.emulator.evaluation.alarm_state), up to 20 minutes after the last run.
SILENCE_MINUTES = 25


@dataclass(frozen=True)
class Check:
    expected: str
    passed: bool
    observed: str


@dataclass
class Outcome:
    scenario: str
    checks: list[Check] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def check(self, expected: str, passed: bool, observed: str) -> bool:
        self.checks.append(Check(expected, bool(passed), observed))
        return bool(passed)


def _t(gd: GameDay, event: Any) -> float | None:
    return None if event is None else round(gd.t(event), 1)


@dataclass
class OutageRun:
    """What happened while the writer's region was lost (shared by the two ways of recovering)."""

    lost: str
    automatic: bool
    target: str | None = None  # the region the operator or the automation failed over to
    code: int | None = None  # the operator's runbook exit code (manual)
    called: list[str] = field(default_factory=list)  # regions the failover (runbook CLI or automation) called
    page: Any = None  # the first page from a surviving region about the lost writer
    since: float = 0.0  # monotonic time of the fault
    lag_before: dict[str, float | None] = field(default_factory=dict)  # secondary region -> its real lag before the fault
    figures: dict[str, Any] = field(default_factory=dict)
    loss: tuple[bool, str] | None = None  # every missing commit acknowledged within the lag before the fault (``lossy``)


def primary_region_outage(gd: GameDay) -> Outcome:
    """The writer's region is lost: every API there answers 503, its metrics, Lambdas and database stop.

    The writer probes of the surviving regions see both paths fail; their alarms invoke the runbook
    function of their region. ``automatic``: the quorum holds and the automation fails over to the
    least-lag secondary; the simulated clock is paced with the wall clock from the fault until the writer
    has moved, so the ledger's longest write gap is the RTO clients see (plus the promotion allowance).
    ``manual``: the function pages with the exact command and the operator runs it at once (the game day
    does not hesitate: the budget's operator share is an assumption, not an observation)."""
    out = Outcome("primary-region-outage")
    gd.begin(out.scenario)
    gd.warm_up()
    # With ENGINE=arc the operator moves the writer through the ARC plan: one mover per incident, so the
    # runbook functions' automation is held in manual for the game day (drkit_lab.gameday.detection).
    run = OutageRun(lost=gd.writer or gd.regions[0], automatic=gd.automation_mode() == "automatic" and gd.engine == "runbook")
    # The failover's target, as both paths choose it here (equal modeled lag: the first other region in configuration
    # order): its replication is held back so the failover loses commits on purpose, one of them a future conflict.
    expected = next(r for r in gd.regions if r != run.lost)
    with gd.ledger() as workload:
        lossy.before_the_fault(gd, workload, gd.names.cluster_id(expected))
        run.lag_before = {r: lag_of(gd.deployment, gd.names.cluster_id(r)) if workload else None for r in gd.regions if r != run.lost}
        _lose_the_writer_region(gd, run)
        if run.automatic:
            _recover_by_automation(gd, run)
        else:
            _recover_by_operator(gd, out, run)
        if workload is not None and run.target is not None and gd.writer == run.target:
            run.figures = gd.data_figures(workload, run.since, run.lag_before.get(run.target))
            run.loss = lossy.loss_is_bounded(workload, run.since, run.lag_before.get(run.target))
            lossy.after_the_failover(gd)  # the new writer debits the low-balance account again: the lost debit becomes a conflict
    lossy.release(gd)
    _outage_checks(gd, out, run)
    note(gd, out)
    return out


def _lose_the_writer_region(gd: GameDay, run: OutageRun) -> None:
    gd.fine = True  # detection at the probes' interval
    run.since = time.monotonic()
    gd.fault(f"{run.lost} is down: its APIs answer 503, its metrics, Lambdas and database stop", down={run.lost})
    if run.automatic and gd.real_data:
        gd.start_pacing()


def _lost_writer_page(gd: GameDay, lost: str) -> Any:
    return next(
        (
            e
            for e in gd.alerts()
            if e.region != lost and (f"writer in {lost} judged lost" in e.subject or f"the writer ({lost}) cannot be reached" in e.detail)
        ),
        None,
    )


def _recover_by_automation(gd: GameDay, run: OutageRun) -> None:
    """Steps of the probes' interval until the automation has moved the writer (paced), then minutes until
    every name answers it (``db.<zone>`` follows its own, slower chain)."""
    for _ in range(MAX_MINUTES * 6):
        gd.steps(1)
        run.page = run.page or _lost_writer_page(gd, run.lost)
        if gd.writer not in (None, run.lost):
            break
    gd.pace = False
    run.target = gd.writer if gd.writer != run.lost else None
    acted = [e for e in gd.events if e.kind == "automation" and e.subject.endswith(": fail over")]
    if acted:
        run.called = [r for r in acted[0].detail.split("| regions called: ")[-1].split(" | ")[0].split(", ") if r]
    for _ in range(MAX_MINUTES):
        if run.target is None or gd.names_answer(run.target):
            break
        gd.tick()


def _recover_by_operator(gd: GameDay, out: Outcome, run: OutageRun) -> None:
    """On the page (the runbook function's, with the command; or the monitor's), the operator runs the failover
    as the DR role, to the region the page names (else the next region)."""
    for _ in range(MAX_MINUTES * 6):
        gd.steps(1)
        run.page = run.page or _lost_writer_page(gd, run.lost)
        if run.page is not None:
            break
    if run.page is not None:
        named = re.search(r"failover --env \S+ --to ([a-z0-9-]+)", run.page.detail)
        run.target = named.group(1) if named else next(r for r in gd.regions if r != run.lost)
        gd.publish_lag_now()
        run.code, _, run.called = move_writer(gd, out, "failover", run.target)
    for _ in range(MAX_MINUTES):
        if run.target is None or gd.names_answer(run.target):
            break
        gd.tick()


def _outage_checks(gd: GameDay, out: Outcome, run: OutageRun) -> None:
    budget = gd.env.recovery_budget
    lost, target = run.lost, run.target or next(r for r in gd.regions if r != run.lost)
    target_cluster = gd.names.cluster_id(target)
    last_lag = gd.last_lag_ms.get(target_cluster)
    decided = budget.writer_detection_seconds + budget.decision_seconds
    if run.figures:
        figures = run.figures
        out.measured.update(figures)
        lag_before = run.lag_before.get(target)
        bounded, observed = run.loss or (False, "not measured")
        out.check(
            "no acknowledged commit is lost beyond what had not replicated when the region was lost (real PostgreSQL)",
            bounded,
            f"{observed} ({figures['data_missing_seconds']} s of history to the newest acknowledgement; lag before {lag_before} s)",
        )
        out.check("the ledger balances on the new writer", figures["data_integrity"], f"integrity {figures['data_integrity']}")
    paged = _t(gd, run.page)
    out.check(
        f"on-call is paged from a surviving region that the writer in {lost} is lost, within detection + decision ({decided} s)",
        paged is not None and paged <= decided,
        f"paged at {paged} s: {run.page.subject}" if run.page else "never paged",
    )
    observers = [r for r in gd.regions if r != lost]
    fired = {r: gd.alarm_change(gd.names.writer_lost_alarm(lost, r), ALARM, r) for r in observers}
    out.check(
        f"the writer-lost alarms of every observer ({', '.join(observers)}) go to ALARM within detection + evaluation "
        f"({budget.writer_detection_seconds + 10} s)",
        all(e is not None and gd.t(e) <= budget.writer_detection_seconds + 10 for e in fired.values()),
        "; ".join(f"{r}: {_t(gd, e)} s" for r, e in fired.items()),
    )
    if run.automatic:
        _automation_checks(gd, out, run, decided)
    else:
        out.check(f"{describe(gd, 'failover')} to {target} succeeds", run.code == 0, f"exit {run.code}")
    out.check(
        f"the failover calls nothing in {lost}", bool(run.called) and lost not in run.called, f"regions called: {', '.join(run.called) or 'none'}"
    )
    if lost != gd.regions[-1]:  # the last member has no writer-healthy check: nothing routes past it
        alarm_region, alarm_name = gd.observer_alarm(lost)
        healthy = gd.alarm_change(alarm_name, ALARM, alarm_region)
        out.check(
            f"the writer-healthy alarm for {lost}, judged from {alarm_region}, goes to ALARM within the budget's db.<zone> detection "
            f"({budget.detection_seconds} s)",
            healthy is not None and gd.t(healthy) <= budget.detection_seconds,
            f"ALARM at {_t(gd, healthy)} s" if healthy else f"never ({gd.alarm(alarm_region, alarm_name)})",
        )
    moved = gd.first("writer", f"the writer is in {target}")
    out.check(f"the writer is in {target}", gd.writer == target, f"writer in {gd.writer} at {_t(gd, moved)} s")
    writer_name = gd.client_names()[1]
    writer_answers = gd.first("dns", f"{writer_name} answers {target}")
    answered = [gd.first("dns", f"{name} answers {target}") for name in gd.client_names()]
    times = [_t(gd, e) for e in answered]
    everywhere = None if None in times or not gd.names_answer(target) else max(t for t in times if t is not None)
    bound = budget.detection_seconds + budget.health_check_seconds
    out.check(
        f"every name clients use answers {target} within detection + health check ({bound} s)",
        everywhere is not None and everywhere <= bound,
        "; ".join(f"{name} at {t} s" for name, t in zip(gd.client_names(), times, strict=True)),
    )
    _rto_check(gd, out, run, _t(gd, writer_answers), writer_name)
    out.measured.update(
        paged_seconds=paged,
        writer_lost_alarm_seconds={r: _t(gd, e) for r, e in fired.items()},
        names_answer_new_writer_seconds=everywhere,
        budget_detection_seconds=budget.writer_detection_seconds,
        budget_decision_seconds=budget.decision_seconds,
        budget_rto_seconds=budget.rto_seconds,
        budget_database_name_seconds=budget.database_name_seconds,
        rto_target_seconds=budget.rto_target_seconds,
        rpo_seconds=None if last_lag is None else round(last_lag / 1000, 1),
    )
    out.notes += [
        f"data-loss window: at most {out.measured['rpo_seconds']} s (the last replication lag of {target_cluster} observed before the fault)",
        "promotion: the emulator's (real PostgreSQL: a second or two) is replaced by the budget's allowance (AWS: "
        '"Typically, the chosen secondary cluster assumes the primary role within a few minutes"; older AWS material says under a minute)',
        f"while {lost} is down, the emulator's Aurora model lets the lag of every secondary grow with the outage",
        f"db.<zone> follows its own one-minute chain ({budget.database_name_seconds} s in the budget): Route 53 cannot read high-resolution alarms",
    ]


def _automation_checks(gd: GameDay, out: Outcome, run: OutageRun, decided: int) -> None:
    acted = [e for e in gd.events if e.kind == "automation" and e.subject.endswith(": fail over")]
    others = [e for e in gd.events if e.kind == "automation" and e not in acted]
    candidates = [r for r in gd.regions if r != run.lost]
    expected = candidates[0]  # equal modeled lag: the first in configuration order
    out.check(
        f"the automation of one surviving region fails over to the least-lag secondary ({expected}: equal lag, configuration order), "
        f"within detection + decision ({decided} s)",
        len(acted) == 1 and run.target == expected and gd.t(acted[0]) <= decided,
        f"{acted[0].subject} at {_t(gd, acted[0])} s ({acted[0].detail[:200]})" if acted else "no automatic failover",
    )
    out.check(
        "every other decider changed nothing (its alarm judged a writer that had moved, or the latch was taken)",
        all(not e.subject.endswith(": fail over") for e in others),
        "; ".join(f"{e.subject}: {e.detail[:120]}" for e in others) or "none",
    )
    latches = gd.detection.latches()
    out.check(
        "the automation latched: no second automatic failover until an operator re-arms",
        bool(latches) and all(f'"incident": "{run.lost}"' in value for value in latches.values()),
        ", ".join(sorted(latches)) or "no latch",
    )


def _rto_check(gd: GameDay, out: Outcome, run: OutageRun, writer_answers: float | None, writer_name: str) -> None:
    """RTO as clients see it: with the ledger (paced), its longest write gap with the emulator's promotion
    replaced by the budget's allowance, plus the global writer endpoint's TTL; else the simulated time at
    which writer.<zone> answered the new writer, plus the same allowances."""
    budget = gd.env.recovery_budget
    allowances = budget.promotion_seconds + budget.writer_dns_ttl_seconds
    promotion = _data_plane_promotion_seconds(gd)
    if run.figures and run.automatic:
        gap = float(run.figures["data_longest_write_gap_wall_seconds"])
        rto = round(gap - promotion + allowances, 1)
        how = (
            f"the ledger's longest write gap {gap:.1f} s (wall clock, paced) - the emulator's promotion {promotion:.1f} s "
            f"+ {budget.promotion_seconds} s promotion allowance + {budget.writer_dns_ttl_seconds} s TTL = {rto} s"
        )
        out.measured.update(
            ledger_write_gap_seconds=gap, emulator_promotion_seconds=promotion, rto_with_emulator_promotion_seconds=round(gap + allowances, 1)
        )
    else:
        rto = None if writer_answers is None else round(writer_answers + allowances, 1)
        operator = "; the game day's operator acted at the page: the budget's operator share is not observed" if not run.automatic else ""
        how = (
            f"{writer_name} answers the new writer at {writer_answers} s + {budget.promotion_seconds} s promotion allowance "
            f"+ {budget.writer_dns_ttl_seconds} s TTL = {rto} s{operator}"
        )
    out.measured.update(rto_seconds=rto)
    out.check(
        f"recovery within the budget ({budget.rto_seconds} s) and the target ({budget.rto_target_seconds} s)",
        rto is not None and rto <= budget.rto_seconds <= budget.rto_target_seconds,
        how,
    )


def _data_plane_promotion_seconds(gd: GameDay) -> float:
    """How long the data plane's last failover took (promotion and the rebuild of the other members)."""
    if not gd.real_data:
        return 0.0
    moved = [e for e in gd.deployment.dataplane().get("events", []) if e.get("event") == "writer moved" and e.get("operation") == "failover"]
    return float(moved[-1].get("seconds", 0.0)) if moved else 0.0


def region_returns(gd: GameDay) -> Outcome:
    """After the outage, the lost region returns: no split brain, the operator restores the topology."""
    out = Outcome("region-returns")
    if not gd.down:
        setup = primary_region_outage(gd)
        out.notes.append(f"set-up: primary-region-outage {'passed' if setup.passed else 'FAILED'}")
    lost = sorted(gd.down)[0]
    writer = gd.writer
    gd.begin(out.scenario, keep_state=True)
    # Aurora rebuilds the returning old primary from the new writer; it reports pending-resync until it has caught up.
    # The emulator holds it so while the resync knob is up (with a data plane, also until its replica caught up); turning
    # the knob down is the catching up.
    post_control(gd.deployment.url, "knobs", {"resync_seconds": RESYNC_SECONDS})
    try:
        gd.fault(f"{lost} returns", down=set())
        gd.ticks(3)
        resyncing = synchronization(gd, lost)
        code, output, _ = gd.runbook("switchover", "--to", lost)
        out.check(
            f"{lost} resynchronizes first, and a switch-back meanwhile is refused with the reason",
            resyncing == "pending-resync" and code == 3 and "pending-resync" in output,
            f"SynchronizationStatus {resyncing}; switchover exit {code}",
        )
        post_control(gd.deployment.url, "knobs", {"resync_seconds": 0})
        waited = wait_until_connected(gd, lost)
        out.check(f"{lost} reports connected once it has caught up", waited is not None, f"after {waited or '?'} s of wall time")
    finally:
        post_control(gd.deployment.url, "knobs", {"resync_seconds": 0})
    old = gd.client("rds", lost).describe_db_clusters(DBClusterIdentifier=gd.names.cluster_id(lost))["DBClusters"][0]
    members = gd.client("rds", lost).describe_global_clusters(GlobalClusterIdentifier=gd.global_id)["GlobalClusters"][0]["GlobalClusterMembers"]
    writers = [m["DBClusterArn"] for m in members if m.get("IsWriter")]
    source = old.get("ReplicationSourceIdentifier") or ""
    out.check(
        f"no split brain: one writer ({writer}), and {lost} is a read-only secondary of it",
        len(writers) == 1 and f":{writer}:" in writers[0] and f":{writer}:" in source,
        f"writers {writers}; {old['DBClusterIdentifier']} replicates from {source or 'nothing'}",
    )
    out.check(f"every name clients use still answers {writer}", gd.names_answer(str(writer)), str(gd.answers))
    _no_automatic_failback_check(gd, out, lost, str(writer))
    if gd.real_data:
        servers = {s["cluster"]: s for s in gd.deployment.dataplane()["servers"]}
        back = servers.get(gd.names.cluster_id(lost), {})
        out.check(
            "its PostgreSQL server is back, read-only, a replica of the new writer (real PostgreSQL)",
            bool(back.get("up")) and not back.get("writer"),
            f"up {back.get('up')}, writer {back.get('writer')}, lag {back.get('lag_seconds')} s",
        )
        lossy.reconcile_after_return(gd, out, lost)  # every acknowledged transfer lost at the failover accounted for
    code, output, _ = gd.runbook("status", "--region", lost)
    out.check(
        f"the runbook's status, read in {lost}, shows it as a secondary", code == 0 and "secondary" in output, "; ".join(output.splitlines()[1:4])
    )
    gd.publish_lag_now()
    code, output, _ = move_writer(gd, out, "switchover", lost)
    out.check(f"the operator switches the writer back to {lost} (planned, no data loss)", code == 0, f"exit {code}")
    for _ in range(8):
        gd.tick()
        if gd.names_answer(lost):
            break
    back = gd.first("dns", f"{gd.client_names()[0]} answers {lost}")
    out.check(f"every name clients use answers {lost} again", gd.names_answer(lost), f"at {_t(gd, back)} s")
    try:
        gd.plan("gameday-region-returns")
        out.check("terraform plan afterwards shows no changes", True, "No changes")
    except Exception as error:  # the plan's own message names what changed
        out.check("terraform plan afterwards shows no changes", False, str(error)[:800])
    return out


def synchronization(gd: GameDay, region: str) -> str:
    """The SynchronizationStatus DescribeGlobalClusters reports for the member in ``region``."""
    found = gd.client("rds", gd.writer or region).describe_global_clusters(GlobalClusterIdentifier=gd.global_id)["GlobalClusters"][0]
    return next((str(m.get("SynchronizationStatus")) for m in found["GlobalClusterMembers"] if m["DBClusterArn"].split(":")[3] == region), "absent")


def wait_until_connected(gd: GameDay, region: str, limit: float = 120.0) -> float | None:
    """Wall-clock seconds until the member in ``region`` reports ``connected`` (None: not within ``limit``)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if synchronization(gd, region) == "connected":
            return round(time.monotonic() - started, 1)
        time.sleep(0.5)
    return None


def _no_automatic_failback_check(gd: GameDay, out: Outcome, returned: str, writer: str) -> None:
    """The automation only ever fails over a lost writer: a region that returns never takes the writer back."""
    acted = [e for e in gd.events if e.kind == "automation" and e.subject.endswith(": fail over")]
    out.check(
        f"no automatic failback: after {returned} returned the writer stayed in {writer} and no automation acted",
        gd.writer == writer and not acted,
        f"writer in {gd.writer}; automation: {', '.join(e.subject for e in acted) or 'none'}",
    )


def lag_spike(gd: GameDay) -> Outcome:
    """Replication lag of one secondary rises above the threshold for a few minutes, then recovers."""
    out = Outcome("lag-spike")
    gd.begin(out.scenario)
    gd.warm_up()
    target = next(r for r in reversed(gd.regions) if r != gd.writer)
    cluster = gd.names.cluster_id(target)
    threshold = gd.env.lag_alarm_threshold_seconds
    gd.fault(f"replication lag of {cluster} rises to {SPIKE_LAG_MS / 1000:g} s (threshold {threshold:g} s)")
    gd.override_lag(cluster, SPIKE_LAG_MS)
    gd.ticks(3)
    gd.publish_lag_now()
    code, output, _ = gd.runbook("switchover", "--to", target)
    out.check(
        "a switchover to the lagging region is refused with the reason",
        code == 3 and "lag" in output,
        f"exit {code}: "
        + next((line.strip() for line in output.splitlines() if "REFUSED" in line.upper()), output.splitlines()[-1] if output else ""),
    )
    gd.clear_lag_override(cluster)
    gd.record("note", f"replication lag of {cluster} back to normal")
    recovered_at = gd.clock.since_fault()
    gd.ticks(4)
    alarm = gd.names.lag_alarm(target)
    fired = gd.alarm_change(alarm, ALARM, target)
    cleared = gd.alarm_change(alarm, OK, target, since=recovered_at)
    out.check(f"the native lag alarm {alarm} fires", fired is not None, f"ALARM at {_t(gd, fired)} s")
    out.check(
        f"and clears after recovery ({gd.alarm(target, alarm)} now)",
        gd.alarm(target, alarm) == OK and cleared is not None,
        f"OK at {_t(gd, cleared)} s",
    )
    for region in gd.regions:
        lagging = [e for e in gd.alerts() if e.region == region and f"{cluster} ({target}): OK -> LAGGING" in e.detail]
        recovered = [e for e in gd.alerts() if e.region == region and f"{cluster} ({target}): LAGGING -> OK" in e.detail]
        out.check(
            f"the monitor in {region} alerts once for the lag and once for the recovery",
            len(lagging) == 1 and len(recovered) == 1 and gd.t(recovered[0]) >= recovered_at,
            f"{len(lagging)} lag alert(s), {len(recovered)} recovery alert(s)",
        )
    out.measured.update(alarm_after_seconds=_t(gd, fired), cleared_after_seconds=_t(gd, cleared))
    return out


def monitor_silent(gd: GameDay) -> Outcome:
    """The monitor of one region stops running (a broken deployment, a throttled function)."""
    out = Outcome("monitor-silent")
    gd.begin(out.scenario)
    gd.warm_up()
    region = gd.regions[-1]
    alarm = f"{gd.names.monitor_function}-silent"
    gd.fault(f"the replication monitor in {region} stops running")
    gd.silenced.add(region)
    for _ in range(SILENCE_MINUTES):
        gd.tick()
        if gd.alarm(region, alarm) == ALARM:
            break
    fired = gd.alarm_change(alarm, ALARM, region)
    paged = [e for e in gd.alerts() if e.region == region and alarm in e.subject]
    out.check(f"its silence alarm {alarm} fires in {region}", fired is not None, f"ALARM at {_t(gd, fired)} s")
    out.check("and pages on-call", bool(paged), f"{len(paged)} alert(s)")
    gd.silenced.discard(region)
    gd.record("note", f"the monitor in {region} runs again")
    for _ in range(MAX_MINUTES):
        gd.tick()
        if gd.alarm(region, alarm) == OK:
            break
    out.check("it clears when the monitor runs again", gd.alarm(region, alarm) == OK, f"{gd.alarm(region, alarm)}")
    out.measured.update(silence_alarm_seconds=_t(gd, fired))
    return out


def planned_switchover(gd: GameDay) -> Outcome:
    """A planned switchover to the last member region, and back."""
    out = Outcome("planned-switchover")
    budget = gd.env.recovery_budget
    gd.begin(out.scenario)
    gd.warm_up()
    origin = gd.writer or gd.regions[0]
    target = next(r for r in reversed(gd.regions) if r != origin)
    with gd.ledger() as workload:
        since = time.monotonic()
        gd.fault(f"planned switchover {origin} -> {target}")
        gd.publish_lag_now()
        code, _, _ = move_writer(gd, out, "switchover", target)
        if workload is not None and code == 0:
            figures = gd.data_figures(workload, since, None)
            out.measured.update(figures)
            out.check(
                "a switchover loses no acknowledged commit and the ledger balances (real PostgreSQL)",
                figures["data_missing"] == 0 and figures["data_integrity"],
                f"{figures['data_missing']} of {figures['data_acknowledged']} missing; integrity {figures['data_integrity']}; "
                f"longest write gap {figures['data_longest_write_gap_wall_seconds']} s",
            )
    out.check(f"the switchover to {target} succeeds", code == 0, f"exit {code}")
    for _ in range(8):
        gd.tick()
        if gd.names_answer(target):
            break
    dns = gd.first("dns", f"{gd.client_names()[0]} answers {target}")
    writer_dns = gd.first("dns", f"{gd.client_names()[1]} answers {target}")
    bound = budget.detection_seconds + budget.health_check_seconds
    out.check(
        f"{gd.client_names()[1]} answers {target} at once, {gd.client_names()[0]} within detection + health check ({bound} s)",
        writer_dns is not None and dns is not None and gd.t(dns) <= bound,
        f"{gd.client_names()[1]} at {_t(gd, writer_dns)} s, {gd.client_names()[0]} at {_t(gd, dns)} s",
    )
    gd.ticks(2)
    evaluator = gd.evaluator
    paging = sorted(
        f"{region}: {name}" for (region, name), state in evaluator.states.items() if state == ALARM and (region, name) in evaluator.paging
    )
    out.check("no alarm is left paging after a planned switchover", not paging, ", ".join(paging) or "none in ALARM")
    gd.publish_lag_now()
    code, _, _ = move_writer(gd, out, "switchover", origin)
    for _ in range(8):
        gd.tick()
        if gd.names_answer(origin):
            break
    out.check(f"and back to {origin}", code == 0 and gd.names_answer(origin), f"exit {code}; {gd.answers}")
    out.measured.update(writer_name_seconds=_t(gd, writer_dns), database_name_seconds=_t(gd, dns))
    note(gd, out)
    return out


# --------------------------------------------------------------------------- fast detection and the automation's safety rules (#24)

SHORT_WARM_UP_MINUTES = 2  # after earlier scenarios the clock is settled: monitors and probes need two minutes
SETTLED_AFTER_MINUTES = 7  # the slowest alarm has a five-minute period


def _warm_up(gd: GameDay) -> None:
    gd.warm_up(SHORT_WARM_UP_MINUTES if gd.minutes_run >= SETTLED_AFTER_MINUTES else SETTLED_AFTER_MINUTES)


def _automation_events(gd: GameDay, since: float = 0.0) -> list[Any]:
    return [e for e in gd.events if e.kind == "automation" and gd.t(e) >= since]


def _lost_alarms_fired(gd: GameDay, writer: str) -> dict[str, Any]:
    return {r: gd.alarm_change(gd.names.writer_lost_alarm(writer, r), ALARM, r) for r in gd.regions if r != writer}


def observer_partition(gd: GameDay) -> Outcome:
    """One observer loses sight of the writer's region (every path: its probe's connections and its calls there
    fail), while the writer is healthy and the other observer sees it: no quorum, no failover, a page.

    The emulator cannot tell where a request comes from, so the partition is injected at the partitioned
    observer's boundary (its probe and its monitor). Two regions are covered by the quorum's tables
    (``tests/unit/test_automation_logic.py``): a partition of the peering link alone fails only the data path
    and decides nothing; an observer that loses every path to the writer's region cannot be told from an outage."""
    out = Outcome("observer-partition")
    gd.begin(out.scenario)
    _warm_up(gd)
    writer = gd.writer or gd.regions[0]
    observers = [r for r in gd.regions if r != writer]
    if len(observers) < 2:
        out.check("three or more regions (a quorum of two observers)", False, f"regions: {', '.join(gd.regions)}")
        return out
    # Not the DNS observer of the writer (its monitor's verdict steers db.<zone>): that name's limit is the
    # one-minute monitor's, stated in the README.
    partitioned = next(r for r in reversed(observers) if r != gd.observer_alarm(writer)[0])
    other = next(r for r in observers if r != partitioned)
    gd.fine = True
    gd.fault(f"{partitioned} loses sight of {writer} (its connections and calls there fail); {writer} is healthy")
    gd.partitioned.add((partitioned, writer))
    gd.steps(9)
    gd.partitioned.clear()
    gd.record("note", f"{partitioned} sees {writer} again")
    gd.steps(6)
    fired = _lost_alarms_fired(gd, writer)
    out.check(
        f"the partitioned observer ({partitioned}) votes the writer lost",
        fired[partitioned] is not None,
        f"its writer-lost alarm in ALARM at {_t(gd, fired[partitioned])} s",
    )
    out.check(
        f"the other observer ({other}) still sees the writer: no vote",
        fired[other] is None,
        f"{gd.alarm(other, gd.names.writer_lost_alarm(writer, other))}",
    )
    deferred = [e for e in _automation_events(gd) if e.subject.endswith(": defer")]
    acted = [e for e in _automation_events(gd) if e.subject.endswith(": fail over")]
    out.check(
        f"the automation in {partitioned} finds no quorum and changes nothing",
        bool(deferred) and not acted and "no quorum" in deferred[0].detail,
        f"{deferred[0].subject}: {deferred[0].detail[:200]}" if deferred else f"automation: {[e.subject for e in _automation_events(gd)]}",
    )
    out.check(
        f"no failover: the writer stayed in {writer}",
        gd.writer == writer and gd.first("writer", "the writer is in") is None,
        f"writer in {gd.writer}",
    )
    pages = [e for e in gd.alerts() if e.region == partitioned]
    out.check(
        f"on-call is paged from {partitioned} (no quorum, writer unreachable from there)",
        any("no quorum" in e.detail or "defer" in e.subject for e in pages),
        "; ".join(sorted({e.subject for e in pages}))[:500] or "no page",
    )
    out.check("no latch: the automation took none", not gd.detection.latches(), ", ".join(gd.detection.latches()) or "none")
    out.measured.update(partitioned_observer_alarm_seconds=_t(gd, fired[partitioned]))
    out.notes.append(
        f"the partition was injected at {partitioned}'s boundary (its probe's connections and its probe's and monitor's calls to {writer} fail): "
        "the emulator cannot know a request's source region"
    )
    return out


def flapping(gd: GameDay) -> Outcome:
    """The writer's region is unreachable for 20 s, then back: at most two failed probes in a row, no verdict."""
    out = Outcome("flapping")
    gd.begin(out.scenario)
    _warm_up(gd)
    writer = gd.writer or gd.regions[0]
    interval = gd.detection.interval or 10
    gd.fine = True
    gd.fault(f"{writer} is unreachable for 20 s", down={writer})
    gd.steps(20 // interval)
    gd.set_down(set())
    gd.steps(9)
    budget = gd.env.recovery_budget
    fired = {r: e for r, e in _lost_alarms_fired(gd, writer).items() if e is not None}
    out.check(
        f"no observer declares the writer lost ({budget.lost_after_probes} failed probes in a row are needed)",
        not fired,
        ", ".join(f"{r} at {_t(gd, e)} s" for r, e in fired.items()) or "no writer-lost alarm in ALARM",
    )
    out.check("the automation is never invoked", not _automation_events(gd), "; ".join(e.subject for e in _automation_events(gd)) or "never")
    out.check(
        f"no failover: the writer stayed in {writer}",
        gd.writer == writer and gd.first("writer", "the writer is in") is None,
        f"writer in {gd.writer}",
    )
    lost = {r: sum(1 for e in gd.events if e.kind == "probe" and e.detail == "lost" and e.region == r) for r in gd.regions if r != writer}
    out.measured.update(failed_probes_per_observer=lost)
    out.check(
        f"each observer saw at most {20 // interval} failed probes (the flap)",
        all(n <= 20 // interval for n in lost.values()),
        ", ".join(f"{r}: {n}" for r, n in lost.items()),
    )
    out.notes.append(f"the region was down from 0 to 20 s: probes at 10 and 20 s failed, the one at 30 s answered ({interval} s interval)")
    return out


def lag_too_high_to_automate(gd: GameDay) -> Outcome:
    """The writer's region is lost while every secondary's last known lag is above the RPO budget: the automation
    refuses and pages with the command; the operator can still decide to fail over (and does, here)."""
    out = Outcome("lag-too-high-to-automate")
    gd.begin(out.scenario)
    _warm_up(gd)
    lost = gd.writer or gd.regions[0]
    budget_seconds = gd.env.rpo_budget_seconds
    high = 2000.0 * budget_seconds  # twice the budget, in milliseconds
    for region in gd.regions:
        if region != lost:
            gd.override_lag(gd.names.cluster_id(region), high)
    gd.record("note", f"the replication lag of every secondary is {high / 1000:g} s (RPO budget {budget_seconds:g} s)")
    gd.ticks(2)  # what Aurora published before the loss
    gd.fine = True
    gd.fault(f"{lost} is down", down={lost})
    for _ in range(12):
        gd.steps(1)
        if _automation_events(gd):
            break
    gd.steps(1)
    automatic = gd.automation_mode() == "automatic"
    events = _automation_events(gd)
    refused = [e for e in events if e.subject.endswith(": refuse")]
    if automatic:
        out.check(
            f"the automation refuses: the target's last known lag ({high / 1000:g} s) is above the RPO budget ({budget_seconds:g} s)",
            bool(refused) and "above the RPO budget" in refused[0].detail and not any(e.subject.endswith(": fail over") for e in events),
            f"{refused[0].subject}: {refused[0].detail[:300]}" if refused else "; ".join(e.subject for e in events) or "not invoked",
        )
    else:
        out.check("manual: the page carries the command and the lag warning", bool(events), "; ".join(e.subject for e in events) or "not invoked")
    out.check(f"nothing was failed over automatically: the writer is still {lost}", gd.writer == lost, f"writer in {gd.writer}")
    pages = [e for e in gd.alerts() if e.region != lost and "runbook failover --env" in e.detail]
    out.check("on-call is paged with the reason and the exact command", bool(pages), pages[0].subject if pages else "no page with the command")
    target = next(r for r in gd.regions if r != lost)
    gd.publish_lag_now()
    code, _, called = gd.runbook("failover", "--to", target)
    gd.steps(1)
    out.check(
        f"the operator can still fail over by hand (to {target}, accepting the data loss)",
        code == 0 and gd.writer == target and lost not in called,
        f"exit {code}; writer in {gd.writer}; regions called: {', '.join(called)}",
    )
    gd.clear_lag_override()
    return out


def automation_latch(gd: GameDay) -> Outcome:
    """After the automatic failover (primary-region-outage) and the operator's switch back (region-returns), the
    latch holds: every region has it (the returned one through its probe), and the writer's region lost again is
    not failed over automatically until an operator re-arms."""
    out = Outcome("automation-latch")
    if gd.automation_mode() != "automatic":
        out.check("manual mode: the automation never acts, so it never latches", not gd.detection.latches(), "no latch")
        return out
    if not gd.detection.latches():
        primary_region_outage(gd)
        region_returns(gd)
        out.notes.append("set-up: primary-region-outage and region-returns")
    gd.begin(out.scenario, keep_state=True)
    gd.ticks(1)  # every probe's minute: a region without the latch copies it
    latches = gd.detection.latches()
    out.check(
        "the latch of the automatic failover is in every region, the returned one included (its probe copied it)",
        set(latches) == set(gd.regions),
        ", ".join(sorted(latches)) or "no latch",
    )
    lost = gd.writer or gd.regions[0]
    gd.fine = True
    gd.fault(f"{lost} is down again, before anyone re-armed the automation", down={lost})
    for _ in range(12):
        gd.steps(1)
        if _automation_events(gd):
            break
    gd.steps(1)
    events = _automation_events(gd)
    refused = [e for e in events if e.subject.endswith(": refuse") and "latched" in e.detail]
    out.check(
        "the automation refuses a second automatic failover: latched",
        bool(refused) and not any(e.subject.endswith(": fail over") for e in events),
        f"{refused[0].subject}: {refused[0].detail[:300]}" if refused else "; ".join(e.subject for e in events) or "not invoked",
    )
    out.check(f"the writer stays in {lost} (the operator decides)", gd.writer == lost, f"writer in {gd.writer}")
    code, output, _ = gd.runbook("rearm")
    out.check(
        f"the operator re-arms (the latch is removed where it can be; {lost} is reported unreachable)",
        code == 0 and not gd.detection.latches() and "re-arm again when it answers" in output,
        " / ".join(line for line in output.splitlines() if line.strip())[:400],
    )
    gd.set_down(set())
    gd.fine = False
    gd.ticks(1)
    back = gd.detection.latches()
    code, output, _ = gd.runbook("rearm")
    out.check(
        f"when {lost} returns its copy spreads again; re-armed once more, no region holds a latch",
        bool(back) and code == 0 and not gd.detection.latches(),
        f"after the return: {', '.join(sorted(back)) or 'none'}; then: {', '.join(sorted(gd.detection.latches())) or 'none'}",
    )
    return out


SCENARIOS: dict[str, Callable[[GameDay], Outcome]] = {
    "planned-switchover": planned_switchover,
    "lag-spike": lag_spike,
    "monitor-silent": monitor_silent,
    "primary-region-outage": primary_region_outage,
    "region-returns": region_returns,
    "automation-latch": automation_latch,
    "observer-partition": observer_partition,
    "flapping": flapping,
    "lag-too-high-to-automate": lag_too_high_to_automate,
}
