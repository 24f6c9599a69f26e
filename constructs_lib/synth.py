"""Atomic synthesis: build every stack in a temporary folder, then swap it into place."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from constructs_lib.config import ConfigError, Settings


class SynthError(RuntimeError):
    """Synthesis failed; the previous output folder is untouched."""


def synthesize(settings: Settings, outdir: Path) -> str:
    """Synthesize ``settings`` into ``outdir`` and return a readable summary."""
    from cdktf import App

    from constructs_lib.stack import DrStack

    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    warnings: list[str] = []
    try:
        app = App(outdir=str(staging))
        for env in settings.environments:
            try:
                stack = DrStack(app, env)
            except ValueError as error:  # props validation inside constructs
                raise ConfigError(f"{env.name}: {error}") from None
            warnings.extend(f"  {env.stack_name}: warning {finding}" for finding in stack.policy.findings)
            warnings.extend(f"  {env.stack_name}: warning {warning}" for warning in stack.warnings)
        try:
            app.synth()
        except Exception as error:  # jsii surfaces validation failures as generic errors
            lines = [line for line in str(error).splitlines() if line.strip()]
            policy = [line.strip() for line in lines if "drkit policy" in line]
            raise SynthError("; ".join(policy) if policy else lines[0]) from None
        _swap_into_place(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return "\n".join([summarize(outdir, settings), *warnings])


def _swap_into_place(staging: Path, outdir: Path) -> None:
    retired = outdir.with_name(f".{outdir.name}.retired")
    shutil.rmtree(retired, ignore_errors=True)
    if outdir.exists():
        outdir.rename(retired)
    staging.rename(outdir)
    shutil.rmtree(retired, ignore_errors=True)


def stack_json(outdir: Path, stack_name: str) -> dict[str, Any]:
    return json.loads((outdir / "stacks" / stack_name / "cdk.tf.json").read_text(encoding="utf-8"))


def resource_counts(document: dict[str, Any]) -> Counter[tuple[str, str]]:
    """(resource type, provider alias) -> count, from a synthesized stack."""
    counts: Counter[tuple[str, str]] = Counter()
    resources = document.get("resource")
    for rtype, items in (resources if isinstance(resources, dict) else {}).items():
        for body in items.values():
            alias = str(body.get("provider", "aws")).split(".")[-1]
            counts[(rtype, alias)] += 1
    return counts


def summarize(outdir: Path, settings: Settings) -> str:
    lines = [f"drkit: synthesized {len(settings.environments)} stack(s) into {outdir} (from {settings.source})"]
    for env in settings.environments:
        document = stack_json(outdir, env.stack_name)
        counts = resource_counts(document)
        by_alias = Counter[str]()
        for (_, alias), n in counts.items():
            by_alias[alias] += n
        regions = ", ".join(f"{alias}={n}" for alias, n in sorted(by_alias.items()))
        lines.append(
            f"  {env.stack_name}: {sum(counts.values())} resources ({regions}); "
            f"regions {env.primary_region} -> {', '.join(env.secondary_regions)}; "
            f"aurora-postgresql {env.engine.version}; "
            f"{'protected (production)' if env.is_production else 'destroyable'}"
        )
        lines.append(f"    recovery budget: {env.recovery_budget.explain()}")
        lines.append(f"    database name: {env.recovery_budget.explain_database_name()}")
    return "\n".join(lines)
