"""The real-AWS game day: ``make gameday ENV=<env>`` for a deployed environment that is not local.

It finds the stack's AWS FIS template (``constructs_lib/fault_injection.py``: the primary region's
app and data subnets cut off the network), prints what it will touch, and without ``CONFIRM=1``
stops there (a dry run). With it, it starts the experiment and watches, on the wall clock, what the
local game day watches on a simulated one: the experiment's state, every alarm of the stack that
decides or pages (writer-healthy, lag, the monitors' health), the failover records' health checks,
and which region holds the writer; every change is a timeline event in seconds from the start. The
report has the local game day's shape (JSON and Markdown with the timeline chart, under
``.drkit/gameday/``).

What it proves is narrower than the local ``primary-region-outage`` and the report says so: the
subnets are cut, AWS's own services in the region are not, so the writer stays healthy in AWS's
eyes and ``db.<zone>`` does not move by itself; the operator decides, from a surviving region, and
runs ``drkit runbook failover`` while the experiment runs. Run it with credentials that
may call ``fis:ListExperimentTemplates``, ``fis:GetExperimentTemplate``, ``fis:StartExperiment``,
``fis:GetExperiment``, ``fis:TagResource`` and read CloudWatch alarms, Route 53 health checks and RDS
global clusters (a game-day role, not the DR operations role: that one only moves the writer).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from constructs_lib.config import ConfigError, load_settings
from constructs_lib.config.model import EnvironmentConfig
from constructs_lib.fault_injection_contract import PRIMARY_REGION_OUTAGE as EXPERIMENT
from constructs_lib.naming import FIS_EXPERIMENT_TAG as EXPERIMENT_TAG

FINISHED = frozenset({"completed", "stopped", "failed", "cancelled"})


class GameDayError(Exception):
    """What stops a real-AWS game day before it starts, in one line."""


@dataclass(frozen=True)
class Snapshot:
    experiment: str
    alarms: dict[str, str] = field(default_factory=dict)  # "<region> <alarm>" -> OK | ALARM | INSUFFICIENT_DATA
    health: dict[str, str] = field(default_factory=dict)  # health check id -> Healthy | Unhealthy
    writer: str | None = None  # region of the writer, None when no region answers


def changes(before: Snapshot | None, after: Snapshot) -> list[tuple[str, str, str]]:
    """(kind, subject, detail) for everything that differs between two observations."""
    found: list[tuple[str, str, str]] = []
    if before is None or before.experiment != after.experiment:
        found.append(("fault", "experiment", after.experiment))
    for key, state in sorted(after.alarms.items()):
        if before is None or before.alarms.get(key) != state:
            found.append(("alarm", key, state))
    for check, status in sorted(after.health.items()):
        if before is None or before.health.get(check) != status:
            found.append(("health-check", check, status))
    if before is None or before.writer != after.writer:
        found.append(("writer", after.writer or "unknown", "the region that holds the writer"))
    return found


def find_template(fis: Any) -> dict[str, Any]:
    """The stack's experiment template, by its tag (``constructs_lib/fault_injection.py``)."""
    templates: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = fis.list_experiment_templates(**({"nextToken": token} if token else {}))
        templates += page.get("experimentTemplates", [])
        token = page.get("nextToken")
        if not token:
            break
    found = [t for t in templates if (t.get("tags") or {}).get(EXPERIMENT_TAG) == EXPERIMENT]
    if len(found) != 1:
        raise GameDayError(
            f"expected one FIS template tagged {EXPERIMENT_TAG}={EXPERIMENT}, found {len(found)}: "
            "deploy the stack with fault_injection.enabled (the default) first"
        )
    return dict(fis.get_experiment_template(id=found[0]["id"])["experimentTemplate"])


def describe(env: EnvironmentConfig, template: dict[str, Any]) -> str:
    """What the template will do, every action and every target of it.

    The stack's template has one action per target and a target per five subnets (a target takes at
    most five resource ARNs: ``constructs_lib/fault_injection.py``), so three AZs give two of each; any
    number is read here."""
    actions: dict[str, Any] = template.get("actions") or {}
    targets: dict[str, Any] = template.get("targets") or {}
    stops = [c.get("value", c["source"]) for c in template.get("stopConditions", [])]
    lines = [f"game day {env.stack_name} on AWS: FIS template {template['id']} in {env.primary_region}"]
    cut: list[str] = []
    for name, action in sorted(actions.items()):
        named = sorted((action.get("targets") or {}).values())
        arns = [arn for target in named for arn in (targets.get(target) or {}).get("resourceArns", [])]
        cut += [arn for arn in arns if arn not in cut]
        on = ", ".join(named) or "no target"
        lines.append(f"  action {name}: {action['actionId']} {action.get('parameters', {})} on {on} ({len(arns)} subnet(s))")
    if not actions:
        raise GameDayError(f"FIS template {template['id']} has no action: redeploy the stack (constructs_lib/fault_injection.py)")
    lines += [
        f"  cuts off {len(cut)} subnet(s): {', '.join(a.rsplit('/', 1)[-1] for a in cut)}",
        f"  stops when any of these alarms fires: {', '.join(s.rsplit(':', 1)[-1] for s in stops)}",
        "  touches nothing else: AWS's own services in the region (RDS, CloudWatch) keep answering; "
        "the writer moves only if you run the runbook's failover",
    ]
    return "\n".join(lines)


def observe(env: EnvironmentConfig, client: Callable[[str, str], Any], experiment_id: str) -> Snapshot:
    status = client("fis", env.primary_region).get_experiment(id=experiment_id)["experiment"]["state"]["status"]
    return observe_stack(env, client, status)


def observe_stack(env: EnvironmentConfig, client: Callable[[str, str], Any], experiment: str) -> Snapshot:
    """What the stack shows now: its alarms in every region, its health checks, the writer's region."""
    names = env.names
    alarms: dict[str, str] = {}
    writer: str | None = None
    for region in env.regions:
        watched = [
            names.lag_alarm(region),
            *(names.monitor_health_alarm(label) for label in ("errors", "silent")),
            *(names.writer_healthy_alarm(r) for r in env.regions),
        ]
        try:
            for alarm in client("cloudwatch", region).describe_alarms(AlarmNames=watched[:100]).get("MetricAlarms", []):
                alarms[f"{region} {alarm['AlarmName']}"] = alarm["StateValue"]
            if writer is None:
                members = client("rds", region).describe_global_clusters(GlobalClusterIdentifier=names.global_cluster_id)["GlobalClusters"][0]
                writer = next((m["DBClusterArn"].split(":")[3] for m in members["GlobalClusterMembers"] if m["IsWriter"]), None)
        except Exception as error:  # a region that does not answer is an observation, not a crash
            alarms[f"{region} (unreachable)"] = type(error).__name__
    health: dict[str, str] = {}
    route53 = client("route53", "us-east-1")
    for check in [c for page in route53.get_paginator("list_health_checks").paginate() for c in page.get("HealthChecks", [])]:
        if check["HealthCheckConfig"].get("Type") != "CLOUDWATCH_METRIC":
            continue
        if check["HealthCheckConfig"].get("AlarmIdentifier", {}).get("Name", "").startswith(names.prefix):
            observations = route53.get_health_check_status(HealthCheckId=check["Id"]).get("HealthCheckObservations", [])
            healthy = any("Success" in o.get("StatusReport", {}).get("Status", "") for o in observations)
            health[check["Id"]] = "Healthy" if healthy else "Unhealthy"
    return Snapshot(experiment, alarms, health, writer)


def report(env: EnvironmentConfig, template: dict[str, Any], events: list[dict[str, Any]], final: Snapshot, wall: float) -> dict[str, Any]:
    from drkit.report import budget_document, commit

    checks = [
        {
            "expected": "the experiment ran to its end (no stop condition fired)",
            "passed": final.experiment == "completed",
            "observed": final.experiment,
        },
        {
            "expected": "the surviving regions' monitors kept running (their silence alarms stayed OK)",
            "passed": not any(k.endswith("-silent") and v == "ALARM" for k, v in final.alarms.items()),
            "observed": ", ".join(f"{k}={v}" for k, v in sorted(final.alarms.items())) or "no alarms read",
        },
    ]
    moved = next((e["t"] for e in events if e["kind"] == "writer" and e["subject"] not in (env.primary_region, "unknown") and e["t"] > 0), None)
    return {
        "scenario": "aws-primary-subnets-cut",
        "outcome": "passed" if all(c["passed"] for c in checks) else "FAILED",
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": {"name": env.name, "environment": env.environment, "regions": list(env.regions), "configuration_sha256": "n/a (real AWS)"},
        "commit": commit(),
        "simulated_clock": {"fault_at": None, "wall_seconds": round(wall, 1)},
        "budget": budget_document(env.recovery_budget),
        "measured": {"writer_moved_at_seconds": moved} if moved is not None else {},
        "checks": checks,
        "notes": [
            f"FIS template {template['id']}; the subnets were cut, AWS's services in {env.primary_region} were not:"
            " an automatic DNS failover is not expected, an operator's failover is what this measures"
        ],
        "timeline": events,
    }


def run(env: EnvironmentConfig, client: Callable[[str, str], Any], *, confirm: bool, interval: float, out: Path) -> int:
    template = find_template(client("fis", env.primary_region))
    print(describe(env, template))
    if not confirm:
        print("dry run: nothing started (CONFIRM=1 starts the experiment)")
        return 0
    started = time.monotonic()
    experiment = client("fis", env.primary_region).start_experiment(experimentTemplateId=template["id"], tags={"drkit": env.name})["experiment"]
    events: list[dict[str, Any]] = []
    before: Snapshot | None = None
    while True:
        now = observe(env, client, experiment["id"])
        for kind, subject, detail in changes(before, now):
            t = round(time.monotonic() - started, 1)
            events.append({"t": t, "kind": kind, "subject": subject, "detail": detail, "region": ""})
            print(f"  t={t:7.1f} s  {kind}: {subject} {detail}", flush=True)
        before = now
        if now.experiment in FINISHED:
            break
        time.sleep(interval)
    from drkit.report import markdown

    doc = report(env, template, events, now, time.monotonic() - started)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{env.name}-aws"
    (out / f"{stem}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (out / f"{stem}.md").write_text(markdown(doc), encoding="utf-8")
    print(f"game day {env.stack_name}: {doc['outcome']}; report {out / stem}.md")
    return 0 if doc["outcome"] == "passed" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="drkit gameday", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--confirm", action="store_true", help="start the experiment (without it: a dry run)")
    parser.add_argument("--interval", type=float, default=15.0, help="seconds between observations")
    args = parser.parse_args(argv)
    try:
        env = load_settings(Path.cwd()).get(args.env)
    except ConfigError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 2
    if env.aws_endpoint_url:
        print(f"drkit: {env.stack_name} runs on the emulator: `make gameday` rehearses it there", file=sys.stderr)
        return 2
    import boto3

    session = boto3.Session()
    try:
        return run(env, lambda service, region: session.client(service, region_name=region), confirm=args.confirm, interval=args.interval,
                   out=Path.cwd() / ".drkit" / "gameday")  # fmt: skip
    except GameDayError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
