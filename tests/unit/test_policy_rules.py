"""Each project policy rule fires on a bad construct and stays quiet on the real stacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.policy import RULES, Level, StackView, evaluate
from constructs_lib.policy.encryption_at_rest import EncryptionAtRest
from constructs_lib.policy.log_retention import LogRetention
from constructs_lib.policy.no_open_data_tier import NoOpenDataTier
from constructs_lib.policy.no_public_database import NoPublicDatabase
from constructs_lib.policy.no_wildcard_iam import NoWildcardIam
from constructs_lib.policy.production_protection import ProductionProtection
from constructs_lib.policy.single_nat import SingleNat
from constructs_lib.policy.tls_enforced import TlsEnforced

PROD_PROVIDER = {"aws": [{"alias": "primary", "default_tags": [{"tags": {"Environment": "production"}}]}]}
TLS_GROUP = {"aws_rds_cluster_parameter_group": {"pg": {"parameter": [{"name": "rds.force_ssl", "value": "1"}]}}}
GOOD_CLUSTER = {
    "storage_encrypted": True,
    "kms_key_id": "${aws_kms_key.k.arn}",
    "db_cluster_parameter_group_name": "${aws_rds_cluster_parameter_group.pg.name}",
    "vpc_security_group_ids": ["${aws_security_group.db.id}"],
    "deletion_protection": True,
    "lifecycle": {"prevent_destroy": True},
}


def doc(resources: dict[str, Any], data: dict[str, Any] | None = None, provider: dict[str, Any] | None = None) -> StackView:
    return StackView({"resource": resources, "data": data or {}, "provider": provider or {}})


CASES = [
    pytest.param(EncryptionAtRest(), {"aws_sns_topic": {"t": {"name": "x"}}}, "SNS topic has no customer-managed key", id="DRK001-topic"),
    pytest.param(
        EncryptionAtRest(), {"aws_sns_topic": {"t": {"kms_master_key_id": "alias/aws/sns"}}}, "no customer-managed key", id="DRK001-aws-managed-key"
    ),
    pytest.param(
        EncryptionAtRest(),
        {"aws_rds_cluster": {"c": {**GOOD_CLUSTER, "storage_encrypted": False}}},
        "storage_encrypted is not true",
        id="DRK001-cluster",
    ),
    pytest.param(
        EncryptionAtRest(), {"aws_lambda_function": {"f": {"environment": {"variables": {"A": "1"}}}}}, "kms_key_arn", id="DRK001-lambda-env"
    ),
    pytest.param(
        EncryptionAtRest(), {"aws_cloudwatch_log_group": {"g": {"retention_in_days": 30}}}, "log group has no customer-managed key", id="DRK001-logs"
    ),
    pytest.param(
        NoPublicDatabase(), {"aws_rds_cluster_instance": {"i": {"publicly_accessible": True}}}, "publicly_accessible is True", id="DRK002-public"
    ),
    pytest.param(NoPublicDatabase(), {"aws_rds_cluster_instance": {"i": {}}}, "publicly_accessible is None", id="DRK002-implicit"),
    pytest.param(
        NoOpenDataTier(),
        {
            "aws_rds_cluster": {"c": GOOD_CLUSTER},
            "aws_vpc_security_group_ingress_rule": {"r": {"security_group_id": "${aws_security_group.db.id}", "cidr_ipv4": "0.0.0.0/0"}},
        },
        "ingress from the whole internet",
        id="DRK003-open",
    ),
    pytest.param(LogRetention(), {"aws_cloudwatch_log_group": {"g": {"kms_key_id": "k"}}}, "retention_in_days is not set", id="DRK005"),
    pytest.param(
        TlsEnforced(),
        {"aws_rds_cluster": {"c": {**GOOD_CLUSTER, "db_cluster_parameter_group_name": "default.aurora-postgresql17"}}},
        "rds.force_ssl",
        id="DRK006",
    ),
]


@pytest.mark.parametrize(("rule", "resources", "message"), CASES)
def test_rule_fires_on_a_bad_resource(rule: Any, resources: dict[str, Any], message: str) -> None:
    findings = rule.check(doc({**TLS_GROUP, **resources}))
    assert findings, rule.rule_id
    assert any(message in f.message for f in findings), findings
    assert all(f.rule_id == rule.rule_id for f in findings)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"actions": ["*"], "resources": ["arn:aws:s3:::b"]}, "allows every action"),
        ({"actions": ["sns:Publish", "rds:DescribeDBClusters"], "resources": ["*"]}, "allows sns:Publish on every resource"),
        # only the writes AWS defines without resource types may take '*'
        ({"actions": ["logs:CreateLogDelivery", "logs:CreateLogGroup"], "resources": ["*"]}, "allows logs:CreateLogGroup on every resource"),
        # PutMetricData takes '*' only scoped to a namespace by its condition key
        ({"actions": ["cloudwatch:PutMetricData"], "resources": ["*"]}, "allows cloudwatch:PutMetricData on every resource"),
    ],
)
def test_wildcard_iam_fires(statement: dict[str, Any], message: str) -> None:
    findings = NoWildcardIam().check(doc({}, {"aws_iam_policy_document": {"p": {"statement": [{"sid": "S", **statement}]}}}))
    assert [f.message for f in findings] == [f"statement S {message}"]


def test_wildcard_iam_allows_reads_and_key_policies() -> None:
    data = {
        "aws_iam_policy_document": {
            "reads": {"statement": [{"actions": ["cloudwatch:GetMetricData"], "resources": ["*"]}]},
            "metrics": {
                "statement": [
                    {
                        "actions": ["cloudwatch:PutMetricData"],
                        "resources": ["*"],
                        "condition": [{"test": "StringEquals", "variable": "cloudwatch:namespace", "values": ["drkit"]}],
                    }
                ]
            },
            "keypolicy": {"statement": [{"actions": ["kms:*"], "resources": ["*"]}]},
        }
    }
    resources = {"aws_kms_key": {"k": {"policy": "${data.aws_iam_policy_document.keypolicy.json}"}}}
    assert NoWildcardIam().check(doc(resources, data)) == []


def test_production_protection_only_in_production() -> None:
    unprotected = {"aws_rds_cluster": {"c": {**GOOD_CLUSTER, "deletion_protection": False, "lifecycle": {"prevent_destroy": False}}}}
    assert ProductionProtection().check(doc(unprotected)) == []
    messages = sorted(f.message for f in ProductionProtection().check(doc(unprotected, provider=PROD_PROVIDER)))
    assert messages == ["deletion_protection is not true in production", "lifecycle.prevent_destroy is not true in production"]


def test_production_protection_covers_backup_vaults_and_their_locks() -> None:
    vault = {"aws_backup_vault": {"v": {"name": "drkit-prod-us-east-1"}}, "aws_backup_vault_lock_configuration": {"l": {"changeable_for_days": 3}}}
    findings = ProductionProtection().check(doc(vault, provider=PROD_PROVIDER))
    assert sorted((f.address, f.message) for f in findings) == [
        ("aws_backup_vault.v", "lifecycle.prevent_destroy is not true in production"),
        ("aws_backup_vault_lock_configuration.l", "lifecycle.prevent_destroy is not true in production"),
    ]


def test_single_nat_is_a_warning() -> None:
    (finding,) = SingleNat().check(doc({"aws_nat_gateway": {"n": {"provider": "aws.primary"}}}))
    assert finding.level is Level.WARNING


def test_real_stacks_have_no_policy_errors(stacks: dict[str, Any]) -> None:
    for name, stack in stacks.items():
        errors = [f for f in evaluate(stack) if f.level is Level.ERROR]
        assert errors == [], name
    warnings = [f.rule_id for f in evaluate(stacks["dev"]) if f.level is Level.WARNING]
    assert warnings == ["DRK008", "DRK008"]
    # The default approver of the ARC plan's manual approval is the DR role, which also starts executions (DRK011).
    assert [(f.rule_id, f.level) for f in evaluate(stacks["prod"])] == [("DRK011", Level.WARNING)]


def test_every_rule_has_an_id_explanation_and_level() -> None:
    """Every rule module is registered, once, with a DRKnnn id, an explanation and a level."""
    import importlib
    import re

    modules = sorted(
        p.stem for p in (Path(__file__).parents[2] / "constructs_lib" / "policy").glob("*.py") if p.stem not in ("__init__", "base", "aspect")
    )
    registered = {type(rule).__module__.rsplit(".", 1)[-1] for rule in RULES}
    assert sorted(registered) == modules
    for module in modules:
        importlib.import_module(f"constructs_lib.policy.{module}")
    ids = [rule.rule_id for rule in RULES]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"DRK\d{3}", i) for i in ids)
    assert all(rule.explanation and rule.level in (Level.ERROR, Level.WARNING) for rule in RULES)


def test_aspect_error_stops_synth(tmp_path: Path) -> None:
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance

    from constructs_lib.policy.aspect import PolicyAspect

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "bad")
    AwsProvider(stack, "aws", region="us-east-1")
    RdsClusterInstance(stack, "db", cluster_identifier="c", instance_class="db.r6g.large", engine="aurora-postgresql", publicly_accessible=True)
    aspect = PolicyAspect()
    aspect.visit(stack)
    assert [f.rule_id for f in aspect.findings] == ["DRK002"]
    with pytest.raises(Exception, match=r"drkit policy \[DRK002\]"):
        app.synth()


def backed_up(lock: dict[str, Any] | None, copy: bool = True, selected: bool = True) -> dict[str, Any]:
    rule: dict[str, Any] = {"target_vault_name": "${aws_backup_vault.v.name}"}
    if copy:
        rule["copy_action"] = [{"destination_vault_arn": "${aws_backup_vault.w.arn}"}]
    resources: dict[str, Any] = {
        "aws_rds_cluster": {"c": GOOD_CLUSTER},
        "aws_backup_vault": {"v": {}, "w": {}},
        "aws_backup_plan": {"p": {"rule": [rule]}},
    }
    if selected:
        resources["aws_backup_selection"] = {"s": {"plan_id": "${aws_backup_plan.p.id}", "resources": ["${aws_rds_cluster.c.arn}"]}}
    if lock is not None:
        resources["aws_backup_vault_lock_configuration"] = {
            name: {"backup_vault_name": f"${{aws_backup_vault.{name}.name}}", **lock} for name in ("v", "w")
        }
    return resources


def elsewhere(resources: dict[str, Any]) -> dict[str, Any]:
    """The cluster in the primary region, its plan and selection in another: AWS Backup would back up nothing."""
    resources["aws_rds_cluster"]["c"] = {**resources["aws_rds_cluster"]["c"], "provider": "aws.primary"}  # a copy: GOOD_CLUSTER is shared
    for rtype in ("aws_backup_plan", "aws_backup_selection"):
        for body in resources[rtype].values():
            body["provider"] = "aws.secondary"
    return resources


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (backed_up({"changeable_for_days": 3}, selected=False), "no backup plan selects this cluster"),
        (backed_up({"changeable_for_days": 3}, copy=False), "no rule copies the backups to another region"),
        (backed_up(None), "no compliance-mode vault lock"),
        (elsewhere(backed_up({"changeable_for_days": 3})), "selected only by a backup plan of another region"),
        (backed_up({"min_retention_days": 7}), "no compliance-mode vault lock"),  # governance: removable
    ],
)
def test_production_backups_must_be_locked_and_copied(resources: dict[str, Any], message: str) -> None:
    from constructs_lib.policy.locked_backups import LockedBackups

    findings = LockedBackups().check(doc(resources, provider=PROD_PROVIDER))
    assert any(message in f.message for f in findings), findings
    assert LockedBackups().check(doc(backed_up({"changeable_for_days": 3}), provider=PROD_PROVIDER)) == []
    assert LockedBackups().check(doc(resources)) == []  # outside production, backups may stay unlocked


def test_approval_by_a_role_that_also_starts_the_plan_warns_in_production_only() -> None:
    from constructs_lib.policy.approval_separation import ApprovalSeparation

    def stack(approver: str, provider: dict[str, Any] | None = PROD_PROVIDER) -> StackView:
        steps = [{"ExecutionBlockConfiguration": {"ExecutionApprovalConfig": {"ApprovalRole": approver}}}]
        plan = {"type_name": "AWS::ARCRegionSwitch::Plan", "desired_state": json.dumps({"Workflows": [{"Steps": steps}]})}
        resources = {
            "aws_cloudcontrolapi_resource": {"plan": plan},
            "aws_iam_role": {"ops": {"name": "drkit-p-dr-operations"}},
            "aws_iam_role_policy": {"p": {"role": "${aws_iam_role.ops.id}", "policy": "${data.aws_iam_policy_document.run.json}"}},
        }
        data = {"aws_iam_policy_document": {"run": {"statement": [{"actions": ["arc-region-switch:StartPlanExecution"], "resources": ["x"]}]}}}
        return doc(resources, data, provider)

    for approver in ("${aws_iam_role.ops.arn}", "arn:aws:iam::111122223333:role/drkit-p-dr-operations"):
        (finding,) = ApprovalSeparation().check(stack(approver))
        assert finding.level is Level.WARNING and "drkit-p-dr-operations" in finding.message
    assert ApprovalSeparation().check(stack("arn:aws:iam::111122223333:role/dr-approver")) == []
    assert ApprovalSeparation().check(stack("${aws_iam_role.ops.arn}", provider={})) == []
