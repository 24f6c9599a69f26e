"""A Mermaid diagram of what one environment deploys, drawn from its synthesized Terraform JSON.

``drkit diagram --env dev`` (``make diagram ENV=dev``) prints it. docs/architecture.md's figure is this
output for ``dev``, and a test keeps the two equal, so the picture cannot drift from the code: regions
and their VPCs, the peerings, the global cluster and its members, the monitors and the alarms they
feed, the health checks and the DNS names they steer, the backup vaults and their copies, the DR role.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any


def _resources(stack: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return dict((stack.get("resource") or {}).get(rtype) or {})


def _node(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _refs(value: object, rtype: str) -> list[str]:
    return re.findall(rf"{re.escape(rtype)}\.([A-Za-z0-9_-]+)", json.dumps(value))


def render(stack: dict[str, Any]) -> str:
    providers = {f"aws.{p['alias']}": (p["alias"], p["region"]) for p in stack["provider"]["aws"]}
    regions = list(dict.fromkeys(region for _, region in providers.values()))
    region_of = {alias: region for alias, (_, region) in providers.items()}
    role_of = {region: alias for alias, region in providers.values()}
    lines = ["flowchart LR"]
    (global_cluster,) = _resources(stack, "aws_rds_global_cluster").values()
    lines.append(f'  global(("Aurora global database<br/>{global_cluster["global_cluster_identifier"]}"))')
    vpcs = _resources(stack, "aws_vpc")
    clusters = _resources(stack, "aws_rds_cluster")
    functions = _resources(stack, "aws_lambda_function")
    alarms = _resources(stack, "aws_cloudwatch_metric_alarm")
    vaults = _resources(stack, "aws_backup_vault")
    cluster_node: dict[str, str] = {}
    alarm_node: dict[str, str] = {}  # alarm resource name -> node
    vault_node: dict[str, str] = {}
    for region in regions:
        alias = role_of[region]
        lines.append(f'  subgraph {_node(region)} ["{region} ({alias})"]')
        for name, vpc in vpcs.items():
            if region_of[vpc["provider"]] == region:
                lines.append(f'    {_node("vpc_" + name)}["VPC {vpc["cidr_block"]}"]')
        for name, cluster in clusters.items():
            if region_of[cluster["provider"]] == region:
                node = _node("cluster_" + region)
                cluster_node[name] = node
                lines.append(f'    {node}[("{cluster["cluster_identifier"]}")]')
        for function in sorted(f["function_name"] for f in functions.values() if region_of[f["provider"]] == region):
            lines.append(f'    {_node("fn_" + region + "_" + function)}[["{function}"]]')
        for name, alarm in sorted(alarms.items(), key=lambda item: item[1]["alarm_name"]):
            if region_of[alarm["provider"]] == region and "writer-healthy" in alarm["alarm_name"]:
                node = _node("alarm_" + name)
                alarm_node[name] = node
                lines.append(f'    {node}{{{{"{alarm["alarm_name"]}"}}}}')
        for name, vault in vaults.items():
            if region_of[vault["provider"]] == region:
                node = _node("vault_" + region)
                vault_node[name] = node
                lines.append(f'    {node}[/"backup vault {vault["name"]}"/]')
        lines.append("  end")
    for name in clusters:
        lines.append(f"  global --- {cluster_node[name]}")
    for peering in _resources(stack, "aws_vpc_peering_connection").values():
        ends = _refs(peering.get("vpc_id"), "aws_vpc") + _refs(peering.get("peer_vpc_id"), "aws_vpc")
        if len(ends) == 2:
            lines.append(f"  {_node('vpc_' + ends[0])} <-. peering .-> {_node('vpc_' + ends[1])}")
    checks = _resources(stack, "aws_route53_health_check")
    for record in sorted(_resources(stack, "aws_route53_record").values(), key=lambda r: (r["name"], json.dumps(r.get("failover_routing_policy")))):
        name = record["name"]
        policy = (record.get("failover_routing_policy") or {}).get("type", "")
        label = f"{name} {policy}".strip()
        node = _node("dns_" + label)
        lines.append(f'  {node}>"{label}"]')
        for cluster_ref in _refs(record.get("records"), "aws_rds_cluster"):
            lines.append(f"  {node} --> {cluster_node[cluster_ref]}")
        if _refs(record.get("records"), "aws_rds_global_cluster"):
            lines.append(f"  {node} --> global")
        for check in _refs(record.get("health_check_id"), "aws_route53_health_check"):
            for alarm_ref in _refs(checks[check].get("cloudwatch_alarm_name"), "aws_cloudwatch_metric_alarm"):
                if alarm_ref in alarm_node:
                    lines.append(f"  {alarm_node[alarm_ref]} -. health check .-> {node}")
    for plan in _resources(stack, "aws_backup_plan").values():
        for rule in plan.get("rule", []):
            source = _refs(rule.get("target_vault_name"), "aws_backup_vault")
            for copy in rule.get("copy_action", []):
                target = _refs(copy.get("destination_vault_arn"), "aws_backup_vault")
                if source and target:
                    lines.append(f"  {vault_node[source[0]]} -. copies .-> {vault_node[target[0]]}")
    for role in _resources(stack, "aws_iam_role").values():
        if role["name"].endswith("-dr-operations"):
            lines.append(f'  dr_role["DR operations role {role["name"]}"] == switchover / failover / restore ==> global')
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="drkit diagram", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--outdir", default="cdktf.out", help="the synthesized output (default: ./cdktf.out)")
    args = parser.parse_args(argv)
    from constructs_lib.naming import stack_name

    path = Path(args.outdir) / "stacks" / stack_name(args.env) / "cdk.tf.json"
    if not path.is_file():
        print(f"drkit: {path} not found: synthesize first (make synth)", file=sys.stderr)
        return 2
    sys.stdout.write("```mermaid\n" + render(json.loads(path.read_text(encoding="utf-8"))) + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
