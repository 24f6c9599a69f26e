"""The writer probe handler against moto and a socket that answers as PostgreSQL does: its metrics (one
PutMetricData call per probe, high resolution, stamped with the probe's time), both paths, its verdict in the
writer's region, its deadlines, its clients, and the latch it keeps."""

from __future__ import annotations

import importlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from drkit_lab.emulator.patches import apply_all

pytestmark = pytest.mark.integration
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
LATCH = "/drkit/t/failover/automation-latch"


@dataclass
class Context:
    function_name: str = "drkit-t-writer-probe"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-west-2:123456789012:function:drkit-t-writer-probe"
    aws_request_id: str = "req-1"
    remaining_ms: int = 58_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class Recorder:
    """The probe's CloudWatch client, recording every PutMetricData call before moto stores it."""

    def __init__(self, real: Any) -> None:
        self.real, self.calls = real, []

    def put_metric_data(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return self.real.put_metric_data(**kwargs)


@pytest.fixture
def postgres_like() -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                if connection.recv(8):
                    connection.sendall(b"N")

    threading.Thread(target=serve, daemon=True).start()
    yield int(listener.getsockname()[1])
    listener.close()


def load(monkeypatch: pytest.MonkeyPatch, region: str, port: int) -> ModuleType:
    endpoints = ",".join(f"{r}=drkit-t-{r}.cluster-x.{r}.rds.amazonaws.com" for r in REGIONS)
    for key, value in {
        "AWS_REGION": region,
        "DRKIT_ENVIRONMENT": "test",
        "GLOBAL_CLUSTER_ID": "drkit-t",
        "MEMBER_ENDPOINTS": endpoints,
        "PROBE_INTERVAL_SECONDS": "10",
        "AUTOMATION_LATCH_PARAMETER": LATCH,
        "POWERTOOLS_SERVICE_NAME": "writer-probe",
    }.items():
        monkeypatch.setenv(key, value)
    from functions.writer_probe import handler

    module = importlib.reload(handler)
    module.CLIENTS[("cloudwatch", region)] = Recorder(module.CLIENTS[("cloudwatch", region)])
    module.__dict__["resolve"] = lambda host, p: [("127.0.0.1", port)]  # the endpoint map stands in for DNS
    module.__dict__["sleep"] = lambda seconds: None
    return module


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    apply_all()
    with mock_aws():
        boto3.client("rds", region_name="us-east-1").create_global_cluster(
            GlobalClusterIdentifier="drkit-t", Engine="aurora-postgresql", EngineVersion="16.6"
        )
        for region in REGIONS:
            extra = {"MasterUsername": "admin", "MasterUserPassword": "x" * 16} if region == "us-east-1" else {}
            boto3.client("rds", region_name=region).create_db_cluster(
                DBClusterIdentifier=f"drkit-t-{region}", Engine="aurora-postgresql", EngineVersion="16.6", GlobalClusterIdentifier="drkit-t", **extra
            )
        yield


def calls(probe: ModuleType) -> list[dict[str, Any]]:
    return list(probe.CLIENTS[("cloudwatch", probe.SETTINGS.region)].calls)


def by_name(call: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {datum["MetricName"]: datum for datum in call["MetricData"]}


def test_a_healthy_writer_seen_from_another_region(aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = load(monkeypatch, "us-west-2", postgres_like)
    at = datetime(2026, 12, 1, 12, 0, 10, tzinfo=UTC)
    result = probe.probe_once(at)
    assert result is not None and result.writer_region == "us-east-1" and result.data_path_up and result.api_up and not result.lost
    (call,) = calls(probe)  # one call per probe, every metric of it
    assert call["Namespace"] == "drkit"
    metrics = by_name(call)
    assert {name: d["Value"] for name, d in metrics.items()} == {
        "ProbeVerdict": 1.0,
        "WriterDataPathUp": 1.0,
        "WriterApiUp": 1.0,
        "WriterLost": 0.0,
        "WriterApiDownDataPathUp": 0.0,
    }
    assert all(d["Timestamp"] == at and d["StorageResolution"] == 1 for d in metrics.values())  # stamped with the probe's own time
    assert {x["Name"]: x["Value"] for x in metrics["WriterLost"]["Dimensions"]} == {
        "Environment": "test",
        "WriterRegion": "us-east-1",
        "service": "writer-probe",
    }
    assert {x["Name"]: x["Value"] for x in metrics["ProbeVerdict"]["Dimensions"]} == {"Environment": "test", "service": "writer-probe"}
    stored = boto3.client("cloudwatch", region_name="us-west-2").list_metrics(Namespace="drkit", MetricName="WriterLost")["Metrics"]
    assert len(stored) == 1  # in CloudWatch when the probe returns


def test_the_writers_own_region_judges_nothing_and_says_so(aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = load(monkeypatch, "us-east-1", postgres_like)
    assert probe.probe_once(datetime.now(UTC)) is None
    (call,) = calls(probe)
    assert {d["MetricName"]: d["Value"] for d in call["MetricData"]} == {"ProbeVerdict": 1.0}  # nothing to judge here, by design
    summary = probe.lambda_handler({"source": "aws.events"}, Context())
    assert summary["probes"] == 1 and summary["judged"] is None  # it returns at once instead of sleeping through the minute


def test_both_paths_down_is_lost_one_path_down_is_not(aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = load(monkeypatch, "eu-west-1", postgres_like)
    real_client = probe.client

    class Unreachable:
        def describe_db_clusters(self, **kwargs: Any) -> Any:
            raise ConnectionError("us-east-1 unreachable from eu-west-1")

    def partitioned(service: str, region: str) -> Any:
        return Unreachable() if region == "us-east-1" else real_client(service, region)

    probe.__dict__["client"] = partitioned
    api_down = probe.probe_once(datetime.now(UTC))
    assert api_down is not None and api_down.data_path_up and not api_down.api_up and not api_down.lost
    probe.__dict__["resolve"] = lambda host, port: [("127.0.0.1", 1)]  # nothing listens there
    lost = probe.probe_once(datetime.now(UTC))
    assert lost is not None and lost.lost


def test_a_run_probes_six_times_and_copies_the_latch(aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch) -> None:
    latch = json.dumps({"incident": "us-east-1", "target": "us-west-2", "at": "t", "by": "us-west-2"})
    boto3.client("ssm", region_name="us-west-2").put_parameter(Name=LATCH, Value=latch, Type="String")
    probe = load(monkeypatch, "eu-west-1", postgres_like)
    summary = probe.lambda_handler({"source": "aws.events"}, Context())
    assert summary["probes"] == 6 and summary["judged"] == "us-east-1" and summary["lost"] == 0
    assert summary["latch_copied_from"] == "us-west-2"
    assert boto3.client("ssm", region_name="eu-west-1").get_parameter(Name=LATCH)["Parameter"]["Value"] == latch
    assert probe.lambda_handler({"source": "aws.events"}, Context())["latch_copied_from"] is None  # already here


def test_a_local_client_error_is_no_verdict_never_the_rds_api_down(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """boto3 #1592/#2750: creating clients from several threads on the default session fails with
    KeyError('credential_provider'). Such an error is this container's, not the writer region's: it must not
    count as "the RDS API does not answer", which with the data path down would be a verdict of lost."""
    probe = load(monkeypatch, "us-west-2", 1)  # nothing listens on port 1: the data path is down
    real_client = probe.client

    def broken(service: str, region: str) -> Any:
        if service == "rds" and region == "us-east-1":
            raise KeyError("credential_provider")
        return real_client(service, region)

    probe.__dict__["client"] = broken
    result = probe.probe_once(datetime.now(UTC))
    assert result is not None and not result.lost and result.api_up is None, result
    (call,) = calls(probe)
    assert {d["MetricName"]: d["Value"] for d in call["MetricData"]} == {"ProbeVerdict": 0.0, "WriterDataPathUp": 0.0}  # no WriterLost
    capsys.readouterr()


def test_a_run_starts_no_probe_it_could_not_finish_before_its_timeout(aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = load(monkeypatch, "eu-west-1", postgres_like)
    summary = probe.lambda_handler({"source": "aws.events"}, Context(remaining_ms=5_000))
    assert summary["probes"] == 0 and summary["skipped"] == 6


def test_every_client_is_created_at_cold_start_before_any_thread(aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients are made once per container, on the main thread, before the latch thread and the probe pool
    exist (botocore #2985: "client creation shouldn't be done in parallel using the same session")."""
    probe = load(monkeypatch, "eu-west-1", postgres_like)

    def no_more(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a client was created after cold start: {args} {kwargs}")

    monkeypatch.setattr(boto3, "client", no_more)
    monkeypatch.setattr(boto3.session.Session, "client", no_more)
    summary = probe.lambda_handler({"source": "aws.events"}, Context())
    assert summary["probes"] == 6 and summary["judged"] == "us-east-1" and summary["lost"] == 0


def test_a_hung_control_path_is_bounded_by_the_probes_deadline(aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A call to the writer's region that hangs (no answer, no error) ends the probe at its deadline, counted as
    no answer; the probe never runs into the next one's slot."""
    import time

    from functions.writer_probe import contract

    probe = load(monkeypatch, "eu-west-1", 1)  # the data path is down too
    release = threading.Event()
    real_client = probe.client

    class Hung:
        def describe_db_clusters(self, **kwargs: Any) -> Any:
            release.wait(30)
            raise ConnectionError("released")

    probe.__dict__["client"] = lambda service, region: Hung() if (service, region) == ("rds", "us-east-1") else real_client(service, region)
    monkeypatch.setattr(contract, "VERDICT_SECONDS", 1.0, raising=False)
    monkeypatch.setattr(contract, "PROBE_DEADLINE_SECONDS", 1.5, raising=False)
    started = time.monotonic()
    try:
        result = probe.probe_once(datetime.now(UTC))
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert elapsed < 1.5 + 0.5, elapsed
    assert result is not None and result.lost  # neither path answered within the deadline


def _answered_an_unparseable_503() -> Exception:
    from botocore.parsers import ResponseParserError

    return ResponseParserError("Unable to parse response (not well-formed (invalid token): line 1, column 0), invalid XML received")


def _timed_out() -> Exception:
    from botocore.exceptions import ReadTimeoutError

    return ReadTimeoutError(endpoint_url="https://rds.us-east-1.amazonaws.com/")


def _refused() -> Exception:
    from botocore.exceptions import EndpointConnectionError

    return EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com/")


def _service_unavailable() -> Exception:
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": "ServiceUnavailable", "Message": "down"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "DescribeDBClusters"
    )


@pytest.mark.parametrize("failure", [_answered_an_unparseable_503, _timed_out, _refused, _service_unavailable], ids=lambda f: f.__name__.strip("_"))
def test_every_way_the_writers_region_fails_to_answer_counts_against_it(
    aws: None, monkeypatch: pytest.MonkeyPatch, failure: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A region that is down answers 503 with a body that is not the query protocol's XML (a front door's page; the
    emulator's JSON), or times out, or refuses: each is the writer region's doing, so with the data path down too the
    probe says lost. Counted as "no verdict", a lost region would never be failed over."""
    probe = load(monkeypatch, "us-west-2", 1)  # nothing listens on port 1: the data path is down
    real_client = probe.client

    class Failing:
        def describe_db_clusters(self, **kwargs: Any) -> Any:
            raise failure()

    probe.__dict__["client"] = lambda service, region: Failing() if (service, region) == ("rds", "us-east-1") else real_client(service, region)
    result = probe.probe_once(datetime.now(UTC))
    assert result is not None and result.api_up is False and result.lost, result
    capsys.readouterr()
