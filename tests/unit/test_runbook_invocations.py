"""What the runbook Lambda does with an event it did not expect: it fails, it never succeeds quietly.

ARC Region switch invokes the runbook as a plan's custom action, and only the names of the metadata keys it
sends are documented ("Region switch merges execution metadata keys (InvokedBy, PlanArn, ExecutionId,
StepName) into the top level", API reference, ``Lambdas.payload``), not the shape of the event without a
payload nor the value of ``InvokedBy``. A custom action that returns is a step that succeeded, and the plan then
switches the database over whatever the lag: so anything that is not exactly a runbook request or exactly the
documented metadata raises (Lambda reports a function error, and ARC does not go on), and says which keys it got.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from functions.failover import arc

PLAN_ARN = "arn:aws:arc-region-switch::123456789012:plan/drkit-t-use1-usw2:abc123"
ARC_EVENT = {
    "InvokedBy": "a value AWS does not document",
    "PlanArn": PLAN_ARN,
    "ExecutionId": "us-west-2/0123456789abcdef",
    "StepName": "lag-preflight",
}


@dataclass
class Context:
    function_name: str = "drkit-t-failover-runbook"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-west-2:123456789012:function:drkit-t-failover-runbook"
    aws_request_id: str = "req-1"


@pytest.fixture
def logged() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch, logged: list[tuple[str, dict[str, Any]]]) -> Iterator[ModuleType]:
    """The handler at a cold start in us-west-2; the lag preflight itself is replaced (no AWS here)."""
    for key, value in {
        "DRKIT_ENVIRONMENT": "t", "GLOBAL_CLUSTER_ID": "drkit-t", "ALERT_TOPIC_ARN": "arn:aws:sns:us-west-2:123456789012:drkit-t-alerts",
        "AWS_REGION": "us-west-2", "SWITCHOVER_MAX_LAG_SECONDS": "5", "POWERTOOLS_SERVICE_NAME": "failover-runbook",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    from functions.failover import handler as module

    module = importlib.reload(module)
    monkeypatch.setattr(arc, "lag_preflight", lambda settings, client, say: {"result": "ok", "region": settings.home_region})
    for level in ("info", "warning"):
        monkeypatch.setattr(module.logger, level, lambda message, extra=None: logged.append((str(message), dict(extra or {}))))
    yield module


def invoke(handler: ModuleType, event: Any) -> Any:
    return handler.lambda_handler(event, Context())


def test_the_documented_metadata_runs_the_step_whatever_invoked_by_says(handler: ModuleType, logged: list[tuple[str, dict[str, Any]]]) -> None:
    assert invoke(handler, ARC_EVENT) == {"result": "ok", "region": "us-west-2"}
    assert invoke(handler, {**ARC_EVENT, "InvokedBy": "something else again"})["result"] == "ok"  # its value is not documented
    keys = [extra["event_keys"] for _, extra in logged if "event_keys" in extra]
    assert keys == [["ExecutionId", "InvokedBy", "PlanArn", "StepName"]] * 2  # the shape ARC really sent, in the function's log


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({k: v for k, v in ARC_EVENT.items() if k != "InvokedBy"}, "InvokedBy is missing"),
        ({**ARC_EVENT, "StepName": ""}, "StepName is not a non-empty string"),
        ({**ARC_EVENT, "ExecutionId": 42}, "ExecutionId is not a non-empty string"),
        ({**ARC_EVENT, "PlanArn": "drkit-t-use1-usw2"}, "PlanArn is not a Region switch plan ARN"),
        ({"planArn": PLAN_ARN, "executionId": "us-west-2/0123456789abcdef", "stepName": "lag-preflight"}, "not the documented spelling"),
        ({"PlanArn": PLAN_ARN}, "InvokedBy is missing"),
        ({**ARC_EVENT, "operation": "status"}, "both ARC's execution metadata and a runbook request"),
    ],
    ids=["no-invoked-by", "empty-step", "number", "not-an-arn", "camel-case", "one-key", "mixed"],
)
def test_an_event_with_arcs_keys_that_is_not_exactly_the_documented_metadata_fails(
    handler: ModuleType, logged: list[tuple[str, dict[str, Any]]], event: dict[str, Any], reason: str
) -> None:
    with pytest.raises(arc.UnrecognisedInvocation, match=reason):
        invoke(handler, event)
    assert [extra["event_keys"] for _, extra in logged if "event_keys" in extra] == [sorted(event)]  # what arrived, to fix the recognition from


@pytest.mark.parametrize(
    "event",
    [{}, {"metadata": ARC_EVENT}, {"operation": "drop-tables"}, {"Operation": "status"}, [], "lag-preflight", None],
    ids=["empty", "nested", "unknown-operation", "capitalised", "list", "string", "null"],
)
def test_an_event_that_is_no_runbook_request_fails_instead_of_returning(handler: ModuleType, event: Any) -> None:
    """Without its metadata at the top level (a nested shape, or a payload that is not an object, which ARC forwards
    "unchanged, without adding metadata"), an ARC invocation is indistinguishable from a malformed request: both fail."""
    with pytest.raises(arc.UnrecognisedInvocation):
        invoke(handler, event)


def test_a_well_formed_runbook_request_is_still_answered_not_raised(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request that names its operation keeps its answers (``rejected`` for a missing target or a stale time)."""
    assert invoke(handler, {"operation": "switchover"}) == {"result": "rejected", "reason": "target_region is required"}
    stale = invoke(handler, {"operation": "failover", "target_region": "us-east-1"})
    assert stale["result"] == "rejected" and "requested_at" in stale["reason"]


def test_the_emulator_sends_exactly_the_documented_keys_and_no_invoked_by_value_to_depend_on() -> None:
    from drkit_lab.emulator.arc_execution import Execution, StepRun, metadata_event

    def event() -> dict[str, str]:
        step = StepRun("lag-preflight", "CustomActionLambda", {}, "graceful")
        execution = Execution(PLAN_ARN, "1", {"Regions": ["us-east-1", "us-west-2"]}, "us-west-2/0123456789abcdef", "us-west-2", "activate",
                              "graceful", "us-west-2", "", [step])  # fmt: skip
        return metadata_event(execution, step)

    first, second = event(), event()
    assert tuple(sorted(first)) == tuple(sorted(arc.METADATA_KEYS))
    assert arc.recognise(first) == arc.Invocation(PLAN_ARN, "us-west-2/0123456789abcdef", "lag-preflight", first["InvokedBy"])
    assert first["InvokedBy"] != second["InvokedBy"] and "amazonaws.com" not in first["InvokedBy"]  # not a value AWS documents
