"""Drift: what changed in AWS behind Terraform's back. ``make drift ENV=<env>``.

A refresh-only plan (``terraform plan -refresh-only -detailed-exitcode``) reads every resource and
compares it with the state, changing nothing. The summary names each drifted resource and the
attributes that differ (values are not printed: they may be sensitive); a difference of
representation only (null against an empty map) is not drift. Exit codes: 0 no drift,
2 drift (as ``-detailed-exitcode``: a scheduled pipeline alerts on it), 1 error.

An attribute a resource's ``lifecycle.ignore_changes`` names is not drift either: a refresh-only plan
reports it (Terraform applies ``ignore_changes`` when it plans changes, not when it refreshes), but
the stack has said it belongs to someone else: the members' replication attributes to the global
database's role changes, the monitor's state parameter to the monitor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_lib.naming import stack_name
from drkit.terraform import Locator, NoStack, TerraformError, run, stack_workdir

PLAN = "drift.tfplan"


@dataclass(frozen=True)
class Drifted:
    address: str
    action: str  # update | delete (gone out of band)
    attributes: tuple[str, ...]


def normal(value: Any) -> Any:
    """Null, empty maps and empty lists are the same absence (the provider reads ``tags`` back as ``{}``
    where the state holds null: that is not a change anyone made)."""
    if isinstance(value, dict):
        value = {k: normal(v) for k, v in value.items()}
        value = {k: v for k, v in value.items() if v is not None}
    elif isinstance(value, list):
        value = [normal(v) for v in value]
    return value if value not in ({}, [], "") else None


def changed_attributes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[str, ...]:
    before, after = before or {}, after or {}
    return tuple(sorted(key for key in set(before) | set(after) if normal(before.get(key)) != normal(after.get(key))))


def configured_attributes(plan: Mapping[str, Any]) -> dict[str, set[str]]:
    """address -> the attributes its configuration sets (what the stack manages; the rest is AWS's to compute)."""
    resources = (plan.get("configuration") or {}).get("root_module", {}).get("resources", [])
    return {r["address"]: set((r.get("expressions") or {}).keys()) for r in resources}


def ignored_attributes(stack_dir: Path) -> dict[str, set[str]]:
    """address -> the attributes its ``lifecycle.ignore_changes`` names, from the synthesized stack
    (``all`` ignores every attribute; a nested path ignores its top-level attribute, coarser than
    Terraform but never a false alarm). ``terraform show -json`` does not carry lifecycle settings."""
    document = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for kind, resources in (document.get("resource") or {}).items():
        for name, body in resources.items():
            ignore = (body.get("lifecycle") or {}).get("ignore_changes") or []
            if ignore:
                found[f"{kind}.{name}"] = {"*"} if ignore == "all" or "all" in ignore else {str(a).split(".")[0].split("[")[0] for a in ignore}
    return found


def drift_of(plan: Mapping[str, Any], ignored: Mapping[str, set[str]] | None = None) -> list[Drifted]:
    """The ``resource_drift`` of a refresh-only plan (``terraform show -json``), limited to what the
    configuration sets: an attribute AWS computes (an EIP's association, a role's attached policies
    listed back) changing is not drift; a configured threshold changed by hand is."""
    configured = configured_attributes(plan)
    found = []
    for entry in plan.get("resource_drift") or []:
        change = entry.get("change", {})
        actions = change.get("actions", [])
        if actions == ["no-op"]:
            continue
        action = "delete" if "delete" in actions else "update"
        attributes = changed_attributes(change.get("before"), change.get("after"))
        managed = configured.get(entry["address"])
        if managed is not None:
            attributes = tuple(a for a in attributes if a in managed)
        skip = (ignored or {}).get(entry["address"], set())
        if "*" in skip:
            continue
        attributes = tuple(a for a in attributes if a not in skip)
        if action == "update" and not attributes:
            continue  # only representation differed
        found.append(Drifted(entry["address"], action, attributes))
    return found


def render(env_name: str, drifted: list[Drifted]) -> str:
    if not drifted:
        return f"drift {stack_name(env_name)}: none: AWS matches the state"
    lines = [f"drift {stack_name(env_name)}: {len(drifted)} resource(s) changed outside Terraform"]
    for item in drifted:
        what = "deleted out of band" if item.action == "delete" else f"changed: {', '.join(item.attributes) or '?'}"
        lines.append(f"  {item.address}: {what}")
    lines.append("  next: `make plan` shows what applying the configuration would restore;")
    lines.append("  if the change was intended, change the configuration instead")
    return "\n".join(lines)


PASSWORD_VARIABLE = "TF_VAR_db_master_password"
# Terraform wants every input variable without a default, even for a refresh-only plan. The master
# password is ephemeral and reaches AWS only through write-only arguments, which a refresh-only plan
# never applies, so a scheduled drift check needs no access to the real one.
REFRESH_ONLY_PASSWORD = "refresh-only-never-applied-0"


def detect(stack_dir: Path, extra: Mapping[str, str]) -> list[Drifted]:
    if PASSWORD_VARIABLE not in extra and PASSWORD_VARIABLE not in os.environ:
        extra = {**extra, PASSWORD_VARIABLE: REFRESH_ONLY_PASSWORD}
    run(["init", "-input=false"], stack_dir, extra)
    run(["plan", "-refresh-only", "-input=false", f"-out={PLAN}"], stack_dir, extra)
    return drift_of(json.loads(run(["show", "-json", PLAN], stack_dir, extra)), ignored_attributes(stack_dir))


def main(argv: list[str] | None = None, locate: Locator = stack_workdir) -> int:
    """``drkit drift``; ``locate`` finds the stack (the local lab passes the emulator's)."""
    parser = argparse.ArgumentParser(prog="drkit drift", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--outdir", default="cdktf.out", help="the synthesized output (default: ./cdktf.out)")
    args = parser.parse_args(argv)
    try:
        stack_dir, extra = locate(args.env, Path(args.outdir))
        drifted = detect(stack_dir, extra)
    except NoStack as missing:
        print(f"drkit: {missing}", file=sys.stderr)
        return 1
    except TerraformError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 1
    print(render(args.env, drifted))
    return 2 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
