"""After a lossy failover, every acknowledged transfer accounted for: real PostgreSQL, the emulated RDS API, the real tools.

Two regions, each member encrypted with its region's key. Replication of the secondary is held back
while the ledger writes, so what the writer acknowledges meanwhile is lost at the failover (and one of
those transfers debits the low-balance account, which the new writer debits again afterwards: replaying
it would overdraw). When the old primary's region returns, the emulated RDS takes Aurora's
point-of-failure snapshot from the old writer's set-aside data; the monitor's preservation step copies
it; the reconciliation restores the copy beside the database, compares by key and replays.

Each test below fails when its rule is broken: a snapshot not preserved before its retention ends is
lost while the preserved copy survives; a conflict is never replayed; a second run replays nothing; a
failed snapshot attempt is reported unaccounted with a non-zero exit, never as a success.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drkit.reconcile import aws, evidence, tables
from drkit.reconcile.database import Resolver
from drkit.reconcile.run import Options, Written, reconcile
from drkit.restore import discard
from drkit_lab.dataplane.binaries import PostgresNotFound, find
from drkit_lab.dataplane.exercise import ledger
from drkit_lab.dataplane.lab import Lab
from drkit_lab.dataplane.ledger import LOW_BALANCE, LOW_BALANCE_ACCOUNT, Workload, connection_from_secret, verify
from drkit_lab.emulator.evaluation import post_control
from functions.failover import marker
from functions.replication_monitor import preserve

pytestmark = pytest.mark.integration
RECORDS = "/drkit/lab/lossy-failovers"
COMMAND = "drkit runbook reconcile --env lab"
EAST, WEST = "us-east-1", "us-west-2"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    try:
        find()
    except PostgresNotFound:
        pytest.skip("PostgreSQL is not installed (make install installs it)")
    current = Lab(tmp_path_factory.mktemp("pof"), regions=(EAST, WEST), name="payments", encrypted=True)
    try:
        yield current.start()
    finally:
        current.stop()


def target(lab: Lab, margin_seconds: float = 60) -> aws.Target:
    return aws.Target(
        environment="lab",
        global_cluster_id=lab.name,
        regions=lab.regions,
        cluster_ids={r: lab.cluster(r) for r in lab.regions},
        secrets={r: f"{lab.name}-master" for r in lab.regions},  # the lab keeps the secret in its first region only
        lossy_failover_parameter=RECORDS,
        instance_class="db.r6g.large",
        margin_seconds=margin_seconds,
    )


def monitor(lab: Lab, region: str, wait_seconds: float = 600) -> preserve.PreservationSettings:
    """What the replication monitor of ``region`` runs with (its function's environment)."""
    return preserve.PreservationSettings(
        environment="lab", region=region, member_regions=lab.regions, cluster=lab.cluster(region), key_id=lab.keys[region],
        lossy_failover_parameter=RECORDS, wait_seconds=wait_seconds, command=COMMAND, global_cluster_id=lab.name,
    )  # fmt: skip


def fail_over(lab: Lab, to: str, lag: float | None) -> str:
    """As the runbook does it: record the lossy failover in the target region, then FailoverGlobalCluster with the writer's
    region lost. The old primary cluster."""
    old = lab.writer()
    marker.record(lab.client, to, RECORDS, marker.entry(lab.arn(old), lab.arn(to), datetime.now(UTC), lag))
    lab.lose_region_and_fail_over(to)
    return lab.cluster(old)


def run(lab: Lab, tmp_path: Path, *, execute: bool, margin_seconds: float = 60, since: datetime | None = None) -> Written:
    said: list[str] = []
    options = Options(report_dir=tmp_path, execute=execute, since=since, poll_seconds=0.2)
    written = reconcile(target(lab, margin_seconds), lab.client, options, said.append, Resolver(lab.url))
    print("\n".join(said))
    return written


def balances(workload: Workload) -> dict[int, int]:
    with workload.connection.open() as db:
        return {int(a): int(b) for a, b in db.execute("SELECT id, balance FROM accounts").fetchall()}


def copies_of(transfers: Workload, keys: list[str]) -> int:
    with transfers.connection.open() as db:
        return int(db.execute("SELECT count(*) FROM transfers WHERE key = ANY(%s::uuid[])", (keys,)).fetchone()[0])


def test_what_the_reviewable_sql_shows_on_one_line_is_the_exact_value(lab: Lab) -> None:
    """A value or a column name with line breaks is shown in the SQL file's comments on one line (E'...', U&"..."), and
    PostgreSQL reads back exactly the old primary's value from it: uncommented, the UPDATE sets what the copy holds."""
    secret = lab.client("secretsmanager", EAST).get_secret_value(SecretId=lab.outputs["primary_db_secret_arn"])["SecretString"]
    hostile = ["x\nUPDATE accounts SET balance = 1000000 WHERE id = 7; --", "y\rz", "a\\b\r\n'q'\u2028\x0b*/", ["a\nb", "c\\d"]]
    with connection_from_secret(lab.url, secret, lab.dataplane()["ca"]).open() as db:
        for value in hostile:
            shown = tables._one_line_literal(tables._literal(value, db).strip())
            cast = "::text[]" if isinstance(value, list) else ""  # (as the UPDATE's column would type it)
            assert shown.isprintable() and db.execute(f"SELECT {shown}{cast}").fetchone()[0] == value, shown
            if isinstance(value, str):  # (a name is at most 63 bytes)
                assert db.execute(f"SELECT 1 AS {tables._one_line_identifier(value)}").description[0].name == value


MARGIN = 1.0  # reconcile.margin_seconds in the first test: seconds here, as the outage's minutes are
DECIDED_AFTER = 4.0  # the operator fails over this long after replication stopped (on AWS: minutes)


def test_lost_transfers_are_preserved_reconciled_and_replayed_exactly_once(lab: Lab, tmp_path: Path) -> None:
    """The failover is decided well after the loss began, and recorded with the last lag read before it: the clock's
    window (failover - lag - margin) starts after the first lost transfers. The data's does not: every one is found."""
    with ledger(lab, lab.outputs) as workload:
        post_control(lab.url, "replication", {"hold": [lab.cluster(WEST)]})  # from now on nothing reaches us-west-2
        held = time.monotonic()
        workload.wait_for_commits(25)
        doomed = workload.transfer(LOW_BALANCE_ACCOUNT, 1, 80)  # acknowledged by the old writer, never replicated
        workload.wait_for_commits(10)
        time.sleep(max(0.0, held + DECIDED_AFTER - time.monotonic()))
        fail_over(lab, WEST, lag=0.5)  # the lag read before replication stopped: the clock alone would start after `doomed`
        workload.wait_for_commits(20, timeout=120)  # the clients found the new writer
        accepted = workload.transfer(LOW_BALANCE_ACCOUNT, 2, 50)  # 100 - 50: the lost 80 no longer fits
        lost = verify(workload)
        assert doomed in lost.missing_keys and accepted not in lost.missing_keys and len(lost.missing) >= 30

        lab.every_region_back()  # Aurora's point-of-failure snapshot of the old primary, from its set-aside volume
        step = preserve.step(monitor(lab, EAST), lab.client, datetime.now(UTC), {})
        (preserved,) = step.preserved
        assert preserved.created and preserved.failover is not None and preserved.failover.old_cluster == lab.cluster(EAST)
        ((subject, message),) = step.alerts
        assert "point-of-failure snapshot preserved" in subject and COMMAND in message and f"{COMMAND} --execute" in message
        again = preserve.step(monitor(lab, EAST), lab.client, datetime.now(UTC), step.state)
        assert again.preserved == [] and again.alerts == []  # idempotent: found by name, nothing copied, nobody paged twice

        expired = post_control(lab.url, "point-of-failure", {"expire_now": True})
        assert expired["taken"] == []  # the system snapshot is gone with its retention; the manual copy is not

        dry = run(lab, tmp_path, execute=False, margin_seconds=MARGIN).report
        assert dry.unaccounted == "0" and dry.exit_code == evidence.Exit.CONFLICTS, evidence.markdown(dry)
        outcomes = {t.key: t.outcome for t in dry.transactions}
        assert set(lost.missing_keys) <= set(outcomes)  # every acknowledged transfer the writer lacks is found on the copy
        assert outcomes[doomed] is evidence.Outcome.CONFLICT
        assert {o for k, o in outcomes.items() if k != doomed} == {evidence.Outcome.REPLAYABLE}
        assert verify(workload).missing_keys == lost.missing_keys  # a dry run changes nothing

        before = balances(workload)
        done = run(lab, tmp_path, execute=True, margin_seconds=MARGIN).report
        assert done.totals["replayed"] == len(outcomes) - 1 and done.totals["conflicts"] == 1 and done.unaccounted == "0"
        after = verify(workload)
        assert after.missing_keys == (doomed,) and after.integrity, after  # replayed in order with their keys; the ledger balances
        assert balances(workload)[LOW_BALANCE_ACCOUNT] == LOW_BALANCE - 50  # the conflict was not replayed: no overdraft

        workload.stop()
        settled = balances(workload)
        twice = run(lab, tmp_path, execute=True, margin_seconds=MARGIN).report
        assert twice.totals["replayed"] == 0 and twice.totals["already_present"] == len(outcomes) - 1 and twice.totals["conflicts"] == 1
        assert balances(workload) == settled  # running it twice changes nothing
        assert copies_of(workload, [k for k in outcomes if k != doomed]) == len(outcomes) - 1  # each replayed exactly once
        assert before != settled

    report = twice
    assert report.restored_cluster and report.preserved_copy
    markdown = (tmp_path / next(p.name for p in tmp_path.glob("*.md"))).read_text(encoding="utf-8")
    assert "**Unaccounted: 0**" in markdown and doomed in markdown
    reason = discard(lab.client, EAST, report.restored_cluster, print)
    assert reason is None


def test_a_failed_snapshot_attempt_is_unaccounted_paged_and_never_a_success(lab: Lab, tmp_path: Path) -> None:
    post_control(lab.url, "point-of-failure", {"fail_next": 1})
    old = fail_over(lab, EAST, lag=0.4)  # from us-west-2, the writer since the first test
    watch = monitor(lab, EAST, wait_seconds=600)  # the monitor in the region holding the record
    start = datetime.now(UTC)
    away = preserve.step(watch, lab.client, start, {})
    assert away.alerts == [] and not any(v.startswith(preserve.BACK) for v in away.state.values())  # its region is still down
    lab.every_region_back()
    back = preserve.step(watch, lab.client, start, away.state)
    assert back.alerts == []  # back, but Aurora may still be taking it: wait
    late = preserve.step(watch, lab.client, start + timedelta(seconds=601), back.state)
    ((subject, message),) = late.alerts
    assert f"UNRECOVERABLE: no point-of-failure snapshot of {old}" in subject and COMMAND in message
    once = preserve.step(watch, lab.client, start + timedelta(seconds=700), late.state)
    assert once.alerts == []  # paged once

    written = run(lab, tmp_path, execute=True)
    report = written.report
    assert report.exit_code == evidence.Exit.UNACCOUNTED and report.unaccounted.startswith("unknown — the point-of-failure snapshot")
    assert "**Unaccounted: unknown — the point-of-failure snapshot" in written.markdown_path.read_text(encoding="utf-8")


def test_a_snapshot_not_preserved_before_its_retention_ends_is_lost(lab: Lab, tmp_path: Path) -> None:
    old = fail_over(lab, WEST, lag=0.4)
    lab.every_region_back()
    taken = post_control(lab.url, "point-of-failure", {})["taken"]
    assert [t["arn"].split(":cluster-snapshot:")[1].startswith(f"{preserve.POINT_OF_FAILURE_PREFIX}{old}-") for t in taken] == [True]
    post_control(lab.url, "point-of-failure", {"expire_now": True})  # nobody preserved it in time
    report = run(lab, tmp_path, execute=False).report
    assert report.exit_code == evidence.Exit.UNACCOUNTED and "not taken (or expired before it was preserved)" in report.unaccounted


def test_a_lossy_failover_drkit_did_not_record_is_found_by_its_snapshot_and_reconciled(lab: Lab, tmp_path: Path) -> None:
    """ARC's ungraceful execution, a console failover, a runbook run that timed out: no record. Aurora's point-of-failure
    snapshot of the old primary is there all the same: reconcile finds it, and the divergence point comes from the data
    (or from --since, a person's); a --since after a lost transfer is caught, never reported as "unaccounted: 0"."""
    old = lab.writer()
    standby = EAST if old == WEST else WEST
    with ledger(lab, lab.outputs) as workload:
        since = datetime.now(UTC) - timedelta(seconds=1)
        post_control(lab.url, "replication", {"hold": [lab.cluster(standby)]})
        workload.wait_for_commits(15)
        late = datetime.now(UTC)  # after 15 lost commits: a --since here starts too late
        lab.lose_region_and_fail_over(standby)  # nobody records it
        workload.wait_for_commits(10, timeout=120)
        lost = verify(workload)
        assert lost.missing_keys
        lab.every_region_back()
        from_data = run(lab, tmp_path, execute=False).report
        given = run(lab, tmp_path, execute=False, since=since).report
        too_late = run(lab, tmp_path, execute=False, since=late).report
    assert from_data.failover is not None and from_data.failover["recorded"] is False and from_data.failover["old_cluster"] == lab.cluster(old)
    for report in (from_data, given):
        assert set(lost.missing_keys) <= {t.key for t in report.transactions}, evidence.markdown(report)
        assert report.unaccounted == "0", report.unaccounted
    assert from_data.divergence_point is not None and from_data.divergence_point < since and given.divergence_point == since
    assert too_late.exit_code == evidence.Exit.UNACCOUNTED and "starts too late" in too_late.unaccounted, too_late.unaccounted


def test_a_writer_that_numbers_its_transfers_gives_the_replays_its_own_numbers(lab: Lab, tmp_path: Path) -> None:
    """After the failover the new writer hands out the lost transfers' numbers again (a sequence, or clients that restart
    and read max(seq) there): their numbers are other transfers' now. The replays take the writer's next numbers; the
    report keeps the old primary's beside them. Nothing is a conflict for a number."""
    old = lab.writer()
    standby = EAST if old == WEST else WEST
    with ledger(lab, lab.outputs) as workload:
        post_control(lab.url, "replication", {"hold": [lab.cluster(standby)]})
        workload.wait_for_commits(15)
        fail_over(lab, standby, lag=0.5)
        workload.wait_for_commits(5, timeout=120)
        workload.stop()
        lost = verify(workload)
        with workload.connection.open() as db:  # the new writer numbers its transfers, and has reused the lost numbers
            db.execute("ALTER TABLE transfers ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY")
            for seq in lost.missing:
                db.execute("INSERT INTO transfers (seq, key, from_account, to_account, amount) VALUES (%s, gen_random_uuid(), 1, 2, 1)", (seq,))
                db.execute("INSERT INTO entries (transfer_seq, account, delta) VALUES (%s, 1, -1), (%s, 2, 1)", (seq, seq))
                db.execute("UPDATE accounts SET balance = balance + d FROM (VALUES (1, -1), (2, 1)) AS m(id, d) WHERE accounts.id = m.id")
            db.execute("SELECT setval(pg_get_serial_sequence('transfers', 'seq'), (SELECT max(seq) FROM transfers))")
            db.commit()
    lab.every_region_back()
    report = run(lab, tmp_path, execute=True).report
    replays = {t.key: t for t in report.transactions}
    assert set(lost.missing_keys) <= set(replays), evidence.markdown(report)
    reused = [replays[k] for k in lost.missing_keys]
    assert {t.outcome for t in reused} == {evidence.Outcome.REPLAYED}, [(t.seq, t.reason) for t in reused if t.reason][:3]
    assert all(t.writer_seq is not None and t.writer_seq > max(lost.missing) and t.seq in lost.missing for t in reused)
    assert verify(workload).integrity  # every replay balanced under its new number
