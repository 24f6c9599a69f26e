"""Every safety rule's test can fail: break one rule at a time in a scratch copy, run the test that guards it.

A test that stays green when the rule it guards is removed proves nothing. Each :class:`Guard` names one
rule of drkit (the switchover refuses an unsynchronized member, the automation's quorum, latch and lag
rule, the DR role's required resource types, the preserved copy, "unaccounted: 0" only when true, the
product apart from the lab...), the smallest edit that breaks it, and the tests that must then fail.
This tool copies the checkout to a scratch folder (the checkout is never edited), applies each edit
alone, runs its tests there with this interpreter, and prints what failed. It exits 1 when a broken rule
leaves its tests green, or when an edit no longer applies (the catalog must follow the code:
``tests/tools/test_guards.py`` checks every edit applies exactly once).

Usage: ``make guards`` or ``python -m tools.guards [name ...]`` (about two minutes for all of them; the
data-plane guard needs PostgreSQL, ``make install-lab``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# What a copy does not need or links instead of copying (the installs are read-only to a test run).
LEFT_OUT = (".git", ".venv", ".venv-checkov", "node_modules", ".drkit", "cdktf.out", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")
LINKED = (".venv-checkov", "node_modules")


@dataclass(frozen=True)
class Guard:
    """One rule, the edit that breaks it, and the tests that must fail then."""

    name: str
    issue: int
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


GUARDS: tuple[Guard, ...] = (
    Guard(
        "fis-one-action", 22, "drkit/fis_gameday.py",
        "    for name, action in sorted(actions.items()):",
        "    (only,) = actions.items()  # the template assumed to have one action\n    for name, action in [only]:",
        ("tests/emulator/test_gameday_aws.py::test_the_dry_run_reads_every_action_and_target_of_the_template_the_stack_synthesizes",),
    ),
    Guard(
        "restore-without-option-group", 22, "constructs_lib/dr_operations.py",
        "                *(s.parameter_group_arn for s in scopes),\n                *default_groups(account_id, scopes, \"og\"),\n",
        "                *(s.parameter_group_arn for s in scopes),\n",
        ("tests/emulator/test_dr_role.py::test_the_synthesized_dr_role_restores_and_discards",
         "tests/tools/test_iam_lint.py::test_the_shipped_dr_role_lints_clean"),
    ),
    Guard(
        "restore-not-resumed", 22, "drkit/restore.py",
        "            resume=earlier is not None,", "            resume=False,",
        ("tests/emulator/test_dr_role.py::test_a_restore_that_outlives_the_tool_resumes_to_its_instance",),
    ),
    Guard(
        "switchover-ignores-synchronization", 22, "functions/failover/logic.py",
        "m.synchronization is not None and m.synchronization != SYNCHRONIZED]\n        if unsynchronized:",
        "m.synchronization is not None and m.synchronization != SYNCHRONIZED]\n        if False:",
        ("tests/unit/test_failover_logic.py::test_a_switchover_waits_until_every_member_is_connected",),
    ),
    Guard(
        "vault-not-state", 22, "drkit/plan_review.py", '        "aws_backup_vault",\n', "",
        ("tests/operator/test_plan_review.py::test_a_backup_vault_is_state_in_production",),
    ),
    Guard(
        "production-trusts-the-account", 22, "constructs_lib/config/loader.py",
        "    if env.is_production and ((not trusted and not patterns) or", "    if False and ((not trusted and not patterns) or",
        ("tests/unit/test_config.py",),
    ),
    Guard(
        "concurrency-quota-not-checked", 22, "constructs_lib/lambda_quota.py",
        'condition=f"${{self.value >= {needed}}}"', 'condition="${self.value >= 0}"',
        ("tests/emulator/test_quotas.py::test_a_new_accounts_quota_stops_the_plan_with_the_reason",),
    ),
    Guard(
        "backup-inside-the-backup-window", 22, "constructs_lib/config/model.py", '"cron(0 7 * * ? *)",', '"cron(0 3 * * ? *)",',
        ("tests/unit/test_backup_window.py",),
    ),
    Guard(
        "conflict-replayed", 23, "drkit/reconcile/ledger.py",
        "            outcomes.append(_lost(transfer, Outcome.CONFLICT, reason))\n",
        "            outcomes.append(_lost(transfer, Outcome.REPLAYED if execute else Outcome.REPLAYABLE, reason))\n",
        ("tests/dataplane/test_point_of_failure.py::test_lost_transfers_are_preserved_reconciled_and_replayed_exactly_once",),
    ),
    Guard(
        "snapshot-not-copied", 23, "functions/replication_monitor/preserve.py",
        "            rds.copy_db_cluster_snapshot(**request)\n", "            pass\n",
        ("tests/emulator/test_point_of_failure.py::test_the_monitor_preserves_with_exactly_its_grants",),
    ),
    Guard(
        "unaccounted-0-regardless", 23, "drkit/reconcile/evidence.py",
        '        return "0" if self.unaccounted_reason is None else', '        return "0" if True else',
        ("tests/unit/test_point_of_failure.py::test_the_report_accounts_or_says_why_not",),
    ),
    Guard(
        "quorum-of-one", 24, "functions/failover/automation_logic.py", "needed=len(observers) // 2 + 1)", "needed=1)",
        ("tests/unit/test_automation_logic.py::test_quorum_is_a_strict_majority_of_the_observers",
         "tests/integration/test_failover_automation_moto.py::test_no_quorum_no_failover_and_a_page"),
    ),
    Guard(
        "no-latch", 24, "functions/failover/automation_logic.py",
        "    if s.mode is FailoverMode.AUTOMATIC and s.latches:", "    if False:",
        ("tests/unit/test_automation_logic.py::test_a_latch_refuses_a_second_automatic_failover",
         "tests/integration/test_failover_automation_moto.py::test_quorum_fails_over_once_and_latches"),
    ),
    Guard(
        "no-lag-rule", 24, "functions/failover/automation_logic.py",
        '    if lag_problem is not None:\n        reason = f"the writer in', '    if False:\n        reason = f"the writer in',
        ("tests/unit/test_automation_logic.py::test_the_lag_rule_refuses_a_target_beyond_the_rpo_budget",
         "tests/integration/test_failover_automation_moto.py::test_lag_above_the_rpo_budget_refuses_and_pages_the_command"),
    ),
    Guard(
        "one-path-judges-the-writer-lost", 24, "functions/writer_probe/logic.py",
        "        return not self.data_path_up and self.api_up is False", "        return not self.data_path_up",
        ("tests/unit/test_writer_probe_logic.py::test_lost_needs_both_paths_to_fail",),
    ),
    Guard(
        "product-imports-the-lab", 25, "drkit/runbook.py",
        "from __future__ import annotations\n", "from __future__ import annotations\n\nimport drkit_lab.emulator  # noqa: F401\n",
        ("tests/unit/test_import_boundaries.py",),
    ),
    Guard(
        "import-changes-the-environment", 25, "constructs_lib/__init__.py",
        "from __future__ import annotations\n",
        'from __future__ import annotations\n\nimport os as _os\n\n_os.environ["NODE_OPTIONS"] = "--max-old-space-size=4096"\n',
        ("tests/constructs/test_public_api.py::test_importing_the_package_loads_no_jsii_and_changes_no_environment",),
    ),
)  # fmt: skip


class GuardError(Exception):
    pass


def applied(guard: Guard, root: Path = PROJECT_DIR) -> str:
    """The text of ``guard.path`` under ``root`` with the rule broken; the edit must apply exactly once."""
    text = (root / guard.path).read_text(encoding="utf-8")
    count = text.count(guard.old)
    if count != 1:
        raise GuardError(f"guard {guard.name}: the text to break occurs {count} times in {guard.path} (the catalog must follow the code)")
    return text.replace(guard.old, guard.new)


def scratch_copy(destination: Path) -> Path:
    shutil.copytree(PROJECT_DIR, destination, ignore=shutil.ignore_patterns(*LEFT_OUT), symlinks=True)
    for name in LINKED:
        if (PROJECT_DIR / name).exists():
            (destination / name).symlink_to(PROJECT_DIR / name)
    rc = PROJECT_DIR / ".drkit" / "terraformrc"  # the provider mirror (tools/terraform_setup.py): tests read it from the project
    if rc.is_file():
        (destination / ".drkit").mkdir()
        shutil.copy2(rc, destination / ".drkit" / "terraformrc")
    return destination


def failures(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("E ", "FAILED", "ERROR"))][:6]


def run(guards: Sequence[Guard], say: Callable[[str], None] = print) -> int:
    held = 0
    with tempfile.TemporaryDirectory(prefix="drkit-guards-") as folder:
        root = scratch_copy(Path(folder) / "drkit")
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        for guard in guards:
            original = (root / guard.path).read_text(encoding="utf-8")
            (root / guard.path).write_text(applied(guard, root), encoding="utf-8")
            started = time.monotonic()
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *guard.tests],
                    cwd=root, env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
            finally:
                (root / guard.path).write_text(original, encoding="utf-8")
            seconds = time.monotonic() - started
            if done.returncode == 1:
                say(f"#{guard.issue} {guard.name}: {guard.path} broken -> its tests FAIL ({seconds:.0f} s)")
                for line in failures(done.stdout):
                    say(f"    {line[:240]}")
            else:
                held += 1
                summary = (done.stdout.strip().splitlines() or [""])[-1]
                say(f"#{guard.issue} {guard.name}: {guard.path} broken -> its tests did NOT fail (exit {done.returncode}: {summary})")
    say(f"guards: {len(guards) - held} of {len(guards)} broken rules failed their tests")
    return 1 if held else 0


def main(argv: Sequence[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv)
    known = {g.name: g for g in GUARDS}
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"guards: unknown guard {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    try:
        return run([known[n] for n in names] if names else GUARDS)
    except GuardError as error:
        print(f"guards: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
