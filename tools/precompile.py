"""Write the optimized bytecode (``*.opt-1.pyc``) that ``python -O main.py`` loads.

``python -O`` (how cdktf.json and the Makefile run the app) reads ``*.opt-1.pyc``. pip writes only
the plain ``*.pyc`` at install time, and ``PYTHONDONTWRITEBYTECODE`` (set on some CI images, this
one included) stops Python from writing the optimized files on first use, so every synth would
compile cdktf's 5 MB ``__init__`` and each provider module it imports again: ~1.5 s of a ~4 s
synth, measured here. This tool synthesizes every configured environment once into a scratch
folder with bytecode writing switched on, so exactly the modules a synth imports are compiled.
``make install`` runs it (again whenever the lock files or constructs_lib change).

Usage: ``python -O -m tools.precompile``
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main() -> int:
    if sys.flags.optimize != 1:
        print("precompile: run with `python -O -m tools.precompile` (the synth runs with -O)", file=sys.stderr)
        return 2
    sys.dont_write_bytecode = False
    from constructs_lib import speedups

    speedups.enable(node_modules=PROJECT_DIR / "node_modules")  # as main.py: the same modules get imported
    from constructs_lib.config import load_settings
    from constructs_lib.synth import synthesize

    scratch = Path(tempfile.mkdtemp(prefix="drkit-precompile-"))
    try:
        # The embedded default (cdktf.json): a DR_CONFIG or DR_ENVIRONMENTS of the caller must not change what install compiles.
        synthesize(load_settings(PROJECT_DIR, environ={}), scratch / "cdktf.out")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    cached = [Path(str(module.__cached__)) for module in list(sys.modules.values()) if getattr(module, "__cached__", None)]
    present = sum(1 for path in cached if path.is_file())
    print(f"precompile: optimized bytecode in place for {present} of the {len(cached)} modules a synth imports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
