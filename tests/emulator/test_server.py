"""The emulator server itself: concurrent same-named creates, region outages, the journal, lost answers."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.emulator.conftest import handler_zip
from tools.emulator import process

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


def test_same_named_resources_created_in_two_regions_at_once_many_times(emulator: process.Emulator) -> None:
    """The stack names its functions, alarms, topics, log groups, parameters and schedules the same in every
    region and Terraform creates them concurrently: each create must be answered once, in its own region."""
    role = client(emulator, "iam", "us-east-1").create_role(RoleName="race", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = handler_zip()
    creates: dict[str, Callable[[str, str], Any]] = {
        "function": lambda r, n: client(emulator, "lambda", r).create_function(
            FunctionName=n, Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": code}
        ),
        "alarm": lambda r, n: client(emulator, "cloudwatch", r).put_metric_alarm(
            AlarmName=n,
            Namespace="drkit",
            MetricName="m",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        ),
        "topic": lambda r, n: client(emulator, "sns", r).create_topic(Name=n),
        "log group": lambda r, n: client(emulator, "logs", r).create_log_group(logGroupName=f"/aws/lambda/{n}"),
        "parameter": lambda r, n: client(emulator, "ssm", r).put_parameter(Name=f"/drkit/{n}/state", Value="{}", Type="String"),
        "schedule": lambda r, n: client(emulator, "events", r).put_rule(Name=n, ScheduleExpression="rate(1 minute)"),
    }
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


def test_a_retry_of_an_answered_request_is_flagged_as_a_lost_answer(emulator: process.Emulator) -> None:
    """What the SDK does when an answer never reaches it: the same invocation again, as attempt 2."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=drkit-local/20261129/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0",
        "amz-sdk-invocation-id": "0b1c2d3e-lost",
    }
    body = b"Action=CreateTopic&Name=lost-answer&Version=2010-03-31"
    for attempt in (1, 2):
        request = urllib.request.Request(f"{emulator.url}/", data=body, headers={**headers, "amz-sdk-request": f"attempt={attempt}; max=3"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    first, second = [e for e in control(emulator, "journal")["entries"] if e["action"] == "CreateTopic"][-2:]
    assert second["retry_of"] == first["seq"] and second["answered_status"] == 200


def test_the_evaluated_health_of_a_check_is_what_get_health_check_status_reports(emulator: process.Emulator, tmp_path: Path) -> None:
    route53 = client(emulator, "route53", "us-east-1")
    check = route53.create_health_check(
        CallerReference="server-hc", HealthCheckConfig={"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-west-2", "Name": "a"}}
    )["HealthCheck"]["Id"]
    control(emulator, "health-checks", {check: False})
    (observation, *_) = route53.get_health_check_status(HealthCheckId=check)["HealthCheckObservations"]
    assert observation["StatusReport"]["Status"].startswith("Failure")
