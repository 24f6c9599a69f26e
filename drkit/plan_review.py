"""Plan review: ``make plan ENV=<env>`` runs ``terraform plan``, saves it, and reviews it.

The review counts create/update/replace/destroy per resource type and region and refuses (exit 3):

* in production, a plan that replaces or destroys a stateful resource (global cluster, clusters,
  instances, KMS keys, secrets, buckets, backup vaults and their locks), unless each address is named
  with ``--allow-destroy``;
* in every environment, an in-place update of ``global_cluster_identifier`` or
  ``replication_source_identifier`` on an ``aws_rds_cluster``: the provider turns the first into
  RemoveFromGlobalCluster and setting the second to null into PromoteReadReplicaDBCluster
  (internal/service/rds/cluster.go), both of which split the global database (name the address
  with ``--allow-membership-change`` for a deliberate detach);
* in every environment, creating an Aurora cluster or changing its engine version while the plan's
  ``engine_version_*`` check says AWS no longer offers that version for global databases.

Before planning (not with ``--plan-json``), it reads Lambda's unreserved concurrency in every region and
refuses (exit 3) when the concurrency the stack reserves would not fit (``drkit.lambda_concurrency``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_lib.config.model import is_production
from constructs_lib.naming import stack_name
from drkit.terraform import Locator, NoStack, TerraformError, run, stack_workdir

STATEFUL_TYPES = frozenset(
    {
        "aws_rds_global_cluster",
        "aws_rds_cluster",
        "aws_rds_cluster_instance",
        "aws_kms_key",
        "aws_secretsmanager_secret",
        "aws_s3_bucket",
        # A vault holding recovery points cannot be deleted ("A vault can be deleted only if it is empty", AWS Backup
        # API, DeleteBackupVault), nor a compliance lock once immutable: a plan that destroys or replaces either
        # fails half-way through the apply, and loses the backups a corruption incident needs.
        "aws_backup_vault",
        "aws_backup_vault_lock_configuration",
    }
)
MEMBERSHIP_ATTRIBUTES = ("global_cluster_identifier", "replication_source_identifier")
ENGINE_TYPES = frozenset({"aws_rds_cluster", "aws_rds_global_cluster"})


def action_of(actions: list[str]) -> str:
    if actions in (["no-op"], ["read"]):
        return "no-op"
    if "delete" in actions and "create" in actions:
        return "replace"
    return {"create": "create", "update": "update", "delete": "destroy"}.get(actions[0], actions[0])


@dataclass(frozen=True)
class Review:
    counts: Counter[tuple[str, str, str]]  # (action, type, region) -> n
    stateful_losses: tuple[tuple[str, str], ...]  # (address, action)
    blocked: tuple[str, ...] = field(default=())  # production: stateful destroy/replace not allowed
    membership_changes: tuple[tuple[str, str, object, object], ...] = field(default=())  # (address, attribute, before, after)
    membership_blocked: tuple[str, ...] = field(default=())
    engine_refusal: str | None = None

    @property
    def refused(self) -> bool:
        return bool(self.blocked or self.membership_blocked or self.engine_refusal)

    def render(self, environment: str) -> str:
        lines = [f"drkit plan review for {environment}:"]
        if not self.counts:
            lines.append("  no changes")
        for (action, rtype, region), n in sorted(self.counts.items()):
            lines.append(f"  {action:<8} {n:>3}  {rtype}  ({region})")
        if self.stateful_losses:
            lines.append("  stateful resources that would lose data:")
            lines.extend(f"    {action:<8} {address}" for address, action in self.stateful_losses)
        if self.membership_changes:
            lines.append("  global database membership changes (each splits the global database):")
            lines.extend(f"    {address}: {attribute} {before!r} -> {after!r}" for address, attribute, before, after in self.membership_changes)
        if self.blocked:
            lines.append(
                "  REFUSED: this plan destroys or replaces stateful resources in production. "
                "Re-run with --allow-destroy for each address only if that is intended: " + " ".join(self.blocked)
            )
        if self.membership_blocked:
            lines.append(
                "  REFUSED: this plan would detach or promote members of the global database (see the membership changes above). "
                "After a switchover this means a member is missing ignore_changes; for a deliberate detach re-run with "
                "--allow-membership-change for each address: " + " ".join(self.membership_blocked)
            )
        if self.engine_refusal:
            lines.append(f"  REFUSED: {self.engine_refusal}")
        return "\n".join(lines)

    def markdown(self, environment: str) -> str:
        """The same review as a pull-request comment: a verdict first, then what to look at."""
        verdict = "**Refused**: this plan must not be applied as it is." if self.refused else "**Allowed** by the drkit plan review."
        lines = [f"### drkit plan review: `{stack_name(environment)}`", "", verdict, ""]
        if not self.counts:
            lines += ["No changes: the deployment matches the configuration.", ""]
        else:
            lines += ["| action | resources | type | region |", "| --- | ---: | --- | --- |"]
            for (action, rtype, region), n in sorted(self.counts.items()):
                mark = " ⚠️" if action in ("replace", "destroy") and rtype in STATEFUL_TYPES else ""
                lines.append(f"| {action}{mark} | {n} | `{rtype}` | {region} |")
            lines.append("")
        if self.stateful_losses:
            lines += ["#### Stateful resources that would lose data", ""]
            lines += [f"- **{action}** `{address}`" for address, action in self.stateful_losses]
            lines.append("")
        if self.membership_changes:
            lines += ["#### Global database membership changes (each splits the global database)", ""]
            lines += [f"- `{address}`: `{attribute}` {before!r} → {after!r}" for address, attribute, before, after in self.membership_changes]
            lines.append("")
        refusals = []
        if self.blocked:
            refusals.append("production stateful resources would be destroyed or replaced: " + ", ".join(f"`{a}`" for a in self.blocked))
        if self.membership_blocked:
            refusals.append("members of the global database would be detached or promoted: " + ", ".join(f"`{a}`" for a in self.membership_blocked))
        if self.engine_refusal:
            refusals.append(self.engine_refusal)
        if refusals:
            lines += ["#### Why it is refused", "", *[f"- {reason}" for reason in refusals], ""]
            lines.append("Allow a deliberate change explicitly, address by address (`--allow-destroy`, `--allow-membership-change`).")
        return "\n".join(lines).rstrip() + "\n"


def provider_regions(plan: dict[str, Any]) -> dict[str, str]:
    """address -> region, from the provider configuration each resource uses."""
    configuration = plan.get("configuration", {})
    regions = {
        key: str(body.get("expressions", {}).get("region", {}).get("constant_value", "?"))
        for key, body in configuration.get("provider_config", {}).items()
    }
    resources = configuration.get("root_module", {}).get("resources", [])
    return {r["address"]: regions.get(r.get("provider_config_key", ""), "?") for r in resources}


def failed_engine_checks(plan: dict[str, Any]) -> list[str]:
    """Names of the plan's ``engine_version_*`` checks that failed (AWS no longer offers the version)."""
    failed = []
    for check in plan.get("checks", []):
        address = check.get("address", {})
        name = str(address.get("name", ""))
        if address.get("kind") == "check" and name.startswith("engine_version_") and check.get("status") == "fail":
            failed.append(name)
    return failed


def review(plan: dict[str, Any], environment: str, allowed: frozenset[str] = frozenset(), allowed_membership: frozenset[str] = frozenset()) -> Review:
    regions = provider_regions(plan)
    counts: Counter[tuple[str, str, str]] = Counter()
    losses: list[tuple[str, str]] = []
    membership: list[tuple[str, str, object, object]] = []
    engine_changes: list[str] = []
    for change in plan.get("resource_changes", []):
        action = action_of(change["change"]["actions"])
        if action == "no-op":
            continue
        address = change["address"]
        config_address = address.split("[")[0]
        counts[(action, change["type"], regions.get(config_address, "?"))] += 1
        if action in ("destroy", "replace") and change["type"] in STATEFUL_TYPES:
            losses.append((address, action))
        before, after = change["change"].get("before") or {}, change["change"].get("after") or {}
        if action == "update" and change["type"] == "aws_rds_cluster":
            membership += [(address, a, before.get(a), after.get(a)) for a in MEMBERSHIP_ATTRIBUTES if before.get(a) != after.get(a)]
        if change["type"] in ENGINE_TYPES and (action in ("create", "replace") or before.get("engine_version") != after.get("engine_version")):
            engine_changes.append(address)
    blocked = tuple(a for a, _ in losses if a not in allowed) if is_production(environment) else ()
    membership_blocked = tuple(dict.fromkeys(a for a, *_ in membership if a not in allowed_membership))
    failed = failed_engine_checks(plan)
    engine_refusal = None
    if failed and engine_changes:
        engine_refusal = (
            f"the plan creates or changes the engine version of {', '.join(engine_changes)} while {', '.join(failed)} failed: "
            "AWS no longer offers that aurora-postgresql version for global databases; choose another aurora_engine_version "
            "(`make refresh-engine-versions` updates the catalog)"
        )
    return Review(
        counts=counts,
        stateful_losses=tuple(losses),
        blocked=blocked,
        membership_changes=tuple(membership),
        membership_blocked=membership_blocked,
        engine_refusal=engine_refusal,
    )


def lambda_preflight(args: argparse.Namespace, env: Any, stack_dir: Path, extra: dict[str, str]) -> int | None:
    """Lambda's unreserved concurrency in every region against what the stack reserves (``drkit.lambda_concurrency``):
    the exit code when the plan must not go on (3 refused, 1 not readable), None when every region has room."""
    from drkit.lambda_concurrency import PreflightError, boto3_clients, refusal, reservations

    stack = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    try:
        refused = refusal(reservations(stack), boto3_clients(extra, env.primary_region, env.deploy_role_arn, env.names.deploy_session))
    except PreflightError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 1
    if refused is None:
        return None
    print(f"drkit plan review for {args.env}:\n  REFUSED: {refused}")
    if args.markdown:
        comment = f"### drkit plan review: `{stack_name(args.env)}`\n\n**Refused** before planning: {refused}\n"
        Path(args.markdown).write_text(comment, encoding="utf-8")
    return 3


def main(argv: list[str] | None = None, locate: Locator = stack_workdir) -> int:
    """``drkit plan``: configuration from ``cdktf.json`` (or ``$DR_CONFIG``) of the current directory;
    ``locate`` finds the stack (the local lab passes the emulator's)."""
    parser = argparse.ArgumentParser(prog="drkit plan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True, help="environment name (stack dr-<env>)")
    parser.add_argument("--outdir", default="cdktf.out", help="the synthesized output (default: ./cdktf.out)")
    parser.add_argument("--allow-destroy", action="append", default=[], metavar="ADDRESS")
    parser.add_argument("--allow-membership-change", action="append", default=[], metavar="ADDRESS")
    parser.add_argument("--plan-json", help="review an existing `terraform show -json` file instead of planning")
    parser.add_argument("--markdown", metavar="FILE", help="also write the review as Markdown (a pull-request comment) to FILE")
    args = parser.parse_args(argv)
    from constructs_lib.config import ConfigError, load_settings

    try:
        env = load_settings(Path.cwd()).get(args.env)
    except ConfigError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 2
    environment = env.environment
    if args.plan_json:
        plan = json.loads(Path(args.plan_json).read_text(encoding="utf-8"))
    else:
        try:
            stack_dir, extra = locate(args.env, Path(args.outdir))
        except NoStack as missing:
            print(f"drkit: {missing}", file=sys.stderr)
            return 2
        if "TF_VAR_db_master_password" not in {**os.environ, **extra}:
            print("drkit: set TF_VAR_db_master_password (it is only sent through write-only arguments)", file=sys.stderr)
            return 2
        stopped = lambda_preflight(args, env, stack_dir, extra)
        if stopped is not None:
            return stopped
        try:
            run(["init", "-input=false"], stack_dir, extra)
            run(["plan", "-input=false", "-out=drkit.tfplan"], stack_dir, extra)
            plan = json.loads(run(["show", "-json", "drkit.tfplan"], stack_dir, extra))
        except TerraformError as error:
            print(f"drkit: {error}", file=sys.stderr)
            return 1
        print(f"drkit: plan saved to {stack_dir / 'drkit.tfplan'}")
    result = review(plan, environment, frozenset(args.allow_destroy), frozenset(args.allow_membership_change))
    print(result.render(args.env))
    if args.markdown:
        Path(args.markdown).write_text(result.markdown(args.env), encoding="utf-8")
        print(f"drkit: Markdown review written to {args.markdown}")
    return 3 if result.refused else 0


if __name__ == "__main__":
    sys.exit(main())
