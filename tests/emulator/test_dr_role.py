"""The DR role exactly as the stack synthesizes it, enforced by the emulator: point-in-time restore and its discarding.

The role's operator policy is taken from the synthesized ``local`` stack (references resolved to the
values they take here, as the IAM linter resolves them); the emulator checks every resource type the
Service Authorization Reference requires for each action, so a policy that lacks one is refused as AWS
refuses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from drkit import restore
from tests.emulator.conftest import Aws
from tools.iam_lint import policy_json

pytestmark = pytest.mark.emulator
ACCOUNT = "123456789012"
ENV = "local"  # the fixture environment: drkit-local, us-east-1 + us-west-2
REGIONS = ("us-east-1", "us-west-2")
ROLE = f"arn:aws:iam::{ACCOUNT}:role/drkit-{ENV}-dr-operations"


KEYS: dict[str, str] = {}  # region -> the ARN of the key its cluster is encrypted with (set by deploy_database)


def operator_policy(stack: dict[str, Any]) -> dict[str, Any]:
    """The synthesized permissions of the DR role as one document (its inline policy and its data-recovery managed
    policies), each region's key reference resolved to the key created here."""
    documents = stack["data"]["aws_iam_policy_document"]
    names = [n for n in sorted(documents) if n.startswith(("dr_operations_operator_permissions", "dr_operations_recovery_permissions_"))]
    aliases = {"aws.primary": REGIONS[0], "aws.secondary": REGIONS[1]}
    known = {f"aws_kms_key.{key}.arn": KEYS[aliases[body["provider"]]] for key, body in stack["resource"]["aws_kms_key"].items()}
    parts = [policy_json(documents[name], stack, known) for name in names]
    return {"Version": "2012-10-17", "Statement": [s for part in parts for s in part["Statement"]]}


def without(policy: dict[str, Any], sid: str, marker: str) -> dict[str, Any]:
    """``policy`` with the resources containing ``marker`` removed from statement ``sid``."""
    changed = json.loads(json.dumps(policy))
    for statement in changed["Statement"]:
        if statement.get("Sid") == sid:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            kept = [r for r in resources if marker not in r]
            assert kept != resources, f"{sid} names nothing with {marker}"
            statement["Resource"] = kept
    return changed


def deploy_database(aws: Aws) -> None:
    """The stack's global database as Terraform leaves it: named groups, one instance per member."""
    aws("rds").create_global_cluster(GlobalClusterIdentifier=f"drkit-{ENV}", Engine="aurora-postgresql", EngineVersion="16.6")
    for index, region in enumerate(REGIONS):
        name = f"drkit-{ENV}-{region}"
        ec2, rds = aws("ec2", region), aws("rds", region)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"] for i, z in enumerate(zones)]
        rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="data", SubnetIds=subnets)
        rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=name, DBParameterGroupFamily="aurora-postgresql16", Description="tls")
        KEYS[region] = aws("kms", region).create_key()["KeyMetadata"]["Arn"]
        rds.create_db_cluster(
            DBClusterIdentifier=name, Engine="aurora-postgresql", EngineVersion="16.6", GlobalClusterIdentifier=f"drkit-{ENV}",
            DBSubnetGroupName=name, DBClusterParameterGroupName=name, StorageEncrypted=True, KmsKeyId=KEYS[region],
            **({"MasterUsername": "dbadmin", "MasterUserPassword": "x" * 16} if index == 0 else {}),
        )  # fmt: skip
        rds.create_db_instance(DBInstanceIdentifier=f"{name}-1", DBClusterIdentifier=name, Engine="aurora-postgresql", DBInstanceClass="db.r6g.large")


@pytest.fixture
def dr_role(aws: Aws, stacks: dict[str, dict[str, Any]]) -> Iterator[Callable[[dict[str, Any]], Callable[..., Any]]]:
    """``as_role(policy)``: a client factory with the credentials of the DR role carrying ``policy``."""
    deploy_database(aws)
    iam = aws("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}],
    }
    iam.create_role(RoleName=f"drkit-{ENV}-dr-operations", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_user(UserName="operator")
    iam.put_user_policy(UserName="operator", PolicyName="a", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}]}))  # fmt: skip
    key = iam.create_access_key(UserName="operator")["AccessKey"]

    versions = iter(range(1000))

    def as_role(policy: dict[str, Any]) -> Callable[..., Any]:
        """The role carries ``policy`` in managed policies of at most 6,144 characters (as the stack packs them: the
        emulator holds IAM's size quotas), replacing what it carried before."""
        role = f"drkit-{ENV}-dr-operations"
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
        parts: list[list[dict[str, Any]]] = [[]]
        for statement in policy["Statement"]:
            if parts[-1] and len(json.dumps({"Version": "2012-10-17", "Statement": [*parts[-1], statement]}, separators=(",", ":"))) > 6_144:
                parts.append([])
            parts[-1].append(statement)
        for part in parts:
            document = json.dumps({"Version": "2012-10-17", "Statement": part}, separators=(",", ":"))
            arn = iam.create_policy(PolicyName=f"operator-{next(versions)}", PolicyDocument=document)["Policy"]["Arn"]
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        credentials = sts.assume_role(RoleArn=ROLE, RoleSessionName="drill")["Credentials"]
        return lambda service, region="us-east-1": boto3.client(
            service, region_name=region, aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"],
        )  # fmt: skip

    yield as_role


def restore_as(client: Callable[..., Any], moment: datetime | None = None) -> dict[str, Any]:
    if moment is None:  # the source was created a moment ago: its window is that moment
        source = client("rds").describe_db_clusters(DBClusterIdentifier=f"drkit-{ENV}-us-east-1")["DBClusters"][0]
        moment = source["EarliestRestorableTime"].astimezone(UTC)
    plan, reason = restore.plan_restore(client, f"drkit-{ENV}", "us-east-1", moment)
    assert plan is not None, reason
    return restore.execute(client, plan, lambda line: None, poll=0)


def test_the_synthesized_dr_role_restores_and_discards(dr_role: Any, stacks: dict[str, dict[str, Any]]) -> None:
    client = dr_role(operator_policy(stacks[ENV]))
    done = restore_as(client)
    assert done["identifier"].startswith(f"drkit-{ENV}-us-east-1-restore-")
    assert restore.discard(client, "us-east-1", done["identifier"], lambda line: None) is None


def test_a_restore_without_the_option_group_the_reference_requires_is_refused(dr_role: Any, stacks: dict[str, dict[str, Any]]) -> None:
    """Service Authorization Reference, RestoreDBClusterToPointInTime: cluster*, cluster-pg*, og*, subgrp*. The
    restore gets the engine's default option group, so a role that names none is refused on it."""
    client = dr_role(without(operator_policy(stacks[ENV]), "RestoreBesideTheDatabase", ":og:"))
    with pytest.raises(ClientError, match=r"AccessDenied.*rds:RestoreDBClusterToPointInTime on resource: .*:og:default:aurora-postgresql-16"):
        restore_as(client)


@pytest.mark.parametrize("marker", [":cluster-pg:", ":subgrp:"])
def test_each_other_required_group_of_a_restore_is_checked_too(dr_role: Any, stacks: dict[str, dict[str, Any]], marker: str) -> None:
    client = dr_role(without(operator_policy(stacks[ENV]), "RestoreBesideTheDatabase", marker))
    with pytest.raises(ClientError, match=rf"AccessDenied.*rds:RestoreDBClusterToPointInTime on resource: .*{marker}drkit-{ENV}-us-east-1"):
        restore_as(client)


def test_the_dr_role_names_a_cluster_snapshot_resource_for_delete_db_cluster_as_the_sar_lists_it_required(
    dr_role: Any, stacks: dict[str, dict[str, Any]]
) -> None:
    """Service Authorization Reference, DeleteDBCluster: cluster* and cluster-snapshot*; the role names the snapshots of
    restores only. Without that statement the emulator refuses a discard that skips the final snapshot: a conservative
    assumption (parliament's static rule, RESOURCE_MISMATCH), not documented IAM behaviour, and the denial, the table
    and docs/emulator.md say so."""
    from drkit_lab.emulator.patches.sar import table
    from tests.helpers import PROJECT_DIR

    policy = operator_policy(stacks[ENV])
    done = restore_as(dr_role(policy))
    client = dr_role(without(policy, "DiscardRestores", ":cluster-snapshot:"))
    with pytest.raises(ClientError, match=r"AccessDenied.*rds:DeleteDBCluster on resource: \(any cluster-snapshot\).*conservative assumption"):
        restore.discard(client, "us-east-1", done["identifier"], lambda line: None)
    assert "rds:DeleteDBCluster" in table()["assumptions"] and "not documented IAM behaviour" in table()["assumptions"]
    emulator_doc = " ".join((PROJECT_DIR / "docs" / "emulator.md").read_text(encoding="utf-8").split())
    assert "conservative assumption" in emulator_doc and "SkipFinalSnapshot" in emulator_doc


def test_a_restore_that_outlives_the_tool_resumes_to_its_instance(
    dr_role: Any, stacks: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Aurora restores for minutes to hours; the emulator keeps the restored cluster ``creating`` for ``restore_seconds``.
    The first run is interrupted while it waits; the same command again resumes: no second restore, "already exists"
    never, and the instance is created once the cluster is available."""
    from drkit_lab.emulator.knobs import KNOBS

    monkeypatch.setattr(KNOBS, "restore_seconds", 1.5)
    client = dr_role(operator_policy(stacks[ENV]))
    source = client("rds").describe_db_clusters(DBClusterIdentifier=f"drkit-{ENV}-us-east-1")["DBClusters"][0]
    moment = source["EarliestRestorableTime"].astimezone(UTC)
    said: list[str] = []

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    plan, _ = restore.plan_restore(client, f"drkit-{ENV}", "us-east-1", moment)
    assert plan is not None and not plan.resume
    with pytest.raises(KeyboardInterrupt):
        restore.execute(client, plan, said.append, poll=0.1, sleep=interrupted)
    assert any(line.startswith(f"waiting for cluster {plan.identifier}: creating") for line in said)
    again, reason = restore.plan_restore(client, f"drkit-{ENV}", "us-east-1", moment)
    assert again is not None and again.resume, reason
    assert again.describe().startswith("resume the restore of")
    done = restore.execute(client, again, said.append, poll=0.1)
    assert done["instance"] == f"{plan.identifier}-1" and f"resuming: {plan.identifier} exists already (an earlier run started it)" in said
    rds = client("rds")
    (instance,) = rds.describe_db_clusters(DBClusterIdentifier=plan.identifier)["DBClusters"][0]["DBClusterMembers"]
    assert instance["DBInstanceIdentifier"] == done["instance"]


def test_a_cluster_under_the_restores_name_that_is_not_this_restore_is_refused(aws: Aws, dr_role: Any, stacks: dict[str, dict[str, Any]]) -> None:
    client = dr_role(operator_policy(stacks[ENV]))
    source = client("rds").describe_db_clusters(DBClusterIdentifier=f"drkit-{ENV}-us-east-1")["DBClusters"][0]
    moment = source["EarliestRestorableTime"].astimezone(UTC)
    squatter = restore.restored_identifier(f"drkit-{ENV}-us-east-1", moment)
    aws("rds").create_db_cluster(DBClusterIdentifier=squatter, Engine="aurora-postgresql", MasterUsername="u", MasterUserPassword="x" * 16)
    plan, reason = restore.plan_restore(client, f"drkit-{ENV}", "us-east-1", moment)
    assert plan is None and reason is not None and f"{squatter} exists and is not the restore of" in reason
