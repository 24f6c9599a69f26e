"""One reconciliation, end to end: find the failover, preserve, restore beside the database, compare, replay, report.

``drkit runbook reconcile --env E [--execute] [--report-dir DIR]`` (``drkit.reconcile.cli``):

1. the newest lossy failover: the newest the runbook recorded (``functions.failover.marker``), or the newest
   point-of-failure snapshot (or copy) of any member when it is newer or nothing is recorded (``decide``);
2. in the old primary's region: preserve Aurora's point-of-failure snapshot if the monitor has not
   (the same, idempotent function), and find its preserved copy; none there means Aurora has not
   rebuilt the old primary yet (its snapshot may still come: run again later), or, once it has, that
   the snapshot was never taken or expired unpreserved (the loss is unrecoverable, and the report says so);
3. wait for the copy to be available, restore it beside the database (``<cluster>-restore-<time>``: the DR role's restore grants and
   ``discard`` apply; a restore already there is continued);
4. connect to it and to the current writer (the stack's master credentials, ``verify-full``);
5. ledger mode (``drkit.reconcile.ledger``) when the database is drkit's ledger, and the configured
   tables (``drkit.reconcile.tables``);
6. the evidence report, JSON and Markdown; its exit code (``evidence.Exit``).

Nothing is deleted: the restored cluster stays until ``discard``, the preserved copy until someone
deletes it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from drkit.reconcile import aws, decide, evidence, ledger, tables
from drkit.reconcile.database import Resolver, connect
from functions.replication_monitor import preserve


@dataclass(frozen=True, kw_only=True)
class Options:
    report_dir: Path
    execute: bool = False
    since: datetime | None = None  # the divergence point, given by a person (instead of the record's and the data's)
    ca_bundle: str | None = None
    tables: tuple[tables.TableSpec, ...] = ()
    poll_seconds: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)


@dataclass(frozen=True)
class Written:
    report: evidence.Report
    json_path: Path
    markdown_path: Path


def divergence_point(failover: Any, margin_seconds: float) -> datetime:
    """The clock's bound for the comparison's start: the recorded failover, minus the target's last known lag, minus the
    margin (``decide.divergence`` takes the earlier of it and the data's)."""
    lag = failover.target_lag_seconds or 0.0
    return failover.failed_over_at - timedelta(seconds=lag + margin_seconds)


def trusted_bundle(ca_bundle: str | None, regions: tuple[str, str], resolver: Resolver) -> str:
    """The CA bundle both verify-full connections use, checked before a restore is waited for: there, readable, and (on
    AWS) not one region's bundle when the copy and the writer are in two."""
    if not ca_bundle:
        raise RuntimeError(
            f"give --ca-bundle {decide.GLOBAL_BUNDLE} (the RDS CA bundle for all regions, {decide.GLOBAL_BUNDLE_URL}) or set "
            "PGSSLROOTCERT: connections are verify-full"
        )
    if not Path(ca_bundle).is_file():
        raise RuntimeError(f"the CA bundle {ca_bundle} is not a readable file")
    refusal = None if resolver.emulator_url else decide.bundle_refusal(ca_bundle, regions)
    if refusal:
        raise RuntimeError(refusal)
    return ca_bundle


def failover_facts(chosen: decide.Subject, writer: str | None) -> dict[str, Any]:
    """The failover as the report states it: the runbook's record, or what its snapshot shows when drkit did not record it."""
    if chosen.failover is None:
        return {"old_cluster": chosen.cluster, "old_region": chosen.region, "new_writer": writer, "failed_over_at": None,
                "target_lag_seconds": None, "recorded": False}  # fmt: skip
    failover = chosen.failover
    return {
        "old_cluster": failover.old_cluster,
        "old_region": failover.old_region,
        "new_writer": failover.new_writer,
        "failed_over_at": failover.failed_over_at.isoformat(),
        "target_lag_seconds": failover.target_lag_seconds,
        "recorded": True,
    }


def next_steps(target: aws.Target, report: evidence.Report) -> tuple[str, ...]:
    command = f"drkit runbook reconcile --env {target.environment}"
    steps = []
    if not report.executed and report.totals["replayable"]:
        steps.append(f"review this report, then replay: `{command} --execute`")
    if report.totals["conflicts"]:
        steps.append(
            "each conflict needs a person: the customer was told it succeeded; refund, re-enter or reverse it by hand with its key, "
            "then set its replayed_at (it then counts as already present)"
        )
    if report.sql_file:
        steps.append(f"review and run `{report.sql_file}` through the writer (drkit never runs it)")
    if report.restored_cluster:
        steps.append(f"when the incident is closed: `drkit runbook discard --env {target.environment} --restored {report.restored_cluster}`")
    if report.preserved_copy:
        steps.append(f"the manual snapshot {report.preserved_copy} stays as evidence until someone deletes it")
    return tuple(steps)


def write(report: evidence.Report, directory: Path) -> Written:
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"{report.written_at:%Y%m%dT%H%M%SZ}-reconcile-{report.environment}"
    json_path, markdown_path = stem.with_suffix(".json"), stem.with_suffix(".md")
    json_path.write_text(json.dumps(evidence.document(report), indent=2, default=str) + "\n", encoding="utf-8")
    markdown_path.write_text(evidence.markdown(report), encoding="utf-8")
    return Written(report, json_path, markdown_path)


def reconcile(target: aws.Target, client: aws.ClientFactory, options: Options, say: Callable[[str], None], resolver: Resolver) -> Written:
    now = datetime.now(UTC)
    started = evidence.Report(environment=target.environment, executed=options.execute, written_at=now)
    report = started
    try:
        for step in _reconcile(target, client, options, say, resolver, started):
            report = step  # each step's report: what was found stays in it when a later step fails
    except Exception as error:  # the report says what failed; the run never claims success
        report = replace(report, unaccounted_reason=f"the reconciliation failed: {type(error).__name__}: {str(error).splitlines()[0][:300]}")
    report = replace(report, unaccounted_reason=evidence.unaccounted_reasons(report))
    report = replace(report, next_steps=next_steps(target, report))
    return write(report, options.report_dir)


def _reconcile(
    target: aws.Target, client: aws.ClientFactory, options: Options, say: Callable[[str], None], resolver: Resolver, report: evidence.Report
) -> Iterator[evidence.Report]:
    """The report after each step (the last one is the run's)."""
    members = aws.global_members(client, target, say)
    writer = aws.writer_of(members)
    report = replace(report, writer=writer.rsplit(":", 1)[-1] if writer else None)
    records = aws.recorded_failovers(client, target, say)
    seen, unanswered = aws.sightings(client, target, say)
    chosen = decide.subject(records, seen)
    if chosen is None:
        yield replace(report, waiting=bool(unanswered), unaccounted_reason=decide.nothing_found(unanswered))
        return
    report = replace(report, failover=failover_facts(chosen, report.writer))
    yield report
    say(f"failover {chosen.failover.id if chosen.failover else 'not recorded by drkit'}: {chosen.cluster} ({chosen.region}) -> {report.writer}")
    source = aws.find_source(client, chosen.region, chosen.cluster, chosen.after, say, records)
    report = replace(
        report,
        snapshot=source.system_snapshot.identifier if source.system_snapshot else None,
        preserved_copy=source.copy.identifier if source.copy else None,
    )
    yield report
    missing = why_no_copy(source, chosen, members, report.writer)
    if missing is not None:
        reason, waiting = missing
        yield replace(report, waiting=waiting, unaccounted_reason=reason)
        return
    assert source.copy is not None  # (why_no_copy says why otherwise)
    writer_region = writer.split(":")[3] if writer else target.regions[0]
    ca_bundle = trusted_bundle(options.ca_bundle or resolver.default_ca_bundle(), (chosen.region, writer_region), resolver)
    preserved = aws.wait_for_copy(client, source, source.copy, say, options.poll_seconds, options.sleep)
    request = aws.restore_request(client, target, source, preserved)
    say(f"plan: {request.describe()}")
    restored = aws.restore_from_snapshot(client, request, say, poll=options.poll_seconds)
    report = replace(report, restored_cluster=request.identifier)
    yield report
    credentials = aws.credentials(client, target, (writer_region, *(r for r in target.regions if r != writer_region)))
    clock = divergence_point(chosen.failover, target.margin_seconds) if chosen.failover else None
    with (
        connect(str(restored["Endpoint"]), credentials, resolver, ca_bundle) as copy,
        connect(credentials.writer_host, credentials, resolver, ca_bundle) as db,
    ):
        compared = compare(copy, db, options, clock, target.margin_seconds)
    window = compared.window
    report = replace(report, divergence_point=window.since, notes=(*report.notes, f"divergence point: {window.basis}"))
    if window.since is None:
        yield replace(report, unaccounted_reason=window.reason)
        return
    sql_file = write_sql(options.report_dir, target.environment, report.written_at, request.identifier, window.since, compared.statements)
    report = replace(
        report, modes=compared.modes, transactions=compared.lost, tables=compared.tables, sql_file=sql_file, unaccounted_reason=compared.gap
    )
    if not compared.modes:
        report = replace(
            report,
            unaccounted_reason=(
                f"nothing was compared: the database is not drkit's ledger and reconcile.tables is empty; the old primary's data is in "
                f"{request.identifier} for a person to compare"
            ),
        )
    yield report


def why_no_copy(source: aws.Source, chosen: decide.Subject, members: list[dict[str, Any]], writer: str | None) -> tuple[str, bool] | None:
    """Why there is nothing to restore, and whether that may change by waiting (None: there is a copy)."""
    if source.unreachable is not None:
        return (
            f"the old primary's region {chosen.region} does not answer yet ({source.unreachable}): Aurora attempts the "
            "point-of-failure snapshot when it returns; run this again then",
            True,
        )
    if source.copy is not None:
        return None
    if not preserve.rebuilt(members, chosen.region, chosen.cluster, source.status):
        return decide.not_rebuilt_yet(chosen.cluster, source.status), True
    return (
        f"the point-of-failure snapshot of {chosen.cluster} was not taken (or expired before it was preserved), and Aurora has rebuilt "
        f"{chosen.cluster} as a secondary since: the commits it acknowledged that {writer or 'the writer'} never received are unrecoverable",
        False,
    )


@dataclass(frozen=True)
class Compared:
    """What the copy and the writer showed: from where, by which modes, and what."""

    window: decide.Window
    gap: str | None = None  # the window starts after a lost transfer (``decide.starts_too_late``)
    modes: tuple[str, ...] = ()
    lost: tuple[evidence.LostTransaction, ...] = ()
    tables: tuple[evidence.TableResult, ...] = ()
    statements: tuple[str, ...] = ()


def compare(copy: Any, db: Any, options: Options, clock: datetime | None, margin_seconds: float) -> Compared:
    """The divergence point (``decide.divergence``, checked by ``ledger.missing_before``), then the ledger's replay and the
    configured tables' comparison from there."""
    keyed = ledger.is_ledger(copy) and ledger.is_ledger(db)
    history = ledger.last_replicated(copy, db) if keyed and options.since is None else None
    window = decide.divergence(options.since, clock, history.parted_at if history else None, margin_seconds)
    if window.since is None:
        return Compared(window)
    since = window.since
    gap = ledger.missing_before(copy, db, since) if keyed else []
    too_late = decide.starts_too_late(since, len(gap), gap[0].key, gap[0].committed_at) if gap else None
    modes: list[str] = []
    lost: list[evidence.LostTransaction] = []
    if keyed:
        modes.append("ledger: transfers by idempotency key, replayed in order")
        lost = ledger.reconcile(copy, db, since, execute=options.execute)
    results, statements = [], []
    for spec in options.tables:
        compared = tables.compare(copy, db, spec, since)
        results.append(compared.result)
        statements += compared.statements
    if options.tables:
        modes.append(f"tables by primary key: {', '.join(t.name for t in options.tables)}")
    return Compared(window, too_late, tuple(modes), tuple(lost), tuple(results), tuple(statements))


def write_sql(directory: Path, environment: str, written_at: datetime, restored: str, since: datetime, statements: tuple[str, ...]) -> str | None:
    """The reviewable SQL of the configured tables, next to the report (None: nothing to review)."""
    if not statements:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{written_at:%Y%m%dT%H%M%SZ}-reconcile-{environment}.sql"
    text = tables.sql_file_header(environment, restored, since) + "\n\n".join(statements) + "\n\nROLLBACK;  -- COMMIT after review\n"
    path.write_text(text, encoding="utf-8")
    return str(path)
