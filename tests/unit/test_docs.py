"""The docs stay true: their tables and figures are the code's, every page is reachable, every link resolves.

README.md is the door (the command table); docs/ holds the rest: the settings table
(docs/configuration.md), the layout tree and the diagram (docs/architecture.md), the emulator's patch
table (docs/emulator.md), the props tables of every public construct (docs/constructs/).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from constructs_lib.config.reference import settings_table
from tests.helpers import PROJECT_DIR

DOCS = PROJECT_DIR / "docs"
README = PROJECT_DIR / "README.md"
# Every Markdown page of the project's documentation (examples/ and the root pages included).
PAGES = sorted({README, PROJECT_DIR / "CHANGELOG.md", PROJECT_DIR / "SECURITY.md", *DOCS.rglob("*.md"), *(PROJECT_DIR / "examples").rglob("*.md")})
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
README_MAX_LINES = 250


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def between(text: str, marker: str) -> str:
    match = re.search(rf"<!-- {marker}:begin -->\n(.*?)\n<!-- {marker}:end -->", text, re.S)
    assert match, f"no {marker}:begin/end markers"
    return match.group(1)


def test_the_settings_table_is_the_model() -> None:
    assert between(read(DOCS / "configuration.md"), "settings") == settings_table(), (
        "docs/configuration.md's settings table differs from the model: paste `.venv/bin/python -m constructs_lib.config.reference`"
    )


def test_every_path_of_the_architecture_tree_exists() -> None:
    tree = between(read(DOCS / "architecture.md"), "layout")
    parents: list[str] = []
    missing = []
    for line in tree.splitlines():
        if not line.strip() or line.startswith("```"):
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        for path in line.split("  ")[0].strip().split(" + "):  # "a.py + b/" names two entries
            parents = [*parents[:depth], path]
            full = "".join(parents)
            if not any(PROJECT_DIR.glob(full.rstrip("/"))):
                missing.append(full)
    assert missing == [], "docs/architecture.md's layout names paths that do not exist"


def test_every_package_of_the_repository_is_in_the_architecture_tree() -> None:
    tree = between(read(DOCS / "architecture.md"), "layout")
    roots = {line.split()[0] for line in tree.splitlines() if line and not line.startswith((" ", "```"))}
    packages = {f"{p.parent.name}/" for p in PROJECT_DIR.glob("*/__init__.py")}
    assert packages - roots == set()


def test_every_emulator_patch_is_in_the_patch_table() -> None:
    import importlib

    from drkit_lab.emulator.patches import registry

    for module in registry.SERVICE_MODULES:
        importlib.import_module(f"drkit_lab.emulator.patches.{module}")
    table = between(read(DOCS / "emulator.md"), "patches")
    assert sorted(p.__name__ for p in registry.PATCHES if f"`{p.__name__}`" not in table) == []


def test_every_make_target_and_drkit_command_is_in_the_readme_s_command_table() -> None:
    from drkit.cli import COMMANDS

    makefile = read(PROJECT_DIR / "Makefile")
    targets = re.findall(r"^([a-z][a-z-]*):.*## ", makefile, re.M)
    table = between(read(README), "commands")
    assert [t for t in targets if f"`make {t}" not in table and t != "help"] == []
    assert [c for c in [*COMMANDS, "version"] if f"`drkit {c}" not in table] == []


def test_the_readme_is_a_door_not_the_manual() -> None:
    assert len(read(README).splitlines()) <= README_MAX_LINES


def test_the_architecture_diagram_is_drawn_from_the_dev_stack(shipped_dir: Path) -> None:
    """The figure is `make diagram ENV=dev`: a change to what dev deploys changes the picture, or this fails."""
    import json

    from drkit.diagram import render

    stack = json.loads((shipped_dir / "stacks" / "dr-dev" / "cdk.tf.json").read_text(encoding="utf-8"))
    assert between(read(DOCS / "architecture.md"), "diagram") == "```mermaid\n" + render(stack) + "\n```", (
        "docs/architecture.md's diagram differs from the dev stack: paste `make diagram ENV=dev`"
    )


def test_every_public_construct_has_a_page_with_its_generated_props_tables() -> None:
    import constructs_lib
    from constructs_lib.props import MARKER, render_page

    pages = sorted((DOCS / "constructs").glob("*.md"))
    documented = {match["name"] for page in pages for match in MARKER.finditer(read(page))}
    props = {name for name in constructs_lib.__all__ if name.endswith("Props")}
    assert props - documented == set(), "a public props class without a page in docs/constructs/"
    for page in pages:
        assert render_page(read(page)) == read(page), f"{page.name}: props tables differ from the code: run `python -m constructs_lib.props {page}`"


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", read(path), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", read(path), flags=re.S)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in links(page):
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        missing_anchor = bool(anchor) and resolved.suffix == ".md" and resolved.exists() and anchor not in anchors(resolved)
        if not resolved.exists() or missing_anchor:
            broken.append(target)
    assert broken == []


def test_every_page_is_reachable_from_the_readme() -> None:
    seen, queue = {README.resolve()}, [README]
    while queue:
        page = queue.pop()
        for target in links(page):
            file = target.partition("#")[0]
            resolved = (page.parent / file).resolve() if file else page
            if resolved.suffix == ".md" and resolved.exists() and resolved not in seen:
                seen.add(resolved)
                queue.append(resolved)
    assert sorted(str(p.relative_to(PROJECT_DIR)) for p in PAGES if p.resolve() not in seen) == []


def test_the_dr_role_trust_docs_say_what_tags_and_mfa_cannot_prove() -> None:
    """Principal tags include session tags, which override role tags (so an upstream sts:TagSession decides them), and
    aws:MultiFactorAuthPresent is not carried by a chained role session nor an IAM Identity Center session: each place
    that describes the DR role's trust conditions says so (IAM User Guide, "Passing session tags in AWS STS",
    "Configuring MFA-protected API access")."""
    from constructs_lib.dr_operations import DrOperationsConstruct

    places = {
        "dr_operations.py": DrOperationsConstruct._trust_conditions.__doc__ or "",
        "architecture.md": read(DOCS / "architecture.md"),
        "SECURITY.md": read(PROJECT_DIR / "SECURITY.md"),
    }
    for name, text in places.items():
        flat = " ".join(text.split())
        assert "sts:TagSession" in flat and "override" in flat, name
        assert "chained role session" in flat and "Identity Center" in flat, name


# The three-region `automatic` example of docs/architecture.md ("Recovery budget"): production's shape.
DOCUMENTED_AUTOMATIC = {
    "secondary_regions": ["us-west-2", "eu-west-1"],
    "failover": {"mode": "automatic"},
    "database": {"global_db_rpo_seconds": 30},
    "rto_target_seconds": 120,
}


def documented_budgets() -> set[str]:
    from constructs_lib.config import load_settings
    from tests.helpers import minimal_environment, parse_one

    budgets = [env.recovery_budget for env in load_settings(PROJECT_DIR, environ={}).environments]
    budgets.append(parse_one(minimal_environment(**DOCUMENTED_AUTOMATIC)).recovery_budget)
    return {line for b in budgets for line in (b.explain(), b.explain_database_name())}


@pytest.mark.parametrize("page", [README, DOCS / "architecture.md"], ids=lambda p: p.name)
def test_every_budget_line_in_the_docs_is_one_synth_prints(page: Path) -> None:
    """A budget quoted in the docs is the code's (the shipped environments' or the documented example's), never a stale copy."""
    quoted = [line for line in read(page).splitlines() if line.startswith(("RTO ", "db.<zone> answers"))]
    assert quoted, f"{page.name} quotes no recovery budget"
    printed = documented_budgets()
    stale = [line for line in quoted if line not in printed]
    assert not stale, f"{page.name}: budget lines synth does not print:\n" + "\n".join(stale)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_no_page_claims_what_the_reconciliation_does_not_do(page: Path) -> None:
    """Review of #23: not every failover records itself (ARC's ungraceful execution, the console do not), and the copy
    and the writer are in two regions, which one region's CA bundle cannot both verify."""
    text = " ".join(read(page).split())
    claims = [claim for claim in ("every failover records itself", "Every failover records itself", "CA bundle of the region") if claim in text]
    claims += re.findall(r"--ca-bundle [a-z]{2}(?:-[a-z]+)+-\d+-bundle\.pem", text)
    assert claims == [], claims
