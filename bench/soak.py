"""Soak: the full local cycle (deploy -> drill -> destroy) N times in a row, with each run's phase times.

    .venv/bin/python bench/soak.py --cycles 5 [--env local] [--keep-logs DIR]

Each cycle runs exactly what a user runs (``python -m drkit_lab.deploy_local deploy`` then ``destroy``,
as ``make deploy-local`` / ``make destroy-local`` do) and records every phase's wall time from their
summaries, plus any failure with its error lines and the run's log directory, and the answers the
emulator gave again because a client lost them (``LOST ANSWER`` in its log, ``drkit_lab/emulator/answers.py``). The report is a table
and a JSON file; the exit code is the number of failed cycles (0 = every cycle passed). Not part of
``make test``: it takes about 7 minutes a cycle.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"drkit: (deploy|destroy) finished in (\d+) s \((?P<phases>[^)]*)\); logs in (?P<logs>\S+)")
FAILED_LOGS = re.compile(r"drkit: the logs of this run are in (?P<logs>\S+)")
PHASE = re.compile(r"(?P<name>[a-z-]+) (?P<seconds>\d+)s")
LOST = re.compile(r"LOST ANSWER: attempt \d+ of (?P<what>.+?) retries request \d+, which was answered \d+(?:; (?P<outcome>.+))?$")


def lost_answers(run_logs: str | None) -> list[str]:
    """The emulator's LOST ANSWER lines of a deploy's emulator log (the destroy that follows uses the same emulator)."""
    log = Path(run_logs) / "emulator.log" if run_logs else None
    if log is None or not log.is_file():
        return []
    return [
        f"{m.group('what')}: {m.group('outcome') or 'executed again'}" for m in map(LOST.search, log.read_text(encoding="utf-8").splitlines()) if m
    ]


def run(action: str, env: str, log: Path) -> dict[str, Any]:
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as handle:
        completed = subprocess.run(
            [sys.executable, "-m", "drkit_lab.deploy_local", action, *(["--env", env] if action == "deploy" else [])],
            cwd=PROJECT_DIR,
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    output = log.read_text(encoding="utf-8")
    match = SUMMARY.search(output)
    phases = {m.group("name"): int(m.group("seconds")) for m in PHASE.finditer(match.group("phases"))} if match else {}
    errors = [line for line in output.splitlines() if line.startswith("drkit:") and ("failed" in line or "left behind" in line)]
    return {
        "action": action,
        "exit": completed.returncode,
        "seconds": round(time.monotonic() - start),
        "phases": phases,
        "errors": errors[:5],
        "run_logs": match.group("logs") if match else (failed.group("logs") if (failed := FAILED_LOGS.search(output)) else None),
        "output": str(log),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--env", default="local", help="environment of the configuration to deploy")
    parser.add_argument("--keep-logs", type=Path, default=PROJECT_DIR / ".drkit" / "soak")
    args = parser.parse_args(argv)
    args.keep_logs.mkdir(parents=True, exist_ok=True)
    cycles = []
    for cycle in range(1, args.cycles + 1):
        deploy = run("deploy", args.env, args.keep_logs / f"cycle-{cycle}-deploy.log")
        destroy = run("destroy", args.env, args.keep_logs / f"cycle-{cycle}-destroy.log")
        ok = deploy["exit"] == 0 and destroy["exit"] == 0
        lost = lost_answers(deploy["run_logs"])
        cycles.append({"cycle": cycle, "ok": ok, "deploy": deploy, "destroy": destroy, "lost_answers": lost})
        phases = ", ".join(f"{k} {v}s" for k, v in {**deploy["phases"], **destroy["phases"]}.items())
        print(
            f"cycle {cycle}: {'ok' if ok else 'FAILED'}  deploy {deploy['seconds']} s, destroy {destroy['seconds']} s  ({phases}); "
            f"{len(lost)} lost answer(s)",
            flush=True,
        )
        for line in lost:
            print(f"    lost answer: {line}", flush=True)
        for error in deploy["errors"] + destroy["errors"]:
            print(f"    {error}", flush=True)
    failed = sum(not c["ok"] for c in cycles)
    report = args.keep_logs / "soak.json"
    report.write_text(json.dumps({"env": args.env, "cycles": cycles, "failed": failed}, indent=2), encoding="utf-8")
    print(f"soak: {len(cycles) - failed} of {len(cycles)} cycles passed; report {report}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
