"""The emulator server itself: concurrent same-named creates, region outages, the journal, lost answers and their retries."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from drkit_lab.emulator import process
from tests.emulator.conftest import handler_zip

pytestmark = pytest.mark.emulator
REGIONS = ("us-east-1", "us-west-2")
# The SDK retries a request whose answer it did not get; a create answered twice is then "already exists".
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3}, read_timeout=60)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[process.Emulator]:
    home = tmp_path_factory.mktemp("emulator")
    started = process.start(home)
    yield started
    process.stop(home)


def control(emulator: process.Emulator, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"{emulator.url}/_drkit/{path}", data=json.dumps(body).encode() if body is not None else None, method="POST" if body is not None else "GET"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def client(emulator: process.Emulator, service: str, region: str) -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=emulator.url, aws_access_key_id="drkit-local", aws_secret_access_key="x", config=CLIENT_CONFIG
    )


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call at the same moment, one thread each; exceptions are returned, not raised."""
    results: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as error:  # reported by the caller with the resource it concerns
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def stack_creates(make: Callable[[str, str], Any], role: str, code: bytes) -> dict[str, Callable[[str, str], Any]]:
    """The regional creates the stack names identically in every region, ``(region, name) -> answer``, with clients from ``make(service, region)``."""
    return {
        "function": lambda r, n: make("lambda", r).create_function(
            FunctionName=n, Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": code}
        ),
        "alarm": lambda r, n: make("cloudwatch", r).put_metric_alarm(
            AlarmName=n,
            Namespace="drkit",
            MetricName="m",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        ),
        "topic": lambda r, n: make("sns", r).create_topic(Name=n),
        "log group": lambda r, n: make("logs", r).create_log_group(logGroupName=f"/aws/lambda/{n}"),
        "parameter": lambda r, n: make("ssm", r).put_parameter(Name=f"/drkit/{n}/state", Value="{}", Type="String"),
        "schedule": lambda r, n: make("events", r).put_rule(Name=n, ScheduleExpression="rate(1 minute)"),
    }


def test_same_named_resources_created_in_two_regions_at_once_many_times(emulator: process.Emulator) -> None:
    """The stack names its functions, alarms, topics, log groups, parameters and schedules the same in every
    region and Terraform creates them concurrently: each create must be answered once, in its own region."""
    role = client(emulator, "iam", "us-east-1").create_role(RoleName="race", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = handler_zip()
    creates = stack_creates(lambda service, region: client(emulator, service, region), role, code)
    before = control(emulator, "journal")["sequence"]
    failures = []
    for iteration in range(40):
        name = f"drkit-race-{iteration}"
        calls = [lambda r=r, kind=kind, name=name: creates[kind](r, name) for kind in creates for r in REGIONS]
        labels = [(kind, r) for kind in creates for r in REGIONS]
        for (kind, region), result in zip(labels, at_once(calls), strict=True):
            if isinstance(result, Exception):
                failures.append(f"{iteration} {kind} in {region}: {result}")
        for region in REGIONS:
            arn = client(emulator, "lambda", region).get_function(FunctionName=name)["Configuration"]["FunctionArn"]
            if f":{region}:" not in arn:
                failures.append(f"{iteration} function in {region} answered with {arn}")
    assert failures == []
    entries = control(emulator, "journal")["entries"]
    lost = [e for e in entries if e["seq"] > before and "retry_of" in e]
    assert lost == []  # no client retried a request the emulator had answered: no answer was lost


def test_a_down_region_answers_503_and_is_journaled_while_others_and_route53_answer(emulator: process.Emulator) -> None:
    control(emulator, "faults", {"down_regions": ["us-west-2"]})
    try:
        with pytest.raises(Exception, match="region us-west-2 is down"):
            boto3.client(
                "sns", region_name="us-west-2", endpoint_url=emulator.url, aws_access_key_id="x", aws_secret_access_key="x",
                config=Config(retries={"total_max_attempts": 1}),
            ).list_topics()  # fmt: skip
        assert client(emulator, "sns", "us-east-1").list_topics() is not None
        assert client(emulator, "route53", "us-east-1").list_hosted_zones() is not None  # a global data plane keeps answering
        entries = control(emulator, "journal")["entries"]
        assert any(e["region"] == "us-west-2" and e["status"] == 503 and e["action"] == "ListTopics" for e in entries)
    finally:
        assert control(emulator, "faults", {"down_regions": []}) == {"down_regions": []}
    assert client(emulator, "sns", "us-west-2").list_topics() is not None


# What the Terraform AWS provider sends (its debug log): the client whose lost answers the emulator gives again.
PROVIDER_AGENT = "APN/1.0 HashiCorp/1.0 Terraform/1.11.4 terraform-provider-aws/5.100.0 aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.23.10"


def sns_attempt(emulator: process.Emulator, invocation: str, attempt: int, body: bytes, agent: str) -> tuple[int, str, bytes]:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=drkit-local/20261129/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0",
        "amz-sdk-invocation-id": invocation,
        "amz-sdk-request": f"attempt={attempt}; max=3",
        "User-Agent": agent,
    }
    request = urllib.request.Request(f"{emulator.url}/", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["x-amzn-requestid"], response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers["x-amzn-requestid"], refused.read()


def journaled(emulator: process.Emulator, action: str) -> list[dict[str, Any]]:
    return [e for e in control(emulator, "journal")["entries"] if e["action"] == action]


def test_the_go_sdks_retry_of_an_answered_request_gets_the_same_answer_and_is_journaled_as_a_lost_answer(emulator: process.Emulator) -> None:
    body = b"Action=CreateTopic&Name=lost-answer&Version=2010-03-31"
    answers = [sns_attempt(emulator, "0b1c2d3e-go-lost", attempt, body, PROVIDER_AGENT) for attempt in (1, 2)]
    assert answers[0][0] == 200 and answers[1] == answers[0]  # the same answer, request id included: not a second execution
    first, second = journaled(emulator, "CreateTopic")[-2:]
    assert second["retry_of"] == first["seq"] and second["answered_status"] == 200 and second["replayed"] is True


def test_another_clients_retry_is_journaled_as_a_lost_answer_and_executed_again_as_on_aws(emulator: process.Emulator) -> None:
    """botocore reads a whole answer before it lets go of the connection: its retries follow timeouts,
    and AWS executes them again. Only the Go SDK's loss is compensated."""
    body = b"Action=CreateTopic&Name=boto-retry&Version=2010-03-31"
    answers = [sns_attempt(emulator, "0b1c2d3e-boto", attempt, body, "Boto3/1.44.8 Botocore/1.44.8") for attempt in (1, 2)]
    assert answers[0][0] == answers[1][0] == 200 and answers[1][1] != answers[0][1]  # executed again (CreateTopic is an upsert)
    first, second = journaled(emulator, "CreateTopic")[-2:]
    assert second["retry_of"] == first["seq"] and second["replayed"] is False


def test_an_invocation_id_reused_for_another_request_and_a_refusal_retried_are_executed_again(emulator: process.Emulator) -> None:
    one, other = b"Action=CreateTopic&Name=reused-1&Version=2010-03-31", b"Action=CreateTopic&Name=reused-2&Version=2010-03-31"
    sns_attempt(emulator, "0b1c2d3e-reused", 1, one, PROVIDER_AGENT)
    status, _, answer = sns_attempt(emulator, "0b1c2d3e-reused", 2, other, PROVIDER_AGENT)
    assert status == 200 and b"reused-2" in answer and "retry_of" not in journaled(emulator, "CreateTopic")[-1]
    refused = b"Action=GetTopicAttributes&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Amissing&Version=2010-03-31"
    first, second = (sns_attempt(emulator, "0b1c2d3e-refused", attempt, refused, PROVIDER_AGENT) for attempt in (1, 2))
    assert first[0] == second[0] == 404 and first[1] != second[1]  # a 4xx is retried on purpose (throttling): executed again
    assert "retry_of" not in journaled(emulator, "GetTopicAttributes")[-1]


def send_and_lose_the_answer(request: Any) -> None:
    """Attempt 1 as the provider loses it: sent and answered, then the connection is reset with the answer unread."""
    request.headers["User-Agent"] = PROVIDER_AGENT.encode()
    url = urllib.parse.urlsplit(request.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    path = url.path + (f"?{url.query}" if url.query else "")
    connection.request(request.method, path or "/", body=request.body, headers=dict(request.headers.items()))
    sock = connection.sock
    assert sock is not None
    response = connection.getresponse()  # the status line and headers: the emulator has executed and answered
    assert response.status < 400, f"attempt 1 itself failed: {response.status} {response.read()[:300]!r}"
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST, as net/http's writeLoop closes a connection whose answer is still unread
    response.close()
    connection.close()
    request.headers["amz-sdk-request"] = request.headers["amz-sdk-request"].replace(b"attempt=1", b"attempt=2")  # botocore's are bytes


def test_creates_whose_answers_were_lost_converge_on_the_sdk_retry_in_two_regions_at_once(emulator: process.Emulator) -> None:
    """The #12 failure: the answer to a create is lost and the SDK retries the same invocation. Each create
    the stack names identically in every region, in both regions at once, many times: the retry must get
    the first answer ("already exists" for an answer it was never given is the defect), and only a retry:
    a new create of an existing name still meets AWS's conflict."""
    role = client(emulator, "iam", "us-east-1").create_role(RoleName="lost-race", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = handler_zip()

    def losing(service: str, region: str) -> Any:
        made = client(emulator, service, region)
        made.meta.events.register("before-send", lambda request, **_: send_and_lose_the_answer(request))
        return made

    creates = stack_creates(losing, role, code)
    before = control(emulator, "journal")["sequence"]
    failures = []
    rounds = 10
    for iteration in range(rounds):
        name = f"drkit-lost-{iteration}"
        labels = [(kind, r) for kind in creates for r in REGIONS]
        calls = [lambda r=r, kind=kind, name=name: creates[kind](r, name) for kind, r in labels]
        for (kind, region), result in zip(labels, at_once(calls), strict=True):
            if isinstance(result, Exception):
                failures.append(f"{iteration} {kind} in {region}: {result}")
    assert failures == []
    replayed = [e for e in control(emulator, "journal")["entries"] if e["seq"] > before and e.get("replayed")]
    assert len(replayed) == rounds * len(creates) * len(REGIONS)
    assert {(e["region"], e["answered_status"]) for e in replayed} <= {(r, s) for r in REGIONS for s in (200, 201)}
    # Only a retry is answered again: a new invocation of the same create executes, and AWS refuses it.
    with pytest.raises(ClientError, match="ResourceConflictException"):
        client(emulator, "lambda", "us-west-2").create_function(
            FunctionName="drkit-lost-0", Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": code}
        )


GO_MISSING = "needs a Go toolchain (Debian: golang-go) to build the reproduction; .ci/run installs it and sets DRKIT_REQUIRE_GO=1"


@pytest.mark.skipif(shutil.which("go") is None and os.environ.get("DRKIT_REQUIRE_GO") != "1", reason=GO_MISSING)
def test_go_net_http_loses_a_201_to_a_stalled_writer_and_the_retry_of_that_invocation_gets_the_201(
    emulator: process.Emulator, tmp_path: Path
) -> None:
    """The loss itself, with Go's own net/http (go_lost_answer/main.go): the writer goroutine's stall is
    forced and smithy-go's request body is imitated; the program then sends attempt 2 of the same
    invocation, as aws-sdk-go-v2 does on "use of closed network connection". That retry gets the 201;
    a new create of the same name gets AWS's conflict."""
    assert shutil.which("go") is not None, GO_MISSING
    binary, code = tmp_path / "lostanswer", tmp_path / "code.zip"
    code.write_bytes(handler_zip())
    source = Path(__file__).parent / "go_lost_answer"
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local"}
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=source, env=env, check=True, capture_output=True, timeout=600)
    role = client(emulator, "iam", "us-east-1").create_role(RoleName="go-lost", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    completed = subprocess.run(
        [str(binary), emulator.url, "us-west-2", "drkit-go-lost", role, str(code)], capture_output=True, text=True, check=True, timeout=120
    )
    observed = json.loads(completed.stdout)
    first, retry, new = observed["attempt_1"], observed["attempt_2"], observed["new_invocation"]
    assert first["status"] == 201 and "use of closed network connection" in first["read_error"]  # the answer, lost
    assert retry["status"] == 201 and retry["read_error"] == ""  # the SDK's retry gets it
    assert json.loads(retry["body"])["FunctionArn"].startswith("arn:aws:lambda:us-west-2:")
    assert new["status"] == 409 and "ResourceConflictException" in new["body"]  # a second create is still refused


def test_the_evaluated_health_of_a_check_is_what_get_health_check_status_reports(emulator: process.Emulator, tmp_path: Path) -> None:
    route53 = client(emulator, "route53", "us-east-1")
    check = route53.create_health_check(
        CallerReference="server-hc", HealthCheckConfig={"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-west-2", "Name": "a"}}
    )["HealthCheck"]["Id"]
    control(emulator, "health-checks", {check: False})
    (observation, *_) = route53.get_health_check_status(HealthCheckId=check)["HealthCheckObservations"]
    assert observation["StatusReport"]["Status"].startswith("Failure")
