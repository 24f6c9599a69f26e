"""The emulator's own controls, in front of moto: region outages, a request journal, evaluated health.

A WSGI middleware inside the emulator process:

* **Region outages.** ``POST /_drkit/faults {"down_regions": ["us-east-1"]}``: every request signed
  for a down region is answered ``503 ServiceUnavailable`` and journaled, as a client in a regional
  outage sees its calls fail. Route 53 and IAM are global services whose control planes (their APIs)
  live in us-east-1: their APIs fail when us-east-1 is down, and only then. Their data planes (DNS
  answers, health checks: the evaluator) keep working. Requests marked ``X-Drkit-Internal: 1`` (the
  evaluator reading state, the harness) are never failed.
  Removing a region from the list is its return: the data plane is told (``hooks``).
* **A request journal.** ``GET /_drkit/journal?since=N``: every request with its region, service,
  action and status, so a test can prove which region a call went to and that nothing called a
  dead region.
* **Lost answers.** AWS SDKs mark every attempt of one operation with the same
  ``amz-sdk-invocation-id`` and ``amz-sdk-request: attempt=N``. A retry of the same request whose
  attempt the emulator answered with 2xx means the client never received that answer. It is
  journaled with ``retry_of``, the answered status and ``replayed``, and logged as ``LOST ANSWER``.
  From aws-sdk-go-v2 (the Terraform provider) the retry gets the kept answer instead of a second
  execution; ``answers`` says how that client loses one. Any other client's retry executes again,
  as on AWS.
* **Evaluated health.** ``POST /_drkit/health-checks {"<id>": true|false}``: the status the
  evaluator decided, which GetHealthCheckStatus then reports.
* **Knobs.** ``GET|POST /_drkit/knobs {"restore_seconds": 30}``: how long restores take, how long a
  returning member resyncs, the Lambda concurrency quota Service Quotas reports (``drkit_lab.emulator.knobs``).
* **The data plane.** ``GET /_drkit/dataplane``: the PostgreSQL servers behind the clusters and which
  one answers each endpoint name (``{"enabled": false}`` without a data plane).
  ``POST {"modeled_lag": [cluster, ...]}``: the caller (a game day) publishes those clusters' lag
  itself, and the data plane stops publishing theirs. A region going down
  or returning is passed on to it.
* **Further controls** registered by patches and the data plane in :data:`CONTROLS` (a path and a
  handler of ``(method, body)``): ``/_drkit/point-of-failure`` (the point-of-failure snapshot of an
  unplanned failover: its retention, a failed attempt) and ``/_drkit/replication`` (holding back one
  replica's replication).
"""

from __future__ import annotations

import io
import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from drkit_lab.emulator.answers import GO_SDK_AGENT, MAX_BODY_BYTES, Answer, AnswerBook, request_digest

# Route 53 and IAM are global, but their control planes (the APIs) live in us-east-1: when us-east-1 is
# down their APIs fail too, while Route 53's data plane (DNS answers, health checks) keeps working
# (Route 53 Developer Guide, "Resilience in Amazon Route 53" and "accelerated recovery": "DNS query
# resolution from the Route 53 data plane continues to work normally during Regional service
# impairment"; the data plane is the evaluator here, whose requests are internal).
GLOBAL_SERVICES = frozenset({"route53", "iam"})
GLOBAL_CONTROL_PLANE_REGION = "us-east-1"
JOURNAL_SIZE = 50_000
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/aws4_request")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class ControlState:
    down_regions: set[str] = field(default_factory=set)
    health_checks: dict[str, bool] = field(default_factory=dict)
    journal: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=JOURNAL_SIZE))
    sequence: int = 0
    answers: AnswerBook = field(default_factory=AnswerBook)  # the last answer of each SDK invocation
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.sequence += 1
            entry["seq"] = self.sequence
            self.journal.append(entry)

    def lost_answer(self, invocation: str, attempt: int, request: str) -> Answer | None:
        """The answer an SDK retry shows it never received: a retry (attempt > 1) of the same request, answered 2xx."""
        if attempt <= 1:
            return None
        with self.lock:
            answer = self.answers.get(invocation)
        return answer if answer is not None and answer.lost_if_retried and answer.request == request else None

    def keep_answer(
        self, invocation: str, entry: dict[str, Any], request: str, status: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> None:
        with self.lock:
            self.answers.keep(invocation, entry["seq"], entry["time"], request, status, headers, body)

    def since(self, sequence: int) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.journal if e["seq"] > sequence]


STATE = ControlState()
ControlHandler = Callable[[str, dict[str, Any]], dict[str, Any]]  # (method, JSON body) -> JSON answer
CONTROLS: dict[str, ControlHandler] = {}  # further control paths, registered by patches and the data plane


def _action(environ: dict[str, Any], body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if body and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '')}"


def _json(start_response: StartResponse, status: str, document: object) -> list[bytes]:
    payload = json.dumps(document, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


class ControlMiddleware:
    def __init__(
        self,
        app: WsgiApp,
        on_region_returned: Callable[[str], None] | None = None,
        on_region_down: Callable[[str], None] | None = None,
        describe_dataplane: Callable[[], dict[str, Any]] | None = None,
        model_lag: Callable[[set[str]], None] | None = None,
    ) -> None:
        self.app = app
        self.on_region_returned = on_region_returned
        self.on_region_down = on_region_down
        self.describe_dataplane = describe_dataplane
        self.model_lag = model_lag

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_drkit/"):
            return self._control(environ, start_response, path)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        region, service = (scope.group("region"), scope.group("service")) if scope else ("", "")
        internal = environ.get("HTTP_X_DRKIT_INTERNAL") == "1"
        entry: dict[str, Any] = {"time": time.time(), "region": region, "service": service, "action": _action(environ, body), "internal": internal}
        where = GLOBAL_CONTROL_PLANE_REGION if service in GLOBAL_SERVICES else region
        if not internal and where in STATE.down_regions:
            entry["status"] = 503
            STATE.record(entry)
            return _json(
                start_response, "503 Service Unavailable", {"__type": "ServiceUnavailable", "message": f"drkit emulator: region {region} is down"}
            )

        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation:
            return self.app(environ, self._recording(entry, start_response, {}))
        attempt_match = re.search(r"attempt=(\d+)", environ.get("HTTP_AMZ_SDK_REQUEST", ""))
        attempt = int(attempt_match.group(1)) if attempt_match else 1
        request = request_digest(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), body)
        go_client = GO_SDK_AGENT in environ.get("HTTP_USER_AGENT", "")
        lost = STATE.lost_answer(invocation, attempt, request)
        if lost is not None:
            replay = go_client and lost.replays(request)
            entry.update(retry_of=lost.seq, answered_status=lost.code, replayed=replay)
            outcome = (
                "its answer is given again"
                if replay
                else "executed again, as AWS would (not aws-sdk-go-v2)"
                if not go_client
                else "executed again (its answer was not kept)"
            )
            print(
                f"drkit emulator: LOST ANSWER: attempt {attempt} of {region} {service} {entry['action']} retries request {lost.seq}, "
                f"which was answered {lost.code}; {outcome}",
                file=sys.stderr,
                flush=True,
            )
            if replay:
                assert lost.body is not None
                entry["status"] = lost.code
                STATE.record(entry)
                start_response(lost.status, list(lost.headers))
                return [lost.body]
        answered: dict[str, Any] = {}
        iterable = self.app(environ, self._recording(entry, start_response, answered))
        if "status" not in answered:  # start_response comes later: nothing to keep
            return iterable
        size = str(next((value for key, value in answered["headers"] if key.lower() == "content-length"), ""))
        if not go_client or (size.isdigit() and int(size) > MAX_BODY_BYTES):
            # Remembered, so that a retry is recognised and logged; its body is not kept for replay.
            STATE.keep_answer(invocation, entry, request, answered["status"], answered["headers"], None)
            return iterable
        # Kept whole (moto builds its answers in memory anyway) before any byte of it is sent.
        try:
            answer = b"".join(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        STATE.keep_answer(invocation, entry, request, answered["status"], answered["headers"], answer)
        return [answer]

    @staticmethod
    def _recording(entry: dict[str, Any], start_response: StartResponse, answered: dict[str, Any]) -> StartResponse:
        """start_response that journals the answer's status and notes the status line and headers in ``answered``."""

        def recording_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            entry["status"] = int(status.split(" ", 1)[0])
            if "seq" not in entry:
                STATE.record(entry)
            answered.update(status=status, headers=headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return recording_start

    def _control(self, environ: dict[str, Any], start_response: StartResponse, path: str) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        if path == "/_drkit/faults":
            if method == "POST":
                wanted = set(body.get("down_regions", []))
                returned, lost = STATE.down_regions - wanted, wanted - STATE.down_regions
                STATE.down_regions = wanted
                for region in sorted(lost):
                    if self.on_region_down is not None:
                        self.on_region_down(region)
                for region in sorted(returned):
                    if self.on_region_returned is not None:
                        self.on_region_returned(region)
            return _json(start_response, "200 OK", {"down_regions": sorted(STATE.down_regions)})
        if path == "/_drkit/journal":
            since = int(parse_qs(environ.get("QUERY_STRING", "")).get("since", ["0"])[0])
            return _json(start_response, "200 OK", {"entries": STATE.since(since), "sequence": STATE.sequence})
        if path == "/_drkit/health-checks":
            if method == "POST":
                STATE.health_checks.update({str(k): bool(v) for k, v in body.items()})
            return _json(start_response, "200 OK", STATE.health_checks)
        if path == "/_drkit/knobs":
            from drkit_lab.emulator.knobs import KNOBS

            try:
                current = KNOBS.update(body) if method == "POST" else KNOBS.update({})
            except (ValueError, TypeError) as error:
                return _json(start_response, "400 Bad Request", {"message": str(error)})
            return _json(start_response, "200 OK", current)
        if path == "/_drkit/dataplane":
            if method == "POST" and self.model_lag is not None:
                self.model_lag({str(cluster) for cluster in body.get("modeled_lag", [])})
            return _json(start_response, "200 OK", self.describe_dataplane() if self.describe_dataplane else {"enabled": False})
        handler = CONTROLS.get(path)
        if handler is not None:
            try:
                return _json(start_response, "200 OK", handler(method, body))
            except ValueError as error:  # a request the control refuses, with the reason
                return _json(start_response, "400 Bad Request", {"message": str(error)})
        return _json(start_response, "404 Not Found", {"message": f"unknown control path {path}"})
