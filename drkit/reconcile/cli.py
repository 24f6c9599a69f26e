"""``drkit runbook reconcile``: the configuration's names into a :class:`~drkit.reconcile.aws.Target`, a run, its summary."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drkit.reconcile.aws import Target
from drkit.reconcile.database import resolver_from_environment
from drkit.reconcile.run import Options, reconcile
from drkit.reconcile.tables import TableSpec


def target_of(env: Any) -> Target:
    names = env.names
    return Target(
        environment=env.name,
        global_cluster_id=names.global_cluster_id,
        regions=tuple(env.regions),
        cluster_ids={region: names.cluster_id(region) for region in env.regions},
        secrets={region: names.master_secret(region) for region in env.regions},
        lossy_failover_parameter=names.lossy_failover_parameter,
        instance_class=env.database.instance_class,
        margin_seconds=float(env.reconcile.margin_seconds),
    )


def options_of(args: argparse.Namespace, env: Any, project_dir: Path) -> Options:
    from drkit.restore import parse_time

    return Options(
        report_dir=Path(args.report_dir) if args.report_dir else project_dir / ".drkit" / "reconcile",
        execute=bool(args.execute),
        since=parse_time(args.since) if args.since else None,
        ca_bundle=args.ca_bundle,
        tables=tuple(TableSpec(name=t.name, primary_key=t.primary_key, updated_at=t.updated_at) for t in env.reconcile.tables),
    )


def main(args: argparse.Namespace, env: Any, client: Callable[[str, str], Any], project_dir: Path) -> int:
    written = reconcile(target_of(env), client, options_of(args, env, project_dir), print, resolver_from_environment())
    report = written.report
    totals = report.totals
    verb = "replayed" if report.executed else "replayable"
    print(
        f"lost at the failover {totals['lost_at_failover']}, {verb} {totals[verb]}, conflicts {totals['conflicts']}, "
        f"already present {totals['already_present']}, rows to review {totals['rows_to_review']}"
    )
    print(f"unaccounted: {report.unaccounted}")
    for step in report.next_steps:
        print(f"next: {step}")
    print(f"report: {written.markdown_path} and {written.json_path.name}")
    return report.exit_code
