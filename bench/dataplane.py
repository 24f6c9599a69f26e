"""Data-plane benchmark: the ledger's throughput and the RPO/RTO measured through role changes.

``python bench/dataplane.py --runs 3 [--apply-delay-ms 0]``: a global cluster of three members with
real PostgreSQL behind them (no Terraform), the ledger writing through the global writer endpoint,
and per run one planned switchover and one failover after the writer's region is lost. Prints each
run's figures and the medians: commits/s, acknowledged commits missing and their seconds of history
(against the lag just before the failover), integrity, the longest window without a successful
write. Figures of one machine, one run: compare them with each other, not with AWS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drkit_lab.dataplane.exercise import Measured, lag_of, ledger, through
from drkit_lab.dataplane.lab import Lab


def one_run(lab: Lab) -> list[Measured]:
    results = []
    with ledger(lab, lab.outputs) as workload:
        results.append(through(workload, "switchover", lambda: lab.switchover("us-west-2")))
        lag = lag_of(lab, lab.cluster("eu-west-1"))
        results.append(through(workload, "failover", lambda: lab.lose_region_and_fail_over("eu-west-1"), lag_before=lag))
        lab.every_region_back()
        results.append(through(workload, "switchover home", lambda: lab.switchover("us-east-1")))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--apply-delay-ms", type=int, default=0, help="recovery_min_apply_delay of the replicas (distance)")
    args = parser.parse_args()
    os.environ["DRKIT_DATAPLANE_APPLY_DELAY_MS"] = str(args.apply_delay_ms)
    lab = Lab(Path(tempfile.mkdtemp(prefix="drkit-bench-dataplane-"))).start()
    by_operation: dict[str, list[Measured]] = {}
    try:
        for run in range(1, args.runs + 1):
            for measured in one_run(lab):
                print(f"run {run}: {measured.summary()}", flush=True)
                by_operation.setdefault(measured.operation, []).append(measured)
    finally:
        lab.stop()
    print(f"medians of {args.runs} run(s), apply delay {args.apply_delay_ms} ms:")
    for operation, runs in by_operation.items():
        gap = statistics.median(m.longest_write_gap_seconds for m in runs)
        rate = statistics.median(m.commits_per_second for m in runs)
        lost = statistics.median(m.missing for m in runs)
        print(
            f"  {operation}: {rate:.0f} commits/s, longest write gap {gap:.2f} s, {lost:g} acknowledged commits missing, integrity {all(m.integrity for m in runs)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
