"""AWS FIS as the provider uses it: a template reads back, lists, updates; an experiment is refused, not faked."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import Aws

pytestmark = pytest.mark.emulator


def template(aws: Aws) -> str:
    created = aws("fis").create_experiment_template(
        clientToken="t1",
        description="cut the subnets",
        roleArn="arn:aws:iam::123456789012:role/fis",
        stopConditions=[{"source": "aws:cloudwatch:alarm", "value": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:silent"}],
        targets={"subnets": {"resourceType": "aws:ec2:subnet", "resourceArns": ["arn:aws:ec2:us-east-1:123456789012:subnet/subnet-1"], "selectionMode": "ALL"}},
        actions={"cut": {"actionId": "aws:network:disrupt-connectivity", "parameters": {"duration": "PT15M", "scope": "all"}, "targets": {"Subnets": "subnets"}}},
        tags={"drkit-experiment": "primary-region-outage"},
    )  # fmt: skip
    return str(created["experimentTemplate"]["id"])


def test_a_template_reads_back_lists_and_updates_in_place(aws: Aws) -> None:
    fis = aws("fis")
    template_id = template(aws)
    got = fis.get_experiment_template(id=template_id)["experimentTemplate"]
    assert got["actions"]["cut"]["parameters"] == {"duration": "PT15M", "scope": "all"}
    assert got["tags"] == {"drkit-experiment": "primary-region-outage"}
    assert [t["id"] for t in fis.list_experiment_templates()["experimentTemplates"]] == [template_id]
    fis.update_experiment_template(id=template_id, description="cut them for longer")
    assert fis.get_experiment_template(id=template_id)["experimentTemplate"]["description"] == "cut them for longer"
    fis.delete_experiment_template(id=template_id)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        fis.get_experiment_template(id=template_id)


def test_an_experiment_is_refused_rather_than_faked(aws: Aws) -> None:
    template_id = template(aws)
    with pytest.raises(ClientError, match="does not run FIS experiments"):
        aws("fis").start_experiment(clientToken="s1", experimentTemplateId=template_id)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        aws("fis").start_experiment(clientToken="s2", experimentTemplateId="nope")
