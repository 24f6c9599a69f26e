"""The product apart from the lab: who may import whom, read from the source (every import, at any depth).

* ``drkit/`` (the operator's tool, run against AWS in an incident) imports nothing of the lab
  (``drkit_lab``: the emulator, the data plane, the local game day), of this repository's ``tools``
  or ``tests``, nor the lab's own dependencies (moto, psycopg), with one exception: ``drkit/reconcile`` connects to
  the databases after a lossy failover, with psycopg (the ``reconcile`` extra).
* ``constructs_lib/`` and ``functions/`` (the library and the Lambda sources, shipped in the wheel)
  import neither the operator's tool nor the lab: a library does not depend on its users.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import PROJECT_DIR

RULES = {
    "drkit": ("drkit_lab", "tools", "tests", "moto", "psycopg"),
    "constructs_lib": ("drkit", "drkit_lab", "tools", "tests", "moto", "psycopg"),
    "functions": ("constructs_lib", "drkit", "drkit_lab", "tools", "tests", "moto", "psycopg"),
}
# (package, forbidden module) -> the folder of that package allowed to import it anyway, and why.
EXCEPTIONS = {("drkit", "psycopg"): "drkit/reconcile/"}  # the reconciliation logs in to both databases: the `reconcile` extra


def imported_modules(path: Path, root: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path`` (a module of ``root/package``), function-level ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module_parts = [package, *path.relative_to(root / package).with_suffix("").parts]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = module_parts[: len(module_parts) - node.level]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def violations(package: str, forbidden: tuple[str, ...], root: Path = PROJECT_DIR) -> list[str]:
    found = []
    for path in sorted((root / package).rglob("*.py")):
        for line, module in imported_modules(path, root, package):
            allowed = EXCEPTIONS.get((package, module.split(".")[0]))
            if module.split(".")[0] in forbidden and not (allowed and str(path.relative_to(root)).startswith(allowed)):
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(RULES))
def test_the_product_imports_nothing_of_the_lab(package: str) -> None:
    assert violations(package, RULES[package]) == []


def test_the_scan_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    """The scan itself: an import inside a function counts, a relative import is resolved."""
    (tmp_path / "drkit").mkdir()
    probe = tmp_path / "drkit" / "probe.py"
    probe.write_text("def f():\n    from drkit_lab.emulator import process\n\nfrom . import terraform\n", encoding="utf-8")
    assert sorted(imported_modules(probe, tmp_path, "drkit")) == [(2, "drkit_lab.emulator"), (4, "drkit")]
    assert violations("drkit", RULES["drkit"], root=tmp_path) == ["drkit/probe.py:2 imports drkit_lab.emulator"]
