"""The runbook's ARC side: start and follow an execution of the environment's Region switch plan.

  drkit runbook arc-start   --env production --activate us-west-2 [--ungraceful] [--dry-run]
  drkit runbook arc-status  --env production --execution us-west-2/0123456789abcdef
  drkit runbook arc-approve --env production --execution us-west-2/0123456789abcdef [--decline]
  drkit runbook arc-cancel  --env production --execution us-west-2/0123456789abcdef
  drkit runbook arc-retry   --env production --execution us-west-2/0123456789abcdef
  drkit runbook arc-skip    --env production --execution us-west-2/0123456789abcdef [--step lag-preflight]

Every call goes to the region being activated: Region switch executes plans "from the Region being
activated" (ARC launch post) and its execution APIs are regional (botocore's endpoint rules; only plan
management goes to the control plane in us-east-1). So the plan is found by its name with
ListPlansInRegion there, not ListPlans, and nothing here depends on the region being left. An execution ID
names its region (``us-west-2/<16 hex>``, API reference ``RecoveryExecutionId``). The same progress lines are
printed on AWS and, with ``AWS_ENDPOINT_URL`` set, against the emulator. Assume the DR operations role
first: it may find, start, follow, approve, cancel, resume and skip steps of executions of the environment's plans.

A failed step pauses an execution (``pausedByFailedStep``). The way forward: ``arc-cancel``; ``arc-retry``
(UpdatePlanExecution ``resume``: the execution goes on, the failed step again); or ``arc-skip``
(UpdatePlanExecutionStep ``skip`` of the failed step, or of ``--step``). Skipping the lag preflight is safe for
the data: the graceful Aurora block is a switchover, which synchronizes the secondary before it moves the writer
(Aurora User Guide, switchover), so it only waits longer.

Exit codes: 0 completed (or dry run, nothing to do); 4 started and waiting for an approval; 5 still open:
paused by an operator (``arc-retry`` resumes it), or still running when the CLI stopped following
(``--timeout-seconds``; ``arc-status`` follows it again); 3 refused; 1 the execution failed, timed out, paused on a
failed step, was canceled, or is in a state drkit does not know; 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ClientFactory = Callable[[str, str], Any]
Say = Callable[[str], None]
# ExecutionState (botocore's model): the follower polls only while the execution runs; any other state, one added
# to the model later included, ends the loop at once.
RUNNING = frozenset({"inProgress", "pending"})
SUCCEEDED = frozenset({"completed", "completedWithExceptions"})
# The plan's steps are done and ARC waits for the plan's application-health alarms before it records the recovery
# time ("Actual recovery time includes the time for the plan to run added to the time elapsed until the application
# health alarms that you've specified are healthy again", API reference, GetPlanExecution actualRecoveryTime).
MONITORING = "completedMonitoringApplicationHealth"
STOPPED = frozenset({"failed", "canceled", "planExecutionTimedOut", "pausedByFailedStep"})
WAITING = "pendingManualApproval"
PAUSED = frozenset({"pausedByFailedStep", "pausedByOperator"})
EXIT_WAITING_FOR_APPROVAL = 4
EXIT_OPEN = 5  # neither finished nor failed: paused by an operator, or still running when the CLI stopped following


class Refused(Exception):
    """Nothing was started; the message says why."""


@dataclass(frozen=True)
class PlanChoice:
    name: str
    activate: str
    pair: tuple[str, str]  # (primary, secondary)


def choose_plan(env: Any, activate: str, writer_region: str | None, from_region: str | None) -> PlanChoice:
    """The plan that activates ``activate``: plans pair the deploy-time primary with each secondary."""
    primary, secondaries = env.primary_region, tuple(env.secondary_regions)
    if activate in secondaries:
        return PlanChoice(env.names.region_switch_plan(primary, activate), activate, (primary, activate))
    if activate != primary:
        raise Refused(f"{activate} is not a region of {env.name} ({', '.join(env.regions)})")
    other = from_region or (writer_region if writer_region in secondaries else None) or (secondaries[0] if len(secondaries) == 1 else None)
    if other not in secondaries:
        raise Refused(f"activating {primary} needs the secondary it comes back from: name it with --from ({', '.join(secondaries)})")
    return PlanChoice(env.names.region_switch_plan(primary, str(other)), activate, (primary, str(other)))


def find_plan(client: ClientFactory, region: str, name: str) -> dict[str, Any]:
    """The plan named ``name``, as the region's data plane has it (ListPlansInRegion, then GetPlanInRegion)."""
    arc = client("arc-region-switch", region)
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = arc.list_plans_in_region(**({"nextToken": token} if token else {}))
        found += [p for p in page.get("plans", []) if p.get("name") == name]
        token = page.get("nextToken")
        if not token:
            break
    if not found:
        raise Refused(f"no Region switch plan {name} in {region} (is region_switch.enabled set for this environment, and applied?)")
    if len(found) > 1:
        raise Refused(f"{len(found)} plans are named {name} in {region}: {', '.join(p['arn'] for p in found)}")
    plan: dict[str, Any] = arc.get_plan_in_region(arn=found[0]["arn"])["plan"]
    return plan


def describe_workflow(plan: dict[str, Any], activate: str) -> list[str]:
    workflow = next(
        (w for w in plan.get("workflows", []) if w.get("workflowTargetAction") == "activate" and w.get("workflowTargetRegion", activate) == activate),
        None,
    )
    if workflow is None:
        raise Refused(f"plan {plan['name']} has no workflow that activates {activate}")
    return [f"{step['name']} ({step['executionBlockType']})" for step in workflow.get("steps", [])]


class Follower:
    """Prints an execution's events as they come, until it ends or waits for someone."""

    def __init__(self, client: ClientFactory, region: str, plan_arn: str, execution_id: str, say: Say) -> None:
        self.arc = client("arc-region-switch", region)
        self.plan_arn, self.execution_id, self.say = plan_arn, execution_id, say
        self.seen: set[str] = set()

    def events(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.arc.list_plan_execution_events(
                planArn=self.plan_arn, executionId=self.execution_id, **({"nextToken": token} if token else {})
            )
            items += page.get("items", [])
            token = page.get("nextToken")
            if not token:
                return items

    def execution(self) -> dict[str, Any]:
        return read_execution(self.arc, self.plan_arn, self.execution_id)

    def follow(self, poll_seconds: float, timeout_seconds: float, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
        started = time.monotonic()
        while True:
            execution = self.execution()
            start = _seconds(execution["startTime"])
            for event in sorted(self.events(), key=lambda e: _seconds(e["timestamp"])):
                if event["eventId"] in self.seen:
                    continue
                self.seen.add(event["eventId"])
                self.say(render_event(event, start))
            state = execution["executionState"]
            if state not in RUNNING:
                return execution
            if time.monotonic() - started > timeout_seconds:
                self.say(f"still {state} after {timeout_seconds:.0f} s: follow it with arc-status --execution {self.execution_id}")
                return execution
            sleep(poll_seconds)


def _seconds(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def render_event(event: dict[str, Any], start: float) -> str:
    offset = _seconds(event["timestamp"]) - start
    step = f" {event['stepName']} ({event.get('executionBlockType', '?')})" if event.get("stepName") else ""
    detail = "; ".join(part for part in (event.get("description"), f"error: {event['error']}" if event.get("error") else "") if part)
    return f"  +{offset:.0f} s {event['type']}{step}{': ' + detail if detail else ''}"


def conclude(execution: dict[str, Any], say: Say, approve_hint: str) -> int:
    state = execution["executionState"]
    identifier = execution["executionId"]
    if state in SUCCEEDED:
        recorded = execution.get("actualRecoveryTime") or "not recorded"
        say(f"execution {identifier} {state}; ARC's recorded recovery time: {recorded}")
        return 0
    if state == MONITORING:
        say(f"execution {identifier}: its steps completed; ARC is monitoring application health before it records the recovery time "
            f"(arc-status --execution {identifier} shows it later)")  # fmt: skip
        return 0
    if state in RUNNING:
        return EXIT_OPEN  # the follower said so ("still ... after ..."): not a failure
    if state == "pausedByOperator":
        say(f"execution {identifier} is paused by an operator: arc-retry --execution {identifier} resumes it, arc-cancel ends it")
        return EXIT_OPEN
    if state == WAITING:
        pending = [s["name"] for s in execution.get("stepStates", []) if s.get("status") == "pendingApproval"]
        say(f"execution {identifier} waits for the approval of step {', '.join(pending) or '?'}: {approve_hint}")
        return EXIT_WAITING_FOR_APPROVAL
    if state == "pausedByFailedStep":
        failed = [s["name"] for s in execution.get("stepStates", []) if s.get("status") == "failed"]
        say(
            f"FAILED: execution {identifier} is paused on failed step {', '.join(failed) or '?'} (see its error above); as the DR role: "
            f"arc-retry --execution {identifier} (run it again), arc-skip --execution {identifier} (go on without it) "
            f"or arc-cancel --execution {identifier}"
        )
        return 1
    if state in STOPPED:
        say(f"FAILED: execution {identifier} ended {state}")
        return 1
    say(f"FAILED: execution {identifier} is in a state drkit does not know ({state}): see it with arc-status or in the ARC console")
    return 1


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drkit runbook", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("operation", choices=["arc-start", "arc-status", "arc-approve", "arc-cancel", "arc-retry", "arc-skip"])
    parser.add_argument("--env", required=True, help="environment name from cdktf.json (or $DR_CONFIG)")
    parser.add_argument("--activate", help="arc-start: the region to activate (its cluster becomes the writer)")
    parser.add_argument("--from", dest="from_region", help="arc-start, activating the primary: the secondary it comes back from")
    parser.add_argument("--ungraceful", action="store_true", help="arc-start: a lost region (failover with data loss; custom actions skipped)")
    parser.add_argument("--dry-run", action="store_true", help="arc-start: find the plan and print what it would run; start nothing")
    parser.add_argument("--execution", help="arc-status/approve/cancel/retry/skip: the execution ID arc-start printed (<region>/<id>)")
    parser.add_argument("--decline", action="store_true", help="arc-approve: decline (ARC cancels the execution)")
    parser.add_argument("--step", help="arc-skip: the step to skip (default: the failed step)")
    parser.add_argument("--comment", default="", help="a comment recorded with the execution")
    parser.add_argument("--poll-seconds", type=float, default=10.0, help="how often to read the execution's progress")
    parser.add_argument("--timeout-seconds", type=float, default=3600.0, help="stop following (not the execution) after this long")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)

    import boto3
    from botocore.config import Config

    from constructs_lib.config import ConfigError, load_settings

    try:
        env = load_settings(Path.cwd()).get(args.env)
    except ConfigError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 2
    if args.operation == "arc-start" and not args.activate:
        print("drkit: --activate <region> is required for arc-start", file=sys.stderr)
        return 2
    if args.operation != "arc-start" and not args.execution:
        print(f"drkit: --execution <region>/<id> is required for {args.operation}", file=sys.stderr)
        return 2
    retries = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=120)

    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, config=retries)

    return dispatch(args, env, client, print)


def dispatch(args: argparse.Namespace, env: Any, client: ClientFactory, say: Say) -> int:
    """Run the operation with ``client`` (boto3, or a fake in tests) and turn a refusal or an AWS error into its exit code."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if args.operation == "arc-start":
            return start(args, env, client, say)
        return operate(args, env, client, say)
    except Refused as refused:
        say(f"REFUSED: {refused}")
        return 3
    except (BotoCoreError, ClientError) as error:
        print(f"drkit: AWS call failed: {error}", file=sys.stderr)
        return 1


def start(args: argparse.Namespace, env: Any, client: ClientFactory, say: Say) -> int:
    region = args.activate
    writer = writer_region(client, region, env.names.global_cluster_id)
    if writer == region and not args.dry_run:
        say(f"no-op: the writer of {env.names.global_cluster_id} is already in {region}")
        return 0
    choice = choose_plan(env, region, writer, args.from_region)
    if writer is not None and writer not in choice.pair:
        # The plan activates `region` and deactivates the other region of its pair, not the writer's: its Aurora block
        # and EKS scaling ("relative to the capacity in the Region that is being deactivated", eks-resource-scaling-block)
        # would act on the wrong region. A move between two secondaries is the runbook's (docs/region-switch.md).
        raise Refused(
            f"the writer of {env.names.global_cluster_id} is in {writer}, outside plan {choice.name}'s pair ({', '.join(choice.pair)}): "
            f"move it with drkit runbook switchover --env {env.name} --to {region} (or failover), or first back to {env.primary_region}"
        )
    plan = find_plan(client, region, choice.name)
    mode = "ungraceful" if args.ungraceful else "graceful"
    say(f"plan {plan['name']} ({plan['arn']}): activate {region}, {mode}, from {region}; the writer is in {writer or 'no region'}")
    say(f"  steps: {', '.join(describe_workflow(plan, region))}")
    if args.dry_run:
        say("dry run: no execution was started")
        return 0
    from botocore.exceptions import ClientError

    arc = client("arc-region-switch", region)
    comment = args.comment or f"drkit runbook: activate {region} ({mode})"
    try:
        started = arc.start_plan_execution(planArn=plan["arn"], targetRegion=region, action="activate", mode=mode, comment=comment)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("IllegalStateException", "IllegalArgumentException", "ConflictException"):
            raise Refused(error.response["Error"].get("Message", code)) from None
        raise
    identifier = started["executionId"]
    say(f"started: execution {identifier} (activate {started.get('activateRegion')}, deactivate {started.get('deactivateRegion')})")
    follower = Follower(client, region, plan["arn"], identifier, say)
    execution = follower.follow(args.poll_seconds, args.timeout_seconds)
    return conclude(execution, say, f"drkit runbook arc-approve --env {env.name} --execution {identifier}")


def operate(args: argparse.Namespace, env: Any, client: ClientFactory, say: Say) -> int:
    identifier = args.execution
    region = identifier.split("/", 1)[0]
    plan_arn = plan_of_execution(client, env, region, identifier)
    arc = client("arc-region-switch", region)
    if args.operation == "arc-cancel":
        arc.cancel_plan_execution(planArn=plan_arn, executionId=identifier, comment=args.comment or "canceled with the drkit runbook")
        say(f"canceled: execution {identifier}")
    if args.operation == "arc-retry":
        execution = read_execution(arc, plan_arn, identifier)
        if execution["executionState"] not in PAUSED:
            raise Refused(f"execution {identifier} is {execution['executionState']}: nothing to resume")
        arc.update_plan_execution(
            planArn=plan_arn, executionId=identifier, action="resume", comment=args.comment or "resumed with the drkit runbook (arc-retry)"
        )
        say(f"resumed: execution {identifier}")
    if args.operation == "arc-skip":
        execution = read_execution(arc, plan_arn, identifier)
        failed = [s["name"] for s in execution.get("stepStates", []) if s.get("status") == "failed"]
        step = args.step or (failed[0] if failed else None)
        if step is None:
            raise Refused(f"execution {identifier} is {execution['executionState']}: no failed step to skip (name one with --step)")
        # ``comment`` is a required member of UpdatePlanExecutionStepRequest (botocore's model).
        arc.update_plan_execution_step(
            planArn=plan_arn, executionId=identifier, stepName=step, actionToTake="skip", comment=args.comment or "skipped with the drkit runbook"
        )
        say(f"skipped: step {step} of execution {identifier}")
    if args.operation == "arc-approve":
        execution = read_execution(arc, plan_arn, identifier)
        pending = [s["name"] for s in execution.get("stepStates", []) if s.get("status") == "pendingApproval"]
        if not pending:
            raise Refused(f"execution {identifier} is {execution['executionState']}: no step waits for an approval")
        decision = "decline" if args.decline else "approve"
        arc.approve_plan_execution_step(
            planArn=plan_arn,
            executionId=identifier,
            stepName=pending[0],
            approval=decision,
            comment=args.comment or f"{decision}d with the drkit runbook",
        )
        say(f"{decision}d: step {pending[0]} of execution {identifier}")
    follower = Follower(client, region, plan_arn, identifier, say)
    execution = follower.follow(args.poll_seconds, args.timeout_seconds)
    return conclude(execution, say, f"drkit runbook arc-approve --env {env.name} --execution {identifier}")


def plan_of_execution(client: ClientFactory, env: Any, region: str, identifier: str) -> str:
    """The environment's plan that has execution ``identifier`` in ``region``: every page of ListPlansInRegion, then
    GetPlanExecution per candidate (no list of executions to page through; ResourceNotFoundException: not that plan)."""
    from botocore.exceptions import ClientError

    arc = client("arc-region-switch", region)
    names = {env.names.region_switch_plan(env.primary_region, s) for s in env.secondary_regions}
    token: str | None = None
    while True:
        page = arc.list_plans_in_region(**({"nextToken": token} if token else {}))
        for plan in page.get("plans", []):
            if plan.get("name") not in names:
                continue
            try:
                arc.get_plan_execution(planArn=plan["arn"], executionId=identifier)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    continue
                raise
            return str(plan["arn"])
        token = page.get("nextToken")
        if not token:
            raise Refused(f"no plan of {env.name} has execution {identifier} in {region}")


def read_execution(arc: Any, plan_arn: str, identifier: str) -> dict[str, Any]:
    """GetPlanExecution with every page of its ``stepStates`` (paginated: botocore's paginators-1.json)."""
    execution: dict[str, Any] = arc.get_plan_execution(planArn=plan_arn, executionId=identifier)
    steps = list(execution.get("stepStates", []))
    token = execution.get("nextToken")
    while token:
        page = arc.get_plan_execution(planArn=plan_arn, executionId=identifier, nextToken=token)
        steps += page.get("stepStates", [])
        token = page.get("nextToken")
    return {**execution, "stepStates": steps}


def writer_region(client: ClientFactory, region: str, global_cluster_id: str) -> str | None:
    """Where the writer is, read in ``region`` (the one being activated, alive by definition)."""
    found = client("rds", region).describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"]
    members = found[0].get("GlobalClusterMembers", []) if found else []
    writer = next((m["DBClusterArn"] for m in members if m.get("IsWriter")), None)
    return str(writer).split(":")[3] if writer else None


if __name__ == "__main__":
    sys.exit(main())
