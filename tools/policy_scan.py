"""checkov and an IAM linter on every synthesized stack, with drkit's suppressions, and a per-stack count.

Usage: ``python -m tools.policy_scan cdktf.out`` — prints passed/failed/suppressed per stack for
checkov, and documents/findings/suppressed per stack for the IAM linter (parliament, on every policy
document: ``tools/iam_lint.py``); exits 1 on any unsuppressed finding or stale suppression of either.
Both run from their own virtualenv (``.venv-checkov``): checkov's exact pins (boto3==1.35.49 among
them) must not drag the project's.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.checkov_suppressions import SUPPRESSIONS, Suppression

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHECKOV = PROJECT_DIR / ".venv-checkov" / "bin" / "checkov"


@dataclass
class StackResult:
    name: str
    passed: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (check, resource, title)
    suppressed: list[tuple[str, str, Suppression]] = field(default_factory=list)


def matching(check_id: str, resource: str, production: bool) -> Suppression | None:
    return next(
        (s for s in SUPPRESSIONS if s.check_id == check_id and fnmatch.fnmatch(resource, s.resources) and not (production and s.non_production_only)),
        None,
    )


def is_production(stack_dir: Path) -> bool:
    """From the stack's own default tags: the Environment tag tells the truth."""
    document = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    environments = {p["default_tags"][0]["tags"]["Environment"] for p in document["provider"]["aws"]}
    from constructs_lib.config.model import is_production as production_environment

    return any(production_environment(e) for e in environments)


def classify(name: str, report: dict[str, Any], production: bool = False) -> StackResult:
    result = StackResult(name=name, passed=int(report["summary"]["passed"]))
    for finding in report["results"].get("failed_checks", []):
        suppression = matching(finding["check_id"], finding["resource"], production)
        if suppression is None:
            result.failed.append((finding["check_id"], finding["resource"], finding.get("check_name", "")))
        else:
            result.suppressed.append((finding["check_id"], finding["resource"], suppression))
    return result


def scan_stack(stack_dir: Path) -> StackResult:
    completed = subprocess.run(
        # --quiet leaves passed checks out of the report; the summary still counts them.
        [str(CHECKOV), "-d", str(stack_dir), "--framework", "terraform_json", "-o", "json", "--quiet", "--skip-download"],
        capture_output=True,
        text=True,
        check=False,
    )
    if not completed.stdout.strip():
        raise RuntimeError(f"checkov produced no report for {stack_dir.name}: {completed.stderr.strip()[-500:]}")
    report = json.loads(completed.stdout)
    if isinstance(report, list):  # one report per framework; we ask for one
        report = report[0]
    return classify(stack_dir.name, report, is_production(stack_dir))


def main(argv: list[str]) -> int:
    outdir = Path(argv[0] if argv else "cdktf.out")
    if not CHECKOV.is_file():
        print(f"drkit: {CHECKOV} is missing; run `make install`", file=sys.stderr)
        return 2
    stacks = sorted(p for p in (outdir / "stacks").iterdir() if (p / "cdk.tf.json").is_file())
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(scan_stack, stacks))
    used = {s for r in results for _, _, s in r.suppressed}
    print("drkit checkov scan (terraform_json):")
    for result in results:
        print(f"  {result.name}: {result.passed} passed, {len(result.failed)} failed, {len(result.suppressed)} suppressed")
        for check, resource, title in result.failed:
            print(f"    FAILED {check} {resource}: {title}")
    stale = [s for s in SUPPRESSIONS if s not in used]
    for suppression in stale:
        print(f"  STALE suppression {suppression.check_id} {suppression.resources}: matches no finding; remove it")
    print(f"  {len(SUPPRESSIONS)} suppressions, each with its reason, in tools/checkov_suppressions.py")
    return 1 if stale or any(r.failed for r in results) or iam_lint_failed(stacks) else 0


def iam_lint_failed(stacks: list[Path]) -> bool:
    """The IAM linter on every policy document of every stack; True when any finding is unsuppressed or any suppression stale."""
    from tools.iam_lint import lint_stacks
    from tools.iam_lint_suppressions import SUPPRESSIONS as LINT_SUPPRESSIONS

    results = lint_stacks(stacks, {stack.name: is_production(stack) for stack in stacks})
    print("drkit IAM lint (parliament: the Service Authorization Reference's resource types, actions, conditions):")
    for result in results:
        print(f"  {result.name}: {result.documents} policy documents, {len(result.failed)} findings, {len(result.suppressed)} suppressed")
        for finding in result.failed:
            print(f"    FAILED {finding.issue} ({finding.severity}) {finding.address}: {finding.detail}")
    used = {s for r in results for _, s in r.suppressed}
    stale = [s for s in LINT_SUPPRESSIONS if s not in used]
    for suppression in stale:
        print(f"  STALE suppression {suppression.issue} {suppression.documents}: matches no finding; remove it")
    print(f"  {len(LINT_SUPPRESSIONS)} suppressions, each with its reason, in tools/iam_lint_suppressions.py")
    return bool(stale) or any(r.failed for r in results)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
