"""What AWS evaluates for the stack, computed for the emulator on a simulated clock.

moto stores alarms, health checks and records but evaluates none of them: an alarm stays in the
state it was created in, a health check is always healthy, and nothing answers a DNS query. Game
day needs them to behave as AWS does, so this module evaluates, at a given (simulated) time:

* **CloudWatch metric alarms** (CloudWatch User Guide, "Evaluating an alarm" and "Configuring how
  CloudWatch alarms treat missing data"): the statistic of every complete period of the alarm's
  *evaluation range* (``EvaluationPeriods`` + 2 periods, see :func:`alarm_state`), judged by AWS's
  rule for missing data: the most recent ``EvaluationPeriods`` real data points when there are that
  many, else every real one plus missing ones filled per ``TreatMissingData``, and the
  "premature alarm" case. A state change runs the alarm's actions: the SNS
  topics of ``AlarmActions``/``OKActions``/``InsufficientDataActions`` receive CloudWatch's
  notification; a Lambda function ARN is an asynchronous invocation with CloudWatch's alarm event,
  made only when the function's resource policy allows ``lambda.alarms.cloudwatch.amazonaws.com``
  for that alarm (CloudWatch User Guide, "Invoke a Lambda function from an alarm": no invocation
  "When CloudWatch is not authorized to invoke the Lambda function"); the caller runs it (the game
  day). Alarms of a region that is down are not evaluated (its CloudWatch is down). An alarm is
  evaluated once per period of its own (a 10 s high-resolution alarm at every 10 s, a one-minute
  alarm once a minute), whatever the caller's step.
* **Route 53 health checks** (Route 53 Developer Guide, "Monitoring a CloudWatch alarm" and
  "Calculated health checks"): a ``CLOUDWATCH_METRIC`` check is healthy while its alarm is OK,
  unhealthy while it is in ALARM, and follows ``InsufficientDataHealthStatus`` (Healthy, Unhealthy
  or LastKnownStatus) while the alarm has insufficient data *or its region cannot be read*. (AWS
  reads the alarm's data stream rather than its state, which gives the same verdict here because
  the stream is evaluated with the alarm's own settings.) A ``CALCULATED`` check is healthy when at
  least ``HealthThreshold`` children are (inverted when ``Inverted``). The verdicts are handed to
  the emulator (``/_drkit/health-checks``), so ``GetHealthCheckStatus`` reports them.
* **Route 53 answers** for a name of a private zone: a failover record set answers its PRIMARY while
  the PRIMARY's health check is healthy (or it has none), else its SECONDARY; CNAMEs inside the zone
  are followed; the global writer endpoint answers the current writer's cluster endpoint, as
  Aurora keeps it.

The decisions are pure functions (``alarm_state``, ``check_status``, ``calculated_status``,
``resolve``) tested as tables; :class:`Evaluator` reads the emulator as AWS's own control plane
(requests marked internal, so an outage fails clients, not the evaluation) and writes the results.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}
GLOBAL_WRITER_SUFFIX = ".global-"  # <id>.global-<hash>.global.rds.amazonaws.com


# --------------------------------------------------------------------------- pure decisions


EXTRA_EVALUATION_PERIODS = 2  # the evaluation range beyond EvaluationPeriods (see alarm_state)


def alarm_state(
    values: Sequence[float | None],
    *,
    threshold: float,
    comparison: str,
    datapoints_to_alarm: int | None,
    treat_missing: str,
    current: str,
    evaluation_periods: int | None = None,
) -> str:
    """The state of a metric alarm from the statistic of each period of its evaluation range, oldest first
    (None: no data in that period).

    CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data", section "How alarm state
    is evaluated when data is missing": "CloudWatch attempts to retrieve a higher number of data points than
    the number specified as Evaluation Periods" (the *evaluation range*; its tables use Evaluation Periods 3
    and a range of 5, which the evaluator takes as N + 2 for every alarm: AWS says the exact number "depends
    on the length of the alarm period and whether it is based on a metric with standard resolution or high
    resolution" and publishes no other). Then, with N = Evaluation Periods and M = Datapoints to Alarm:

    * at least N real data points in the range: the most recent N real ones decide ("the value you set for
      how to treat missing data is not needed and is ignored");
    * none at all: ``missing`` INSUFFICIENT_DATA, ``ignore`` the current state, ``breaching`` ALARM,
      ``notBreaching`` OK;
    * fewer than N: "CloudWatch fills in the missing data points with the result you specified for how to
      treat missing data ... all real data points in the evaluation range are included", as few fills as
      possible (N minus the real ones). ``breaching`` fills count against the threshold, ``notBreaching``
      ones for it, ``missing`` and ``ignore`` ones not at all; ALARM when M breach, else OK, except:
    * **premature alarm state**: with ``missing`` (``ignore``: the state is kept) the alarm goes to ALARM
      "when the oldest available breaching datapoint ... is at least as old as the value of Datapoints to
      Alarm, and all other more recent data points are breaching or missing ... even if the total number of
      datapoints available is lower than M". Read as: the oldest real data point of the range breaches, it
      is at least M periods old, and every real point after it breaches: the only reading that gives every
      row of both tables (a non-breaching point *before* the breaching one, ``0 - X - -`` with M 2, stays OK).

    ``tests/emulator/test_evaluation.py`` checks every row and column of both tables.
    """
    if comparison not in COMPARISONS:
        raise ValueError(f"unsupported ComparisonOperator {comparison!r}")
    compare = COMPARISONS[comparison]

    def breaches(value: float) -> bool:
        return compare(value, threshold)

    needed_periods = evaluation_periods or len(values)
    needed = datapoints_to_alarm or needed_periods
    real = [(age, value) for age, value in enumerate(reversed(values), start=1) if value is not None]  # newest first, age 1 = newest
    if not real:
        return {"breaching": ALARM, "notBreaching": OK, "ignore": current}.get(treat_missing, INSUFFICIENT)
    if len(real) >= needed_periods:
        return ALARM if sum(breaches(value) for _, value in real[:needed_periods]) >= needed else OK
    breaching = sum(breaches(value) for _, value in real)
    if treat_missing == "breaching":
        breaching += needed_periods - len(real)
    if breaching >= needed:
        return ALARM
    oldest_age = real[-1][0]
    premature = treat_missing in ("missing", "ignore") and all(breaches(value) for _, value in real) and oldest_age >= needed
    if premature:
        return ALARM if treat_missing == "missing" else current
    return OK


ALARM_INVOKER = "lambda.alarms.cloudwatch.amazonaws.com"


def alarm_may_invoke(policy: Mapping[str, Any] | None, alarm_arn: str, account: str) -> bool:
    """Does a function's resource policy let CloudWatch invoke it for this alarm (Allow, the alarms'
    service principal, ``lambda:InvokeFunction``, and a ``AWS:SourceArn`` condition matching the alarm when
    there is one, a ``AWS:SourceAccount`` one matching the account)?"""
    import fnmatch

    for statement in (policy or {}).get("Statement", []):
        principal = statement.get("Principal") or {}
        services = principal.get("Service") if isinstance(principal, dict) else None
        services = [services] if isinstance(services, str) else list(services or [])
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else list(actions or [])
        if statement.get("Effect") != "Allow" or ALARM_INVOKER not in services or not {"lambda:InvokeFunction", "lambda:*", "*"} & set(actions):
            continue
        condition = statement.get("Condition") or {}
        source = {**condition.get("ArnLike", {}), **condition.get("ArnEquals", {})}.get("AWS:SourceArn")
        if source is not None and not fnmatch.fnmatchcase(alarm_arn, str(source)):
            continue
        source_account = condition.get("StringEquals", {}).get("AWS:SourceAccount")
        if source_account is not None and str(source_account) != account:
            continue
        return True
    return False


def alarm_event(alarm: Mapping[str, Any], region: str, account: str, old: str, new: str, reason: str, now: datetime) -> dict[str, Any]:
    """The event CloudWatch sends a Lambda alarm action (CloudWatch User Guide, "Invoke a Lambda function
    from an alarm": ``source``, ``alarmArn``, ``accountId``, ``time``, ``region``, ``alarmData``)."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    return {
        "source": "aws.cloudwatch",
        "alarmArn": alarm.get("AlarmArn") or f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm['AlarmName']}",
        "accountId": account,
        "time": stamp,
        "region": region,
        "alarmData": {
            "alarmName": alarm["AlarmName"],
            "state": {"value": new, "reason": reason, "timestamp": stamp},
            "previousState": {"value": old},
            "configuration": {"description": alarm.get("AlarmDescription")},
        },
    }


def check_status(alarm: str | None, insufficient: str | None, last: bool | None) -> bool:
    """A CLOUDWATCH_METRIC health check's verdict; ``alarm`` None means its region cannot be read."""
    if alarm == OK:
        return True
    if alarm == ALARM:
        return False
    if insufficient == "Healthy":
        return True
    if insufficient == "Unhealthy":
        return False
    return True if last is None else last  # LastKnownStatus (a new check starts healthy)


def calculated_status(children: Sequence[bool], threshold: int, inverted: bool = False) -> bool:
    healthy = sum(children) >= threshold
    return not healthy if inverted else healthy


@dataclass(frozen=True)
class Record:
    name: str
    type: str
    values: tuple[str, ...]
    failover: str | None = None  # PRIMARY | SECONDARY
    health_check: str | None = None


def resolve(name: str, records: Sequence[Record], healthy: Mapping[str, bool], outside: Callable[[str], str | None]) -> list[str]:
    """The chain of names Route 53 answers for ``name``: each CNAME target in turn, then what a name
    outside the zone resolves to (``outside``: the global writer endpoint -> the writer's endpoint)."""
    chain = [name]
    current = name.rstrip(".")
    for _ in range(16):
        here = [r for r in records if r.name.rstrip(".") == current]
        if not here:
            beyond = outside(current)
            if beyond is not None and beyond != current:
                chain.append(beyond)
            return chain
        chosen = here[0]
        if any(r.failover for r in here):
            primary = next(r for r in here if r.failover == "PRIMARY")
            secondary = next((r for r in here if r.failover == "SECONDARY"), None)
            use_primary = primary.health_check is None or healthy.get(primary.health_check, True)
            chosen = primary if use_primary or secondary is None else secondary
        if chosen.type != "CNAME":
            chain.append(",".join(chosen.values))
            return chain
        current = chosen.values[0].rstrip(".")
        chain.append(current)
    raise ValueError(f"CNAME chain of {name} longer than 16: {chain}")


# --------------------------------------------------------------------------- against the emulator


@dataclass
class Change:
    """One thing the evaluation saw change, at a simulated time."""

    at: datetime
    kind: str  # alarm | health-check | alert | invoke
    subject: str  # (invoke: the function's ARN)
    region: str
    old: str
    new: str
    detail: str = ""
    event: dict[str, Any] | None = None  # invoke: the alarm event the function receives


@dataclass
class Evaluator:
    """Evaluates alarms and health checks of the emulator at simulated times, as AWS would."""

    url: str
    regions: tuple[str, ...]
    down: Callable[[], set[str]]
    alarm_prefix: str = "drkit-"
    states: dict[tuple[str, str], str] = field(default_factory=dict)  # (region, alarm) -> state
    paging: set[tuple[str, str]] = field(default_factory=set)  # alarms whose ALARM state notifies someone
    health: dict[str, bool] = field(default_factory=dict)  # health check id -> healthy
    account: str = "123456789012"  # the emulator's account
    evaluated: dict[tuple[str, str], int] = field(default_factory=dict)  # (region, alarm) -> end of the last period evaluated
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str = "us-east-1") -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = internal_client(self.url, service, region)
        return self._clients[key]

    # ---- alarms

    def evaluate_alarms(self, now: datetime) -> list[Change]:
        changes: list[Change] = []
        for region in self.regions:
            if region in self.down():
                continue
            cloudwatch = self.client("cloudwatch", region)
            for alarm in cloudwatch.describe_alarms(AlarmNamePrefix=self.alarm_prefix)["MetricAlarms"]:
                key = (region, alarm["AlarmName"])
                if alarm.get("ActionsEnabled", True) and alarm.get("AlarmActions"):
                    self.paging.add(key)
                period_end = math.floor(now.timestamp() / int(alarm["Period"])) * int(alarm["Period"])
                if self.evaluated.get(key) == period_end:
                    continue  # no new period of this alarm has ended since it was last evaluated
                self.evaluated[key] = period_end
                current = self.states.get(key, alarm["StateValue"])
                values = self.period_values(cloudwatch, alarm, now)
                new = alarm_state(
                    values,
                    threshold=float(alarm["Threshold"]),
                    comparison=alarm["ComparisonOperator"],
                    datapoints_to_alarm=alarm.get("DatapointsToAlarm"),
                    treat_missing=alarm.get("TreatMissingData", "missing"),
                    current=current,
                    evaluation_periods=int(alarm["EvaluationPeriods"]),
                )
                self.states[key] = new
                if new == current:
                    continue
                reason = f"{alarm['Statistic']} of the last {len(values)} period(s) of {alarm['Period']} s (the evaluation range): {values}"
                cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=new, StateReason=reason[:1000])
                changes.append(Change(now, "alarm", alarm["AlarmName"], region, current, new, reason))
                changes.extend(self.run_actions(alarm, region, current, new, reason, now))
        return changes

    @staticmethod
    def period_values(cloudwatch: Any, alarm: Mapping[str, Any], now: datetime) -> list[float | None]:
        """The alarm's statistic for each complete period of its evaluation range (``EvaluationPeriods`` +
        ``EXTRA_EVALUATION_PERIODS``, oldest first), periods aligned to multiples of their length. One query
        per period, so each answer is exactly one period (moto aligns its buckets to the first datum it
        finds, not to the period). A sub-minute (high-resolution) alarm reads its whole range in one query
        at one-second buckets (its data is stored to the second) and groups them into its periods."""
        period = int(alarm["Period"])
        end = math.floor(now.timestamp() / period) * period
        statistic = alarm["Statistic"]
        if period < 60:
            return _high_resolution_values(cloudwatch, alarm, end, period, statistic)
        values: list[float | None] = []
        for index in range(int(alarm["EvaluationPeriods"]) + EXTRA_EVALUATION_PERIODS, 0, -1):
            start = end - index * period
            points = cloudwatch.get_metric_statistics(
                Namespace=alarm["Namespace"],
                MetricName=alarm["MetricName"],
                Dimensions=alarm.get("Dimensions", []),
                StartTime=datetime.fromtimestamp(start, UTC),
                EndTime=datetime.fromtimestamp(start + period, UTC),
                Period=period,
                Statistics=[statistic],
            )["Datapoints"]
            values.append(_combine(statistic, [float(p[statistic]) for p in points]) if points else None)
        return values

    def run_actions(self, alarm: Mapping[str, Any], region: str, old: str, new: str, reason: str, now: datetime) -> list[Change]:
        actions = {ALARM: "AlarmActions", OK: "OKActions", INSUFFICIENT: "InsufficientDataActions"}[new]
        sent = []
        for arn in alarm.get(actions, []) if alarm.get("ActionsEnabled", True) else []:
            if arn.startswith("arn:aws:lambda:"):
                sent.append(self.lambda_action(arn, alarm, region, old, new, reason, now))
                continue
            if not arn.startswith("arn:aws:sns:"):
                continue
            message = {
                "AlarmName": alarm["AlarmName"],
                "AlarmDescription": alarm.get("AlarmDescription"),
                "NewStateValue": new,
                "OldStateValue": old,
                "NewStateReason": reason,
                "StateChangeTime": now.isoformat(),
                "Region": region,
            }
            self.client("sns", arn.split(":")[3]).publish(TopicArn=arn, Subject=f"{new}: {alarm['AlarmName']}"[:100], Message=json.dumps(message))
            sent.append(Change(now, "alert", alarm["AlarmName"], region, old, new, f"CloudWatch -> {arn.rsplit(':', 1)[-1]}"))
        return sent

    def lambda_action(self, arn: str, alarm: Mapping[str, Any], region: str, old: str, new: str, reason: str, now: datetime) -> Change:
        """An alarm's Lambda action: the invocation to make (the caller runs the function), or a note that
        CloudWatch is not authorized to make it."""
        function_region = arn.split(":")[3]
        try:
            policy = json.loads(self.client("lambda", function_region).get_policy(FunctionName=arn)["Policy"])
        except Exception:
            policy = None
        event = alarm_event(alarm, region, self.account, old, new, reason, now)
        if not alarm_may_invoke(policy, event["alarmArn"], self.account):
            return Change(now, "alert", alarm["AlarmName"], region, old, new, f"CloudWatch is NOT authorized to invoke {arn}: no invocation")
        return Change(now, "invoke", arn, region, old, new, f"CloudWatch -> {arn.rsplit(':', 1)[-1]} ({alarm['AlarmName']})", event)

    def alarm_of(self, region: str, name: str) -> str | None:
        """An alarm's state as another service reads it; None when its region cannot be read."""
        if region in self.down():
            return None
        if (region, name) in self.states:
            return self.states[(region, name)]
        alarms = self.client("cloudwatch", region).describe_alarms(AlarmNames=[name])["MetricAlarms"]
        return alarms[0]["StateValue"] if alarms else INSUFFICIENT

    # ---- health checks

    def evaluate_health_checks(self, now: datetime) -> list[Change]:
        route53 = self.client("route53")
        checks = route53.list_health_checks()["HealthChecks"]
        verdicts: dict[str, bool] = {}
        for check in checks:
            config = check["HealthCheckConfig"]
            if config["Type"] == "CLOUDWATCH_METRIC":
                alarm = config["AlarmIdentifier"]
                verdicts[check["Id"]] = check_status(
                    self.alarm_of(alarm["Region"], alarm["Name"]), config.get("InsufficientDataHealthStatus"), self.health.get(check["Id"])
                )
        for check in checks:  # calculated checks read their children's verdicts of this round
            config = check["HealthCheckConfig"]
            if config["Type"] == "CALCULATED":
                children = [verdicts.get(child, self.health.get(child, True)) for child in config.get("ChildHealthChecks", [])]
                verdicts[check["Id"]] = calculated_status(children, int(config.get("HealthThreshold", len(children))), bool(config.get("Inverted")))
        changes = []
        for check_id, healthy in verdicts.items():
            before = self.health.get(check_id)
            if before is None or before != healthy:
                if before is not None:
                    changes.append(Change(now, "health-check", check_id, "global", _health(before), _health(healthy)))
                self.health[check_id] = healthy
        post_control(self.url, "health-checks", {k: v for k, v in self.health.items()})
        return changes

    # ---- DNS

    def records(self, zone_name: str) -> list[Record]:
        route53 = self.client("route53")
        zone = next(z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"].rstrip(".") == zone_name.rstrip("."))
        found = []
        for item in route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]:
            values = tuple(r["Value"] for r in item.get("ResourceRecords", []))
            found.append(Record(item["Name"], item["Type"], values, item.get("Failover"), item.get("HealthCheckId")))
        return found

    def answer(self, zone_name: str, name: str, global_cluster_id: str) -> list[str]:
        """What Route 53 answers for ``name`` now (the chain of names, the last one is where clients connect)."""
        return resolve(name, self.records(zone_name), self.health, lambda target: self.outside(target, global_cluster_id))

    def outside(self, name: str, global_cluster_id: str) -> str | None:
        if GLOBAL_WRITER_SUFFIX not in name:
            return None
        return writer_endpoint(self, global_cluster_id)


def writer_endpoint(evaluator: Evaluator, global_cluster_id: str) -> str | None:
    """The cluster endpoint of the global cluster's current writer: what the global writer endpoint answers.

    DNS is Route 53's data plane, global: the name keeps answering the writer's endpoint while the
    writer's region is down (connections to it fail), until a failover moves it."""
    for region in evaluator.regions:
        found = evaluator.client("rds", region).describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"]
        if not found:
            continue
        writer = next((m for m in found[0]["GlobalClusterMembers"] if m.get("IsWriter")), None)
        if writer is None:
            return None
        arn = writer["DBClusterArn"]
        writer_region, cluster = arn.split(":")[3], arn.rsplit(":", 1)[-1]
        clusters = evaluator.client("rds", writer_region).describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"]
        return str(clusters[0]["Endpoint"]) if clusters else None
    return None


def _high_resolution_values(cloudwatch: Any, alarm: Mapping[str, Any], end: int, period: int, statistic: str) -> list[float | None]:
    count = int(alarm["EvaluationPeriods"]) + EXTRA_EVALUATION_PERIODS
    start = end - count * period
    points = cloudwatch.get_metric_statistics(
        Namespace=alarm["Namespace"],
        MetricName=alarm["MetricName"],
        Dimensions=alarm.get("Dimensions", []),
        StartTime=datetime.fromtimestamp(start, UTC),
        EndTime=datetime.fromtimestamp(end, UTC),
        Period=1,
        Statistics=[statistic],
    )["Datapoints"]
    buckets: list[list[float]] = [[] for _ in range(count)]
    for point in points:
        index = int((point["Timestamp"].timestamp() - start) // period)
        if 0 <= index < count:
            buckets[index].append(float(point[statistic]))
    return [_combine(statistic, bucket) if bucket else None for bucket in buckets]


def _combine(statistic: str, values: list[float]) -> float:
    """One period's statistic when the emulator split it into several buckets."""
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    if statistic in ("Sum", "SampleCount"):
        return sum(values)
    return sum(values) / len(values)


def _health(healthy: bool) -> str:
    return "healthy" if healthy else "unhealthy"


def internal_client(url: str, service: str, region: str) -> Any:
    """A client for AWS's own control plane: marked internal, so a simulated outage does not fail it."""
    import boto3

    client = boto3.client(service, region_name=region, endpoint_url=url, aws_access_key_id="drkit-local", aws_secret_access_key="drkit-local")

    def mark(request: Any, **_: Any) -> None:
        request.headers["X-Drkit-Internal"] = "1"

    client.meta.events.register("before-sign.*.*", mark)
    return client


def post_control(url: str, path: str, document: object) -> Any:
    import urllib.request

    request = urllib.request.Request(
        f"{url}/_drkit/{path}", data=json.dumps(document).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def get_control(url: str, path: str) -> Any:
    import urllib.request

    with urllib.request.urlopen(f"{url}/_drkit/{path}", timeout=10) as response:
        return json.loads(response.read())
