"""The main job end to end on the emulator, three regions: apply, smoke, no-change re-plan, the day-2 drill
as the DR role (switchover to the *second* secondary, plan while switched over, back), more role changes
with a plan after each, the plan review on real plans, then destroy and the leftover check.

One deployment for the module (a cycle costs minutes); tests run in file order, the last one destroys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from drkit.drift import detect
from drkit.drift import render as render_drift
from drkit.plan_review import review
from drkit.terraform import TerraformError
from drkit.terraform import run as terraform_run
from drkit_lab.deploy_local import Deployment, deploy, destroy, plan_json, plan_no_changes
from drkit_lab.emulator import process as emulator_process
from drkit_lab.gameday.__main__ import run_scenarios
from drkit_lab.gameday.scenarios import SCENARIOS
from drkit_lab.smoke import global_topology, replication_sources
from tests.helpers import FIXTURE_ENVIRONMENTS, PROJECT_DIR

pytestmark = pytest.mark.integration
ENV = "three"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


class Cycle:
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.report: dict[str, Any] = {}

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.report["outputs"])


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cycle]:
    state_dir = tmp_path_factory.mktemp("local")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DR_CONFIG", str(FIXTURE_ENVIRONMENTS))
        deployment = Deployment(env_name=ENV, state_dir=state_dir)
        deployment.begin_run("deploy")
        current = Cycle(deployment)
        try:
            current.report = deploy(deployment)
            yield current
        finally:
            emulator_process.stop(state_dir)
            phases = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in deployment.timings.items())
            print(f"\n[emulator phases] {phases}")


def test_three_regions_deployed_and_read_back(cycle: Cycle) -> None:
    report = cycle.report
    topology = report["global"]
    assert len(topology["members"]) == 3 and topology["writer_region"] == "us-east-1"
    assert list(report["regions"]) == REGIONS
    for region, facts in report["regions"].items():
        assert len(facts["clusters"]) == 1 and facts["instances"] == 2, region
        assert facts["peerings"] == ["active"] and facts["peering_count"] == 2, region  # a full mesh: every region peers with both others
        assert facts["secrets"] == 1 and facts["kms_keys"] == 1, region
        assert any("rate(1 minute)" in rule for rule in facts["schedules"]), region
        assert facts["monitor_concurrency"] == 5, region
        assert f"drkit-{ENV}-{region}-rpo-lag" in facts["alarms"], region  # every member, whatever its role
    assert "drkit-three-writer-healthy-in-us-east-1" in report["regions"]["us-west-2"]["alarms"]
    assert "drkit-three-writer-healthy-in-us-west-2" in report["regions"]["eu-west-1"]["alarms"]
    names = sorted({line.split()[0] for line in report["dns"]})
    assert names == ["db-after-us-east-1.three.drkit.internal.", "db.three.drkit.internal.", "writer.three.drkit.internal."]
    assert report["replan_no_changes"] is True
    monitor = report["monitor"]
    assert monitor["status"] == "OK" and monitor["writer_region"] == "us-east-1"


def test_the_fis_game_days_dry_run_reads_the_template_terraform_deployed(cycle: Cycle, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`make gameday ENV=<env>`'s runner on the template Terraform created from the stack: two actions and two targets
    for three AZs (a target takes at most five subnets); the runner once unpacked exactly one and crashed."""
    from drkit.fis_gameday import run as gameday_on_aws

    deployment = cycle.deployment
    assert gameday_on_aws(deployment.environment(), deployment.client, confirm=False, interval=0, out=tmp_path) == 0
    printed = capsys.readouterr().out
    assert printed.count("aws:network:disrupt-connectivity") == 2 and "cuts off 6 subnet(s)" in printed, printed


def test_day_two_drill_as_the_dr_role_switched_over_to_the_second_secondary(cycle: Cycle) -> None:
    drill = cycle.report["drill"]
    assert drill["target"] == "eu-west-1"  # the second secondary
    assert [(s["step"], s["exit"]) for s in drill["steps"]] == [
        ("dry run", 0),
        ("switchover", 0),
        ("repeat", 0),
        ("plan-switched-over", 0),  # no changes while switched over: the first apply after a switchover splits nothing
        ("status", 0),
        ("switch back", 0),
        ("plan-switched-back", 0),
        ("restore refused", 3),  # outside the restorable window, with the window in the message
        ("restore dry run", 0),
        ("restore interrupted", 130),  # Ctrl-C while the restored cluster is still creating (the emulator keeps it so for seconds)
        ("restore resumed", 0),  # the same command resumes it to its instance: a standalone cluster beside the global database
        ("discard the restore", 0),  # the role may delete restores, never a cluster of the stack
    ]
    assert drill["restored"].startswith("drkit-three-us-east-1-restore-")
    assert drill["writer_while_switched"] == "eu-west-1" and drill["writer_after"] == "us-east-1"
    sources = drill["sources_while_switched"]  # what AWS reports, and what a plan must not "correct"
    assert sources["drkit-three-eu-west-1"] is None
    assert {sources["drkit-three-us-east-1"], sources["drkit-three-us-west-2"]} == {
        "arn:aws:rds:eu-west-1:123456789012:cluster:drkit-three-eu-west-1"
    }


def test_any_number_of_role_changes_leaves_the_plan_empty(cycle: Cycle) -> None:
    """Fail over to the middle member, then switch over to the last: after each, Terraform plans no change."""
    deployment = cycle.deployment
    rds = deployment.client("rds", "us-west-2")
    names = deployment.environment().names
    for operation, target in (("failover", "us-west-2"), ("switchover", "eu-west-1"), ("switchover", "us-east-1")):
        arn = names.cluster_arn("123456789012", target)
        if operation == "failover":
            rds.failover_global_cluster(GlobalClusterIdentifier=names.global_cluster_id, TargetDbClusterIdentifier=arn, AllowDataLoss=True)
        else:
            rds.switchover_global_cluster(GlobalClusterIdentifier=names.global_cluster_id, TargetDbClusterIdentifier=arn)
        topology = global_topology(deployment.client, names.global_cluster_id)
        assert topology["writer_region"] == target
        assert replication_sources(deployment.client, topology["members"])[names.cluster_id(target)] is None
        plan_no_changes(deployment, f"plan-after-{operation}-{target}.log")


def test_game_day_every_scenario_passes_on_three_regions(cycle: Cycle) -> None:
    """Outage, return, lag spike, silent monitor, planned switchover, and in automatic mode the latch, an observer's
    partition, a flap and a lag too high to automate: alarms, health checks, DNS and alarm actions evaluated as AWS does."""
    outcomes = run_scenarios(cycle.deployment, list(SCENARIOS))
    failed = {o.scenario: [f"{c.expected}: {c.observed}" for c in o.checks if not c.passed] for o in outcomes if not o.passed}
    assert failed == {}
    assert [o.scenario for o in outcomes] == list(SCENARIOS)
    outage = next(o for o in outcomes if o.scenario == "primary-region-outage").measured
    budget = cycle.deployment.environment().recovery_budget
    assert budget.mode.value == "automatic" and budget.rto_seconds <= budget.rto_target_seconds == 120
    assert outage["rto_seconds"] <= budget.rto_seconds and outage["rpo_seconds"] <= budget.rpo_seconds
    assert outage["ledger_write_gap_seconds"] > budget.writer_detection_seconds  # paced: the clients really waited for detection
    reports = sorted((cycle.deployment.state_dir.parent / "gameday").glob("*-primary-region-outage.md"))
    assert reports and "```mermaid" in reports[-1].read_text(encoding="utf-8")


def test_the_region_switch_plans_are_applied_and_a_lost_primary_is_recovered_through_one(cycle: Cycle) -> None:
    """One plan per pair {primary, secondary} applied through Cloud Control (re-planned with no changes above, destroyed
    and checked for leftovers below), and primary-region-outage with the ARC engine: the same checks as the runbook's."""
    plans = cycle.outputs["region_switch_plan_arns"]
    assert sorted(plans) == ["drkit-three-use1-euw1", "drkit-three-use1-usw2"]
    listed = cycle.deployment.client("arc-region-switch", "us-west-2").list_plans_in_region()["plans"]
    assert sorted(p["arn"] for p in listed) == sorted(plans.values())
    (outcome,) = run_scenarios(cycle.deployment, ["primary-region-outage"], engine="arc")
    assert outcome.passed, [f"{c.expected}: {c.observed}" for c in outcome.checks if not c.passed]
    assert any(c.expected.startswith("the ARC plan's ungraceful activation") for c in outcome.checks)
    assert outcome.measured["arc_recorded_recovery_seconds"] is not None and outcome.measured["rto_seconds"] is not None


def test_game_day_fails_when_dns_failover_is_judged_inside_the_failed_region(cycle: Cycle) -> None:
    """Issue #13's defect 4, put back for one run: the database name's health check reads an alarm in the
    primary region. In an outage that alarm cannot be read, the check keeps its last (healthy) status, and
    the name never leaves the lost region: game day must fail on exactly that."""
    deployment = cycle.deployment
    env = deployment.environment()
    route53 = deployment.client("route53")
    zone = cycle.outputs["hosted_zone_id"]
    name = f"db.{env.dns.zone_name}."
    (original,) = [
        r for r in route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"] if r["Name"] == name and r.get("Failover") == "PRIMARY"
    ]
    inside = route53.create_health_check(
        CallerReference="gameday-defect-probe",
        HealthCheckConfig={
            "Type": "CLOUDWATCH_METRIC",
            "AlarmIdentifier": {"Region": "us-east-1", "Name": env.names.lag_alarm("us-east-1")},
            "InsufficientDataHealthStatus": "LastKnownStatus",
        },
    )["HealthCheck"]["Id"]
    upsert = {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {**original, "HealthCheckId": inside}}]}
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch=upsert)
    try:
        with failover_mode(deployment, "manual", rto_target_seconds=300):  # and the manual path of the outage runs here
            (outcome,) = run_scenarios(deployment, ["primary-region-outage"])
    finally:
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": original}]})
        route53.delete_health_check(HealthCheckId=inside)
    failed = [c.expected for c in outcome.checks if not c.passed]
    assert not outcome.passed
    assert any(f.startswith("every name clients use answers us-west-2") for f in failed), failed
    assert not any(f.startswith("on-call is paged") for f in failed)  # detection itself still worked
    operator = [c for c in outcome.checks if c.expected.startswith("the runbook's failover (allowing data loss) to us-west-2")]
    assert operator and operator[0].passed  # manual: the page named the command, the operator ran it
    plan_no_changes(deployment, "plan-after-defect-probe.log")  # the probe left nothing behind


def test_the_master_password_never_reaches_state_or_logs(cycle: Cycle) -> None:
    deployment = cycle.deployment
    config = json.loads(deployment.config_path.read_text())[ENV]
    env = deployment.environment()
    s3 = deployment.client("s3", env.state_region)
    listing = s3.list_objects_v2(Bucket=config["state_bucket"])["Contents"]
    state_keys = [o["Key"] for o in listing if o["Key"].endswith(".tfstate")]
    assert state_keys, listing
    state = s3.get_object(Bucket=config["state_bucket"], Key=state_keys[0])["Body"].read().decode()
    assert '"aws_rds_global_cluster"' in state
    assert deployment.password not in state
    for log in deployment.logs.glob("*.log"):
        assert deployment.password not in log.read_text(errors="replace"), log


def test_plan_review_on_real_plans(cycle: Cycle) -> None:
    deployment = cycle.deployment
    quiet = review(plan_json(deployment), "production")
    assert quiet.counts == Counter() and not quiet.refused
    destroy_plan = plan_json(deployment, destroy=True)
    destroying = review(destroy_plan, "production")
    blocked_types = {address.split(".")[0] for address in destroying.blocked}
    assert {"aws_rds_global_cluster", "aws_rds_cluster", "aws_rds_cluster_instance", "aws_kms_key", "aws_secretsmanager_secret"} <= blocked_types
    assert review(destroy_plan, "production", frozenset(destroying.blocked)).blocked == ()
    assert not review(destroy_plan, "dev").refused  # destroyable outside production


def test_drift_is_reported_and_then_clean(cycle: Cycle) -> None:
    """Someone raises a lag alarm's threshold by hand: the refresh-only plan names the alarm and the attribute."""
    deployment = cycle.deployment
    env = deployment.environment()
    cloudwatch = deployment.client("cloudwatch", "us-west-2")
    name = env.names.lag_alarm("us-west-2")
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    keep = ("AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "MetricName", "Namespace", "Statistic",
            "Dimensions", "Period", "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData")  # fmt: skip
    original = {key: alarm[key] for key in keep if key in alarm}
    cloudwatch.put_metric_alarm(**{**original, "Threshold": original["Threshold"] * 10})
    try:
        drifted = detect(deployment.stack_dir, deployment.aws_env())
        report = render_drift(ENV, drifted)
        changed = [d for d in drifted if d.address.startswith("aws_cloudwatch_metric_alarm.") and "threshold" in d.attributes]
        assert changed, report
        updating = plan_json(deployment)  # the update a plan would make to restore it, reviewed as a PR comment
        markdown = review(updating, env.environment).markdown(ENV)
        assert "| update | 1 | `aws_cloudwatch_metric_alarm` | us-west-2 |" in markdown and "**Allowed**" in markdown
    finally:
        cloudwatch.put_metric_alarm(**original)
    assert detect(deployment.stack_dir, deployment.aws_env()) == []


def test_markdown_review_of_a_quiet_plan_and_of_a_stateful_replacement(cycle: Cycle) -> None:
    deployment = cycle.deployment
    quiet = review(plan_json(deployment), "production").markdown(ENV)
    assert "No changes" in quiet and "**Allowed**" in quiet
    address = next(a for a in terraform_state_list(deployment) if a.startswith("aws_rds_cluster.database_secondary"))
    replacing = review(plan_json(deployment, extra=(f"-replace={address}",)), "production").markdown(ENV)
    assert "**Refused**" in replacing and f"- **replace** `{address}`" in replacing and "replace ⚠️" in replacing


def test_credentials_of_another_account_are_refused_before_anything_changes(cycle: Cycle, tmp_path: Path) -> None:
    """The providers and the backend accept only the environment's account_id: here the emulator's 123456789012."""
    deployment = cycle.deployment
    config = json.loads(deployment.config_path.read_text(encoding="utf-8"))
    config[ENV]["account_id"] = "999999999999"
    other = tmp_path / "environments.json"
    other.write_text(json.dumps(config), encoding="utf-8")
    outdir = tmp_path / "cdktf.out"
    synth_env = {**os.environ, "DR_CONFIG": str(other), "CDKTF_OUTDIR": str(outdir), "DR_ENVIRONMENTS": ENV}
    subprocess.run([sys.executable, "-O", "main.py"], cwd=PROJECT_DIR, env=synth_env, check=True, capture_output=True)
    with pytest.raises(TerraformError, match="not allowed"):
        terraform_run(["init", "-input=false"], outdir / "stacks" / f"dr-{ENV}", deployment.aws_env())


def test_the_dr_role_trust_policy_as_aws_stores_it(cycle: Cycle) -> None:
    role = cycle.deployment.client("iam").get_role(RoleName="drkit-three-dr-operations")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(urllib.parse.unquote(trust)) if isinstance(trust, str) else trust
    (statement,) = trust["Statement"]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == "drkit-test-three"
    assert statement["Principal"]["AWS"] == "arn:aws:iam::123456789012:root"


def test_zz_destroy_leaves_nothing_and_stops_the_emulator(cycle: Cycle) -> None:
    deployment = cycle.deployment
    deployment.begin_run("destroy")
    leftovers = destroy(deployment)
    assert leftovers == {}
    assert emulator_process.running(deployment.state_dir) is None
    assert emulator_process.emulators_of(deployment.state_dir) == []
    assert not Path(deployment.config_path).exists()


@contextmanager
def failover_mode(deployment: Deployment, mode: str, *, rto_target_seconds: int) -> Iterator[None]:
    """The deployment as if applied with another ``failover.mode``: the mode reaches AWS only as the runbook
    functions' FAILOVER_MODE, so the configuration and those variables change together, and are restored."""
    config = deployment.config_path.read_text(encoding="utf-8")
    document = json.loads(config)
    document[ENV]["failover"] = {**document[ENV].get("failover", {}), "mode": mode}
    document[ENV]["rto_target_seconds"] = rto_target_seconds
    name = deployment.environment().names.runbook_function
    saved = {}
    for region in REGIONS:
        functions = deployment.client("lambda", region)
        saved[region] = dict(functions.get_function_configuration(FunctionName=name)["Environment"]["Variables"])
        functions.update_function_configuration(FunctionName=name, Environment={"Variables": {**saved[region], "FAILOVER_MODE": mode}})
    deployment.config_path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    try:
        yield
    finally:
        deployment.config_path.write_text(config, encoding="utf-8")
        for region, variables in saved.items():
            deployment.client("lambda", region).update_function_configuration(FunctionName=name, Environment={"Variables": variables})


def terraform_state_list(deployment: Deployment) -> list[str]:
    return terraform_run(["state", "list"], deployment.stack_dir, deployment.aws_env()).split()
