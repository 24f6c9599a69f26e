"""The writer probe's pure decisions and its data path against a real socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from functions.writer_probe.contract import PROBE_INTERVALS, parse_endpoints, probes_per_run, render_endpoints
from functions.writer_probe.logic import (
    SSL_REQUEST,
    Outcome,
    ProbeResult,
    Writer,
    observer_votes_lost,
    probe_offsets,
    server_answered,
    to_judge,
    writer_of,
)
from functions.writer_probe.probe import data_path_up

EAST = "arn:aws:rds:us-east-1:123456789012:cluster:drkit-dev-us-east-1"
WEST = "arn:aws:rds:us-west-2:123456789012:cluster:drkit-dev-us-west-2"


def test_the_ssl_request_is_postgresqls_eight_bytes() -> None:
    assert SSL_REQUEST == b"\x00\x00\x00\x08\x04\xd2\x16\x2f"  # length 8, code 1234.5679


@pytest.mark.parametrize(("reply", "answered"), [(b"S", True), (b"N", True), (b"", False), (b"E", False), (b"HTTP/1.1", False)])
def test_only_a_postgresql_answer_proves_the_server(reply: bytes, answered: bool) -> None:
    assert server_answered(reply) is answered


def test_the_writer_is_read_from_the_global_cluster_and_never_judged_from_its_own_region() -> None:
    response = {
        "GlobalClusters": [
            {"GlobalClusterIdentifier": "drkit-dev", "GlobalClusterMembers": [{"DBClusterArn": EAST, "IsWriter": True}, {"DBClusterArn": WEST}]}
        ]
    }
    writer = writer_of(response, "drkit-dev")
    assert writer == Writer(EAST) and writer.region == "us-east-1"
    assert to_judge(writer, "us-west-2") == writer
    assert to_judge(writer, "us-east-1") is None  # its own region would fall with it
    assert writer_of(response, "other") is None and to_judge(None, "us-west-2") is None


@pytest.mark.parametrize(
    ("data", "api", "lost"),
    [(True, True, False), (False, True, False), (True, False, False), (False, False, True)],
    ids=["healthy", "peering-down", "api-down", "both-down"],
)
def test_lost_needs_both_paths_to_fail(data: bool, api: bool, lost: bool) -> None:
    result = ProbeResult("us-east-1", data_path_up=data, api_up=api)
    assert result.lost is lost
    assert result.metrics() == {
        "WriterDataPathUp": int(data),
        "WriterApiUp": int(api),
        "WriterLost": int(lost),
        "WriterApiDownDataPathUp": int(data and not api),  # one signal left: the quorum rests on the data path
    }


def test_a_control_path_without_verdict_reports_the_data_path_only() -> None:
    result = ProbeResult("us-east-1", data_path_up=False, api_up=None)
    assert not result.lost and not result.judged and result.metrics() == {"WriterDataPathUp": 0}


@pytest.mark.parametrize(
    ("outcome", "metrics"),
    [
        (Outcome(Writer(EAST), ProbeResult("us-east-1", True, True)), {"ProbeVerdict": 1.0, "WriterDataPathUp": 1.0, "WriterApiUp": 1.0,
                                                                        "WriterLost": 0.0, "WriterApiDownDataPathUp": 0.0}),
        (Outcome(Writer(EAST), home=True), {"ProbeVerdict": 1.0}),  # the writer is here: nothing to judge, by design
        (Outcome(None, problem="unknown"), {"ProbeVerdict": 0.0}),
        (Outcome(Writer(EAST), ProbeResult("us-east-1", False, None), problem="local"), {"ProbeVerdict": 0.0, "WriterDataPathUp": 0.0}),
    ],
    ids=["judged", "home", "writer-unknown", "control-path-not-judged"],
)  # fmt: skip
def test_one_put_metric_data_per_probe_at_its_time(outcome: Outcome, metrics: dict[str, float]) -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 12, 1, 12, 0, 10, tzinfo=UTC)
    data = outcome.metric_data("dev", at)
    assert {d["MetricName"]: d["Value"] for d in data} == metrics
    assert all(d["Timestamp"] == at and d["StorageResolution"] == 1 and d["Unit"] == "Count" for d in data)


def test_probes_of_one_run_start_within_the_minute() -> None:
    assert probes_per_run(10) == 6 and probe_offsets(10, 6) == (0, 10, 20, 30, 40, 50)
    assert probes_per_run(20) == 3 and probes_per_run(30) == 2
    assert all(probe_offsets(i, probes_per_run(i))[-1] < 55 for i in PROBE_INTERVALS)
    with pytest.raises(ValueError, match="one of"):
        probes_per_run(15)


LOST = ProbeResult("us-east-1", False, False)
UP = ProbeResult("us-east-1", True, True)


@pytest.mark.parametrize(
    ("history", "votes"),
    [
        ([LOST, LOST, LOST], True),
        ([UP, LOST, LOST], False),  # a 20 s flap: two failed probes
        ([LOST, LOST, UP], False),
        ([LOST, LOST], False),  # too few probes: no verdict
        ([UP, LOST, LOST, LOST], True),
    ],
)
def test_an_observer_votes_lost_after_three_failed_probes_in_a_row(history: list[ProbeResult], votes: bool) -> None:
    assert observer_votes_lost(history, 3) is votes


def test_endpoints_round_trip() -> None:
    endpoints = {"us-east-1": "a.cluster-x.us-east-1.rds.amazonaws.com", "us-west-2": "b.cluster-y.us-west-2.rds.amazonaws.com"}
    assert parse_endpoints(render_endpoints(endpoints)) == endpoints
    with pytest.raises(ValueError, match="region=endpoint"):
        parse_endpoints("us-east-1")


@pytest.fixture
def server() -> Iterator[tuple[str, int, list[bytes]]]:
    """A listener that answers the SSLRequest as PostgreSQL does (one byte, 'S')."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                received.append(connection.recv(8))
                connection.sendall(b"S")

    threading.Thread(target=serve, daemon=True).start()
    yield "127.0.0.1", listener.getsockname()[1], received
    listener.close()


def test_the_data_path_asks_a_real_server(server: tuple[str, int, list[bytes]]) -> None:
    host, port, received = server
    assert data_path_up("writer.example", lambda h, p: [(host, port)]) is True
    assert received == [SSL_REQUEST]


def test_the_data_path_fails_when_nothing_answers() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    assert data_path_up("writer.example", lambda h, p: [("127.0.0.1", port)]) is False

    def unresolvable(host: str, port: int) -> list[tuple[str, int]]:
        raise OSError("no such name")

    assert data_path_up("writer.example", unresolvable) is False
