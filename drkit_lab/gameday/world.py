"""The world a game day runs in: the deployed stack on the emulator, driven minute by minute.

Every simulated minute (:meth:`GameDay.tick`):

1. **Aurora's data plane** publishes what Aurora publishes: ``AuroraGlobalDBReplicationLag`` and
   ``AuroraGlobalDBRPOLag`` of every secondary, in the secondary's region. The lag is the baseline
   (or the scenario's spike); while the writer's region is down nothing replicates, so the lag of
   every secondary grows with the outage (the emulator's model of Aurora, stated in the report).
2. **EventBridge** runs the replication monitor of every region that is up (and not silenced by the
   scenario): the real handler, in-process (no Lambda containers here), with the function's
   deployed environment, the emulator as its endpoint and the simulated clock as its ``now``. What
   Lambda and CloudWatch Logs make of a run is published too: ``AWS/Lambda`` Invocations/Errors and
   the embedded-metric-format documents it printed, as metrics.
3. **CloudWatch and Route 53** evaluate alarms, alarm actions and health checks
   (``drkit_lab.emulator.evaluation``).
4. The **answers** of every name clients use are resolved, and the on-call **pager** (an SQS queue
   subscribed to each region's alert topic) is read.

Fast detection (``drkit_lab.gameday.detection``): the writer probe of every region that is up runs too,
once a minute; in ``fine`` mode (scenarios that exercise detection) the minute is stepped at the
probes' interval (10 s): probes, the high-resolution alarms, their actions (the runbook function's
automation, run in-process under its own role) and what clients and on-call see, at every step. With
``pace`` each step also takes its length in wall time, so the ledger, which writes in real time, sees
the real detection and decision delay (the RTO measurement of ``primary-region-outage``).

Everything that changed is an :class:`Event` on the timeline, in seconds from the fault.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from constructs_lib.naming import failover_record_names, writer_record
from constructs_lib.topology import observer_of
from drkit_lab.dataplane import exercise
from drkit_lab.dataplane.ledger import Workload, verify
from drkit_lab.emf import emf_metrics
from drkit_lab.emulator.evaluation import ALARM, Evaluator, get_control, post_control
from drkit_lab.gameday.clock import SimulatedClock
from drkit_lab.gameday.detection import FastDetection
from drkit_lab.gameday.lossy import LostWrites
from drkit_lab.smoke import region_of, stack_regions

BASELINE_LAG_MS = 400.0
RUN_SECONDS = 1  # a scheduled run completes (and stamps its metrics) just after the schedule fires
PAGER_QUEUE = "drkit-gameday-pager"
ACCOUNT = "123456789012"  # the emulator's account


@dataclass(frozen=True)
class Event:
    at: datetime  # simulated time
    kind: str  # fault | metric-missing | alarm | health-check | dns | alert | runbook | writer | note | probe | automation
    subject: str
    detail: str = ""
    region: str = ""


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = "gameday"


@dataclass
class GameDay:
    deployment: Any  # drkit_lab.deploy_local.Deployment of the running local deployment
    outputs: dict[str, Any]
    operator: dict[str, str]  # the DR role's credentials (drkit_lab.drill.operator_credentials)
    clock: SimulatedClock = field(default_factory=SimulatedClock)
    events: list[Event] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    silenced: set[str] = field(default_factory=set)  # regions whose monitor does not run
    lag_override_ms: dict[str, float] = field(default_factory=dict)  # cluster id -> lag (set with override_lag)
    last_lag_ms: dict[str, float] = field(default_factory=dict)  # cluster id -> last published lag
    answers: dict[str, str] = field(default_factory=dict)  # name -> where clients connect
    writer: str | None = None  # the writer's region, as last observed
    wall_seconds: float = 0.0
    plan: Callable[[str], None] = lambda name: None  # terraform plan that must show no changes
    engine: str = "runbook"  # what moves the writer: the runbook, or the ARC plan (drkit_lab.gameday.arc)
    scenario: str = ""
    fine: bool = False  # step each minute at the probes' interval (detection scenarios)
    pace: bool = False  # each step takes its length in wall time (the ledger's RTO)
    partitioned: set[tuple[str, str]] = field(default_factory=set)  # (observer, region): the observer cannot reach that region
    lost: LostWrites | None = None  # what primary-region-outage lost on purpose, for region-returns to reconcile (``lossy``)
    _real_data: bool | None = None
    _wall_mark: float = 0.0  # pacing: the wall time of the simulated now
    minutes_run: int = 0  # simulated minutes this game day has run (alarms with 5-minute periods settle after 7)

    def __post_init__(self) -> None:
        self.env = self.deployment.environment()
        self.names = self.env.names
        self.regions = stack_regions(self.outputs)
        self.zone = self.env.dns.zone_name
        self.global_id = self.outputs["global_cluster_id"]
        self.evaluator = Evaluator(self.deployment.url, tuple(self.regions), down=lambda: self.down, alarm_prefix=self.names.prefix)
        self.queues: dict[str, str] = {}
        self.subscriptions: list[tuple[str, str]] = []
        self.schedule_seconds = self.check_schedules()
        self.detection = FastDetection(self)

    # ---------------------------------------------------------------- set-up and tear-down

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return self.evaluator.client(service, region)

    def check_schedules(self) -> int:
        """The monitor runs on the schedule the stack deployed: read it, do not assume it."""
        periods = set()
        for region in self.regions:
            rules = self.client("events", region).list_rule_names_by_target(
                TargetArn=f"arn:aws:lambda:{region}:{ACCOUNT}:function:{self.names.monitor_function}"
            )["RuleNames"]
            if not rules:
                raise RuntimeError(f"no EventBridge schedule targets the monitor in {region}")
            rule = self.client("events", region).describe_rule(Name=rules[0])
            if rule.get("State") != "ENABLED":
                raise RuntimeError(f"the monitor's schedule in {region} is {rule.get('State')}")
            expression = rule["ScheduleExpression"]
            if expression not in ("rate(1 minute)", "rate(60 seconds)"):
                raise RuntimeError(f"game day models a one-minute schedule; {region} has {expression}")
            periods.add(60)
        return periods.pop()

    @contextlib.contextmanager
    def pager(self) -> Iterator[None]:
        """An SQS queue per region subscribed to that region's alert topic, removed afterwards."""
        for region in self.regions:
            sqs = self.client("sqs", region)
            url = sqs.create_queue(QueueName=PAGER_QUEUE)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            topic = self.names.alert_topic_arn(ACCOUNT, region)
            subscription = self.client("sns", region).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
            self.queues[region] = url
            self.subscriptions.append((region, subscription))
        try:
            yield
        finally:
            for region, subscription in self.subscriptions:
                self.client("sns", region).unsubscribe(SubscriptionArn=subscription)
            for region, url in self.queues.items():
                self.client("sqs", region).delete_queue(QueueUrl=url)
            self.subscriptions.clear()
            self.queues.clear()

    # ---------------------------------------------------------------- the timeline

    def record(self, kind: str, subject: str, detail: str = "", region: str = "") -> Event:
        event = Event(self.clock.now, kind, subject, detail, region)
        self.events.append(event)
        return event

    def t(self, event: Event) -> float:
        """Seconds from the fault to the event (negative: before it)."""
        return self.clock.since_fault(event.at)

    def timeline(self, before: float = 180.0) -> list[dict[str, Any]]:
        """The events from ``before`` seconds ahead of the fault, with their time from the fault."""
        return [
            {"t": round(self.t(e), 1), "kind": e.kind, "subject": e.subject, "detail": e.detail, "region": e.region}
            for e in self.events
            if self.t(e) >= -before
        ]

    def begin(self, scenario: str, *, keep_state: bool = False) -> None:
        """A new scenario: a new timeline; unless ``keep_state``, every region up and every monitor running."""
        self.scenario = scenario
        self.events = []
        self.clock.fault_at = None
        self.fine = self.pace = False
        self.partitioned.clear()
        if not keep_state:
            if self.down:
                self.set_down(set())
            self.silenced.clear()
            self.clear_lag_override()
            self.restore_writer()
            cleared = self.detection.clear_latches()
            if cleared:
                self.record("note", "set-up: the failover automation re-armed", f"latch removed in {', '.join(cleared)}")

    def restore_writer(self) -> None:
        """Every scenario starts from the configured topology: the writer in the first region."""
        writer, _ = self.topology()
        home = self.regions[0]
        if writer is None or region_of(writer) == home:
            return
        self.client("rds", region_of(writer)).switchover_global_cluster(
            GlobalClusterIdentifier=self.global_id, TargetDbClusterIdentifier=f"arn:aws:rds:{home}:{ACCOUNT}:cluster:{self.names.cluster_id(home)}"
        )
        self.record("note", f"set-up: the writer moved back to {home} (the configured topology)")
        self.observe_writer()

    def fault(self, description: str, *, down: set[str] | None = None) -> None:
        self.clock.mark_fault()
        if down is not None:
            self.set_down(down)
        self.record("fault", description)

    def set_down(self, regions: set[str]) -> None:
        returned = self.down - regions
        self.down = set(regions)
        post_control(self.deployment.url, "faults", {"down_regions": sorted(self.down)})
        for region in sorted(returned):
            self.record("note", f"{region} is back", "its APIs answer again", region)

    # ---------------------------------------------------------------- one simulated minute

    def tick(self) -> None:
        """Up to the next minute boundary (a whole minute when on one): one step, or in ``fine`` mode steps of
        the probes' interval."""
        remaining = self.schedule_seconds - int(self.clock.now.timestamp()) % self.schedule_seconds
        step = self.detection.interval if self.fine and self.detection.interval else remaining
        while remaining > 0:
            self.step(min(step, remaining))
            remaining -= min(step, remaining)

    def start_pacing(self) -> None:
        """From now on each step takes its length in wall time, its work done at its end (a probe stamped 10 s
        after the fault runs 10 s after it): the ledger, writing in real time, sees the real delays."""
        self.pace = True
        self._wall_mark = time.monotonic()

    def automation_mode(self) -> str:
        """``manual`` or ``automatic``: as the runbook functions are deployed (read in a region that is up)."""
        region = next(r for r in self.regions if r not in self.down)
        return self.detection.variables(region, self.names.runbook_function).get("FAILOVER_MODE", "manual")

    def steps(self, count: int) -> None:
        """``count`` steps of the probes' interval (``fine`` mode; a minute boundary runs the minute's work)."""
        for _ in range(count):
            self.step(self.detection.interval or self.schedule_seconds)

    def step(self, seconds: int) -> None:
        started = time.monotonic()
        if self.pace:
            self._wall_mark += seconds
            time.sleep(max(0.0, self._wall_mark - time.monotonic()))
        now = self.clock.advance(seconds)
        minute = int(now.timestamp()) % self.schedule_seconds == 0
        if minute:
            self.minutes_run += 1
            self.aurora(now)
            for region in self.regions:
                if region in self.down:
                    if self.clock.fault_at is not None and 0 < self.clock.since_fault() <= self.schedule_seconds:
                        self.record("metric-missing", f"{region}: no monitor run, no metrics", "the region is down", region)
                    continue
                if region in self.silenced:
                    continue
                self.run_monitor(region, now)
        self.detection.probe_all(now, minute)
        changes = self.evaluator.evaluate_alarms(now)
        for change in changes:
            if change.kind == "alarm":  # what alarm actions sent is recorded as on-call receives it (the pager)
                self.record(change.kind, change.subject, f"{change.old} -> {change.new}: {change.detail}", change.region)
            elif change.kind == "alert" and "NOT authorized" in change.detail:
                self.record("note", change.detail, change.subject, change.region)
        for change in changes:
            if change.kind == "invoke":  # CloudWatch's asynchronous invocation of an alarm action
                self.detection.invoke(change)
        if minute or changes:
            for change in self.evaluator.evaluate_health_checks(now):
                self.record("health-check", self.check_label(change.subject), f"{change.old} -> {change.new}")
            self.observe_writer()
            self.observe_answers()
            self.read_pager()
        self.wall_seconds += time.monotonic() - started

    def ticks(self, minutes: int) -> None:
        for _ in range(minutes):
            self.tick()

    def warm_up(self, minutes: int = 7) -> None:
        """Run undisturbed long enough for every alarm (the slowest has a five-minute period) to settle."""
        self.clock.fault_at = None
        self.ticks(minutes)

    # ---------------------------------------------------------------- Aurora's data plane

    def topology(self) -> tuple[str | None, list[str]]:
        """(writer cluster ARN, secondary cluster ARNs), read from a region that answers."""
        for region in self.regions:
            if region in self.down:
                continue
            found = self.client("rds", region).describe_global_clusters(GlobalClusterIdentifier=self.global_id)["GlobalClusters"]
            members = found[0]["GlobalClusterMembers"]
            writer = next((m["DBClusterArn"] for m in members if m.get("IsWriter")), None)
            return writer, [m["DBClusterArn"] for m in members if not m.get("IsWriter")]
        return None, []

    def aurora(self, now: datetime, *, wall_clock: bool = False) -> None:
        """Publish the lag Aurora would publish now (``wall_clock``: stamped with the real time, for the
        runbook, which reads the lag of the last minutes of real time)."""
        writer, secondaries = self.topology()
        writer_down = writer is None or region_of(writer) in self.down
        for arn in secondaries:
            region, cluster = region_of(arn), arn.rsplit(":", 1)[-1]
            if region in self.down:
                continue
            if cluster in self.lag_override_ms:
                lag = self.lag_override_ms[cluster]
            elif writer_down and self.clock.fault_at is not None:
                lag = BASELINE_LAG_MS + 1000 * max(self.clock.since_fault(), 0)  # nothing replicates while the writer is gone
            else:
                lag = BASELINE_LAG_MS
            if not writer_down and not wall_clock:
                self.last_lag_ms[cluster] = lag  # what had replicated: the data-loss window of a failover
            self.client("cloudwatch", region).put_metric_data(
                Namespace="AWS/RDS",
                MetricData=[
                    {
                        "MetricName": metric,
                        "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster}],
                        "Value": lag,
                        "Unit": "Milliseconds",
                        "Timestamp": now,
                    }
                    for metric in ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")
                ],
            )

    def override_lag(self, cluster: str, milliseconds: float) -> None:
        """From now on the lag Aurora publishes for ``cluster`` is the model's; the data plane stops publishing its real one."""
        self.lag_override_ms[cluster] = milliseconds
        self._tell_data_plane()

    def clear_lag_override(self, cluster: str | None = None) -> None:
        """Back to the real lag (every cluster, or just ``cluster``)."""
        if cluster is None:
            self.lag_override_ms.clear()
        else:
            self.lag_override_ms.pop(cluster, None)
        self._tell_data_plane()

    def _tell_data_plane(self) -> None:
        if self.real_data:
            post_control(self.deployment.url, "dataplane", {"modeled_lag": sorted(self.lag_override_ms)})

    def publish_lag_now(self) -> None:
        """Before the runbook reads lag (at wall-clock time): the model's lag, unless a data plane publishes the real one."""
        if self.real_data and not self.lag_override_ms:
            return
        self.aurora(datetime.now(UTC), wall_clock=True)

    @property
    def real_data(self) -> bool:
        if self._real_data is None:
            self._real_data = bool(self.deployment.dataplane().get("enabled"))
        return self._real_data

    @contextlib.contextmanager
    def ledger(self) -> Iterator[Workload | None]:
        """With a data plane, the ledger writes (in real time) for the length of the block."""
        if not self.real_data:
            yield None
            return
        with exercise.ledger(self.deployment, self.outputs) as workload:
            yield workload

    def data_figures(self, workload: Workload, since: float, lag_before: float | None) -> dict[str, Any]:
        """What the database and its clients saw from ``since`` (monotonic): RPO, integrity, the longest write gap."""
        workload.wait_for_commits(exercise.RESUMED_COMMITS, timeout=120)
        verdict = verify(workload)
        return {
            "data_acknowledged": verdict.acknowledged,
            "data_missing": len(verdict.missing),
            "data_missing_seconds": round(verdict.missing_seconds, 2),
            "data_lag_before_seconds": None if lag_before is None else round(lag_before, 2),
            "data_integrity": verdict.integrity,
            "data_longest_write_gap_wall_seconds": round(workload.longest_gap(since, time.monotonic()), 2),
        }

    # ---------------------------------------------------------------- the monitor, as EventBridge runs it

    def run_monitor(self, region: str, scheduled: datetime) -> None:
        function = self.client("lambda", region).get_function_configuration(FunctionName=self.names.monitor_function)
        variables = dict(function.get("Environment", {}).get("Variables", {}))
        environ = {
            **variables,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": self.deployment.url,
            "AWS_ACCESS_KEY_ID": "drkit-local",
            "AWS_SECRET_ACCESS_KEY": "drkit-local",
            "AWS_LAMBDA_FUNCTION_NAME": function["FunctionName"],
        }
        printed = io.StringIO()
        errors = 0
        with patched_environ(environ), contextlib.redirect_stdout(printed):
            from functions.replication_monitor import handler

            module = importlib.reload(handler)  # a cold start: settings from this function's environment
            module.__dict__["now"] = lambda: scheduled  # the schedule fires at simulated time
            if any(observer == region for observer, _ in self.partitioned):  # its calls to a partitioned region fail
                module.__dict__["client"] = partition_aware(region, module.client, self.partitioned)
            try:
                module.lambda_handler({}, LambdaContext(function["FunctionName"], function["FunctionArn"]))
            except Exception as error:  # a failed run is an Errors datum, as Lambda would count it
                errors = 1
                self.record("note", f"monitor in {region} failed", repr(error)[:300], region)
        now = scheduled + timedelta(seconds=RUN_SECONDS)
        data = [
            {"MetricName": "Invocations", "Value": 1.0},
            {"MetricName": "Errors", "Value": float(errors)},
        ]
        cloudwatch = self.client("cloudwatch", region)
        cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {**d, "Dimensions": [{"Name": "FunctionName", "Value": function["FunctionName"]}], "Unit": "Count", "Timestamp": now} for d in data
            ],
        )
        for namespace, datum in emf_metrics(printed.getvalue()):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{**datum, "Timestamp": now}])

    # ---------------------------------------------------------------- what clients and on-call see

    def observe_writer(self) -> None:
        writer, _ = self.topology()
        region = region_of(writer) if writer else None
        if region != self.writer:
            if self.writer is not None:
                self.record("writer", f"the writer is in {region}", writer or "", region or "")
            self.writer = region

    def client_names(self) -> list[str]:
        return [*failover_record_names(self.zone, tuple(self.regions))[:1], writer_record(self.zone)]

    def observe_answers(self) -> None:
        for name in self.client_names():
            chain = self.evaluator.answer(self.zone, name, self.global_id)
            answer = chain[-1]
            if self.answers.get(name) != answer:
                if name in self.answers:
                    self.record("dns", f"{name} answers {endpoint_region(answer) or answer}", " -> ".join(chain))
                self.answers[name] = answer

    def names_answer(self, region: str) -> bool:
        """Does every name clients use answer with ``region``'s cluster endpoint?"""
        return all(endpoint_region(self.answers.get(name, "")) == region for name in self.client_names())

    def read_pager(self) -> None:
        for region, url in self.queues.items():
            sqs = self.client("sqs", region)
            while True:
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    envelope = json.loads(message["Body"])
                    subject = envelope.get("Subject") or ""
                    body = envelope.get("Message", "")
                    self.record("alert", subject or body.splitlines()[0][:120], body[:2000], region)
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def alerts(self, since: float = 0.0) -> list[Event]:
        return [e for e in self.events if e.kind == "alert" and self.t(e) >= since]

    def alarm(self, region: str, name: str) -> str | None:
        return self.evaluator.alarm_of(region, name)

    def first(self, kind: str, contains: str, since: float = 0.0) -> Event | None:
        return next((e for e in self.events if e.kind == kind and self.t(e) >= since and contains in f"{e.subject} {e.detail}"), None)

    def alarm_change(self, name: str, to_state: str, region: str | None = None, since: float = 0.0) -> Event | None:
        """The first change of alarm ``name`` (in ``region``) to ``to_state`` at or after ``since`` seconds from the fault."""
        return next(
            (
                e
                for e in self.events
                if e.kind == "alarm"
                and e.subject == name
                and f"-> {to_state}:" in e.detail
                and (region is None or e.region == region)
                and self.t(e) >= since
            ),
            None,
        )

    def check_label(self, check_id: str) -> str:
        for check in self.client("route53").list_health_checks()["HealthChecks"]:
            if check["Id"] == check_id:
                alarm = check["HealthCheckConfig"].get("AlarmIdentifier", {})
                return f"health check over {alarm.get('Name', check_id)} ({alarm.get('Region', '')})"
        return check_id

    # ---------------------------------------------------------------- the operator

    def runbook(self, *args: str) -> tuple[int, str, list[str]]:
        """The runbook CLI as the DR role; returns exit code, output and the regions it called."""
        from drkit_lab import drill

        since = get_control(self.deployment.url, "journal?since=0")["sequence"]
        self.record("runbook", f"runbook {' '.join(args)}", "started by the operator (DR role)")
        started = time.monotonic()
        completed = drill.runbook(self.deployment, self.operator, *args)
        self.wall_seconds += time.monotonic() - started
        entries = [e for e in get_control(self.deployment.url, f"journal?since={since}")["entries"] if not e.get("internal")]
        regions = sorted({e["region"] for e in entries if e["region"]})
        output = (completed.stdout + completed.stderr).strip()
        self.record("runbook", f"runbook exit {completed.returncode}", output[-1500:])
        self.observe_writer()
        self.observe_answers()
        self.read_pager()
        return completed.returncode, output, regions

    def observer_alarm(self, region: str) -> tuple[str, str]:
        """(alarm region, alarm name) of the writer-healthy alarm that judges ``region``."""
        return observer_of(self.regions, region), self.names.writer_healthy_alarm(region)

    def writer_alarm_fired(self, region: str) -> bool:
        return self.alarm(*self.observer_alarm(region)) == ALARM


def partition_aware(observer: str, client: Callable[[str, str], Any], partitioned: set[tuple[str, str]]) -> Callable[[str, str], Any]:
    from drkit_lab.gameday.detection import Unreachable

    def factory(service: str, region: str) -> Any:
        return Unreachable(observer, region) if (observer, region) in partitioned else client(service, region)

    return factory


def endpoint_region(endpoint: str) -> str | None:
    """The region of an RDS cluster endpoint (``<id>.cluster-<hash>.<region>.rds.amazonaws.com``)."""
    parts = endpoint.rstrip(".").split(".")
    return parts[-4] if endpoint.rstrip(".").endswith(".rds.amazonaws.com") and len(parts) >= 5 else None


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
