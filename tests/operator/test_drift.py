"""The drift summary from refresh-only plans shaped as ``terraform show -json`` writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from drkit.drift import Drifted, drift_of, ignored_attributes, render


def plan(*drift: dict[str, Any], configured: dict[str, list[str]] | None = None) -> dict[str, Any]:
    resources = [{"address": a, "expressions": {k: {} for k in keys}} for a, keys in (configured or {}).items()]
    return {"resource_drift": list(drift), "configuration": {"root_module": {"resources": resources}}}


def change(address: str, before: dict[str, Any] | None, after: dict[str, Any] | None, actions: list[str] | None = None) -> dict[str, Any]:
    return {"address": address, "change": {"actions": actions or ["update"], "before": before, "after": after}}


ALARM = "aws_cloudwatch_metric_alarm.lag"


def test_a_configured_attribute_changed_by_hand_is_drift() -> None:
    found = drift_of(plan(change(ALARM, {"threshold": 5000, "arn": "a"}, {"threshold": 50000, "arn": "a"}), configured={ALARM: ["threshold"]}))
    assert found == [Drifted(ALARM, "update", ("threshold",))]
    assert "threshold" in render("dev", found) and "1 resource(s)" in render("dev", found)


def test_computed_attributes_and_representation_are_not_drift() -> None:
    computed = change("aws_eip.nat", {"association_id": None, "tags": None}, {"association_id": "x", "tags": {}})
    assert drift_of(plan(computed, configured={"aws_eip.nat": ["tags"]})) == []
    assert render("dev", []).endswith("AWS matches the state")


def test_a_resource_deleted_out_of_band_is_drift() -> None:
    assert drift_of(plan(change(ALARM, {"threshold": 5}, None, ["delete"]))) == [Drifted(ALARM, "delete", ("threshold",))]


def test_ignore_changes_of_the_stack_hide_exactly_their_attributes(tmp_path: Path) -> None:
    stack = {
        "resource": {
            "aws_ssm_parameter": {"state": {"value": "{}", "lifecycle": {"ignore_changes": ["value"]}}},
            "aws_eks_cluster": {"app": {"lifecycle": {"ignore_changes": ["access_config[0].bootstrap_cluster_creator_admin_permissions"]}}},
            "aws_cloudwatch_metric_alarm": {"lag": {"threshold": 5000}},
        }
    }
    (tmp_path / "cdk.tf.json").write_text(json.dumps(stack), encoding="utf-8")
    ignored = ignored_attributes(tmp_path)
    assert ignored == {"aws_ssm_parameter.state": {"value"}, "aws_eks_cluster.app": {"access_config"}}
    monitor_wrote = change("aws_ssm_parameter.state", {"value": "{}", "description": "d"}, {"value": '{"alerting": true}', "description": "x"})
    found = drift_of(plan(monitor_wrote, configured={"aws_ssm_parameter.state": ["value", "description"]}), ignored)
    assert found == [Drifted("aws_ssm_parameter.state", "update", ("description",))]
    assert drift_of(plan(change("aws_ssm_parameter.state", {"value": "{}"}, {"value": "1"})), ignored) == []
