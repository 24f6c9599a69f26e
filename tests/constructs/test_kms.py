"""RegionalKeyConstruct alone: a rotating key whose policy delegates to IAM and lets the region's services use it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.constructs.conftest import Bare, one, resources, synth_alone


def props(bare: Bare, **overrides: Any) -> Any:
    from constructs_lib import RegionalKeyProps

    values: dict[str, Any] = {"provider": bare.providers["us-west-2"], "region": "us-west-2", "account_id": "111122223333", "alias_name": "shop-data"}
    return RegionalKeyProps(**{**values, **overrides})


@pytest.fixture(scope="module")
def built() -> tuple[Any, dict[str, Any]]:
    from constructs_lib import RegionalKeyConstruct

    return synth_alone(lambda bare: RegionalKeyConstruct(bare.stack, "key", props(bare)))


def test_a_rotating_key_with_its_alias_and_neutral_defaults(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    key = one(document, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert key["description"] == "data key for shop-data in us-west-2"
    assert "lifecycle" not in key or key["lifecycle"].get("prevent_destroy") is False
    assert one(document, "aws_kms_alias")["name"] == "alias/shop-data"
    assert key["provider"] == "aws.us_west_2"


def test_the_policy_lets_this_region_s_logs_use_the_key(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    (policy,) = document["data"]["aws_iam_policy_document"].values()
    sids = [s["sid"] for s in policy["statement"]]
    assert sids == ["AccountAdministersKey", "CloudWatchLogsEncryptsLogGroups", "AlertPublishersUseKey", "BackupNotificationsUseKey"]
    logs = policy["statement"][1]
    assert logs["principals"][0]["identifiers"] == ["logs.us-west-2.amazonaws.com"]


def test_typed_attributes(built: tuple[Any, dict[str, Any]]) -> None:
    key, _ = built
    assert key.key_arn.startswith("${TfToken[") and key.key_id.startswith("${TfToken[")


def test_protect_prevents_destroy() -> None:
    from constructs_lib import RegionalKeyConstruct

    _, document = synth_alone(lambda bare: RegionalKeyConstruct(bare.stack, "key", props(bare, protect=True, description="orders key")))
    key = one(document, "aws_kms_key")
    assert key["lifecycle"]["prevent_destroy"] is True
    assert key["description"] == "orders key"
    assert len(resources(document, "aws_kms_alias")) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"deletion_window_days": 6}, r"deletion_window_days: 7 to 30, got 6"),
        ({"deletion_window_days": 31}, r"deletion_window_days: 7 to 30, got 31"),
        ({"alias_name": "alias/shop"}, r"alias_name: 'alias/shop': .*without 'alias/'"),
        ({"alias_name": "aws/shop"}, r"alias_name: 'aws/shop': .*not under 'aws/'"),
        ({"alias_name": "shop data"}, r"alias_name: 'shop data': letters, digits"),
    ],
)
def test_props_refuse_what_kms_would(bare: Bare, overrides: dict[str, Any], message: str) -> None:
    valid = props(bare)
    with pytest.raises(ValueError, match=message):
        replace(valid, **overrides)
