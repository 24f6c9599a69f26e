"""``drkit runbook arc-*`` against fake ARC and RDS clients: what it refuses, how it finds an execution, when it stops.

The emulator tests (tests/emulator/test_region_switch.py) run the same CLI against executions the emulator
really runs; these cover what a small world cannot show cheaply: more plans and executions than one page
(ListPlansInRegion and ListPlanExecutions are paginated, ``maxResults`` at most 100: botocore's
paginators-1.json), execution states the emulator never reaches by itself, and a writer outside a plan's pair.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from drkit import region_switch
from tests.helpers import minimal_environment, parse_one

ACCOUNT = "123456789012"
THREE = {"primary_region": "us-east-1", "secondary_regions": ["us-west-2", "eu-west-1"], "region_switch": {"enabled": True}}


def plan_arn(name: str) -> str:
    return f"arn:aws:arc-region-switch::{ACCOUNT}:plan/{name}:abc123"


def not_found(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "not found"}}, operation)


class FakeArc:
    """The data plane of one region: plans (``page`` to a page), executions by (plan ARN, id)."""

    def __init__(self, plans: list[dict[str, Any]], executions: dict[tuple[str, str], dict[str, Any]], page: int = 100) -> None:
        self.plans, self.executions, self.page = plans, executions, page
        self.calls: list[str] = []

    def _paged(self, items: list[Any], key: str, token: str | None) -> dict[str, Any]:
        start = int(token or 0)
        answer: dict[str, Any] = {key: items[start : start + self.page]}
        if start + self.page < len(items):
            answer["nextToken"] = str(start + self.page)
        return answer

    def list_plans_in_region(self, nextToken: str | None = None) -> dict[str, Any]:
        self.calls.append("ListPlansInRegion")
        return self._paged(self.plans, "plans", nextToken)

    def get_plan_in_region(self, arn: str) -> dict[str, Any]:
        plan = next(p for p in self.plans if p["arn"] == arn)
        workflows = [{"workflowTargetAction": "activate", "workflowTargetRegion": r, "steps": []} for r in plan["regions"]]
        return {"plan": {**plan, "workflows": workflows}}

    def list_plan_executions(self, planArn: str, nextToken: str | None = None) -> dict[str, Any]:
        self.calls.append("ListPlanExecutions")
        items = [e for (arn, _), e in self.executions.items() if arn == planArn]
        return self._paged(items, "items", nextToken)

    def get_plan_execution(self, planArn: str, executionId: str, nextToken: str | None = None) -> dict[str, Any]:
        self.calls.append("GetPlanExecution")
        if (planArn, executionId) not in self.executions:
            raise not_found("GetPlanExecution")
        return self.executions[(planArn, executionId)]

    def list_plan_execution_events(self, planArn: str, executionId: str, nextToken: str | None = None) -> dict[str, Any]:
        return {"items": []}

    def start_plan_execution(self, **_: Any) -> dict[str, Any]:
        self.calls.append("StartPlanExecution")
        raise AssertionError("nothing may be started")


class FakeRds:
    def __init__(self, writer_region: str) -> None:
        self.writer_region = writer_region

    def describe_global_clusters(self, GlobalClusterIdentifier: str) -> dict[str, Any]:
        members = [
            {"DBClusterArn": f"arn:aws:rds:{r}:{ACCOUNT}:cluster:{GlobalClusterIdentifier}-{r}", "IsWriter": r == self.writer_region}
            for r in ("us-east-1", "us-west-2", "eu-west-1")
        ]
        return {"GlobalClusters": [{"GlobalClusterIdentifier": GlobalClusterIdentifier, "GlobalClusterMembers": members}]}


def execution(identifier: str, state: str, steps: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"executionId": identifier, "executionState": state, "startTime": 0.0, "stepStates": steps or []}


def run(argv: list[str], env: Any, arc: FakeArc, rds: FakeRds | None = None) -> tuple[int, str]:
    said: list[str] = []

    def client(service: str, region: str) -> Any:
        return {"arc-region-switch": arc, "rds": rds}[service]

    args = region_switch.parser().parse_args([*argv, "--env", env.name, "--poll-seconds", "0", "--timeout-seconds", "0.3"])
    return region_switch.dispatch(args, env, client, said.append), "\n".join(said)


def three() -> Any:
    return parse_one(minimal_environment(**THREE), "three")


def plan_summary(env: Any, secondary: str) -> dict[str, Any]:
    name = env.names.region_switch_plan(env.primary_region, secondary)
    return {"arn": plan_arn(name), "name": name, "regions": [env.primary_region, secondary]}


# --------------------------------------------------------------------------- F5: a move the plan cannot represent


@pytest.mark.parametrize("dry_run", [False, True], ids=["start", "dry-run"])
def test_arc_start_refuses_when_the_writer_is_outside_the_plans_pair(dry_run: bool) -> None:
    """Writer in eu-west-1, activate us-west-2: plan {us-east-1, us-west-2} would deactivate the idle primary."""
    env = three()
    arc = FakeArc([plan_summary(env, "us-west-2"), plan_summary(env, "eu-west-1")], {})
    code, output = run(["arc-start", "--activate", "us-west-2", *(["--dry-run"] if dry_run else [])], env, arc, FakeRds("eu-west-1"))
    assert code == 3, output
    assert "REFUSED: the writer of drkit-three is in eu-west-1, outside plan drkit-three-use1-usw2's pair (us-east-1, us-west-2)" in output
    assert "drkit runbook switchover --env three --to us-west-2" in output  # a move between two secondaries is the runbook's
    assert "StartPlanExecution" not in arc.calls


def test_arc_start_activating_the_primary_from_the_writers_secondary_is_allowed_and_from_another_is_not() -> None:
    env = three()
    arc = FakeArc([plan_summary(env, "us-west-2"), plan_summary(env, "eu-west-1")], {})
    code, output = run(["arc-start", "--activate", "us-east-1", "--dry-run"], env, arc, FakeRds("eu-west-1"))
    assert code == 0 and "plan drkit-three-use1-euw1" in output, output
    code, output = run(["arc-start", "--activate", "us-east-1", "--from", "us-west-2", "--dry-run"], env, arc, FakeRds("eu-west-1"))
    assert code == 3 and "outside plan drkit-three-use1-usw2's pair" in output, output


# --------------------------------------------------------------------------- F7: more than one page


def test_an_execution_is_found_beyond_the_first_page_of_plans_and_of_executions() -> None:
    env = three()
    strangers = [{"arn": plan_arn(f"someone-else-{i}"), "name": f"someone-else-{i}", "regions": ["us-east-1", "us-west-2"]} for i in range(3)]
    ours = plan_summary(env, "us-west-2")
    identifier = "us-west-2/00000000000000ff"
    executions = {(ours["arn"], f"us-west-2/{i:016x}"): execution(f"us-west-2/{i:016x}", "completed") for i in range(5)}
    executions[(ours["arn"], identifier)] = execution(identifier, "completed")  # the oldest: last of the list
    arc = FakeArc([*strangers, ours], executions, page=2)
    code, output = run(["arc-status", "--execution", identifier], env, arc)
    assert code == 0, output
    assert f"execution {identifier} completed" in output


# --------------------------------------------------------------------------- F8: states that end the follow loop


@pytest.mark.parametrize(
    ("state", "code", "message"),
    [
        ("pausedByOperator", region_switch.EXIT_OPEN, "is paused by an operator"),
        ("completedMonitoringApplicationHealth", 0, "its steps completed; ARC is monitoring application health"),
        ("failed", 1, "FAILED: execution us-west-2/0000000000000001 ended failed"),
        ("planExecutionTimedOut", 1, "ended planExecutionTimedOut"),
        ("somethingNew", 1, "in a state drkit does not know (somethingNew)"),
    ],
)
def test_every_state_but_in_progress_and_pending_ends_the_follow_loop_at_once(state: str, code: int, message: str) -> None:
    env = three()
    ours = plan_summary(env, "us-west-2")
    identifier = "us-west-2/0000000000000001"
    arc = FakeArc([ours], {(ours["arn"], identifier): execution(identifier, state)})
    got, output = run(["arc-status", "--execution", identifier], env, arc)
    assert (got, arc.calls.count("GetPlanExecution")) == (code, 2), output  # found, then read once: no polling until the timeout
    assert message in output and "still" not in output


def test_an_execution_still_running_when_the_cli_stops_following_is_not_reported_as_failed() -> None:
    env = three()
    ours = plan_summary(env, "us-west-2")
    identifier = "us-west-2/0000000000000001"
    arc = FakeArc([ours], {(ours["arn"], identifier): execution(identifier, "inProgress")})
    code, output = run(["arc-status", "--execution", identifier], env, arc)
    assert code == region_switch.EXIT_OPEN and "FAILED" not in output
    assert f"still inProgress after 0 s: follow it with arc-status --execution {identifier}" in output
