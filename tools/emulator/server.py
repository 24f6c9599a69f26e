"""Run moto's server with drkit's fidelity patches and controls: ``python -m tools.emulator.server --port N``."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--home", help="the state dir this emulator serves (identifies the process to drkit)")
    args = parser.parse_args(argv)
    # AWS-managed policies (AmazonRDSEnhancedMonitoringRole, EKS policies) exist in every account.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ.setdefault("MOTO_PORT", str(args.port))
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    from tools.emulator import hooks
    from tools.emulator.control import ControlMiddleware
    from tools.emulator.patches import apply_all

    _log_dropped_connections()
    applied = apply_all()
    print(f"drkit emulator: moto with patches {', '.join(applied)}", flush=True)
    moto_app = DomainDispatcherApplication(create_backend_app)
    app = ControlMiddleware(moto_app, on_region_returned=hooks.region_returned)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    return 0


def _log_dropped_connections() -> None:
    """werkzeug drops a connection silently; say so in the emulator log (a client may then retry)."""
    from werkzeug import serving

    def dropped(self: serving.WSGIRequestHandler, error: BaseException, environ: dict[str, object] | None = None) -> None:
        where = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}" if environ else "?"
        print(f"drkit emulator: connection dropped while answering {where}: {error!r}", file=sys.stderr, flush=True)

    serving.WSGIRequestHandler.connection_dropped = dropped  # type: ignore[method-assign]


if __name__ == "__main__":
    sys.exit(main())
