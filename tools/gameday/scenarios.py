"""The game-day scenarios: a fault, what must happen, and what was observed.

Each scenario returns an :class:`Outcome`: its checks (what was expected, whether it held, what was
seen) and its measurements. A scenario fails when a check fails, including when an observation
exceeds the recovery budget synth prints (detection, DNS following the alarm, the whole RTO): a
budget that does not match what is observed is a defect in one of the two.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tools.dataplane.exercise import lag_of
from tools.emulator.evaluation import ALARM, OK
from tools.gameday import lossy
from tools.gameday.world import GameDay

SPIKE_LAG_MS = 8000.0
MAX_MINUTES = 15


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


def primary_region_outage(gd: GameDay) -> Outcome:
    """The writer's region is lost: every API there answers 503, its metrics and Lambdas stop.

    On-call is paged by the monitors of the surviving regions ("the writer cannot be reached") and
    the operator runs the runbook's failover at once (the budget has no allowance for hesitation)."""
    out = Outcome("primary-region-outage")
    budget = gd.env.recovery_budget
    gd.begin(out.scenario)
    gd.warm_up()
    lost = gd.writer or gd.regions[0]
    target = next(r for r in gd.regions if r != lost)
    target_cluster = gd.names.cluster_id(target)
    last_lag = gd.last_lag_ms.get(target_cluster)
    code: int | None = None
    called: list[str] = []
    page = None
    with gd.ledger() as workload:
        lossy.before_the_fault(gd, workload, target_cluster)  # commits lost on purpose, one of them a future conflict
        lag_before = lag_of(gd.deployment, target_cluster) if workload else None
        since = time.monotonic()
        gd.fault(f"{lost} is down: its APIs answer 503, its metrics stop, its Lambdas stop", down={lost})
        for _ in range(MAX_MINUTES):
            gd.tick()
            page = page or next((e for e in gd.alerts() if e.region != lost and f"the writer ({lost}) cannot be reached" in e.detail), None)
            if code is None and page is not None:
                gd.publish_lag_now()
                code, _, called = gd.runbook("failover", "--to", target)
            if code is not None and gd.names_answer(target):
                break
        if workload is not None and code == 0:
            figures = gd.data_figures(workload, since, lag_before)
            out.measured.update(figures)
            bounded, observed = lossy.loss_is_bounded(workload, since, lag_before)
            out.check("no acknowledged commit is lost beyond what had not replicated when the region was lost (real PostgreSQL)", bounded, observed)
            lossy.after_the_failover(gd)
            out.check("the ledger balances on the new writer", figures["data_integrity"], f"integrity {figures['data_integrity']}")
            out.notes.append(
                f"the ledger's longest write gap was {figures['data_longest_write_gap_wall_seconds']} s of wall time: the simulated clock "
                "compresses the wait for the page, so this measures the promotion and the clients' reconnection"
            )
    lossy.release(gd)
    paged = _t(gd, page)
    out.check(
        f"on-call is paged from a surviving region that the writer in {lost} cannot be reached, "
        f"within the budget's detection ({budget.detection_seconds} s)",
        paged is not None and paged <= budget.detection_seconds,
        f"paged at {paged} s: {page.subject}" if page else "never paged",
    )
    if lost != gd.regions[-1]:  # the last member has no writer-healthy check: nothing routes past it
        alarm_region, alarm_name = gd.observer_alarm(lost)
        fired = gd.alarm_change(alarm_name, ALARM, alarm_region)
        out.check(
            f"the writer-healthy alarm for {lost}, judged from {alarm_region}, goes to ALARM within the budget's detection",
            fired is not None and gd.t(fired) <= budget.detection_seconds,
            f"ALARM at {_t(gd, fired)} s" if fired else f"never ({gd.alarm(alarm_region, alarm_name)})",
        )
    out.check(f"the runbook's failover (allowing data loss) to {target} succeeds", code == 0, f"exit {code}")
    out.check(f"the runbook calls nothing in {lost}", code is not None and lost not in called, f"regions called: {', '.join(called) or 'none'}")
    moved = gd.first("writer", f"the writer is in {target}")
    out.check(f"the writer is in {target}", gd.writer == target, f"writer in {gd.writer} at {_t(gd, moved)} s")
    answered = [gd.first("dns", f"{name} answers {target}") for name in gd.client_names()]
    times = [_t(gd, e) for e in answered]
    everywhere = None if None in times or not gd.names_answer(target) else max(t for t in times if t is not None)
    bound = budget.detection_seconds + budget.health_check_seconds
    out.check(
        f"every name clients use answers {target} within detection + health check ({bound} s)",
        everywhere is not None and everywhere <= bound,
        "; ".join(f"{name} at {t} s" for name, t in zip(gd.client_names(), times, strict=True)),
    )
    # The emulator promotes at once; AWS documents about a minute: the budget's allowance stands in for it.
    rto = None if everywhere is None else round(everywhere + budget.promotion_seconds + gd.env.dns_ttl_seconds, 1)
    out.measured.update(
        paged_seconds=paged,
        budget_detection_seconds=budget.detection_seconds,
        names_answer_new_writer_seconds=everywhere,
        rto_seconds=rto,
        budget_rto_seconds=budget.rto_seconds,
        rto_target_seconds=budget.rto_target_seconds,
        rpo_seconds=None if last_lag is None else round(last_lag / 1000, 1),
    )
    out.check(
        f"recovery within the budget ({budget.rto_seconds} s) and the target ({budget.rto_target_seconds} s)",
        rto is not None and rto <= budget.rto_seconds <= budget.rto_target_seconds,
        f"names answer the new writer at {everywhere} s + {budget.promotion_seconds} s promotion allowance "
        f"+ {gd.env.dns_ttl_seconds} s TTL = {rto} s",
    )
    out.notes += [
        f"data-loss window: at most {out.measured['rpo_seconds']} s (the last replication lag of {target_cluster} observed before the fault)",
        "promotion is instant in the emulator; the budget's promotion allowance (AWS documents about a minute) is added to the observation",
        f"while {lost} is down, the emulator's Aurora model lets the lag of every secondary grow with the outage",
    ]
    return out


def region_returns(gd: GameDay) -> Outcome:
    """After the outage, the lost region returns: no split brain, the operator restores the topology."""
    out = Outcome("region-returns")
    if not gd.down:
        setup = primary_region_outage(gd)
        out.notes.append(f"set-up: primary-region-outage {'passed' if setup.passed else 'FAILED'}")
    lost = sorted(gd.down)[0]
    writer = gd.writer
    gd.begin(out.scenario, keep_state=True)
    gd.fault(f"{lost} returns", down=set())
    gd.ticks(3)
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
    code, output, _ = gd.runbook("switchover", "--to", lost)
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
    for _ in range(MAX_MINUTES):
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
        code, _, _ = gd.runbook("switchover", "--to", target)
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
    code, _, _ = gd.runbook("switchover", "--to", origin)
    for _ in range(8):
        gd.tick()
        if gd.names_answer(origin):
            break
    out.check(f"and back to {origin}", code == 0 and gd.names_answer(origin), f"exit {code}; {gd.answers}")
    out.measured.update(writer_name_seconds=_t(gd, writer_dns), database_name_seconds=_t(gd, dns))
    return out


SCENARIOS: dict[str, Callable[[GameDay], Outcome]] = {
    "planned-switchover": planned_switchover,
    "lag-spike": lag_spike,
    "monitor-silent": monitor_silent,
    "primary-region-outage": primary_region_outage,
    "region-returns": region_returns,
}
