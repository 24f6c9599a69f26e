"""Deprecated since 0.6: ``python -m tools.runbook`` is ``drkit runbook`` (same arguments, same exit codes).

Kept for one release so scripts and muscle memory keep working (docs/UPGRADE-0.6.md); removed in 0.7.
"""

from __future__ import annotations

import sys

from drkit.runbook import main

if __name__ == "__main__":
    print("drkit: `python -m tools.runbook` is deprecated and goes away in 0.7: run `drkit runbook` (same arguments)", file=sys.stderr)
    sys.exit(main())
