"""tools/guards.py: every edit of the catalog still breaks the code it names, and names tests that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import PROJECT_DIR
from tools.guards import GUARDS, Guard, GuardError, applied, main, run


@pytest.mark.parametrize("guard", GUARDS, ids=[g.name for g in GUARDS])
def test_each_edit_applies_once_and_names_tests_that_exist(guard: Guard) -> None:
    assert applied(guard) != (PROJECT_DIR / guard.path).read_text(encoding="utf-8")
    for node in guard.tests:
        path, _, name = node.partition("::")
        source = (PROJECT_DIR / path).read_text(encoding="utf-8")
        assert not name or f"def {name}(" in source, node


def test_an_edit_that_no_longer_applies_is_an_error_naming_the_guard(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("x = 1\nx = 1\n", encoding="utf-8")
    with pytest.raises(GuardError, match=r"guard twice: the text to break occurs 2 times in f\.py"):
        applied(Guard("twice", 0, "f.py", "x = 1", "x = 2", ()), tmp_path)


def test_an_unknown_guard_is_refused_with_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-guard"]) == 2
    assert "unknown guard no-such-guard; known: fis-one-action" in capsys.readouterr().err


def test_a_broken_rule_whose_tests_stay_green_fails_the_run() -> None:
    """The tool can fail: an edit that breaks nothing leaves its tests green, and the run says so and exits 1."""
    said: list[str] = []
    harmless = Guard(
        "harmless",
        0,
        "drkit/restore.py",
        "            resume=earlier is not None,",
        "            resume=earlier is not None,  # x",
        ("tests/operator/test_restore.py",),
    )
    assert run([harmless], said.append) == 1
    assert (
        said[0].startswith("#0 harmless: drkit/restore.py broken -> its tests did NOT fail (exit 0:")
        and said[-1] == "guards: 0 of 1 broken rules failed their tests"
    )
