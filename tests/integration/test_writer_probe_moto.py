"""The writer probe handler against moto and a socket that answers as PostgreSQL does: its metrics (high
resolution, stamped per probe), both paths, its silence in the writer's region, and the latch it keeps."""

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

from drkit_lab.emf import emf_metrics
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
    module.client.cache_clear()
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


def documents(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if '"_aws"' in line]


def test_a_healthy_writer_seen_from_another_region(
    aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = load(monkeypatch, "us-west-2", postgres_like)
    at = datetime(2026, 12, 1, 12, 0, 10, tzinfo=UTC)
    result = probe.probe_once(at)
    assert result is not None and result.writer_region == "us-east-1" and result.data_path_up and result.api_up and not result.lost
    (document,) = documents(capsys.readouterr().out)
    assert document["_aws"]["Timestamp"] == int(at.timestamp() * 1000)  # stamped with the probe's own time
    assert {m["Name"]: m.get("StorageResolution") for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]} == {
        "WriterDataPathUp": 1,
        "WriterApiUp": 1,
        "WriterLost": 1,
    }
    extracted = {d["MetricName"]: d for _, d in emf_metrics(json.dumps(document))}
    assert extracted["WriterLost"]["Value"] == 0.0 and extracted["WriterLost"]["StorageResolution"] == 1
    assert {x["Name"]: x["Value"] for x in extracted["WriterLost"]["Dimensions"]} == {
        "Environment": "test",
        "WriterRegion": "us-east-1",
        "service": "writer-probe",
    }


def test_the_writers_own_region_judges_nothing(
    aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = load(monkeypatch, "us-east-1", postgres_like)
    assert probe.probe_once(datetime.now(UTC)) is None
    assert documents(capsys.readouterr().out) == []
    summary = probe.lambda_handler({"source": "aws.events"}, Context())
    assert summary["probes"] == 1 and summary["judged"] is None  # it returns at once instead of sleeping through the minute


def test_both_paths_down_is_lost_one_path_down_is_not(aws: None, postgres_like: int, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = load(monkeypatch, "eu-west-1", postgres_like)
    real_client = probe.client

    def partitioned(service: str, region: str) -> Any:
        if region == "us-east-1":
            raise ConnectionError("us-east-1 unreachable from eu-west-1")
        return real_client(service, region)

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
