"""Schema-agnostic comparison: the configured tables of a database drkit does not know, by primary key.

For each table of ``reconcile.tables``, the rows of the restored copy changed after the divergence
point are read (by the table's ``updated_at`` column, or, without one, by each row's commit timestamp,
``pg_xact_commit_timestamp(xmin)``, which PostgreSQL keeps only with ``track_commit_timestamp = on``:
a table with neither is reported as not compared, never scanned whole), and looked up on the writer
by primary key, a few hundred at a time. A row the writer does not have becomes an ``INSERT ... ON
CONFLICT DO NOTHING``; a row the writer has with other values becomes a commented ``UPDATE`` with both
versions. The result is SQL for a person to review and run through the writer: drkit never executes it
(it cannot know which version of a row the application wants).

Nothing of the data leaves a comment: PostgreSQL ends a ``--`` comment at a newline or a carriage return
(its lexer, ``scan.l``: ``comment ("--"{non_newline}*)``, ``non_newline [^\\n\\r]``), and ``sql.Literal``
keeps both raw inside its quotes. Every value and name shown in a comment is therefore written on one
line (:func:`_one_line_literal`, :func:`_one_line_identifier`): an escape string ``E'...'`` or a Unicode
identifier ``U&"..."`` whenever it holds a character that is not printable, so the commented ``UPDATE``
still sets the exact value once a person uncomments it; :func:`_comment` is the last guard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def _escaped(character: str) -> str:
    """One character as a PostgreSQL escape-string escape (``E'...'``): ``\\n``, ``\\r``, ``\\t``, ``\\xHH``, ``\\uXXXX``."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
    code = ord(character)
    return named.get(character) or (f"\\x{code:02X}" if code < 0x80 else f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}")


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def _one_line_literal(rendered: str) -> str:
    """A literal as ``sql.Literal`` rendered it, on one line and with the same value: each quoted string holding a character
    that is not printable becomes an escape string (a standard string's backslashes doubled, ``''`` kept)."""
    if rendered.isprintable():
        return rendered
    out: list[str] = []
    index = 0
    while index < len(rendered):
        if rendered[index] != "'":
            out.append(rendered[index])
            index += 1
            continue
        escape_string = index > 0 and rendered[index - 1] in "Ee"
        end = _closing_quote(rendered, index, escape_string)
        body = rendered[index + 1 : end]
        if escape_string:
            out.pop()  # the E, written again below
        else:
            body = body.replace("\\", "\\\\")
        out.append(f"E'{_printable(body)}'")
        index = end + 1
    return "".join(out)


def _closing_quote(rendered: str, opening: int, escape_string: bool) -> int:
    """Where the string constant opened at ``opening`` ends: ``''`` is a quote inside it, and so is ``\\'`` in an escape string."""
    end = opening + 1
    while (end < len(rendered) and rendered[end] != "'") or rendered.startswith("''", end):
        end += 2 if rendered.startswith("''", end) or (escape_string and rendered[end] == "\\") else 1
    return end


def _one_line_identifier(*parts: str) -> str:
    """A (qualified) identifier quoted on one line: ``U&"..."`` (``\\XXXX`` escapes) for a part that is not printable."""
    from psycopg import sql

    def part(name: str) -> str:
        if name.isprintable():
            return str(sql.Identifier(name).as_string(None))
        body = "".join(
            "\\\\" if c == "\\" else '""' if c == '"' else c if c.isprintable() else f"\\{ord(c):04X}" if ord(c) <= 0xFFFF else f"\\+{ord(c):06X}"
            for c in name
        )
        return f'U&"{body}"'

    return ".".join(part(p) for p in parts)


def _comment(lines: Iterable[str]) -> str:
    """``--`` comment lines; anything not printable left in them is escaped, so no line break can end one early."""
    return "\n".join(f"-- {_printable(line)}" for line in lines)


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
    """The writer's row differs: both versions of each changed column, and the UPDATE to the old primary's, commented out."""

    def value(v: Any) -> str:
        return _one_line_literal(_literal(v, context).strip())  # (psycopg puts a space before E'...')

    table = _one_line_identifier(*spec.name.split("."))
    changed = [i for i, (ours, current) in enumerate(zip(row, theirs, strict=True)) if ours != current and i not in key_of]
    where = " AND ".join(f"{_one_line_identifier(columns[i])} = {value(row[i])}" for i in key_of)
    assignments = ", ".join(f"{_one_line_identifier(columns[i])} = {value(row[i])}" for i in changed)
    return _comment(
        [
            f"{table} where {where}: the writer's row differs from the old primary's",
            *(f"  {_one_line_identifier(columns[i])}: writer {value(theirs[i])}, old primary {value(row[i])}" for i in changed),
            f"UPDATE {table} SET {assignments} WHERE {where};",
        ]
    )


def sql_file_header(environment: str, copy_cluster: str, since: datetime) -> str:
    comments = _comment(
        [
            f"drkit reconcile, environment {environment}: rows of the configured tables that the old primary changed after",
            f"{since.isoformat(timespec='seconds')} and the writer does not have (INSERT) or has otherwise (commented UPDATE).",
            f"From the restored copy {copy_cluster}. drkit never runs this: review it, then run it through the writer in one transaction.",
            "Values and names in comments are on one line: E'...' and U&\"...\" escape what is not printable.",
        ]
    )
    return f"{comments}\nBEGIN;\n\n"
