"""Replication-monitor cost per run, against the local emulator: AWS calls and wall time.

For 1, 3 and 10 secondary clusters (one per secondary region, as Aurora allows up to 10
secondary regions), build a global cluster on the emulator, seed lag metrics, run the monitor's
logic ``--runs`` times and print the AWS calls per invocation (by operation) and the median
wall time. GetMetricData must stay at one call per region however many clusters there are.

Run: ``.venv/bin/python bench/monitor.py`` (starts and stops its own emulator).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3

from drkit_lab.emulator import process
from functions.replication_monitor.monitor import run
from functions.replication_monitor.settings import MonitorSettings

SECONDARY_REGIONS = (
    "us-west-2", "us-east-2", "us-west-1", "eu-west-1", "eu-central-1",
    "ap-southeast-1", "ap-northeast-1", "ca-central-1", "sa-east-1", "eu-north-1",
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state_dir:
        emulator = process.start(Path(state_dir))
        try:
            print(f"replication monitor per invocation (emulator at {emulator.url}, {args.runs} runs each, median)")
            print(f"  {'secondaries':>11} {'regions':>7} {'AWS calls':>9} {'GetMetricData':>13} {'per region':>10} {'median ms':>9}  operations")
            for count in (1, 3, 10):
                row = measure(emulator.url, count, args.runs)
                print(
                    f"  {count:>11} {row['regions']:>7} {row['calls']:>9} {row['get_metric_data']:>13} "
                    f"{row['get_metric_data'] / row['regions']:>10.1f} {row['median_ms']:>9.0f}  {row['operations']}"
                )
        finally:
            process.stop(Path(state_dir))
    return 0


def measure(url: str, secondaries: int, runs: int) -> dict[str, Any]:
    calls: Counter[str] = Counter()

    @cache
    def client(service: str, region: str) -> Any:
        made = boto3.client(service, region_name=region, endpoint_url=url, aws_access_key_id="bench", aws_secret_access_key="bench")
        made.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
        return made

    global_id = f"bench-{secondaries}"
    client("rds", "us-east-1").create_global_cluster(GlobalClusterIdentifier=global_id, Engine="aurora-postgresql", EngineVersion="16.6")
    client("rds", "us-east-1").create_db_cluster(
        DBClusterIdentifier=f"{global_id}-primary", Engine="aurora-postgresql", EngineVersion="16.6",
        GlobalClusterIdentifier=global_id, MasterUsername="bench", MasterUserPassword="bench-password-123",
    )  # fmt: skip
    regions = SECONDARY_REGIONS[:secondaries]
    for region in regions:
        identifier = f"{global_id}-{region}"
        client("rds", region).create_db_cluster(
            DBClusterIdentifier=identifier, Engine="aurora-postgresql", EngineVersion="16.6", GlobalClusterIdentifier=global_id
        )
        client("cloudwatch", region).put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {"MetricName": "AuroraGlobalDBReplicationLag", "Dimensions": [{"Name": "DBClusterIdentifier", "Value": identifier}], "Value": 700.0}
            ],
        )
    topic = client("sns", "us-east-1").create_topic(Name=f"{global_id}-alerts")["TopicArn"]
    settings = MonitorSettings(
        environment="bench", region="us-east-1", global_cluster_id=global_id, alert_topic_arn=topic,
        state_parameter=f"/bench/{global_id}/state", lag_alarm_threshold_seconds=5,
        member_regions=tuple(regions),
    )  # fmt: skip
    run(settings, client)  # warm-up: first state write
    timings = []
    calls.clear()
    for _ in range(runs):
        start = time.perf_counter()
        verdict = run(settings, client).verdict
        timings.append((time.perf_counter() - start) * 1000)
        assert verdict.status.value == "OK", verdict
    per_run = {name: n // runs for name, n in sorted(calls.items())}
    return {
        "regions": len(regions),
        "calls": sum(per_run.values()),
        "get_metric_data": per_run.get("GetMetricData", 0),
        "median_ms": statistics.median(timings),
        "operations": ", ".join(f"{name} {n}" for name, n in per_run.items()),
    }


if __name__ == "__main__":
    sys.exit(main())
