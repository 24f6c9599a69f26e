"""Lambda's concurrency quota: the emulator answers Service Quotas, and the stack's plan-time check stops a plan on a
new account's quota with the reason (real terraform, the synthesized data source, the emulator server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from drkit.terraform import TerraformError
from drkit.terraform import run as terraform
from drkit_lab.emulator import process
from drkit_lab.emulator.evaluation import post_control
from drkit_lab.emulator.process import FAKE_CREDENTIALS

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[process.Emulator]:
    home = tmp_path_factory.mktemp("quota-emulator")
    started = process.start(home)
    yield started
    process.stop(home)


def test_service_quotas_answers_lambda_concurrency_with_the_knob(emulator: process.Emulator) -> None:
    quotas = boto3.client(
        "service-quotas", region_name="us-west-2", endpoint_url=emulator.url, aws_access_key_id="drkit-local", aws_secret_access_key="x"
    )
    assert quotas.get_aws_default_service_quota(ServiceCode="lambda", QuotaCode="L-B99A9384")["Quota"]["Value"] == 1000
    assert quotas.get_service_quota(ServiceCode="lambda", QuotaCode="L-B99A9384")["Quota"]["Value"] == 1000
    lam = boto3.client("lambda", region_name="us-west-2", endpoint_url=emulator.url, aws_access_key_id="drkit-local", aws_secret_access_key="x")
    post_control(emulator.url, "knobs", {"lambda_concurrency_quota": 10})
    try:
        assert quotas.get_service_quota(ServiceCode="lambda", QuotaCode="L-B99A9384")["Quota"]["Value"] == 10
        limit = lam.get_account_settings()["AccountLimit"]  # what drkit plan's preflight reads, from the same knob
        assert (limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]) == (10, 10)
    finally:
        post_control(emulator.url, "knobs", {"lambda_concurrency_quota": 1000})


def quota_configuration(stack: dict[str, Any], url: str) -> dict[str, Any]:
    """The stack's quota checks with its providers, and nothing else, pointed at ``url``."""
    document = {
        "terraform": {"required_providers": stack["terraform"]["required_providers"]},
        "provider": stack["provider"],
        "data": {"aws_servicequotas_service_quota": stack["data"]["aws_servicequotas_service_quota"]},
    }
    return dict(json.loads(json.dumps(document).replace("http://127.0.0.1:4566", url)))


def test_a_new_accounts_quota_stops_the_plan_with_the_reason(emulator: process.Emulator, stacks: dict[str, Any], tmp_path: Path) -> None:
    """A new account's concurrency quota of 10 cannot hold drkit's 6 reserved plus Lambda's 100 unreserved: the plan
    fails at the read, naming the quota and what is needed; with AWS's default of 1,000 it passes."""
    (tmp_path / "main.tf.json").write_text(json.dumps(quota_configuration(stacks["local"], emulator.url)), encoding="utf-8")
    env = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": emulator.url}
    terraform(["init", "-backend=false", "-input=false"], tmp_path, env)
    assert "No changes" in terraform(["plan", "-input=false", "-refresh=true"], tmp_path, env)
    post_control(emulator.url, "knobs", {"lambda_concurrency_quota": 10})
    try:
        with pytest.raises(TerraformError) as failed:
            terraform(["plan", "-input=false"], tmp_path, env)
    finally:
        post_control(emulator.url, "knobs", {"lambda_concurrency_quota": 1000})
    output = " ".join(str(failed.value).split())
    assert (
        "Lambda's concurrency quota in us-east-1 (Service Quotas, lambda L-B99A9384, Concurrent executions) is 10 as Service Quotas reports it"
        in output
    ), output
    assert "so the account needs at least 106" in output
