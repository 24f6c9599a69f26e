"""``terraform init -backend=false`` + ``terraform validate`` on every synthesized stack.

Usage: ``python -m tools.validate cdktf.out``. Prints, per stack, the resource counts by type
and region and the validation verdict; exits non-zero when any stack is invalid.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from constructs_lib.synth import resource_counts
from drkit.terraform import TerraformError, run


def validate_stack(stack_dir: Path) -> str:
    run(["init", "-backend=false", "-input=false"], stack_dir)
    return run(["validate"], stack_dir)


def describe(stack_dir: Path) -> list[str]:
    document = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    regions = {p["alias"]: p["region"] for p in document["provider"]["aws"]}
    counts = resource_counts(document)
    per_region: Counter[str] = Counter()
    for (_, alias), n in counts.items():
        per_region[regions.get(alias, alias)] += n
    by_type: Counter[str] = Counter()
    for (rtype, _), n in counts.items():
        by_type[rtype] += n
    lines = [f"  {stack_dir.name}: {sum(counts.values())} resources; " + ", ".join(f"{r} {n}" for r, n in sorted(per_region.items()))]
    lines.append("    " + ", ".join(f"{t.removeprefix('aws_')} {n}" for t, n in sorted(by_type.items())))
    return lines


def main(argv: list[str]) -> int:
    outdir = Path(argv[0] if argv else "cdktf.out")
    stack_dirs = sorted(p for p in (outdir / "stacks").iterdir() if (p / "cdk.tf.json").is_file())
    if not stack_dirs:
        print(f"drkit: no stacks in {outdir}; run `make synth` first", file=sys.stderr)
        return 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_safe_validate, stack_dirs))
    failed = 0
    print(f"drkit: terraform validate of {len(stack_dirs)} stack(s)")
    for stack_dir, error in zip(stack_dirs, results, strict=True):
        print("\n".join(describe(stack_dir)))
        print(f"    validate: {'OK' if error is None else 'FAILED'}")
        if error is not None:
            failed += 1
            print(error, file=sys.stderr)
    return 1 if failed else 0


def _safe_validate(stack_dir: Path) -> str | None:
    try:
        validate_stack(stack_dir)
    except TerraformError as error:
        return str(error)
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
