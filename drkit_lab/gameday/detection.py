"""Fast detection in the game day: the writer probes, CloudWatch's Lambda actions, the failover automation.

* **Probes.** Each region's probe is a warm container: the real ``functions/writer_probe/handler`` module,
  loaded once per region with that function's deployed environment (as Lambda loads it once per
  container), then called at every probe interval in ``fine`` steps (only the run's first probe, once a
  simulated minute, otherwise: scenarios that do not exercise detection need not pay for six). It
  publishes its own metrics (PutMetricData, at each probe's own time, high resolution). Its API calls go
  to the emulator (a region that is down answers 503). Its data path connects to the real PostgreSQL
  server behind the writer's endpoint (the emulator's endpoint map ``/_drkit/dataplane`` stands in for
  DNS); without a data plane, to a stand-in listener that answers while the writer's region is up.
* **Partitions.** The emulator cannot tell where a request comes from, so a partition between an
  observer region and another region is injected at the observer's boundary: its probe's connections
  to that region and every call of its probe and its monitor to that region fail.
* **Lambda actions.** An alarm whose action is a function (the evaluator checked the function's
  permission) runs the runbook handler in-process with the function's deployed environment, its clock
  the simulated one, and the credentials of the function's own role, assumed through the emulator's STS
  (as Lambda assumes it): the emulator enforces IAM for them, so the automation can call exactly what
  the role grants.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any

from drkit_lab.emulator.evaluation import Change, get_control

if TYPE_CHECKING:
    from drkit_lab.gameday.world import GameDay

RUN_SECONDS = 1  # a run's Lambda metrics are stamped just after the schedule fired


class Unreachable:
    """A client for a region the caller cannot reach: every call fails as a connection does."""

    def __init__(self, observer: str, region: str) -> None:
        self.observer, self.region = observer, region

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError(f"game day: {self.region} is unreachable from {self.observer} (a partition)")

        return fail


class StandIn:
    """Without a data plane: a listener that answers a PostgreSQL SSLRequest as a server does."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._serve, name="drkit-gameday-standin", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection, contextlib.suppress(OSError):
                if connection.recv(8):
                    connection.sendall(b"S")


@dataclass
class FastDetection:
    world: GameDay
    interval: int | None = None  # the deployed probes' interval (None: no probe deployed)
    containers: dict[str, ModuleType] = field(default_factory=dict)
    last_seen: dict[str, tuple[bool, bool] | None] = field(default_factory=dict)  # observer -> (data path, API) of its last probe
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _variables: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    _credentials: dict[str, str] | None = None
    _endpoints: tuple[datetime, dict[str, Any]] | None = None
    _stand_in: StandIn | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _session: Any = None

    def __post_init__(self) -> None:
        import boto3

        self._session = boto3.session.Session()
        self.interval = self.read_interval()

    # ---------------------------------------------------------------- what is deployed

    def variables(self, region: str, function: str) -> dict[str, str]:
        key = (region, function)
        if key not in self._variables:
            config = self.world.client("lambda", region).get_function_configuration(FunctionName=function)
            self._variables[key] = dict(config.get("Environment", {}).get("Variables", {}))
        return self._variables[key]

    def read_interval(self) -> int | None:
        """The probes' interval as deployed (and that EventBridge runs them every minute): read, not assumed."""
        names, region = self.world.names, self.world.regions[0]
        try:
            interval = int(self.variables(region, names.probe_function)["PROBE_INTERVAL_SECONDS"])
        except Exception:
            return None  # a deployment without probes (older than issue #24)
        rules = self.world.client("events", region).list_rule_names_by_target(
            TargetArn=f"arn:aws:lambda:{region}:{self.world_account}:function:{names.probe_function}"
        )["RuleNames"]
        if not rules or self.world.client("events", region).describe_rule(Name=rules[0])["ScheduleExpression"] != "rate(1 minute)":
            raise RuntimeError(f"the writer probe in {region} is not scheduled every minute")
        return interval

    @property
    def world_account(self) -> str:
        return self.world.evaluator.account

    # ---------------------------------------------------------------- clients, as seen from one region

    def client(self, service: str, region: str) -> Any:
        """A client as a function in this account calls AWS (not internal: a region that is down answers 503).
        The probe calls it from its threads: clients are made under a lock, from one session (boto3's default
        session is not safe to make clients from in several threads at once)."""
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                from botocore.config import Config

                self._clients[key] = self._session.client(  # type: ignore[call-overload]
                    service,
                    region_name=region,
                    endpoint_url=self.world.deployment.url,
                    aws_access_key_id="drkit-local",
                    aws_secret_access_key="drkit-local",
                    config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=3, read_timeout=3),
                )
            return self._clients[key]

    def client_from(self, observer: str) -> Any:
        def factory(service: str, region: str) -> Any:
            if (observer, region) in self.world.partitioned:
                return Unreachable(observer, region)
            return self.client(service, region)

        return factory

    def endpoint_map(self, now: datetime) -> dict[str, Any]:
        if self._endpoints is None or self._endpoints[0] != now:
            self._endpoints = (now, dict(get_control(self.world.deployment.url, "dataplane").get("endpoints", {})))
        return self._endpoints[1]

    def resolver_from(self, observer: str, now: datetime) -> Any:
        from drkit_lab.gameday.world import endpoint_region

        def resolve(host: str, port: int) -> list[tuple[str, int]]:
            region = endpoint_region(host) or ""
            if (observer, region) in self.world.partitioned:
                raise OSError(f"game day: no route from {observer} to {region} (a partition)")
            if self.world.real_data:
                target = self.endpoint_map(now)[host]
                return [(str(target["host"]), int(target["port"]))]
            if region in self.world.down:
                raise ConnectionRefusedError(f"game day: {region} is down")
            if self._stand_in is None:
                self._stand_in = StandIn()
            return [("127.0.0.1", self._stand_in.port)]

        return resolve

    # ---------------------------------------------------------------- the probes

    def container(self, region: str) -> ModuleType:
        """The probe's module in this region's container: loaded once, with the function's environment."""
        if region not in self.containers:
            from drkit_lab.gameday.world import patched_environ

            environ = {
                **self.variables(region, self.world.names.probe_function),
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
                "AWS_ENDPOINT_URL": self.world.deployment.url,
                "AWS_ACCESS_KEY_ID": "drkit-local",
                "AWS_SECRET_ACCESS_KEY": "drkit-local",
                "AWS_LAMBDA_FUNCTION_NAME": self.world.names.probe_function,
            }
            with patched_environ(environ), contextlib.redirect_stdout(io.StringIO()):
                self.containers[region] = load_module("functions.writer_probe.handler")
            self.containers[region].__dict__["client"] = self.client_from(region)
        return self.containers[region]

    def probe_all(self, now: datetime, minute: bool) -> None:
        """EventBridge runs each region's probe every minute; within it the probe runs every interval. Outside
        ``fine`` steps (scenarios that do not exercise detection) only each run's first probe is run, at the
        minute: a minute's step could not fill three 10 s periods anyway, and one probe a minute keeps what the
        probe's own health alarms read (its runs, its verdicts) as it is. Each run keeps the latch too."""
        if self.interval is None:
            return
        for region in self.world.regions:
            if region in self.world.down:
                continue
            if self.world.fine or minute:
                self.probe(region, now, minute)

    def probe(self, region: str, now: datetime, minute: bool) -> None:
        module = self.container(region)
        module.__dict__["resolve"] = self.resolver_from(region, now)
        printed = io.StringIO()
        errors = 0
        with contextlib.redirect_stdout(printed):
            try:
                result = module.probe_once(now)
                if minute:
                    self.keep_latch(region)
            except Exception as error:
                errors, result = 1, None
                self.world.record("note", f"writer probe in {region} failed", repr(error)[:300], region)
        seen = None if result is None else (result.data_path_up, result.api_up)
        if result is not None and (seen != self.last_seen.get(region) or result.lost):  # every lost probe, and every change
            api = "not judged" if result.api_up is None else ("up" if result.api_up else "DOWN")
            paths = f"data path {'up' if result.data_path_up else 'DOWN'}, API {api}"
            self.world.record("probe", f"probe from {region}: writer in {result.writer_region}: {paths}", "lost" if result.lost else "", region)
        self.last_seen[region] = seen
        if minute:
            self.lambda_metrics(region, self.world.names.probe_function, now, errors)

    def keep_latch(self, region: str) -> None:
        """The run's latch keeping (the handler's ``keep_latch``, in this region's container)."""
        module = self.container(region)
        with contextlib.redirect_stdout(io.StringIO()):
            copied = module.keep_latch()
        if copied:
            self.world.record("note", f"the probe in {region} copied the automation's latch from {copied}", region=region)

    def lambda_metrics(self, region: str, function: str, now: datetime, errors: int) -> None:
        stamp = now + timedelta(seconds=RUN_SECONDS)
        self.world.client("cloudwatch", region).put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {"MetricName": name, "Value": value, "Unit": "Count", "Timestamp": stamp, "Dimensions": [{"Name": "FunctionName", "Value": function}]}
                for name, value in (("Invocations", 1.0), ("Errors", float(errors)))
            ],
        )

    # ---------------------------------------------------------------- CloudWatch's Lambda actions

    def runbook_credentials(self, region: str) -> dict[str, str]:
        """The runbook function's role, assumed as Lambda assumes it, through STS in the function's region (the
        emulator then enforces the role's policy for every call the function makes)."""
        if self._credentials is None:
            role = f"arn:aws:iam::{self.world_account}:role/{self.world.names.runbook_function}"
            credentials = self.client("sts", region).assume_role(RoleArn=role, RoleSessionName="drkit-gameday-lambda")["Credentials"]
            self._credentials = {
                "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                "AWS_SESSION_TOKEN": credentials["SessionToken"],
            }
        return self._credentials

    def invoke(self, change: Change) -> tuple[dict[str, Any], list[str]]:
        """Run the function an alarm invoked, in-process; its result and the regions it called."""
        from drkit_lab.gameday.world import LambdaContext, patched_environ

        arn = change.subject
        region, name = arn.split(":")[3], arn.rsplit(":", 1)[-1]
        # ENGINE=arc: the operator moves the writer through the ARC plan, so the automation is held in manual (one
        # mover per incident, docs/region-switch.md): the function pages with the command instead of acting.
        held = {"FAILOVER_MODE": "manual"} if self.world.engine != "runbook" else {}
        environ = {
            **self.variables(region, name),
            **held,
            **self.runbook_credentials(region),
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": self.world.deployment.url,
            "AWS_LAMBDA_FUNCTION_NAME": name,
        }
        since = get_control(self.world.deployment.url, "journal?since=0")["sequence"]
        printed = io.StringIO()
        with patched_environ(environ), contextlib.redirect_stdout(printed):
            module = load_module("functions.failover.handler")
            module.__dict__["now"] = lambda: self.world.clock.now
            try:
                result = module.lambda_handler(change.event, LambdaContext(name, arn))
            except Exception as error:  # Lambda: the invocation failed (the dead-letter topic pages)
                result = {"result": "error", "reason": repr(error)[:500]}
        entries = [e for e in get_control(self.world.deployment.url, f"journal?since={since}")["entries"] if not e.get("internal")]
        regions = sorted({e["region"] for e in entries if e["region"]})
        summary = str(result.get("automation") or result.get("result"))
        reason = str(result.get("reason") or result.get("plan") or "")
        detail = json.dumps({k: v for k, v in result.items() if k in ("result", "reason", "command", "plan", "latch", "api_region")}, default=str)
        called = ", ".join(regions)
        self.world.record(
            "automation", f"runbook function in {region}: {summary}", f"{reason[:600]} | regions called: {called} | {detail[:800]}", region
        )
        return result, regions

    # ---------------------------------------------------------------- the latch, between scenarios

    def latches(self) -> dict[str, str]:
        """The automation's latch per region that holds one (read as AWS's own control plane: internal)."""
        found = {}
        for region in self.world.regions:
            if region in self.world.down:
                continue
            try:
                found[region] = str(
                    self.world.client("ssm", region).get_parameter(Name=self.world.names.automation_latch_parameter)["Parameter"]["Value"]
                )
            except Exception:
                continue
        return found

    def clear_latches(self) -> list[str]:
        cleared = []
        for region in self.latches():
            self.world.client("ssm", region).delete_parameter(Name=self.world.names.automation_latch_parameter)
            cleared.append(region)
        return cleared


def load_module(name: str) -> ModuleType:
    """A fresh instance of a handler module (a container's cold start), not registered in ``sys.modules``."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
