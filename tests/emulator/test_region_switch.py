"""Cloud Control and ARC Region switch on the emulator server: the plan's lifecycle, and its executions.

One emulator and one small world for the module (``region_switch_world``); every test starts from it as
deployed (``World.restore``). The operator's side runs as the DR operations role (credentials the emulator
issued, so IAM is enforced), through ``drkit runbook arc-*``; ARC's side runs as the plan's
execution role. The outage tests are the game day's ``primary-region-outage`` through the plan, reduced to
what the plan does: the region is lost, the operator activates the secondary ungracefully, and the same
checks as the runbook's apply. Two of them put a defect back and must fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from constructs_lib.region_switch_spec import TYPE_NAME
from drkit import region_switch
from drkit_lab.emulator import process
from tests.emulator.region_switch_world import ACCOUNT, ENV, REGIONS, World, control

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("emulator")
    emulator = process.start(home)
    try:
        yield World(emulator=emulator, config_path=home / "environments.json").build()
    finally:
        process.stop(home)


@pytest.fixture
def world(built: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The world as deployed; the runbook CLI runs in-process as the DR operations role."""
    built.restore()
    for key, value in {**built.operator, "AWS_ENDPOINT_URL": built.emulator.url, "DR_CONFIG": str(built.config_path)}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    yield built
    built.restore()


def runbook(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = region_switch.main([*args, "--env", ENV, "--poll-seconds", "0.1", "--timeout-seconds", "30"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def journal_since(world: World, sequence: int) -> list[dict[str, Any]]:
    return [e for e in control(world.emulator, f"journal?since={sequence}")["entries"] if not e.get("internal")]


# --------------------------------------------------------------------------- Cloud Control


def test_cloud_control_creates_reads_patches_and_deletes_a_plan_as_the_provider_does(world: World) -> None:
    cloudcontrol = world.admin("cloudcontrol")
    properties = json.loads(cloudcontrol.get_resource(TypeName=TYPE_NAME, Identifier=world.plan_arn)["ResourceDescription"]["Properties"])
    assert properties["Arn"] == world.plan_arn and properties["Owner"] == ACCOUNT and properties["Version"] == "1"
    assert {k: v for k, v in properties.items() if k not in ("Arn", "Owner", "Version")} == world.desired
    done = world.patch_plan([{"op": "replace", "path": "/Description", "value": "moved by a patch"}])
    assert done["OperationStatus"] == "SUCCESS" and done["Operation"] == "UPDATE"
    assert world.admin("arc-region-switch").get_plan(arn=world.plan_arn)["plan"]["description"] == "moved by a patch"
    renamed = world.patch_plan([{"op": "replace", "path": "/Name", "value": "another-name"}])
    assert (renamed["OperationStatus"], renamed["ErrorCode"]) == ("FAILED", "NotUpdatable")  # create-only: the provider replaces
    typo = world.patch_plan([{"op": "add", "path": "/Workflows/0/Steps/0/Nme", "value": "x"}])
    assert (typo["OperationStatus"], typo["ErrorCode"]) == ("FAILED", "InvalidRequest") and "Nme" in typo["StatusMessage"]
    world.patch_plan([{"op": "replace", "path": "/Description", "value": world.desired["Description"]}])
    listed = cloudcontrol.list_resources(TypeName=TYPE_NAME)["ResourceDescriptions"]
    assert [d["Identifier"] for d in listed] == [world.plan_arn]

    throwaway = json.dumps({**world.desired, "Name": "drkit-arc-throwaway"})
    other = cloudcontrol.create_resource(TypeName=TYPE_NAME, DesiredState=throwaway, ClientToken="retried-once")["ProgressEvent"]
    retry = cloudcontrol.create_resource(TypeName=TYPE_NAME, DesiredState=throwaway, ClientToken="retried-once")["ProgressEvent"]
    assert retry["Identifier"] == other["Identifier"]  # a retry with the same ClientToken creates nothing more
    assert other["OperationStatus"] == "IN_PROGRESS" and other["Identifier"].startswith(
        f"arn:aws:arc-region-switch::{ACCOUNT}:plan/drkit-arc-throwaway:"
    )
    assert cloudcontrol.get_resource_request_status(RequestToken=other["RequestToken"])["ProgressEvent"]["OperationStatus"] == "SUCCESS"
    deleted = cloudcontrol.delete_resource(TypeName=TYPE_NAME, Identifier=other["Identifier"])["ProgressEvent"]
    assert cloudcontrol.get_resource_request_status(RequestToken=deleted["RequestToken"])["ProgressEvent"]["OperationStatus"] == "SUCCESS"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        cloudcontrol.get_resource(TypeName=TYPE_NAME, Identifier=other["Identifier"])
    again = cloudcontrol.delete_resource(TypeName=TYPE_NAME, Identifier=other["Identifier"])["ProgressEvent"]
    assert (again["OperationStatus"], again["ErrorCode"]) == ("FAILED", "NotFound")  # the provider counts this as deleted


def test_cloud_control_refuses_what_the_schema_refuses_and_types_it_does_not_emulate(world: World) -> None:
    cloudcontrol = world.admin("cloudcontrol")
    bad = {**world.desired, "RecoveryApproach": "activeStandby"}
    event = cloudcontrol.create_resource(TypeName=TYPE_NAME, DesiredState=json.dumps(bad))["ProgressEvent"]
    assert (event["OperationStatus"], event["ErrorCode"]) == ("FAILED", "InvalidRequest") and "activeStandby" in event["StatusMessage"]
    read_only = cloudcontrol.create_resource(TypeName=TYPE_NAME, DesiredState=json.dumps({**world.desired, "Arn": world.plan_arn}))["ProgressEvent"]
    assert read_only["ErrorCode"] == "InvalidRequest" and "read-only" in read_only["StatusMessage"]
    with pytest.raises(ClientError, match="UnsupportedActionException"):
        cloudcontrol.create_resource(TypeName="AWS::S3::Bucket", DesiredState="{}")
    with pytest.raises(ClientError, match="RequestTokenNotFoundException"):
        cloudcontrol.get_resource_request_status(RequestToken="nope")


# --------------------------------------------------------------------------- executions


def test_a_graceful_activation_runs_the_preflight_then_switches_over_from_the_writers_region(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.lag("us-west-2", 400.0)
    sequence = control(world.emulator, "journal")["sequence"]
    code, output = runbook("arc-start", "--activate", "us-west-2", capsys=capsys)
    assert code == 0, output
    assert world.writer() == "us-west-2"
    lines = output.splitlines()
    assert lines[0].startswith(f"plan {world.plan_name} (arn:aws:arc-region-switch::{ACCOUNT}:plan/{world.plan_name}:")
    assert "steps: lag-preflight (CustomActionLambda), database (AuroraGlobalDatabase)" in lines[1]
    assert any("stepSucceeded lag-preflight (CustomActionLambda)" in line and '"lag_seconds": 0.4' in line for line in lines)
    assert any("stepUpdate database (AuroraGlobalDatabase): SwitchoverGlobalCluster in us-east-1" in line for line in lines)
    assert lines[-1].startswith("execution us-west-2/") and "completed; ARC's recorded recovery time: PT" in lines[-1]
    calls = {(e["service"], e["action"], e["region"]) for e in journal_since(world, sequence)}
    assert ("rds", "SwitchoverGlobalCluster", "us-east-1") in calls  # where Aurora takes a switchover: the writer's region
    lambda_calls = sorted(action for service, action, region in calls if service == "lambda" and region == "us-west-2")
    assert any(a.startswith("POST /2015-03-31/functions/") and a.endswith("/invocations") for a in lambda_calls), lambda_calls  # the DryRun
    assert any(a.startswith("GET /2015-03-31/functions/arn:aws:lambda:us-west-2:") for a in lambda_calls), lambda_calls  # GetFunction
    assert {r for s, _, r in calls if s == "arc-region-switch"} == {"us-west-2"}  # the operator stays in the region being activated
    code, output = runbook("arc-start", "--activate", "us-west-2", capsys=capsys)
    assert code == 0 and "no-op: the writer of drkit-arc is already in us-west-2" in output


def test_production_waits_for_the_dr_role_to_approve_and_a_decline_cancels(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    approval = {
        "Name": "approval",
        "Description": "approve",
        "ExecutionBlockType": "ManualApproval",
        "ExecutionBlockConfiguration": {"ExecutionApprovalConfig": {"ApprovalRole": world.dr_role_arn, "TimeoutMinutes": 60}},
    }
    assert world.patch_plan([{"op": "add", "path": "/Workflows/0/Steps/0", "value": approval}])["OperationStatus"] == "SUCCESS"
    world.lag("us-west-2", 400.0)
    code, output = runbook("arc-start", "--activate", "us-west-2", capsys=capsys)
    assert code == region_switch.EXIT_WAITING_FOR_APPROVAL, output
    assert "waits for the approval of step approval: drkit runbook arc-approve --env arc --execution us-west-2/" in output
    assert world.writer() == "us-east-1"
    identifier = next(line.split()[2] for line in output.splitlines() if line.startswith("started: execution"))
    arc = world.admin("arc-region-switch", "us-west-2")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):  # executions live in the region that runs them
        world.admin("arc-region-switch", "us-east-1").get_plan_execution(planArn=world.plan_arn, executionId=identifier)
    assert arc.get_plan_execution(planArn=world.plan_arn, executionId=identifier)["executionState"] == "pendingManualApproval"
    code, output = runbook("arc-approve", "--execution", identifier, capsys=capsys)
    assert code == 0, output
    assert "approved: step approval" in output and world.writer() == "us-west-2"
    world.restore()
    world.patch_plan([{"op": "add", "path": "/Workflows/0/Steps/0", "value": approval}])
    world.lag("us-west-2", 400.0)
    code, output = runbook("arc-start", "--activate", "us-west-2", capsys=capsys)
    identifier = next(line.split()[2] for line in output.splitlines() if line.startswith("started: execution"))
    code, output = runbook("arc-approve", "--execution", identifier, "--decline", capsys=capsys)
    assert code == 1 and "declined: step approval" in output and "ended canceled" in output and world.writer() == "us-east-1"


def test_only_a_session_of_the_approval_role_approves(world: World) -> None:
    import boto3

    iam = world.admin("iam")
    iam.create_role(
        RoleName="someone-else",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    iam.put_role_policy(
        RoleName="someone-else",
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "arc-region-switch:*", "Resource": "*"}]}),
    )
    iam.create_user(UserName="someone")
    iam.put_user_policy(
        UserName="someone",
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}),
    )
    key = iam.create_access_key(UserName="someone")["AccessKey"]
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=world.emulator.url,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/someone-else", RoleSessionName="someone")["Credentials"]
    arc = boto3.client(
        "arc-region-switch", region_name="us-west-2", endpoint_url=world.emulator.url,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"],
    )  # fmt: skip
    approval = {
        "Name": "approval",
        "ExecutionBlockType": "ManualApproval",
        "ExecutionBlockConfiguration": {"ExecutionApprovalConfig": {"ApprovalRole": world.dr_role_arn}},
    }
    world.patch_plan([{"op": "add", "path": "/Workflows/0/Steps/0", "value": approval}])
    started = arc.start_plan_execution(planArn=world.plan_arn, targetRegion="us-west-2", action="activate")
    with pytest.raises(ClientError, match=r"AccessDenied.*not a session of the approval role"):
        arc.approve_plan_execution_step(planArn=world.plan_arn, executionId=started["executionId"], stepName="approval", approval="approve")


def test_a_separate_approval_role_approves_with_the_permissions_the_docs_list_and_the_dr_role_cannot(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """region_switch.approval_role_arn: the DR role starts, a session of the approval role approves (docs/region-switch.md,
    *Who approves*: ApprovePlanExecutionStep, GetPlanExecution, ListPlanExecutionEvents on the plans, ListPlansInRegion)."""
    import boto3

    iam = world.admin("iam")
    plans = world.names.region_switch_plan_arns(ACCOUNT, world.plan_name)
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    approver_arn = iam.create_role(RoleName="dr-approver", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [root]}))[
        "Role"
    ]["Arn"]
    actions = ["arc-region-switch:ApprovePlanExecutionStep", "arc-region-switch:GetPlanExecution", "arc-region-switch:ListPlanExecutionEvents"]
    statements = [
        {"Effect": "Allow", "Action": actions, "Resource": plans},
        {"Effect": "Allow", "Action": "arc-region-switch:ListPlansInRegion", "Resource": "*"},
    ]
    iam.put_role_policy(RoleName="dr-approver", PolicyName="approve", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    iam.create_user(UserName="approver")
    assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": approver_arn}
    iam.put_user_policy(UserName="approver", PolicyName="assume", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [assume]}))
    key = iam.create_access_key(UserName="approver")["AccessKey"]
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=world.emulator.url,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    session = sts.assume_role(RoleArn=approver_arn, RoleSessionName="second-person")["Credentials"]
    approval = {
        "Name": "approval",
        "ExecutionBlockType": "ManualApproval",
        "ExecutionBlockConfiguration": {"ExecutionApprovalConfig": {"ApprovalRole": approver_arn, "TimeoutMinutes": 60}},
    }
    assert world.patch_plan([{"op": "add", "path": "/Workflows/0/Steps/0", "value": approval}])["OperationStatus"] == "SUCCESS"
    world.lag("us-west-2", 400.0)
    code, output = runbook("arc-start", "--activate", "us-west-2", capsys=capsys)
    assert code == region_switch.EXIT_WAITING_FOR_APPROVAL, output
    identifier = next(line.split()[2] for line in output.splitlines() if line.startswith("started: execution"))
    code, output = runbook("arc-approve", "--execution", identifier, capsys=capsys)
    assert code == 1 and "is not a session of the approval role" in output and world.writer() == "us-east-1"  # the starter cannot
    for name, value in (("AWS_ACCESS_KEY_ID", "AccessKeyId"), ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"), ("AWS_SESSION_TOKEN", "SessionToken")):
        monkeypatch.setenv(name, session[value])
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # boto3's default session keeps the credentials it first found
    code, output = runbook("arc-approve", "--execution", identifier, capsys=capsys)
    assert code == 0, output
    assert "approved: step approval" in output and world.writer() == "us-west-2"


def test_the_dr_role_may_run_only_its_environments_plans(world: World) -> None:
    import boto3

    keys = {"aws_access_key_id": world.operator["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": world.operator["AWS_SECRET_ACCESS_KEY"]}
    arc = boto3.client(
        "arc-region-switch", region_name="us-west-2", endpoint_url=world.emulator.url, aws_session_token=world.operator["AWS_SESSION_TOKEN"], **keys
    )
    stranger = world.admin("cloudcontrol").create_resource(
        TypeName=TYPE_NAME, DesiredState=json.dumps({**world.desired, "Name": "someone-elses-plan"})
    )
    arn = stranger["ProgressEvent"]["Identifier"]
    with pytest.raises(
        ClientError,
        match=r"AccessDenied.*arc-region-switch:StartPlanExecution on resource: arn:aws:arc-region-switch::123456789012:plan/someone-elses-plan",
    ):
        arc.start_plan_execution(planArn=arn, targetRegion="us-west-2", action="activate")
    with pytest.raises(ClientError, match=r"AccessDenied.*no resource model"):
        boto3.client(
            "cloudcontrol", region_name="us-east-1", endpoint_url=world.emulator.url, aws_session_token=world.operator["AWS_SESSION_TOKEN"], **keys
        ).list_resources(TypeName=TYPE_NAME)
    world.admin("cloudcontrol").delete_resource(TypeName=TYPE_NAME, Identifier=arn)


# --------------------------------------------------------------------------- the outage, through the plan


@dataclass
class Outcome:
    code: int
    output: str
    writer: str | None
    called: set[str]

    def failed_checks(self, lost: str, target: str) -> list[str]:
        """The checks game day's primary-region-outage applies to the operator's move, whichever engine makes it."""
        checks = {
            f"the plan's ungraceful activation of {target} succeeds": self.code == 0,
            f"the writer is in {target}": self.writer == target,
            f"nothing is called in {lost}": lost not in self.called,
        }
        return [expected for expected, passed in checks.items() if not passed]


def lose_the_primary_and_activate_the_secondary(world: World, capsys: pytest.CaptureFixture[str]) -> Outcome:
    lost, target = REGIONS
    sequence = control(world.emulator, "journal")["sequence"]
    control(world.emulator, "faults", {"down_regions": [lost]})
    code, output = runbook("arc-start", "--activate", target, "--ungraceful", capsys=capsys)
    called = {e["region"] for e in journal_since(world, sequence) if e["region"]}
    return Outcome(code, output, world.writer(target), called)


def test_a_lost_primary_is_recovered_through_the_plan_without_calling_the_lost_region(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = lose_the_primary_and_activate_the_secondary(world, capsys)
    assert outcome.failed_checks("us-east-1", "us-west-2") == [], outcome.output
    assert "stepSkipped lag-preflight (CustomActionLambda)" in outcome.output  # ungraceful: ARC skips custom actions
    assert "FailoverGlobalCluster (AllowDataLoss) in us-west-2" in outcome.output
    with pytest.raises(ClientError, match="ServiceUnavailable"):  # plan management lives in us-east-1: gone with it
        world.admin("arc-region-switch", "us-west-2").list_plans()


def test_a_plan_whose_aurora_block_targets_the_wrong_region_fails_the_outage(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """The defect put back: the activate-us-west-2 workflow's Aurora block names a cluster in another region."""
    wrong = f"arn:aws:rds:eu-west-1:{ACCOUNT}:cluster:{world.names.cluster_id('eu-west-1')}"
    path = "/Workflows/0/Steps/1/ExecutionBlockConfiguration/GlobalAuroraConfig/DatabaseClusterArns/1"
    assert world.patch_plan([{"op": "replace", "path": path, "value": wrong}])["OperationStatus"] == "SUCCESS"
    outcome = lose_the_primary_and_activate_the_secondary(world, capsys)
    failed = outcome.failed_checks("us-east-1", "us-west-2")
    print("\n".join(["FAILED (as it must):", *failed, outcome.output]))
    assert failed == ["the plan's ungraceful activation of us-west-2 succeeds", "the writer is in us-west-2"]
    assert "DatabaseClusterArns name no cluster in us-west-2, the region being activated" in outcome.output


def test_an_execution_role_without_a_permission_the_block_needs_fails_the_outage(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """The defect put back: the execution role loses rds:FailoverGlobalCluster (what ungraceful activation calls)."""
    document = json.loads(world.execution_policy)
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != "rds:FailoverGlobalCluster"]
    world.admin("iam").put_role_policy(RoleName=world.role_name, PolicyName="execution", PolicyDocument=json.dumps(document))
    outcome = lose_the_primary_and_activate_the_secondary(world, capsys)
    failed = outcome.failed_checks("us-east-1", "us-west-2")
    print("\n".join(["FAILED (as it must):", *failed, outcome.output]))
    assert failed == ["the plan's ungraceful activation of us-west-2 succeeds", "the writer is in us-west-2"]
    assert f"is not authorized to perform: rds:FailoverGlobalCluster on resource: arn:aws:rds::{ACCOUNT}:global-cluster:drkit-arc" in outcome.output


def test_an_execution_role_arc_may_not_assume_fails_every_block_that_needs_it(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.admin("iam").update_assume_role_policy(
        RoleName=world.role_name,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    try:
        outcome = lose_the_primary_and_activate_the_secondary(world, capsys)
    finally:
        control(world.emulator, "faults", {"down_regions": []})  # IAM's API lives in us-east-1
        world.admin("iam").update_assume_role_policy(
            RoleName=world.role_name,
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "arc-region-switch.amazonaws.com"}, "Action": "sts:AssumeRole"}],
                }
            ),
        )
    assert outcome.code == 1 and "its trust policy does not trust arc-region-switch.amazonaws.com" in outcome.output


def test_the_plan_is_found_in_the_region_being_activated_and_a_dry_run_starts_nothing(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = runbook("arc-start", "--activate", "us-west-2", "--dry-run", capsys=capsys)
    assert code == 0 and "dry run: no execution was started" in output
    assert world.admin("arc-region-switch", "us-west-2").list_plan_executions(planArn=world.plan_arn)["items"] == [] or all(
        e["executionState"] != "inProgress"
        for e in world.admin("arc-region-switch", "us-west-2").list_plan_executions(planArn=world.plan_arn)["items"]
    )
    code, output = runbook("arc-start", "--activate", "eu-west-1", capsys=capsys)
    assert code == 3 and "eu-west-1 is not a region of arc" in output


def test_the_preflight_refuses_while_the_lag_is_high_and_the_dr_role_cancels_retries_or_skips_it(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """Last of the module: CloudWatch keeps the 9 s sample, and the preflight reads the newest minute's maximum.

    A refused preflight pauses the execution; the DR role may then cancel it, retry the step (UpdatePlanExecution
    resume: refused again while the lag stays high) or skip it (UpdatePlanExecutionStep skip: the switchover itself
    waits for the secondary to catch up). IAM is enforced: the DR role's statements are the stack's."""
    world.lag("us-west-2", 9000.0)
    code, output = runbook("arc-start", "--activate", "us-west-2", capsys=capsys)
    assert code == 1, output
    assert "replication lag of drkit-arc-us-west-2 is 9.0 s, above 5 s" in output and "paused on failed step lag-preflight" in output
    assert "arc-retry" in output and "arc-skip" in output and "console" not in output  # what the DR role can do, from here
    assert world.writer() == "us-east-1"
    identifier = next(line.split()[2] for line in output.splitlines() if line.startswith("started: execution"))
    code, output = runbook("arc-start", "--activate", "us-west-2", capsys=capsys)
    assert code == 3 and "has an active execution" in output  # one execution of a plan at a time
    code, output = runbook("arc-cancel", "--execution", identifier, capsys=capsys)
    assert code == 1 and f"canceled: execution {identifier}" in output and "ended canceled" in output

    code, output = runbook("arc-start", "--activate", "us-west-2", capsys=capsys)
    assert code == 1 and "paused on failed step lag-preflight" in output, output
    identifier = next(line.split()[2] for line in output.splitlines() if line.startswith("started: execution"))
    code, output = runbook("arc-retry", "--execution", identifier, capsys=capsys)
    assert code == 1 and f"resumed: execution {identifier}" in output and "paused on failed step lag-preflight" in output, output
    assert "stepStarted lag-preflight" in output  # the step ran again, and was refused again
    code, output = runbook("arc-skip", "--execution", identifier, capsys=capsys)
    assert code == 0, output
    assert f"skipped: step lag-preflight of execution {identifier}" in output and "stepSkipped lag-preflight" in output
    assert "SwitchoverGlobalCluster in us-east-1" in output and world.writer() == "us-west-2"
    code, output = runbook("arc-skip", "--execution", identifier, capsys=capsys)
    assert code == 3 and "no failed step to skip" in output
