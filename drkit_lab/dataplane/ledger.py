"""The transaction workload: a small ledger, written continuously, checked after every role change.

A client as docs/architecture.md tells applications to be: it reads the connection from the stack's Secrets
Manager secret (host = the global writer endpoint), resolves the host name at every (re)connect
(on this machine the emulator's endpoint map stands in for DNS: ``/_drkit/dataplane``), and
connects with ``sslmode=verify-full`` against the CA bundle, to the AWS endpoint name. It writes
transfers: one transaction inserts the transfer with the next sequence number and a client-generated
idempotency key (a UUID, unique: a transfer applied twice is refused by the database), its two
double-entry rows, and moves the two balances; no balance may go below zero (``CHECK``: the ledger
refuses an overdraft). Every commit the server acknowledged is recorded with its key; a commit whose
outcome the client could not learn (the connection broke during COMMIT) is *in doubt*. On any error
it reconnects after a short pause, as a well-behaved client does.

The workload moves money between accounts 1..20 with large opening balances; account 21
(:data:`LOW_BALANCE_ACCOUNT`) starts with little and is touched only by :meth:`Workload.transfer`, so a
game day can debit it on both sides of a lossy failover and make a lost transfer that cannot be
replayed without an overdraft.

:func:`verify` then checks the database now serving against what was acknowledged: acknowledged
commits missing (the RPO, as a count, their keys, and seconds of history), the ledger's integrity
(balances sum to the opening total, every transfer's entries sum to zero, each balance equals its
opening balance plus its entries, no sequence twice), and the longest window in which no write
succeeded (the RTO as clients see it).
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

ACCOUNTS = 20
OPENING_BALANCE = 1_000_000
LOW_BALANCE_ACCOUNT = ACCOUNTS + 1  # never touched by the random workload
LOW_BALANCE = 100
RECONNECT_PAUSE_SECONDS = 0.1
CONNECT_TIMEOUT_SECONDS = 2

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS accounts (id integer PRIMARY KEY, balance bigint NOT NULL CONSTRAINT no_overdraft CHECK (balance >= 0),"
    " opening bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS transfers (seq bigint PRIMARY KEY, key uuid NOT NULL UNIQUE, from_account integer NOT NULL,"
    " to_account integer NOT NULL, amount bigint NOT NULL CHECK (amount > 0), committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
    " replayed_at timestamptz)",
    "CREATE TABLE IF NOT EXISTS entries (transfer_seq bigint NOT NULL REFERENCES transfers (seq), account integer NOT NULL, delta bigint NOT NULL)",
    # A ledger of an earlier drkit (a local deployment still running) gets the new columns and the overdraft rule.
    f"ALTER TABLE accounts ADD COLUMN IF NOT EXISTS opening bigint NOT NULL DEFAULT {OPENING_BALANCE}",
    "ALTER TABLE transfers ADD COLUMN IF NOT EXISTS key uuid NOT NULL UNIQUE DEFAULT gen_random_uuid()",
    "ALTER TABLE transfers ADD COLUMN IF NOT EXISTS replayed_at timestamptz",
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'no_overdraft') THEN"
    " ALTER TABLE accounts ADD CONSTRAINT no_overdraft CHECK (balance >= 0); END IF; END $$",
    "CREATE INDEX IF NOT EXISTS transfers_committed_at ON transfers (committed_at)",
)


@dataclass(frozen=True)
class Connection:
    """Where and how to connect: the secret's host name, and the TLS settings docs/architecture.md prescribes."""

    emulator_url: str
    host: str  # the AWS endpoint name (verified against the certificate)
    user: str
    password: str = field(repr=False)
    database: str
    ca: str

    def resolve(self) -> tuple[str, int]:
        """What DNS answers for ``host`` on this machine: the local server behind the endpoint now."""
        with urllib.request.urlopen(f"{self.emulator_url}/_drkit/dataplane", timeout=5) as response:
            endpoints = json.loads(response.read())["endpoints"]
        target = endpoints[self.host]
        return str(target["host"]), int(target["port"])

    def open(self) -> Any:
        import psycopg

        address, port = self.resolve()
        return psycopg.connect(
            host=self.host,
            hostaddr=address,
            port=port,
            user=self.user,
            password=self.password,
            dbname=self.database,
            sslmode="verify-full",
            sslrootcert=self.ca,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )


def connection_from_secret(emulator_url: str, secret_string: str, ca: str) -> Connection:
    secret = json.loads(secret_string)
    return Connection(emulator_url, secret["host"], secret["username"], secret["password"], secret["dbname"], ca)


@dataclass
class Workload:
    connection: Connection
    acknowledged: list[tuple[int, float]] = field(default_factory=list)  # (seq, monotonic time of the ack)
    keys: dict[int, str] = field(default_factory=dict)  # seq -> the transfer's idempotency key
    in_doubt: list[int] = field(default_factory=list)
    errors: list[tuple[float, str]] = field(default_factory=list)
    reconnects: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _next_seq: int = 0
    _seq_lock: threading.Lock = field(default_factory=threading.Lock)

    def setup(self) -> None:
        with self.connection.open() as db:
            for statement in SCHEMA:
                db.execute(statement)
            db.execute(
                "INSERT INTO accounts (id, balance, opening) SELECT g, %s, %s FROM generate_series(1, %s) g ON CONFLICT (id) DO NOTHING",
                (OPENING_BALANCE, OPENING_BALANCE, ACCOUNTS),
            )
            db.execute(
                "INSERT INTO accounts (id, balance, opening) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING",
                (LOW_BALANCE_ACCOUNT, LOW_BALANCE, LOW_BALANCE),
            )
            db.commit()
            self._next_seq = int(db.execute("SELECT coalesce(max(seq), 0) FROM transfers").fetchone()[0])

    def next_transfer(self) -> tuple[int, str]:
        """The next sequence number and a new idempotency key, generated by the client."""
        with self._seq_lock:
            self._next_seq += 1
            seq = self._next_seq
        key = str(uuid.uuid4())
        self.keys[seq] = key
        return seq, key

    @staticmethod
    def write(db: Any, seq: int, key: str, source: int, target: int, amount: int) -> None:
        """One transfer in the open transaction of ``db``: the transfer, its two entries, the two balances."""
        db.execute(
            "INSERT INTO transfers (seq, key, from_account, to_account, amount) VALUES (%s, %s, %s, %s, %s)", (seq, key, source, target, amount)
        )
        db.execute(
            "INSERT INTO entries (transfer_seq, account, delta) VALUES (%s, %s, %s), (%s, %s, %s)",
            (seq, source, -amount, seq, target, amount),
        )
        db.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s", (amount, source))
        db.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", (amount, target))

    def transfer(self, source: int, target: int, amount: int) -> str:
        """One transfer outside the random workload (its own connection), acknowledged or raised; its key."""
        seq, key = self.next_transfer()
        with self.connection.open() as db:
            self.write(db, seq, key, source, target, amount)
            db.commit()
        self.acknowledged.append((seq, time.monotonic()))
        return key

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="drkit-ledger", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        import psycopg

        rng = random.Random(7)
        db = None
        while not self._stop.is_set():
            if db is None:
                try:
                    db = self.connection.open()
                except Exception as error:
                    self.errors.append((time.monotonic(), f"connect: {type(error).__name__}"))
                    time.sleep(RECONNECT_PAUSE_SECONDS)
                    continue
            seq, key = self.next_transfer()
            source, target = rng.sample(range(1, ACCOUNTS + 1), 2)
            amount = rng.randint(1, 500)
            committing = False
            try:
                self.write(db, seq, key, source, target, amount)
                committing = True
                db.commit()
                self.acknowledged.append((seq, time.monotonic()))
            except psycopg.Error as error:
                if committing:
                    self.in_doubt.append(seq)  # the server may or may not have committed it
                self.errors.append((time.monotonic(), f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}"))
                try:
                    db.close()
                finally:
                    db = None
                    self.reconnects += 1
                time.sleep(RECONNECT_PAUSE_SECONDS)
        if db is not None:
            db.close()

    def wait_for_commits(self, count: int, timeout: float = 30) -> None:
        target = len(self.acknowledged) + count
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < target:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the workload acknowledged {len(self.acknowledged)} of {target} commits in {timeout:.0f} s; errors: {self.errors[-3:]}"
                )
            time.sleep(0.05)

    def longest_gap(self, since: float, until: float) -> float:
        """The longest time without an acknowledged commit within [since, until] (the RTO as clients see it)."""
        times = [since, *(at for _, at in self.acknowledged if since <= at <= until), until]
        return max(b - a for a, b in itertools.pairwise(times))


@dataclass(frozen=True)
class Verdict:
    acknowledged: int
    present: int
    missing: tuple[int, ...]  # acknowledged, not on the writer now
    missing_seconds: float  # from the oldest missing acknowledgement to the newest acknowledgement
    missing_keys: tuple[str, ...]  # the idempotency keys of ``missing``, in the same order
    in_doubt_present: int
    duplicates: int
    balances_total_ok: bool
    entries_balanced: bool
    balances_match_entries: bool

    @property
    def integrity(self) -> bool:
        return self.duplicates == 0 and self.balances_total_ok and self.entries_balanced and self.balances_match_entries

    def as_dict(self) -> dict[str, Any]:
        return {
            "acknowledged": self.acknowledged,
            "present": self.present,
            "missing": len(self.missing),
            "missing_seconds": round(self.missing_seconds, 2),
            "in_doubt_present": self.in_doubt_present,
            "integrity": self.integrity,
        }


def verify(workload: Workload) -> Verdict:
    """The database now serving the global writer endpoint, against what the workload saw acknowledged
    (up to now: commits acknowledged while this reads are not counted)."""
    acknowledged = dict(list(workload.acknowledged))
    in_doubt = list(workload.in_doubt)
    import psycopg

    with workload.connection.open() as db:
        db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for every check below, while the workload writes on
        present = {int(row[0]) for row in db.execute("SELECT seq FROM transfers").fetchall()}
        rows = int(db.execute("SELECT count(*) FROM transfers").fetchone()[0])
        total = int(db.execute("SELECT coalesce(sum(balance), 0) - coalesce(sum(opening), 0) FROM accounts").fetchone()[0])
        unbalanced = int(
            db.execute(
                "SELECT count(*) FROM (SELECT transfer_seq FROM entries GROUP BY transfer_seq HAVING sum(delta) <> 0 OR count(*) <> 2) x"
            ).fetchone()[0]
        )
        orphans = int(
            db.execute("SELECT count(*) FROM transfers t WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.transfer_seq = t.seq)").fetchone()[0]
        )
        mismatched = int(
            db.execute(
                "SELECT count(*) FROM accounts a LEFT JOIN (SELECT account, sum(delta) AS moved FROM entries GROUP BY account) e ON e.account = a.id"
                " WHERE a.balance <> a.opening + coalesce(e.moved, 0)"
            ).fetchone()[0]
        )
    missing = tuple(sorted(seq for seq in acknowledged if seq not in present))
    newest = max(acknowledged.values(), default=0.0)
    missing_seconds = newest - min(acknowledged[s] for s in missing) if missing else 0.0
    return Verdict(
        acknowledged=len(acknowledged),
        present=len(present),
        missing=missing,
        missing_seconds=missing_seconds,
        missing_keys=tuple(workload.keys.get(seq, "?") for seq in missing),
        in_doubt_present=sum(seq in present for seq in in_doubt),
        duplicates=rows - len(present),
        balances_total_ok=total == 0,
        entries_balanced=unbalanced == 0 and orphans == 0,
        balances_match_entries=mismatched == 0,
    )
