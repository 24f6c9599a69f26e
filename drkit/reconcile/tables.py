"""Schema-agnostic comparison: the configured tables of a database drkit does not know, by primary key.

For each table of ``reconcile.tables``, the rows of the restored copy changed after the divergence
point are read (by the table's ``updated_at`` column, or, without one, by each row's commit timestamp,
``pg_xact_commit_timestamp(xmin)``, which PostgreSQL keeps only with ``track_commit_timestamp = on``:
a table with neither is reported as not compared, never scanned whole), and looked up on the writer
by primary key, a few hundred at a time. A row the writer does not have becomes an ``INSERT ... ON
CONFLICT DO NOTHING``; a row the writer has with other values becomes a commented ``UPDATE`` with both
versions. The result is SQL for a person to review and run through the writer: drkit never executes it
(it cannot know which version of a row the application wants).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drkit.reconcile.evidence import TableResult

BATCH = 500


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    name: str  # optionally schema-qualified
    primary_key: tuple[str, ...]
    updated_at: str | None = None


@dataclass(frozen=True)
class TableComparison:
    result: TableResult
    statements: list[str] = field(default_factory=list)


def _identifier(name: str) -> Any:
    from psycopg import sql

    return sql.Identifier(*name.split("."))


def _changed_since(copy: Any, spec: TableSpec) -> tuple[Any, str | None]:
    """The WHERE clause that finds the rows changed after the divergence point, or why there is none."""
    from psycopg import sql

    if spec.updated_at:
        return sql.SQL("{} >= %s").format(sql.Identifier(spec.updated_at)), None
    enabled = str(copy.execute("SHOW track_commit_timestamp").fetchone()[0]) == "on"
    if not enabled:
        return None, "no updated_at column is configured and track_commit_timestamp is off: changed rows cannot be found without a full scan"
    return sql.SQL("pg_xact_commit_timestamp(xmin) >= %s"), None


def _literal(value: Any, context: Any) -> str:
    from psycopg import sql

    return str(sql.Literal(value).as_string(context))


def compare(copy: Any, writer: Any, spec: TableSpec, since: datetime) -> TableComparison:
    from psycopg import sql

    where, reason = _changed_since(copy, spec)
    if where is None:
        return TableComparison(TableResult(table=spec.name, reason=reason))
    table = _identifier(spec.name)
    cursor = copy.execute(sql.SQL("SELECT * FROM {} WHERE {}").format(table, where), (since,))
    columns = [d.name for d in cursor.description]
    missing_keys = [k for k in spec.primary_key if k not in columns]
    if missing_keys:
        return TableComparison(TableResult(table=spec.name, reason=f"primary key column(s) {', '.join(missing_keys)} not in the table"))
    rows = cursor.fetchall()
    key_of = [columns.index(k) for k in spec.primary_key]
    statements: list[str] = []
    missing = differing = 0
    key_list = sql.SQL(", ").join(sql.Identifier(k) for k in spec.primary_key)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        keys = [tuple(row[i] for i in key_of) for row in batch]
        placeholders = sql.SQL(", ").join(sql.SQL("({})").format(sql.SQL(", ").join(sql.Placeholder() * len(key_of))) for _ in keys)
        query = sql.SQL("SELECT * FROM {} WHERE ({}) IN ({})").format(table, key_list, placeholders)
        found = writer.execute(query, [value for key in keys for value in key]).fetchall()
        on_writer = {tuple(row[i] for i in key_of): row for row in found}
        for key, row in zip(keys, batch, strict=True):
            theirs = on_writer.get(key)
            if theirs is None:
                missing += 1
                statements.append(_insert(spec, columns, row, writer))
            elif tuple(theirs) != tuple(row):
                differing += 1
                statements.append(_update(spec, columns, row, theirs, key_of, writer))
    writer.rollback()
    copy.rollback()
    return TableComparison(TableResult(table=spec.name, compared=len(rows), missing=missing, differing=differing), statements)


def _insert(spec: TableSpec, columns: Sequence[str], row: Sequence[Any], context: Any) -> str:
    from psycopg import sql

    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns).as_string(context)
    values = ", ".join(_literal(v, context) for v in row)
    return f"INSERT INTO {_identifier(spec.name).as_string(context)} ({names}) VALUES ({values}) ON CONFLICT DO NOTHING;"


def _update(spec: TableSpec, columns: Sequence[str], row: Sequence[Any], theirs: Sequence[Any], key_of: Sequence[int], context: Any) -> str:
    from psycopg import sql

    changed = [i for i, (ours, current) in enumerate(zip(row, theirs, strict=True)) if ours != current and i not in key_of]
    where = " AND ".join(f"{sql.Identifier(columns[i]).as_string(context)} = {_literal(row[i], context)}" for i in key_of)
    lines = [f"-- {_identifier(spec.name).as_string(context)} where {where}: the writer's row differs from the old primary's"]
    lines += [f"--   {columns[i]}: writer {_literal(theirs[i], context)}, old primary {_literal(row[i], context)}" for i in changed]
    assignments = ", ".join(f"{sql.Identifier(columns[i]).as_string(context)} = {_literal(row[i], context)}" for i in changed)
    lines.append(f"-- UPDATE {_identifier(spec.name).as_string(context)} SET {assignments} WHERE {where};")
    return "\n".join(lines)


def sql_file_header(environment: str, copy_cluster: str, since: datetime) -> str:
    return "\n".join(
        [
            f"-- drkit reconcile, environment {environment}: rows of the configured tables that the old primary changed after",
            f"-- {since.isoformat(timespec='seconds')} and the writer does not have (INSERT) or has otherwise (commented UPDATE).",
            f"-- From the restored copy {copy_cluster}. drkit never runs this: review it, then run it through the writer in one transaction.",
            "BEGIN;",
            "",
        ]
    )
