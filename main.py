"""drkit: synthesize one DR stack per configured environment.

Configuration is read and validated before anything is written; synthesis goes to a temporary
folder that replaces ``cdktf.out`` only when every stack synthesized. Usage: ``python main.py``
(or ``cdktf synth``), ``DR_ENVIRONMENTS=dev,local`` to build a subset, ``DR_CONFIG=file.json`` to
replace the environments of ``cdktf.json``.

This is the app's entry point, so it opts in to the synth speed-ups (the project's Node 22, lazy
provider modules in Python and Node: :mod:`constructs_lib.speedups`) before anything imports cdktf.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent


def main() -> int:
    from constructs_lib import speedups

    speedups.enable(node_modules=PROJECT_DIR / "node_modules")
    from constructs_lib.config import ConfigError, load_settings
    from constructs_lib.synth import SynthError, synthesize

    try:
        settings = load_settings(PROJECT_DIR)
    except ConfigError as error:
        print(f"drkit: invalid configuration: {error}", file=sys.stderr)
        return 2
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or PROJECT_DIR / "cdktf.out")
    try:
        report = synthesize(settings, outdir)
    except (ConfigError, SynthError) as error:
        print(f"drkit: synth failed, {outdir} left unchanged: {error}", file=sys.stderr)
        return 2
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
