"""AlertTopicConstruct alone: an encrypted topic that this account's alarms and rules may publish to."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.constructs.conftest import KEY_ARN, Bare, one, resources, synth_alone


def props(bare: Bare, **overrides: Any) -> Any:
    from constructs_lib import AlertTopicProps

    values: dict[str, Any] = {
        "provider": bare.providers["eu-west-1"],
        "name": "shop-alerts",
        "account_id": "111122223333",
        "kms_key_arn": KEY_ARN["eu-west-1"],
        "emails": ("oncall@example.com",),
        "https_endpoints": ("https://pager.example.com/hook",),
    }
    return AlertTopicProps(**{**values, **overrides})


@pytest.fixture(scope="module")
def built() -> tuple[Any, dict[str, Any]]:
    from constructs_lib import AlertTopicConstruct

    return synth_alone(lambda bare: AlertTopicConstruct(bare.stack, "alerts", props(bare)))


def test_an_encrypted_topic_with_its_subscriptions(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    topic = one(document, "aws_sns_topic")
    assert (topic["name"], topic["kms_master_key_id"], topic["provider"]) == ("shop-alerts", KEY_ARN["eu-west-1"], "aws.eu_west_1")
    subscriptions = resources(document, "aws_sns_topic_subscription").values()
    assert sorted((s["protocol"], s["endpoint"]) for s in subscriptions) == [
        ("email", "oncall@example.com"),
        ("https", "https://pager.example.com/hook"),
    ]
    (policy,) = document["data"]["aws_iam_policy_document"].values()
    publish = policy["statement"][0]
    assert publish["condition"][0]["values"] == ["111122223333"]  # only this account's alarms and rules


def test_typed_attributes(built: tuple[Any, dict[str, Any]]) -> None:
    alerts, _ = built
    assert alerts.topic_arn.startswith("${TfToken[")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"emails": ("oncall.example.com",)}, r"emails: 'oncall.example.com' is not an e-mail address"),
        ({"https_endpoints": ("http://pager.example.com",)}, r"https_endpoints: 'http://pager.example.com' is not an https:// URL"),
    ],
)
def test_props_refuse_unusable_subscriptions(bare: Bare, overrides: dict[str, Any], message: str) -> None:
    valid = props(bare)
    with pytest.raises(ValueError, match=message):
        replace(valid, **overrides)
