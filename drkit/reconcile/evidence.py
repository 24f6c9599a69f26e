"""The evidence of a reconciliation: every transaction the old primary committed that the writer did not have.

What an auditor asks after an incident: which acknowledged transactions were lost at the failover, what
became of each (replayed with its original key, a conflict a person must decide, already present), the
totals, and whether anything is unaccounted for, with the reason when it is. Pure data and rendering:
:func:`document` (JSON) and :func:`markdown`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    REPLAYED = "replayed"  # applied on the writer now, with its original key, amount and order (and the writer's number)
    REPLAYABLE = "replayable"  # a dry run: it would be replayed (keeps every invariant)
    CONFLICT = "conflict"  # replaying it would break an invariant given what the writer accepted since: a person decides
    ALREADY_PRESENT = "already present"  # the writer has its key (replayed by an earlier run)


class Exit:
    """The CLI's exit codes (``drkit runbook reconcile``)."""

    ACCOUNTED = 0  # every lost transaction is accounted for and nothing waits for a person
    NOT_YET = 3  # Aurora has not rebuilt the old primary yet (its region is away, or back and not done): the snapshot may come
    CONFLICTS = 4  # every lost transaction is accounted for; some are conflicts a person must decide
    UNACCOUNTED = 5  # the loss cannot be accounted for (no snapshot, an error): never a success


@dataclass(frozen=True, kw_only=True)
class LostTransaction:
    key: str
    seq: int
    from_account: int
    to_account: int
    amount: int
    committed_at: datetime  # on the old primary
    outcome: Outcome
    reason: str = ""
    replayed_at: datetime | None = None
    writer_seq: int | None = None  # the number the writer gave its replay, when the writer numbers its transfers

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "seq": self.seq,
            "writer_seq": self.writer_seq,
            "from_account": self.from_account,
            "to_account": self.to_account,
            "amount": self.amount,
            "committed_at": self.committed_at.isoformat(),
            "outcome": self.outcome.value,
            "reason": self.reason,
            "replayed_at": self.replayed_at.isoformat() if self.replayed_at else None,
        }


@dataclass(frozen=True, kw_only=True)
class TableResult:
    """The schema-agnostic comparison of one configured table (rows of the copy changed after the divergence point)."""

    table: str
    compared: int = 0  # rows of the copy changed after the divergence point
    missing: int = 0  # not on the writer: an INSERT in the reviewable SQL
    differing: int = 0  # on the writer with other values: a commented UPDATE
    reason: str | None = None  # why the table could not be compared

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True, kw_only=True)
class Report:
    environment: str
    executed: bool
    written_at: datetime
    failover: dict[str, Any] | None = None  # the failover accounted for: the runbook's record, or its snapshot's facts
    snapshot: str | None = None  # Aurora's point-of-failure snapshot
    preserved_copy: str | None = None
    restored_cluster: str | None = None
    writer: str | None = None
    divergence_point: datetime | None = None
    modes: tuple[str, ...] = ()
    transactions: tuple[LostTransaction, ...] = ()
    tables: tuple[TableResult, ...] = ()
    sql_file: str | None = None
    unaccounted_reason: str | None = None  # None: unaccounted 0
    waiting: bool = False  # the reason is temporary: Aurora has not rebuilt the old primary yet
    notes: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = field(default_factory=tuple)

    @property
    def totals(self) -> dict[str, int]:
        counts = Counter(t.outcome for t in self.transactions)
        return {
            "lost_at_failover": len(self.transactions),
            "replayed": counts[Outcome.REPLAYED],
            "replayable": counts[Outcome.REPLAYABLE],
            "conflicts": counts[Outcome.CONFLICT],
            "already_present": counts[Outcome.ALREADY_PRESENT],
            "rows_to_review": sum(t.missing + t.differing for t in self.tables),
        }

    @property
    def unaccounted(self) -> str:
        """``0``, or ``unknown — <reason>``: the line an auditor reads first."""
        return "0" if self.unaccounted_reason is None else f"unknown — {self.unaccounted_reason}"

    @property
    def exit_code(self) -> int:
        if self.unaccounted_reason is not None:
            return Exit.NOT_YET if self.waiting else Exit.UNACCOUNTED
        return Exit.CONFLICTS if self.totals["conflicts"] else Exit.ACCOUNTED


def unaccounted_reasons(report: Report) -> str | None:
    """Every reason the report cannot say "unaccounted: 0": its own, and every table that could not be compared."""
    reasons = [report.unaccounted_reason] if report.unaccounted_reason else []
    reasons += [f"table {t.table} not compared: {t.reason}" for t in report.tables if t.reason]
    return "; ".join(reasons) or None


def document(report: Report) -> dict[str, Any]:
    return {
        "environment": report.environment,
        "mode": "execute" if report.executed else "dry run",
        "written_at": report.written_at.isoformat(timespec="seconds"),
        "failover": report.failover,
        "point_of_failure_snapshot": report.snapshot,
        "preserved_copy": report.preserved_copy,
        "restored_cluster": report.restored_cluster,
        "writer": report.writer,
        "divergence_point": report.divergence_point.isoformat() if report.divergence_point else None,
        "comparisons": list(report.modes),
        "totals": report.totals,
        "unaccounted": report.unaccounted,
        "transactions": [t.as_dict() for t in report.transactions],
        "tables": [t.as_dict() for t in report.tables],
        "reviewable_sql": report.sql_file,
        "notes": list(report.notes),
        "next_steps": list(report.next_steps),
        "exit_code": report.exit_code,
    }


def numbered(transaction: LostTransaction) -> str:
    """Its number on the old primary, and the writer's when the writer gave its replay another."""
    if transaction.writer_seq is None or transaction.writer_seq == transaction.seq:
        return str(transaction.seq)
    return f"{transaction.seq} → {transaction.writer_seq}"


def failover_fact(failover: dict[str, Any] | None) -> str:
    if not failover:
        return "none found: no record and no point-of-failure snapshot"
    moved = f"{failover.get('old_cluster', '?')} → {failover.get('new_writer') or '?'}"
    if failover.get("recorded") is False:
        return f"{moved}: not recorded by drkit (known by its point-of-failure snapshot)"
    return f"{moved} at {failover.get('failed_over_at', '?')} (last known lag {failover.get('target_lag_seconds', '?')} s)"


def markdown(report: Report) -> str:
    totals = report.totals
    verb = "replayed" if report.executed else "replayable"
    lines = [
        f"# Reconciliation after a lossy failover — {report.environment} ({'execute' if report.executed else 'dry run'})",
        "",
        f"**Unaccounted: {report.unaccounted}**",
        "",
        f"Lost at the failover: **{totals['lost_at_failover']}** · {verb}: **{totals[verb]}** · conflicts: **{totals['conflicts']}** · "
        f"already present: **{totals['already_present']}** · rows to review: **{totals['rows_to_review']}**",
        "",
        f"Written {report.written_at.isoformat(timespec='seconds')}.",
        "",
        "| | |",
        "| --- | --- |",
    ]
    facts = [
        ("failover", failover_fact(report.failover)),
        ("point-of-failure snapshot", report.snapshot or "none"),
        ("preserved copy", report.preserved_copy or "none"),
        ("restored beside the database", report.restored_cluster or "none"),
        ("current writer", report.writer or "?"),
        ("divergence point", report.divergence_point.isoformat(timespec="seconds") if report.divergence_point else "?"),
        ("comparisons", ", ".join(report.modes) or "none"),
    ]  # fmt: skip
    lines += [f"| {name} | {value} |" for name, value in facts]
    if report.transactions:
        lines += [
            "",
            "## Every transaction the old primary committed that the writer did not have",
            "",
            "| key | seq (→ the writer's) | from | to | amount | committed on the old primary | outcome | why |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{t.key}` | {numbered(t)} | {t.from_account} | {t.to_account} | {t.amount} | {t.committed_at.isoformat(timespec='milliseconds')} "
            f"| {t.outcome.value} | {t.reason or ''} |"
            for t in report.transactions
        ]
    if report.tables:
        lines += [
            "",
            "## Configured tables (by primary key)",
            "",
            "| table | changed rows compared | missing | differing | note |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [f"| `{t.table}` | {t.compared} | {t.missing} | {t.differing} | {t.reason or ''} |" for t in report.tables]
        if report.sql_file:
            lines += ["", f"Reviewable SQL (never executed by drkit): `{report.sql_file}`"]
    if report.notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in report.notes]]
    if report.next_steps:
        lines += ["", "## Next", "", *[f"- {step}" for step in report.next_steps]]
    return "\n".join(lines) + "\n"
