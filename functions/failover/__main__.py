"""The runbook as a CLI.

  python -m functions.failover status --env production
  python -m functions.failover switchover --env production --to us-west-2 --dry-run
  python -m functions.failover failover --env production --to us-west-2

Credentials come from the usual AWS chain (assume the DR operations role first); with
``AWS_ENDPOINT_URL`` set, every call goes to that endpoint (the local emulator).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]


def settings_for(env_name: str, api_region: str, client: Any) -> Any:
    from constructs_lib.config import load_settings

    from .runner import RunbookSettings

    env = load_settings(PROJECT_DIR).get(env_name)
    name = f"drkit-{env.name}"
    topics = client("sns", api_region).list_topics().get("Topics", [])
    topic = next((t["TopicArn"] for t in topics if t["TopicArn"].endswith(f":{name}-alerts")), None)
    zones = client("route53", "us-east-1").list_hosted_zones_by_name(DNSName=env.dns.zone_name).get("HostedZones", [])
    zone = next((z["Id"].rsplit("/", maxsplit=1)[-1] for z in zones if z["Name"].rstrip(".") == env.dns.zone_name), None)
    return RunbookSettings(
        environment=env.environment,
        api_region=api_region,
        global_cluster_id=name,
        alert_topic_arn=topic,
        zone_id=zone,
        record_name=f"db.{env.dns.zone_name}",
        max_switchover_lag_seconds=env.monitoring.lag_alarm_threshold_seconds,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.failover", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("operation", choices=["switchover", "failover", "status"])
    parser.add_argument("--env", required=True, help="environment name from cdktf.json (or $DR_CONFIG)")
    parser.add_argument("--to", dest="target", help="target region (switchover/failover)")
    parser.add_argument("--region", help="region to call RDS in (default: the target region, else the primary)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    args = parser.parse_args(argv)

    from functools import cache

    import boto3

    from constructs_lib.config import ConfigError, load_settings

    from .logic import Operation, render_status
    from .runner import execute, read_state

    try:
        env = load_settings(PROJECT_DIR).get(args.env)
    except ConfigError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 2
    if args.operation != "status" and not args.target:
        print("drkit: --to <region> is required for switchover and failover", file=sys.stderr)
        return 2

    @cache
    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region)

    from botocore.exceptions import BotoCoreError, ClientError

    api_region = args.region or args.target or env.primary_region
    try:
        settings = settings_for(args.env, api_region, client)
        if args.operation == "status":
            print(render_status(read_state(client, settings)))
            return 0
        outcome = execute(Operation(args.operation), args.target, args.dry_run, settings, client, print)
    except (BotoCoreError, ClientError) as error:  # no credentials, no endpoint, access denied...
        print(f"drkit: AWS call failed in {api_region}: {error}", file=sys.stderr)
        return 1
    return {"completed": 0, "no-op": 0, "dry-run": 0, "refused": 3}.get(outcome["result"], 1)


if __name__ == "__main__":
    sys.exit(main())
