"""Run moto's server with drkit's fidelity patches: ``python -m tools.emulator.server --port N``."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # AWS-managed policies (AmazonRDSEnhancedMonitoringRole, EKS policies) exist in every account.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto import server

    from tools.emulator.patches import apply_all

    applied = apply_all()
    print(f"drkit emulator: moto with patches {', '.join(applied)}", flush=True)
    server.main(["--host", args.host, "--port", str(args.port)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
