"""A lossy failover on purpose, and every lost transfer accounted for when the region returns (real PostgreSQL).

``primary-region-outage`` calls :func:`before_the_fault` while the ledger writes: the target's
replication is held back (``/_drkit/replication``), so what the writer acknowledges until the region
is lost never reaches it, and one of those transfers debits the low-balance account. After the
failover, :func:`after_the_failover` has the new writer accept another debit of that account, so the
lost one can no longer be replayed without an overdraft: a deliberate conflict. ``region-returns``
calls :func:`reconcile_after_return`: the monitor of the returned region has kept Aurora's
point-of-failure snapshot and paged; the operator runs the reconciliation as the DR role (a dry run,
then ``--execute``), and the checks hold the report to what the clients saw: every acknowledged
transfer the new writer lacked is found by key, the replayable ones are replayed, the conflict is not,
nothing is unaccounted, the ledger balances. The restore is discarded afterwards.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drkit_lab.dataplane.exercise import lag_of
from drkit_lab.dataplane.ledger import LOW_BALANCE, LOW_BALANCE_ACCOUNT, Workload, verify
from drkit_lab.emulator.evaluation import post_control

if TYPE_CHECKING:
    from drkit_lab.gameday.scenarios import Outcome
    from drkit_lab.gameday.world import GameDay

HELD_SECONDS = 1.5  # of the ledger's writes (about a hundred a second here) acknowledged and never replicated
LOST_DEBIT, ACCEPTED_DEBIT = 80, 50  # LOW_BALANCE 100: after the accepted debit, the lost one would overdraw


@dataclass
class LostWrites:
    workload: Workload
    target_cluster: str
    lost_debit: str  # the key of the transfer that becomes the conflict
    accepted_debit: str = ""
    missing_keys: tuple[str, ...] = ()  # acknowledged, not on the new writer after the failover
    notes: list[str] = field(default_factory=list)


def before_the_fault(gd: GameDay, workload: Workload | None, target_cluster: str) -> None:
    """Hold the target's replication back and write what the failover will lose (the low-balance debit among it)."""
    if workload is None:
        return
    balance = low_balance(workload)
    if balance < LOW_BALANCE:  # an earlier game day on this deployment left it otherwise
        workload.transfer(1, LOW_BALANCE_ACCOUNT, LOW_BALANCE - balance)
    elif balance > LOW_BALANCE:
        workload.transfer(LOW_BALANCE_ACCOUNT, 1, balance - LOW_BALANCE)
    deadline = time.monotonic() + 5
    while (lag_of(gd.deployment, target_cluster) or 0.0) > 0.5 and time.monotonic() < deadline:  # the starting balance replicated
        time.sleep(0.1)
    post_control(gd.deployment.url, "replication", {"hold": [target_cluster]})
    time.sleep(HELD_SECONDS / 2)
    key = workload.transfer(LOW_BALANCE_ACCOUNT, 1, LOST_DEBIT)
    time.sleep(HELD_SECONDS / 2)
    gd.lost = LostWrites(workload, target_cluster, key)
    gd.record("note", f"replication of {target_cluster} held back: what the writer acknowledges now is lost at a failover")


def low_balance(workload: Workload) -> int:
    with workload.connection.open() as db:
        return int(db.execute("SELECT balance FROM accounts WHERE id = %s", (LOW_BALANCE_ACCOUNT,)).fetchone()[0])


def release(gd: GameDay) -> None:
    """Whatever happened, no replica stays held back after the scenario."""
    if gd.real_data:
        post_control(gd.deployment.url, "replication", {"hold": []})


def after_the_failover(gd: GameDay) -> None:
    """The new writer accepts another debit of the low-balance account; what the clients lost, by key."""
    lost = gd.lost
    if lost is None:
        return
    release(gd)
    lost.accepted_debit = lost.workload.transfer(LOW_BALANCE_ACCOUNT, 2, ACCEPTED_DEBIT)
    lost.missing_keys = verify(lost.workload).missing_keys


def loss_is_bounded(workload: Workload, fault_at: float, lag_before: float | None) -> tuple[bool, str]:
    """Every acknowledged commit missing now was acknowledged within the lag (plus a second) before the region was lost."""
    verdict = verify(workload)
    times = dict(workload.acknowledged)
    oldest = min((times[seq] for seq in verdict.missing), default=fault_at)
    window = round(max(0.0, fault_at - oldest), 2)
    observed = (
        f"{len(verdict.missing)} of {verdict.acknowledged} acknowledged commits missing, the oldest acknowledged {window} s before the "
        f"region was lost; replication lag then: {lag_before} s"
    )
    return window <= (lag_before or 0.0) + 1.0, observed


def _report(directory: Path, environment: str, since: float) -> dict[str, Any]:
    paths = sorted(p for p in directory.glob(f"*-reconcile-{environment}.json") if p.stat().st_mtime >= since)
    return dict(json.loads(paths[-1].read_text(encoding="utf-8"))) if paths else {}


def reconcile_after_return(gd: GameDay, out: Outcome, lost_region: str) -> None:
    lost = gd.lost
    if lost is None:
        return
    gd.lost = None
    preserved = [e for e in gd.alerts() if "point-of-failure snapshot preserved" in e.subject and e.region == lost_region]
    out.check(
        f"the monitor in {lost_region} keeps Aurora's point-of-failure snapshot and pages once, with the command",
        len(preserved) == 1 and "drkit runbook reconcile" in preserved[0].detail,
        f"{len(preserved)} page(s): {preserved[0].subject if preserved else 'none'}",
    )
    directory = Path(gd.deployment.state_dir).parent / "gameday"
    started = time.time()
    dry_code, dry_output, _ = gd.runbook("reconcile", "--report-dir", str(directory))
    dry = _report(directory, gd.env.name, started)
    outcomes = {t["key"]: t["outcome"] for t in dry.get("transactions", [])}
    found = set(lost.missing_keys) <= set(outcomes)
    out.check(
        "a dry run finds on the restored copy every acknowledged transfer the new writer lacked, by key",
        dry_code == 4 and found and bool(lost.missing_keys),
        f"exit {dry_code}; {len(lost.missing_keys)} acknowledged and missing, {len(outcomes)} on the copy and not on the writer"
        + ("" if found else f"; not found: {sorted(set(lost.missing_keys) - set(outcomes))[:3]}")
        + ("" if dry else f"; no report: {dry_output[-300:]}"),
    )
    started = time.time()
    code, output, _ = gd.runbook("reconcile", "--execute", "--report-dir", str(directory))
    gd.record("note", "reconciliation executed", output[-1500:])
    done = _report(directory, gd.env.name, started)
    totals = done.get("totals", {})
    replayed = {t["key"] for t in done.get("transactions", []) if t["outcome"] == "replayed"}
    conflict: dict[str, Any] = next((t for t in done.get("transactions", []) if t["key"] == lost.lost_debit), {})
    out.check(
        f"the deliberate conflict (account {LOW_BALANCE_ACCOUNT} debited on both sides) is not replayed, and needs a person",
        conflict.get("outcome") == "conflict" and lost.lost_debit not in replayed and code == 4,
        f"exit {code}; {conflict.get('outcome', 'not listed')}: {conflict.get('reason', '')}",
    )
    after = verify(lost.workload)
    low = low_balance(lost.workload)
    out.check(
        "every other lost transfer is replayed with its key; unaccounted 0; the ledger balances",
        done.get("unaccounted") == "0" and after.missing_keys == (lost.lost_debit,) and after.integrity and low == LOW_BALANCE - ACCEPTED_DEBIT,
        f"lost at the failover {totals.get('lost_at_failover')}, replayed {totals.get('replayed')}, conflicts {totals.get('conflicts')}, "
        f"unaccounted {done.get('unaccounted')}; missing now: {len(after.missing_keys)}; integrity {after.integrity}; "
        f"account {LOW_BALANCE_ACCOUNT}: {low}",
    )
    out.measured.update(
        reconcile_lost_at_failover=totals.get("lost_at_failover"),
        reconcile_replayed=totals.get("replayed"),
        reconcile_conflicts=totals.get("conflicts"),
        reconcile_unaccounted=done.get("unaccounted"),
        ledger_integrity_after_replay=after.integrity,
    )
    restored = done.get("restored_cluster") or dry.get("restored_cluster")
    if restored:
        gd.runbook("discard", "--restored", restored)
    out.notes.append(
        f"reconciliation report: {done.get('unaccounted') and 'unaccounted ' + str(done.get('unaccounted'))}; "
        f"restored copy {restored} discarded afterwards; the preserved snapshot {done.get('preserved_copy')} stays"
    )
