"""Keyed replay: the transactions of an application that keys them, as drkit's ledger does.

The ledger (``accounts``, ``transfers`` with a client-generated ``key`` UUID, unique, and
``committed_at``, ``entries``; no balance below zero) is drkit's stand-in for a payments schema. On the
restored copy of the old primary, the transfers committed after the divergence point whose keys the
writer does not have are the ones lost at the failover: presence is decided by key. The divergence
point itself comes from the data too (:func:`last_replicated`: the newest transfer of the copy the
writer has by replication), and :func:`missing_before` checks that no transfer just before it is lost.

Each is replayed on the writer, in the original order, in its own savepoint of one transaction, with
its original key, amount and commit time (``replayed_at`` says when it was replayed): ``INSERT ... ON
CONFLICT (key) DO NOTHING``, the two entries, the two balances. Its number (``seq``) is the writer's
next one when the writer numbers its transfers (a sequence or identity default): since the failover it
may have handed the lost numbers out again; the report keeps the old primary's number beside it.
Where the clients number them, the original number is kept (a number drkit took would be one a
running client hands out next), and one taken meanwhile makes the transfer a conflict. It is **replayable** when every
invariant holds afterwards: no overdraft (the ledger's ``CHECK``), the transfer's entries sum to zero,
each touched balance equals its opening balance plus its entries. Otherwise it is a **conflict**: the
savepoint is rolled back and a person decides. A dry run rolls the whole transaction back;
``--execute`` commits it. A second run finds the replayed keys on the writer (already present) and
changes nothing; a transfer once classified a conflict by an executed run stays one (the decision is
kept in the restored copy, ``drkit_reconcile.decisions``), even if a later balance would allow it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drkit.reconcile.evidence import LostTransaction, Outcome

REQUIRED_COLUMNS = {
    "accounts": {"id", "balance", "opening"},
    "transfers": {"seq", "key", "from_account", "to_account", "amount", "committed_at", "replayed_at"},
    "entries": {"transfer_seq", "account", "delta"},
}
DECISIONS = (
    "CREATE SCHEMA IF NOT EXISTS drkit_reconcile",
    "CREATE TABLE IF NOT EXISTS drkit_reconcile.decisions (key uuid PRIMARY KEY, outcome text NOT NULL, reason text NOT NULL,"
    " decided_at timestamptz NOT NULL DEFAULT now())",
)


@dataclass(frozen=True)
class Transfer:
    key: str
    seq: int
    from_account: int
    to_account: int
    amount: int
    committed_at: datetime


def is_ledger(db: Any) -> bool:
    """Whether ``db`` holds drkit's ledger (its tables and columns, in the search path)."""
    rows = db.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY(%s)",
        (list(REQUIRED_COLUMNS),),
    ).fetchall()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(str(table), set()).add(str(column))
    return all(columns <= found.get(table, set()) for table, columns in REQUIRED_COLUMNS.items())


def transfers_since(copy: Any, since: datetime) -> list[Transfer]:
    """The copy's transfers committed at or after ``since``, in commit order (an index on ``committed_at``: no full scan)."""
    rows = copy.execute(
        "SELECT key::text, seq, from_account, to_account, amount, committed_at FROM transfers WHERE committed_at >= %s ORDER BY committed_at, seq",
        (since,),
    ).fetchall()
    return [Transfer(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5]) for r in rows]


SCAN_BATCH = 500  # transfers of the copy looked up on the writer at a time
SCAN_BATCHES = 200  # at most: the copy's newest 100,000 transfers
GUARD = 100  # transfers of the copy just before the divergence point that must all be on the writer


@dataclass(frozen=True)
class History:
    """Where the copy's history and the writer's part, by key (:func:`last_replicated`)."""

    last_replicated: datetime | None  # commit time of the newest transfer of the copy the writer has by replication
    first_on_copy: datetime | None  # the copy's oldest transfer, when every one was looked at and none replicated
    scanned: int  # transfers of the copy looked at

    @property
    def parted_at(self) -> datetime | None:
        """The newest commit both histories share (or, when they share none, the copy's first): None when unknown."""
        return self.last_replicated or self.first_on_copy


def _replicated(writer: Any, keys: Sequence[str]) -> set[str]:
    """The keys the writer has from replication (not a replay of drkit's, not a person's resolution: no replayed_at)."""
    if not keys:
        return set()
    rows = writer.execute("SELECT key::text FROM transfers WHERE key = ANY(%s::uuid[]) AND replayed_at IS NULL", (list(keys),)).fetchall()
    return {str(r[0]) for r in rows}


def _newest_before(copy: Any, before: tuple[datetime, int] | None, limit: int) -> list[Transfer]:
    """The copy's ``limit`` newest transfers committed before ``before`` (commit time, seq), newest first."""
    columns = "key::text, seq, from_account, to_account, amount, committed_at"
    where, parameters = ("", []) if before is None else ("WHERE (committed_at, seq) < (%s, %s)", [*before])
    rows = copy.execute(f"SELECT {columns} FROM transfers {where} ORDER BY committed_at DESC, seq DESC LIMIT %s", [*parameters, limit]).fetchall()
    return [Transfer(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5]) for r in rows]


def last_replicated(copy: Any, writer: Any, *, batch: int = SCAN_BATCH, batches: int = SCAN_BATCHES) -> History:
    """The newest transfer of the copy that the writer has by replication: the histories part after it, whatever the
    clocks say. The copy is read from its newest transfer back, ``batch`` at a time, at most ``batches`` times."""
    before: tuple[datetime, int] | None = None
    scanned = 0
    for _ in range(batches):
        newest = _newest_before(copy, before, batch)
        scanned += len(newest)
        shared = _replicated(writer, [t.key for t in newest])
        found = next((t for t in newest if t.key in shared), None)
        if found is not None:
            return History(found.committed_at, None, scanned)
        if len(newest) < batch:  # the copy's first transfer was looked at: the writer has none of them
            return History(None, newest[-1].committed_at if newest else None, scanned)
        before = (newest[-1].committed_at, newest[-1].seq)
    return History(None, None, scanned)


def missing_before(copy: Any, writer: Any, since: datetime, count: int = GUARD) -> list[Transfer]:
    """Of the copy's ``count`` transfers committed just before ``since``, those the writer does not have at all: when
    there are any, the comparison window starts after a lost transfer."""
    newest = _newest_before(copy, (since, -1), count)
    present = on_writer(writer, [t.key for t in newest])
    return [t for t in newest if t.key not in present]


def on_writer(writer: Any, keys: Sequence[str]) -> dict[str, datetime | None]:
    """The keys the writer has, with when drkit replayed each (None: it replicated there before the failover)."""
    if not keys:
        return {}
    rows = writer.execute("SELECT key::text, replayed_at FROM transfers WHERE key = ANY(%s::uuid[])", (list(keys),)).fetchall()
    return {str(r[0]): r[1] for r in rows}


def decided_conflicts(copy: Any) -> dict[str, str]:
    """Conflicts an executed run recorded (key -> reason)."""
    exists = copy.execute("SELECT to_regclass('drkit_reconcile.decisions') IS NOT NULL").fetchone()[0]
    if not exists:
        return {}
    rows = copy.execute("SELECT key::text, reason, decided_at FROM drkit_reconcile.decisions WHERE outcome = 'conflict'").fetchall()
    return {str(r[0]): f"{r[1]} (decided {r[2]:%Y-%m-%d %H:%M:%S}Z; a person resolves it)" for r in rows}


def record_conflicts(copy: Any, conflicts: Sequence[LostTransaction]) -> None:
    for statement in DECISIONS:
        copy.execute(statement)
    for transfer in conflicts:
        copy.execute(
            "INSERT INTO drkit_reconcile.decisions (key, outcome, reason) VALUES (%s, 'conflict', %s) ON CONFLICT (key) DO NOTHING",
            (transfer.key, transfer.reason),
        )
    copy.commit()


def writer_numbers(writer: Any) -> bool:
    """Whether the writer gives ``transfers.seq`` itself (a sequence or identity default): then a replay takes the writer's
    next number, never the old primary's, which the writer may have handed out again since the failover."""
    row = writer.execute(
        "SELECT column_default IS NOT NULL OR is_identity = 'YES' FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'transfers' AND column_name = 'seq'"
    ).fetchone()
    return bool(row and row[0])


def _insert(writer: Any, transfer: Transfer, now: datetime, numbered: bool) -> int | None:
    """The transfer on the writer, with its key, amount and commit time, and the writer's number or its own; the number
    it has there (None: the writer has its key already)."""
    columns = "key, from_account, to_account, amount, committed_at, replayed_at"
    values: list[object] = [transfer.key, transfer.from_account, transfer.to_account, transfer.amount, transfer.committed_at, now]
    if not numbered:
        columns, values = f"seq, {columns}", [transfer.seq, *values]
    placeholders = ", ".join(["%s"] * len(values))
    row = writer.execute(f"INSERT INTO transfers ({columns}) VALUES ({placeholders}) ON CONFLICT (key) DO NOTHING RETURNING seq", values).fetchone()
    return None if row is None else int(row[0])


def _lost(
    transfer: Transfer, outcome: Outcome, reason: str = "", replayed_at: datetime | None = None, writer_seq: int | None = None
) -> LostTransaction:
    return LostTransaction(
        key=transfer.key,
        seq=transfer.seq,
        from_account=transfer.from_account,
        to_account=transfer.to_account,
        amount=transfer.amount,
        committed_at=transfer.committed_at,
        outcome=outcome,
        reason=reason,
        replayed_at=replayed_at,
        writer_seq=writer_seq,
    )


def _broken_invariant(writer: Any, transfer: Transfer, seq: int) -> str | None:
    """What the replay of ``transfer`` (inside its savepoint, numbered ``seq`` on the writer) broke, if anything."""
    delta = writer.execute("SELECT coalesce(sum(delta), 0), count(*) FROM entries WHERE transfer_seq = %s", (seq,)).fetchone()
    if int(delta[0]) != 0 or int(delta[1]) != 2:
        return f"sequence {seq} already has entries on the writer: double entry would not balance"
    mismatched = writer.execute(
        "SELECT a.id FROM accounts a LEFT JOIN (SELECT account, sum(delta) AS moved FROM entries WHERE account = ANY(%s) GROUP BY account) e"
        " ON e.account = a.id WHERE a.id = ANY(%s) AND a.balance <> a.opening + coalesce(e.moved, 0)",
        ([transfer.from_account, transfer.to_account], [transfer.from_account, transfer.to_account]),
    ).fetchall()
    if mismatched:
        return f"account {mismatched[0][0]}'s balance would not equal its opening balance plus its entries"
    return None


def replay(writer: Any, lost: Sequence[Transfer], *, execute: bool, decided: dict[str, str]) -> list[LostTransaction]:
    """Classify (and with ``execute`` apply) every lost transfer on the writer, in order; see the module docstring."""
    import psycopg

    outcomes: list[LostTransaction] = []
    now = datetime.now(UTC)
    numbered = writer_numbers(writer)
    for transfer in lost:
        if transfer.key in decided:
            outcomes.append(_lost(transfer, Outcome.CONFLICT, decided[transfer.key]))
            continue
        writer.execute("SAVEPOINT replay")
        balance = None
        try:
            seq = _insert(writer, transfer, now, numbered)
            if seq is None:  # the key arrived meanwhile: nothing to do, nothing done
                writer.execute("ROLLBACK TO SAVEPOINT replay")
                outcomes.append(_lost(transfer, Outcome.ALREADY_PRESENT, "the writer has this key"))
                continue
            balance = writer.execute("SELECT balance FROM accounts WHERE id = %s", (transfer.from_account,)).fetchone()
            writer.execute(
                "INSERT INTO entries (transfer_seq, account, delta) VALUES (%s, %s, %s), (%s, %s, %s)",
                (seq, transfer.from_account, -transfer.amount, seq, transfer.to_account, transfer.amount),
            )
            moved = [
                writer.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s RETURNING id", (change, account)).fetchone()
                for account, change in ((transfer.from_account, -transfer.amount), (transfer.to_account, transfer.amount))
            ]
            problem = None if all(moved) else "an account of the transfer does not exist on the writer"
            problem = problem or _broken_invariant(writer, transfer, seq)
            if problem:
                writer.execute("ROLLBACK TO SAVEPOINT replay")
                outcomes.append(_lost(transfer, Outcome.CONFLICT, problem))
                continue
            writer.execute("RELEASE SAVEPOINT replay")
            outcome = Outcome.REPLAYED if execute else Outcome.REPLAYABLE
            outcomes.append(_lost(transfer, outcome, "", now if execute else None, seq if numbered else None))
        except psycopg.errors.CheckViolation:
            writer.execute("ROLLBACK TO SAVEPOINT replay")
            held = "?" if balance is None else str(balance[0])
            reason = f"would overdraw account {transfer.from_account}: the writer's balance is {held}, the transfer debits {transfer.amount}"
            outcomes.append(_lost(transfer, Outcome.CONFLICT, reason))
        except psycopg.errors.IntegrityError as error:  # a sequence number taken by another transfer, a missing account...
            writer.execute("ROLLBACK TO SAVEPOINT replay")
            outcomes.append(_lost(transfer, Outcome.CONFLICT, f"the writer refuses it: {str(error).splitlines()[0][:200]}"))
    if execute:
        writer.commit()
    else:
        writer.rollback()
    return outcomes


def reconcile(copy: Any, writer: Any, since: datetime, *, execute: bool) -> list[LostTransaction]:
    """Every transfer of the copy committed since ``since`` that the writer did not have at the failover, with its outcome."""
    candidates = transfers_since(copy, since)
    present = on_writer(writer, [t.key for t in candidates])
    decided = decided_conflicts(copy)
    already, missing = [], []
    for transfer in candidates:
        if present.get(transfer.key) is not None:
            already.append(_lost(transfer, Outcome.ALREADY_PRESENT, "replayed by an earlier run", present[transfer.key]))
        elif transfer.key in present and transfer.key in decided:
            already.append(_lost(transfer, Outcome.ALREADY_PRESENT, f"resolved by a person after: {decided[transfer.key]}"))
        elif transfer.key not in present:
            missing.append(transfer)  # (a key the writer has without a replay time replicated before the failover: not lost)
    writer.commit()  # end the read's transaction: the replay is one transaction of its own
    outcomes = replay(writer, missing, execute=execute, decided=decided)
    if execute:
        record_conflicts(copy, [o for o in outcomes if o.outcome is Outcome.CONFLICT])
    return sorted([*already, *outcomes], key=lambda t: (t.committed_at, t.seq))
