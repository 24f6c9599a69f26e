"""Run moto's server with drkit's fidelity patches and controls: ``python -m drkit_lab.emulator.server --port N``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"  # moto's default account


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--home", help="the state dir this emulator serves (identifies the process to drkit)")
    parser.add_argument("--dataplane", action="store_true", help="back every global-cluster member with a real PostgreSQL server")
    args = parser.parse_args(argv)
    # AWS-managed policies (AmazonRDSEnhancedMonitoringRole, EKS policies) exist in every account.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ.setdefault("MOTO_PORT", str(args.port))
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    from drkit_lab.emulator import hooks
    from drkit_lab.emulator.control import ControlMiddleware
    from drkit_lab.emulator.patches import apply_all

    _log_dropped_connections()
    applied = apply_all()
    print(f"drkit emulator: moto with patches {', '.join(applied)}", flush=True)
    if args.dataplane:
        _attach_dataplane(Path(args.home or "."))
    moto_app = DomainDispatcherApplication(create_backend_app)
    app = ControlMiddleware(
        moto_app, on_region_returned=hooks.region_returned, on_region_down=hooks.region_down, describe_dataplane=hooks.describe,
        model_lag=hooks.lag_modeled,
    )  # fmt: skip
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False, request_handler=_request_handler())
    return 0


def _request_handler() -> type[Any]:
    """werkzeug's handler, sending each answer's status, headers and body in one write.

    werkzeug writes the headers and the body separately (its socket writer is unbuffered). A Go
    client can then parse the headers, close its request body and lose the body that follows
    (``answers`` explains how). With one write, any answer up to net/http's 4 KiB read buffer
    arrives whole. The Go client reads it before a close can cost it. This mitigation adds no
    leniency: it is how a buffered HTTP server answers.
    """
    from werkzeug.serving import WSGIRequestHandler

    class OneWriteAnswers(WSGIRequestHandler):
        wbufsize = 1 << 16  # a buffered wfile: werkzeug flushes it after each chunk of the answer

        def handle_expect_100(self) -> bool:
            """A client waiting for "100 Continue" gets it now, not with the answer (http.server sends it unflushed)."""
            self.send_response_only(100)
            self.end_headers()
            self.wfile.flush()
            return True

        def run_wsgi(self) -> None:
            if "Expect" in self.headers:
                del self.headers["Expect"]  # answered above; werkzeug would send a second "100 Continue"
            super().run_wsgi()

    return OneWriteAnswers


def _attach_dataplane(home: Path) -> None:
    """Real PostgreSQL behind the clusters; its servers stop and its files go when the emulator stops."""
    import atexit
    import signal

    from moto.cloudwatch.models import cloudwatch_backends

    from drkit_lab.dataplane.binaries import find
    from drkit_lab.dataplane.plane import DataPlane, cleanup
    from drkit_lab.emulator import hooks

    cleanup(home)  # what an emulator killed before it could clean up left behind
    plane = DataPlane(find(), home, apply_delay_ms=int(os.environ.get("DRKIT_DATAPLANE_APPLY_DELAY_MS", "0")))
    hooks.on_cluster_created(plane.cluster_created)
    hooks.on_cluster_deleted(plane.cluster_deleted)
    hooks.on_writer_moved(lambda g, w, loss: plane.writer_moved(g, w, allow_data_loss=loss))
    hooks.on_region_down(plane.region_down)
    hooks.on_region_returned(plane.region_returned)
    hooks.on_describe(lambda: {"enabled": True, **plane.describe()})
    hooks.on_lag_modeled(plane.model_lag_of)
    hooks.on_synchronization(plane.synchronization)
    from drkit_lab.dataplane import pof

    pof.attach(plane)  # point-of-failure snapshots hold set-aside data; restores start from it; replication can be held back

    def put(region: str, cluster: str, milliseconds: float) -> None:
        """As Aurora publishes it: AWS/RDS, per secondary cluster, in the secondary's region."""
        backend = cloudwatch_backends[ACCOUNT][region]
        data = [
            {"MetricName": name, "Value": milliseconds, "Unit": "Milliseconds", "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster}]}
            for name in ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")
        ]
        backend.put_metric_data("AWS/RDS", data)

    plane.run_lag_publisher(put)
    atexit.register(plane.shutdown)

    def terminate(signum: int, frame: object) -> None:
        plane.shutdown()
        os._exit(0)

    signal.signal(signal.SIGTERM, terminate)
    print(f"drkit emulator: data plane: {plane.postgres.describe()}; files in {plane.base}", flush=True)


def _log_dropped_connections() -> None:
    """werkzeug drops a connection silently; say so in the emulator log (a client may then retry)."""
    from werkzeug import serving

    def dropped(self: serving.WSGIRequestHandler, error: BaseException, environ: dict[str, object] | None = None) -> None:
        where = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}" if environ else "?"
        print(f"drkit emulator: connection dropped while answering {where}: {error!r}", file=sys.stderr, flush=True)

    serving.WSGIRequestHandler.connection_dropped = dropped  # type: ignore[method-assign]


if __name__ == "__main__":
    sys.exit(main())
