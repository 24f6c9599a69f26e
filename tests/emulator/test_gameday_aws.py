"""The real-AWS game day's runner, against the emulator in-process: finding the template, the dry run,
the refusal of an experiment the emulator cannot run, and what it reads of the stack."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drkit.fis_gameday import GameDayError, Snapshot, changes, observe_stack, report, run
from tests.emulator.conftest import Aws
from tests.helpers import minimal_environment, parse_one, resources

pytestmark = pytest.mark.emulator
ENV = parse_one(minimal_environment(), "dev")


def client_of(aws: Aws) -> Any:
    return aws  # (service, region) -> client, as the runner calls it


def deployed_template(aws: Aws) -> str:
    created = aws("fis").create_experiment_template(
        clientToken="t1",
        description="cut",
        roleArn="arn:aws:iam::123456789012:role/drkit-dev-fis",
        stopConditions=[{"source": "aws:cloudwatch:alarm", "value": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:drkit-dev-replication-monitor-silent"}],
        targets={"primary-subnets": {"resourceType": "aws:ec2:subnet", "selectionMode": "ALL",
                                     "resourceArns": ["arn:aws:ec2:us-east-1:123456789012:subnet/subnet-a", "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-b"]}},
        actions={"cut": {"actionId": "aws:network:disrupt-connectivity", "parameters": {"duration": "PT15M", "scope": "all"},
                         "targets": {"Subnets": "primary-subnets"}}},
        tags={"drkit-experiment": "primary-region-outage"},
    )  # fmt: skip
    return str(created["experimentTemplate"]["id"])


def test_the_dry_run_says_what_it_would_touch_and_starts_nothing(aws: Aws, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template_id = deployed_template(aws)
    assert run(ENV, client_of(aws), confirm=False, interval=0, out=tmp_path) == 0
    printed = capsys.readouterr().out
    assert template_id in printed and "subnet-a, subnet-b" in printed and "drkit-dev-replication-monitor-silent" in printed
    assert "dry run: nothing started" in printed and not list(tmp_path.iterdir())


def synthesized_template(aws: Aws, stack: dict[str, Any]) -> str:
    """The stack's own synthesized ``aws_fis_experiment_template``, created as the provider creates it
    (the FIS API's shape), with Terraform's references replaced by the values they take."""
    (body,) = resources(stack, "aws_fis_experiment_template").values()

    def value(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            kind, name, attribute = match.group(1).split(".")[-3:]
            if attribute == "account_id":
                return "123456789012"
            referenced = resources(stack, kind)[name]
            return {
                ("aws_subnet", "id"): f"subnet-{name[-8:].lower()}",
                ("aws_cloudwatch_metric_alarm", "arn"): f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{referenced.get('alarm_name')}",
                ("aws_iam_role", "arn"): f"arn:aws:iam::123456789012:role/{referenced.get('name')}",
                ("aws_cloudwatch_log_group", "arn"): f"arn:aws:logs:us-east-1:123456789012:log-group:{referenced.get('name')}",
            }[(kind, attribute)]

        return re.sub(r"\$\{([^}]+)\}", one, text)

    created = aws("fis").create_experiment_template(
        clientToken="synthesized",
        description=body["description"],
        roleArn=value(body["role_arn"]),
        stopConditions=[{"source": c["source"], "value": value(c["value"])} for c in body["stop_condition"]],
        targets={t["name"]: {"resourceType": t["resource_type"], "selectionMode": t["selection_mode"],
                             "resourceArns": [value(a) for a in t["resource_arns"]]} for t in body["target"]},
        actions={a["name"]: {"actionId": a["action_id"], "description": a["description"],
                             "parameters": {p["key"]: p["value"] for p in a["parameter"]},
                             "targets": {a["target"]["key"]: a["target"]["value"]}} for a in body["action"]},
        tags=body["tags"],
    )  # fmt: skip
    return str(created["experimentTemplate"]["id"])


def test_the_dry_run_reads_every_action_and_target_of_the_template_the_stack_synthesizes(
    aws: Aws, stacks: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three AZs give six subnets, and a target takes at most five ARNs: the synthesized template has two
    actions and two targets. A runner that unpacked one action crashed before its dry run on every real
    environment while a one-action test template passed."""
    env = parse_one(minimal_environment(secondary_regions=["us-west-2", "eu-west-1"]), "three")
    template_id = synthesized_template(aws, stacks["three"])
    assert run(env, client_of(aws), confirm=False, interval=0, out=tmp_path) == 0
    printed = capsys.readouterr().out
    assert template_id in printed and "dry run: nothing started" in printed
    assert printed.count("aws:network:disrupt-connectivity") == 2, printed  # one line per action
    assert "disrupt-primary-subnets-1" in printed and "disrupt-primary-subnets-2" in printed
    assert "cuts off 6 subnet(s)" in printed  # every target's subnets, once each


def test_no_template_is_one_clear_error(aws: Aws, tmp_path: Path) -> None:
    with pytest.raises(GameDayError, match="expected one FIS template tagged drkit-experiment=primary-region-outage, found 0"):
        run(ENV, client_of(aws), confirm=False, interval=0, out=tmp_path)


def test_the_emulator_refuses_to_fake_the_experiment(aws: Aws, tmp_path: Path) -> None:
    deployed_template(aws)
    with pytest.raises(ClientError, match="does not run FIS experiments"):
        run(ENV, client_of(aws), confirm=True, interval=0, out=tmp_path)


def test_the_stack_is_read_where_it_lives(aws: Aws) -> None:
    """Alarms per region by the stack's names, the writer's region from the global cluster."""
    aws("rds").create_global_cluster(GlobalClusterIdentifier=ENV.names.global_cluster_id, Engine="aurora-postgresql", EngineVersion="16.6")
    for index, region in enumerate(ENV.regions):
        aws("rds", region).create_db_cluster(DBClusterIdentifier=ENV.names.cluster_id(region), Engine="aurora-postgresql", EngineVersion="16.6",
                                             GlobalClusterIdentifier=ENV.names.global_cluster_id,
                                             **({"MasterUsername": "u", "MasterUserPassword": "password-123"} if index == 0 else {}))  # fmt: skip
    aws("cloudwatch", "us-west-2").put_metric_alarm(
        AlarmName=ENV.names.writer_healthy_alarm("us-east-1"), MetricName="WriterHealthy", Namespace="drkit", Statistic="Minimum",
        Period=60, EvaluationPeriods=2, Threshold=1, ComparisonOperator="LessThanThreshold",
    )  # fmt: skip
    seen = observe_stack(ENV, client_of(aws), "running")
    assert seen.writer == "us-east-1"
    assert list(seen.alarms) == [f"us-west-2 {ENV.names.writer_healthy_alarm('us-east-1')}"]  # read in the observer's region only


def test_every_change_is_one_event_and_the_report_judges_the_end() -> None:
    first = Snapshot("running", {"us-west-2 a": "OK"}, {"h1": "Healthy"}, "us-east-1")
    later = Snapshot("completed", {"us-west-2 a": "ALARM"}, {"h1": "Healthy"}, "us-west-2")
    assert [c[0] for c in changes(None, first)] == ["fault", "alarm", "health-check", "writer"]
    assert changes(first, first) == []
    assert changes(first, later) == [
        ("fault", "experiment", "completed"),
        ("alarm", "us-west-2 a", "ALARM"),
        ("writer", "us-west-2", "the region that holds the writer"),
    ]
    template = {"id": "EXT1"}
    events = [{"t": 0.0, "kind": "writer", "subject": "us-east-1", "detail": "", "region": ""},
              {"t": 95.0, "kind": "writer", "subject": "us-west-2", "detail": "", "region": ""}]  # fmt: skip
    doc = report(ENV, template, events, later, 900.0)
    assert doc["outcome"] == "passed" and doc["measured"] == {"writer_moved_at_seconds": 95.0}
    stopped = report(ENV, template, events, Snapshot("stopped", {"us-west-2 drkit-dev-replication-monitor-silent": "ALARM"}), 60.0)
    assert stopped["outcome"] == "FAILED" and [c["passed"] for c in stopped["checks"]] == [False, False]
