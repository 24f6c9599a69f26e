"""The reviewable SQL of ``reconcile.tables``: a value or a column name never leaves the comment it is shown in.

PostgreSQL ends a ``--`` comment at a newline or a carriage return (its lexer: ``comment ("--"{non_newline}*)``,
``non_newline [^\\n\\r]``), and psycopg's ``sql.Literal`` keeps both raw inside the quotes: a text value of the old
primary's (a name, a memo) would otherwise put an executable statement into a file a person is told to run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from drkit.reconcile import tables

INJECTED = "x\nUPDATE accounts SET balance = 1000000 WHERE id = 7; --"
HOSTILE = [
    INJECTED,
    "y\rDELETE FROM accounts; --",
    "*/ DROP TABLE accounts; /*",
    "a\\b\r\n'quoted'\u2028line separator\x0bvertical tab",
]
SPEC = tables.TableSpec(name="public.payees", primary_key=("id",))


def executable(script: str) -> str:
    """What PostgreSQL would execute of ``script``: ``--`` comments removed as its lexer ends them (no quoted strings here)."""
    return re.sub(r"--[^\n\r]*", "", script).strip()


@pytest.mark.parametrize("value", HOSTILE)
def test_a_differing_value_stays_inside_its_comment(value: str) -> None:
    statement = tables._update(SPEC, ["id", "note"], (7, value), (7, "before"), [0], None)
    assert executable(statement) == "", statement
    assert all(line.startswith("--") for line in statement.splitlines()), statement  # every line break Python knows of, too


@pytest.mark.parametrize("value", HOSTILE)
def test_a_key_and_a_column_name_stay_inside_their_comment(value: str) -> None:
    statement = tables._update(tables.TableSpec(name="payees", primary_key=(value,)), [value, value + "2"], (value, "new"), (value, "old"), [0], None)
    assert executable(statement) == "", statement
    assert all(line.startswith("--") for line in statement.splitlines()), statement


def test_the_commented_update_is_one_line_and_exact() -> None:
    """Uncommented, it sets the old primary's value exactly: an escape string (E'...') for a value with line breaks."""
    statement = tables._update(SPEC, ["id", "note"], (7, "a\\b\nc'd"), (7, "before"), [0], None)
    update = statement.splitlines()[-1]
    assert update == """-- UPDATE "public"."payees" SET "note" = E'a\\\\b\\nc''d' WHERE "id" = 7;""", update


def test_plain_values_are_shown_as_psycopg_renders_them() -> None:
    statement = tables._update(SPEC, ["id", "note"], (7, "new */ value"), (7, "old"), [0], None)
    assert statement.splitlines()[1] == "--   \"note\": writer 'old', old primary 'new */ value'"


def test_the_header_is_comments_and_the_transaction_only() -> None:
    header = tables.sql_file_header("prod\nDROP TABLE x;", "copy\rDELETE FROM y;", datetime(2026, 11, 29, tzinfo=UTC))
    assert executable(header) == "BEGIN;", header
