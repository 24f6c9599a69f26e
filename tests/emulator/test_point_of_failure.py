"""The point-of-failure snapshot as the emulator gives it, and the grants that preserve and reconcile it, enforced.

In-process moto with drkit's patches: an unplanned failover away from a lost region, the region's
return, Aurora's snapshot of the old primary's volume (or a failed attempt), its retention, copies and
restores as strict as AWS's. Then the IAM grants of ``constructs_lib.point_of_failure``: a role holding
exactly them does the AWS half of a reconciliation (and the monitor its preservation), and without any
one of them it cannot.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.rds import models as rds_models

from constructs_lib.dr_operations import restore_grants, restore_scope
from constructs_lib.naming import Names
from constructs_lib.point_of_failure import Grant, RegionScope, monitor_grants, plan_step_grants, reconcile_grants, record_grants, without_duplicates
from drkit.reconcile import aws as reconcile_aws
from drkit.reconcile import evidence
from drkit.reconcile.database import Resolver
from drkit.reconcile.run import Options, reconcile
from drkit.restore import discard
from drkit_lab.emulator import control, hooks
from drkit_lab.emulator.patches import rds_snapshots
from functions.failover import marker
from functions.replication_monitor import preserve
from functions.replication_monitor.contract import FAILOVER_TAG, PRESERVED_FROM_TAG
from tests.emulator.conftest import Aws

pytestmark = pytest.mark.emulator
ACCOUNT = "123456789012"
EAST, WEST = "us-east-1", "us-west-2"
NAMES = Names("x")


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    def reset() -> None:
        state = rds_snapshots.STATE
        state.pending.clear()
        state.taken.clear()
        state.failures.clear()
        state.fail_next, state.retention_seconds = 0, None
        state.copy_reads, state.fail_copies = 0, 0
        state.copying.clear()
        control.STATE.down_regions = set()

    reset()
    yield
    reset()


def build(aws: Aws, *, whole: bool) -> dict[str, Any]:
    """Two members named as drkit names them, each encrypted with its region's key; ``whole``: with the stack's secret,
    subnet and parameter groups and the failover record parameter too."""
    keys = {}
    for index, region in enumerate((EAST, WEST)):
        keys[region] = aws("kms", region).create_key()["KeyMetadata"]["Arn"]
        if not whole:
            continue
        ec2 = aws("ec2", region)
        vpc = ec2.create_vpc(CidrBlock=f"10.{index}.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{index}.{n}.0/24", AvailabilityZone=f"{region}{z}")["Subnet"]["SubnetId"]
            for n, z in ((1, "a"), (2, "b"))
        ]
        rds = aws("rds", region)
        rds.create_db_subnet_group(DBSubnetGroupName=NAMES.cluster_id(region), DBSubnetGroupDescription="data", SubnetIds=subnets)
        rds.create_db_cluster_parameter_group(
            DBClusterParameterGroupName=NAMES.cluster_id(region), DBParameterGroupFamily="aurora-postgresql16", Description="tls"
        )
        secret = {"username": "dbadmin", "password": "p" * 20, "host": "writer.example", "port": 5432, "dbname": "transactions"}
        aws("secretsmanager", region).create_secret(Name=NAMES.master_secret(region), SecretString=json.dumps(secret), KmsKeyId=keys[region])
        aws("ssm", region).put_parameter(Name=NAMES.lossy_failover_parameter, Value='{"failovers": []}', Type="String")
    aws("rds").create_global_cluster(GlobalClusterIdentifier=NAMES.global_cluster_id, Engine="aurora-postgresql", EngineVersion="16.6")
    for index, region in enumerate((EAST, WEST)):
        extra: dict[str, Any] = {"MasterUsername": "dbadmin", "MasterUserPassword": "p" * 20} if index == 0 else {}
        if whole:
            extra.update(DBSubnetGroupName=NAMES.cluster_id(region), DBClusterParameterGroupName=NAMES.cluster_id(region))
        aws("rds", region).create_db_cluster(
            DBClusterIdentifier=NAMES.cluster_id(region), Engine="aurora-postgresql", EngineVersion="16.6", GlobalClusterIdentifier=NAMES.global_cluster_id,
            StorageEncrypted=True, KmsKeyId=keys[region], BackupRetentionPeriod=7, **extra,
        )  # fmt: skip
    return {"keys": keys}


@pytest.fixture
def stack(aws: Aws) -> dict[str, Any]:
    return build(aws, whole=False)


def lose_east_and_fail_over(aws: Aws, *, record: bool = False) -> None:
    """us-east-1 (the writer) is lost; the runbook records the failover in us-west-2 and fails over there."""
    control.STATE.down_regions = {EAST}
    if record:
        entry = marker.entry(NAMES.cluster_arn(ACCOUNT, EAST), NAMES.cluster_arn(ACCOUNT, WEST), datetime.now(UTC), 0.4)
        assert "recorded" in marker.record(aws, WEST, NAMES.lossy_failover_parameter, entry)
    aws("rds", WEST).failover_global_cluster(
        GlobalClusterIdentifier=NAMES.global_cluster_id, TargetDbClusterIdentifier=NAMES.cluster_arn(ACCOUNT, WEST), AllowDataLoss=True
    )


def east_returns() -> None:
    control.STATE.down_regions = set()
    hooks.region_returned(EAST)  # as the emulator's fault control announces it


def points_of_failure(aws: Aws) -> list[dict[str, Any]]:
    snapshots = aws("rds", EAST).describe_db_cluster_snapshots()["DBClusterSnapshots"]
    return [s for s in snapshots if s["DBClusterSnapshotIdentifier"].startswith(NAMES.point_of_failure_snapshot_prefix(EAST))]


# ------------------------------------------------------------------------------------------ the emulator's fidelity


def test_the_snapshot_is_taken_when_the_old_primary_region_returns(aws: Aws, stack: dict[str, Any]) -> None:
    lose_east_and_fail_over(aws)
    control.STATE.down_regions = set()
    assert points_of_failure(aws) == []  # not while the region is away: Aurora attempts it when the region is healthy again
    control.STATE.down_regions = {EAST}
    east_returns()
    (snapshot,) = points_of_failure(aws)
    assert snapshot["DBClusterIdentifier"] == NAMES.cluster_id(EAST) and snapshot["Status"] == "available"
    assert snapshot["SnapshotType"] == "automated" and snapshot["StorageEncrypted"] and snapshot["KmsKeyId"] == stack["keys"][EAST]
    (taken,) = rds_snapshots.control("GET", {})["taken"]
    assert taken["retention_days"] == 7  # the old primary cluster's backup retention


def test_it_is_taken_at_once_when_the_old_region_is_healthy(aws: Aws, stack: dict[str, Any]) -> None:
    aws("rds", WEST).failover_global_cluster(
        GlobalClusterIdentifier=NAMES.global_cluster_id, TargetDbClusterIdentifier=NAMES.cluster_arn(ACCOUNT, WEST), AllowDataLoss=True
    )
    assert len(points_of_failure(aws)) == 1
    aws("rds", EAST).switchover_global_cluster(
        GlobalClusterIdentifier=NAMES.global_cluster_id, TargetDbClusterIdentifier=NAMES.cluster_arn(ACCOUNT, EAST)
    )
    assert len(points_of_failure(aws)) == 1  # a switchover loses nothing: no snapshot


def test_a_failed_attempt_leaves_no_snapshot(aws: Aws, stack: dict[str, Any]) -> None:
    rds_snapshots.control("POST", {"fail_next": 1})
    lose_east_and_fail_over(aws)
    east_returns()
    assert points_of_failure(aws) == []
    assert rds_snapshots.control("GET", {})["failures"][0]["cluster"] == NAMES.cluster_id(EAST)


def test_the_system_snapshot_expires_with_its_retention_and_a_manual_copy_survives(aws: Aws, stack: dict[str, Any]) -> None:
    lose_east_and_fail_over(aws)
    east_returns()
    (snapshot,) = points_of_failure(aws)
    rds = aws("rds", EAST)
    rds.copy_db_cluster_snapshot(
        SourceDBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"],
        TargetDBClusterSnapshotIdentifier="kept",
        KmsKeyId=stack["keys"][EAST],
    )
    rds_snapshots.control("POST", {"retention_seconds": 0})  # its retention ends
    assert points_of_failure(aws) == []
    (kept,) = [s for s in rds.describe_db_cluster_snapshots()["DBClusterSnapshots"] if s["DBClusterSnapshotIdentifier"] == "kept"]
    assert kept["SnapshotType"] == "manual"


def test_copies_are_refused_as_aws_refuses_them(aws: Aws, stack: dict[str, Any]) -> None:
    lose_east_and_fail_over(aws)
    east_returns()
    (snapshot,) = points_of_failure(aws)
    rds = aws("rds", EAST)
    with pytest.raises(ClientError, match="TargetDBClusterSnapshotIdentifier"):
        rds.copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotArn"], TargetDBClusterSnapshotIdentifier="two--hyphens"
        )
    with pytest.raises(ClientError, match="this emulator copies and restores within a region"):
        aws("rds", WEST).copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotArn"], TargetDBClusterSnapshotIdentifier="c1"
        )
    assert rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotArn"], TargetDBClusterSnapshotIdentifier="c2")
    aws("rds", EAST).create_db_cluster(DBClusterIdentifier="plain", Engine="aurora-postgresql", MasterUsername="u", MasterUserPassword="p" * 16)
    aws("rds", EAST).create_db_cluster_snapshot(DBClusterIdentifier="plain", DBClusterSnapshotIdentifier="plain-1")
    with pytest.raises(ClientError, match="not encrypted"):
        rds.copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier="plain-1", TargetDBClusterSnapshotIdentifier="c3", KmsKeyId=stack["keys"][EAST]
        )


def test_a_restore_from_a_snapshot_is_a_standalone_cluster(aws: Aws, stack: dict[str, Any]) -> None:
    lose_east_and_fail_over(aws)
    east_returns()
    (snapshot,) = points_of_failure(aws)
    rds = aws("rds", EAST)
    restored = rds.restore_db_cluster_from_snapshot(
        DBClusterIdentifier="r1",
        SnapshotIdentifier=snapshot["DBClusterSnapshotArn"],
        Engine="aurora-postgresql",
        DBSubnetGroupName=NAMES.cluster_id(EAST),
    )["DBCluster"]
    assert restored["KmsKeyId"] == stack["keys"][EAST] and restored["StorageEncrypted"]  # the snapshot's key
    assert not restored.get("GlobalClusterIdentifier") and not restored.get("ReplicationSourceIdentifier")
    members = aws("rds").describe_global_clusters(GlobalClusterIdentifier=NAMES.global_cluster_id)["GlobalClusters"][0]["GlobalClusterMembers"]
    assert all(not m["DBClusterArn"].endswith(":r1") for m in members)
    with pytest.raises(ClientError, match="not compatible"):
        rds.restore_db_cluster_from_snapshot(DBClusterIdentifier="r2", SnapshotIdentifier=snapshot["DBClusterSnapshotArn"], Engine="aurora-mysql")


# ------------------------------------------------------------------------------------------ reconcile without a record

TARGET = reconcile_aws.Target(
    environment="x", global_cluster_id=NAMES.global_cluster_id, regions=(EAST, WEST),
    cluster_ids={r: NAMES.cluster_id(r) for r in (EAST, WEST)}, secrets={r: NAMES.master_secret(r) for r in (EAST, WEST)},
    lossy_failover_parameter=NAMES.lossy_failover_parameter, instance_class="db.r6g.large",
)  # fmt: skip


def bundle(tmp_path: Path, name: str = "global-bundle.pem") -> str:
    """A CA bundle file (never read here: there is no database to connect to)."""
    path = tmp_path / name
    path.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    return str(path)


def reconciled(
    aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, said: list[str] | None = None, ca_bundle: str | None = None
) -> evidence.Report:
    monkeypatch.delenv("PGSSLROOTCERT", raising=False)
    said = [] if said is None else said
    report = reconcile(TARGET, aws, Options(report_dir=tmp_path, poll_seconds=0, ca_bundle=ca_bundle), said.append, Resolver()).report
    print("\n".join(said))
    return report


def test_before_aurora_rebuilt_the_old_primary_no_snapshot_is_not_yet_never(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its region answers (a partial outage answers all along), but Aurora has not added it back as an available secondary:
    its snapshot attempt, made before the rebuild, may still come. The monitor does not page UNRECOVERABLE however long
    that takes, and reconcile says "not yet" (exit 3); once it is rebuilt without a snapshot, both say "never"."""
    build(aws, whole=True)
    lose_east_and_fail_over(aws, record=True)
    control.STATE.down_regions = set()  # the region answers; Aurora has not made its attempt (the emulator's region_returned)
    old = rds_models.rds_backends[ACCOUNT][EAST].clusters[NAMES.cluster_id(EAST)]
    old.drkit_available_at = time.time() + 3600  # not rebuilt yet: here it reports "creating"
    settings = preserve.PreservationSettings(
        environment="x", region=WEST, member_regions=(EAST, WEST), cluster=NAMES.cluster_id(WEST), key_id=None,
        lossy_failover_parameter=NAMES.lossy_failover_parameter, wait_seconds=60, command="drkit runbook reconcile --env x",
        global_cluster_id=NAMES.global_cluster_id,
    )  # fmt: skip
    start = datetime.now(UTC)
    first = preserve.step(settings, aws, start, {})
    much_later = preserve.step(settings, aws, start + timedelta(hours=6), first.state)
    assert first.alerts == much_later.alerts == [], much_later.alerts
    report = reconciled(aws, tmp_path, monkeypatch)
    assert report.exit_code == evidence.Exit.NOT_YET and "may still come" in report.unaccounted, report.unaccounted

    rds_snapshots.control("POST", {"fail_next": 1})
    old.drkit_available_at = 0.0
    hooks.region_returned(EAST)  # Aurora's attempt fails, and it rebuilds the old primary as a secondary
    back = preserve.step(settings, aws, start + timedelta(hours=7), much_later.state)
    late = preserve.step(settings, aws, start + timedelta(hours=7, minutes=2), back.state)
    assert back.alerts == [] and [subject.split("]")[1].strip()[:13] for subject, _ in late.alerts] == ["UNRECOVERABLE"]
    never = reconciled(aws, tmp_path, monkeypatch)
    assert never.exit_code == evidence.Exit.UNACCOUNTED and "unrecoverable" in never.unaccounted, never.unaccounted


def test_one_region_s_ca_bundle_is_refused_before_anything_is_restored(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy is restored in the old primary's region (us-east-1), the writer is in us-west-2: us-east-1's bundle cannot
    verify both, and finding out at connect time would come after a restore of half an hour."""
    build(aws, whole=True)
    lose_east_and_fail_over(aws, record=True)
    east_returns()
    report = reconciled(aws, tmp_path, monkeypatch, ca_bundle=bundle(tmp_path, "us-east-1-bundle.pem"))
    assert report.restored_cluster is None and "global-bundle.pem" in report.unaccounted, report.unaccounted
    missing = reconciled(aws, tmp_path, monkeypatch, ca_bundle=str(tmp_path / "nowhere.pem"))
    assert missing.restored_cluster is None and "not a readable file" in missing.unaccounted, missing.unaccounted


def test_reconcile_waits_for_the_copy_it_restores(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CopyDBClusterSnapshot returns while the copy is still being made, and a restore from a copy that is not available
    is refused: reconcile, which makes the copy itself when the monitor has not, waits for it (here three reads)."""
    build(aws, whole=True)
    lose_east_and_fail_over(aws, record=True)
    east_returns()
    rds_snapshots.control("POST", {"copy_reads": 3})
    said: list[str] = []
    report = reconciled(aws, tmp_path, monkeypatch, said, ca_bundle=bundle(tmp_path))
    assert "InvalidDBClusterSnapshotStateFault" not in report.unaccounted, report.unaccounted
    assert report.restored_cluster is not None, report.unaccounted  # restored once available (connecting fails: no database here)
    assert any(line.startswith(f"waiting for the preserved copy {report.preserved_copy}: copying") for line in said), said


def test_a_copy_that_failed_is_made_again_under_another_name(aws: Aws, stack: dict[str, Any]) -> None:
    """The monitor pages "preserved" once a copy is made; a copy that then fails is no copy: the next run copies the
    snapshot again (while Aurora keeps it) under a new name the grants' <cluster>-pof-* still covers."""
    lose_east_and_fail_over(aws, record=True)
    east_returns()
    rds_snapshots.control("POST", {"copy_reads": 1, "fail_copies": 1})
    settings = preserve.PreservationSettings(
        environment="x", region=EAST, member_regions=(EAST, WEST), cluster=NAMES.cluster_id(EAST), key_id=stack["keys"][EAST],
        lossy_failover_parameter=None, wait_seconds=60, command="drkit runbook reconcile --env x", global_cluster_id=NAMES.global_cluster_id,
    )  # fmt: skip
    first = preserve.step(settings, aws, datetime.now(UTC), {})
    (made,) = [p.plan.target for p in first.preserved if p.created]
    rds = aws("rds", EAST)
    statuses = {s["DBClusterSnapshotIdentifier"]: s["Status"] for s in rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]}
    assert statuses == {made: "failed"}
    again = preserve.step(settings, aws, datetime.now(UTC), first.state)
    (remade,) = [p.plan.target for p in again.preserved if p.created]
    assert remade == f"{made}-2" and remade.startswith(NAMES.preserved_snapshot_prefix(EAST)) and len(again.alerts) == 1
    assert preserve.step(settings, aws, datetime.now(UTC), again.state).preserved == []  # the new one is live: kept once


def test_with_no_record_and_no_snapshot_reconcile_never_says_unaccounted_0(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing recorded, nothing found: drkit cannot know that nothing was lost (a failover outside drkit records nothing)."""
    build(aws, whole=True)
    report = reconciled(aws, tmp_path, monkeypatch)
    assert report.exit_code == evidence.Exit.UNACCOUNTED and "--since" in report.unaccounted, report.unaccounted


def test_a_lossy_failover_nobody_recorded_is_found_by_its_snapshot(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ARC's ungraceful execution calls FailoverGlobalCluster itself: no record, but Aurora's snapshot of the old primary."""
    build(aws, whole=True)
    lose_east_and_fail_over(aws, record=False)
    east_returns()
    report = reconciled(aws, tmp_path, monkeypatch, ca_bundle=bundle(tmp_path))
    assert report.failover is not None and report.failover["recorded"] is False and report.failover["old_cluster"] == NAMES.cluster_id(EAST)
    assert report.preserved_copy is not None and report.preserved_copy.startswith(f"{NAMES.cluster_id(EAST)}-pof-")  # kept
    assert report.restored_cluster is not None  # restored to compare (here it cannot connect: no database, no CA bundle)
    assert report.exit_code == evidence.Exit.UNACCOUNTED, report.unaccounted


def test_when_a_later_step_fails_the_report_keeps_what_was_found(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Connecting fails (no database here): the report still names the failover, the snapshot's copy and the restore."""
    build(aws, whole=True)
    lose_east_and_fail_over(aws, record=True)
    east_returns()
    report = reconciled(aws, tmp_path, monkeypatch, ca_bundle=bundle(tmp_path))
    assert report.exit_code == evidence.Exit.UNACCOUNTED and "the reconciliation failed" in report.unaccounted, report.unaccounted
    assert report.failover is not None and report.failover["old_cluster"] == NAMES.cluster_id(EAST) and report.preserved_copy
    assert report.restored_cluster is not None and report.restored_cluster.startswith(f"{NAMES.cluster_id(EAST)}-restore-")


def test_a_role_s_inline_policies_and_a_managed_policy_have_aws_s_size_quotas(aws: Aws) -> None:
    iam = aws("iam")
    iam.create_role(RoleName="big", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))

    def document(count: int) -> str:
        resources = [f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:c{i:04d}-{'x' * 40}" for i in range(count)]
        return json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds:DescribeDBClusters", "Resource": resources}]}, indent=2
        )

    iam.put_role_policy(RoleName="big", PolicyName="a", PolicyDocument=document(60))  # ~5,600 characters without white space
    with pytest.raises(ClientError, match="LimitExceeded"):
        iam.put_role_policy(RoleName="big", PolicyName="b", PolicyDocument=document(60))  # together above 10,240
    iam.put_role_policy(RoleName="big", PolicyName="a", PolicyDocument=document(40))  # replacing one counts it once
    iam.put_role_policy(RoleName="big", PolicyName="b", PolicyDocument=document(40))
    assert iam.create_policy(PolicyName="fits", PolicyDocument=document(60))
    with pytest.raises(ClientError, match="LimitExceeded"):
        iam.create_policy(PolicyName="too-big", PolicyDocument=document(70))


# ------------------------------------------------------------------------------------------ the grants, enforced
# (after every test with a moto of its own: the module's moto below stays started for all of them)


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    """One whole stack after one lossy failover and the old region's return, for every test of the grants (each cleans up)."""
    from moto import mock_aws

    from drkit_lab.emulator.patches import apply_all

    with pytest.MonkeyPatch.context() as patch:
        for key, value in {"AWS_ACCESS_KEY_ID": "drkit-local", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": EAST}.items():
            patch.setenv(key, value)
        apply_all()
        with mock_aws():

            def aws(service: str, region: str = EAST, **kwargs: Any) -> Any:
                return boto3.client(service, region_name=region, **kwargs)

            facts = build(aws, whole=True)
            lose_east_and_fail_over(aws, record=True)
            east_returns()
            yield {"aws": aws, "roles": iter(range(1000)), **facts}


@pytest.fixture
def granted(world: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The world, and afterwards nothing the test preserved or restored left (the point-of-failure snapshot stays)."""
    yield world
    rds = world["aws"]("rds", EAST)
    for snapshot in rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]:
        rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"])
    for cluster in rds.describe_db_clusters()["DBClusters"]:
        if "-restore-" in cluster["DBClusterIdentifier"]:
            for member in cluster.get("DBClusterMembers", []):
                rds.delete_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"], SkipFinalSnapshot=True)
            rds.delete_db_cluster(DBClusterIdentifier=cluster["DBClusterIdentifier"], SkipFinalSnapshot=True)


def role_client(world: dict[str, Any], grants: tuple[Grant, ...], extra: tuple[dict[str, Any], ...] = ()) -> Any:
    """A client factory with the credentials of a new role holding exactly ``grants`` (the emulator enforces IAM for them)."""
    aws, number = world["aws"], next(world["roles"])
    role, user = f"granted-{number}", f"caller-{number}"
    iam = aws("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}],
    }
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    statements = [grant.statement() for grant in grants] + list(extra)
    iam.put_role_policy(RoleName=role, PolicyName="grants", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user, PolicyName="assume",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/{role}"}]}),
    )  # fmt: skip
    key = iam.create_access_key(UserName=user)["AccessKey"]
    sts = boto3.client("sts", region_name=EAST, aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    session = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName=role)["Credentials"]

    def client(service: str, region: str) -> Any:
        return boto3.client(
            service, region_name=region, aws_access_key_id=session["AccessKeyId"], aws_secret_access_key=session["SecretAccessKey"],
            aws_session_token=session["SessionToken"],
        )  # fmt: skip

    return client


def reconcile_aws_half(client: Any, said: list[str]) -> None:
    """Everything a reconciliation asks of AWS, in order, as the DR role: the failover, preserving, restoring, credentials, discarding."""
    target = TARGET
    assert reconcile_aws.writer_arn(client, target, said.append) == NAMES.cluster_arn(ACCOUNT, WEST)
    seen, unanswered = reconcile_aws.sightings(client, target, said.append)
    assert [s.cluster for s in seen] == [NAMES.cluster_id(EAST)] and unanswered == [], said
    failovers = reconcile_aws.recorded_failovers(client, target, said.append)
    assert len(failovers) == 1, said
    failover = failovers[0]
    source = reconcile_aws.find_source(client, EAST, NAMES.cluster_id(EAST), failover.failed_over_at, said.append, [failover])
    assert source.copy is not None and source.unreachable is None, source
    request = reconcile_aws.restore_request(client, target, source, source.copy)
    restored = reconcile_aws.restore_from_snapshot(client, request, said.append, poll=0)
    assert restored["DBClusterIdentifier"].startswith(f"{NAMES.cluster_id(EAST)}-restore-")
    assert reconcile_aws.credentials(client, target, (WEST, EAST)).user == "dbadmin"
    assert discard(client, EAST, request.identifier, said.append) is None


# The DR role's data-recovery set as the stack builds it: the point-in-time restore's grants (the restored instance, tags,
# waiting, keys, discarding) and the reconciliation's own; and the runbook's reads the role has inline.
RECOVERY_GRANTS = without_duplicates(
    restore_grants(tuple(restore_scope(NAMES, ACCOUNT, r, f"KEY-{r}") for r in (EAST, WEST)), ACCOUNT),
    reconcile_grants(NAMES, ACCOUNT, (RegionScope(region=EAST, kms_key_arn="KEY-us-east-1"), RegionScope(region=WEST, kms_key_arn="KEY-us-west-2"))),
)
RUNBOOK_READS = (
    {"Effect": "Allow", "Action": "rds:DescribeGlobalClusters", "Resource": NAMES.global_cluster_arn(ACCOUNT)},
    {"Effect": "Allow", "Action": "rds:DescribeDBClusters", "Resource": [NAMES.cluster_arn(ACCOUNT, r) for r in (EAST, WEST)]},
)
RECONCILE_GRANTS = tuple(g for g in RECOVERY_GRANTS if g.sid != "RestoreBesideTheDatabase")  # that one restores to a point in time only


def with_keys(grants: tuple[Grant, ...], keys: dict[str, str]) -> tuple[Grant, ...]:
    return tuple(Grant(sid=g.sid, actions=g.actions, resources=tuple(keys.get(r, r) for r in g.resources), condition=g.condition) for g in grants)


def test_the_dr_role_reconciles_with_exactly_its_grants(granted: dict[str, Any]) -> None:
    grants = with_keys(RECONCILE_GRANTS, {f"KEY-{r}": k for r, k in granted["keys"].items()})
    said: list[str] = []
    reconcile_aws_half(role_client(granted, grants, RUNBOOK_READS), said)
    copy = [s for s in granted["aws"]("rds", EAST).describe_db_cluster_snapshots()["DBClusterSnapshots"] if s["SnapshotType"] == "manual"]
    (tags,) = [{t["Key"]: t["Value"] for t in s["TagList"]} for s in copy]
    assert tags[PRESERVED_FROM_TAG].startswith(f"arn:aws:rds:{EAST}:{ACCOUNT}:cluster-snapshot:rds:unplanned-global-failover-")
    assert tags[FAILOVER_TAG].startswith(f"{NAMES.cluster_id(EAST)}@")


def without(grants: tuple[Grant, ...], sid: str, action: str) -> tuple[Grant, ...]:
    """``grants`` with ``action`` taken out of grant ``sid`` (and the grant dropped when nothing is left)."""
    kept = []
    for grant in grants:
        actions = tuple(a for a in grant.actions if not (grant.sid == sid and a == action))
        if actions:
            kept.append(Grant(sid=grant.sid, actions=actions, resources=grant.resources, condition=grant.condition))
    return tuple(kept)


@pytest.mark.parametrize(("sid", "action"), [(g.sid, a) for g in RECONCILE_GRANTS for a in g.actions])
def test_without_any_one_of_its_grants_the_dr_role_cannot_reconcile(granted: dict[str, Any], sid: str, action: str) -> None:
    grants = with_keys(without(RECONCILE_GRANTS, sid, action), {f"KEY-{r}": k for r, k in granted["keys"].items()})
    said: list[str] = []
    with pytest.raises((ClientError, AssertionError, RuntimeError)) as failure:
        reconcile_aws_half(role_client(granted, grants, RUNBOOK_READS), said)
    assert action in f"{failure.value} {' '.join(said)}", (sid, action, str(failure.value)[:300], said)


def monitor_step(world: dict[str, Any], grants: tuple[Grant, ...]) -> preserve.StepResult:
    """The monitor of us-east-1 after its region returned: preserve its snapshot, watch the failovers recorded there."""
    watches = {
        "Effect": "Allow",
        "Action": "rds:DescribeDBClusters",
        "Resource": [NAMES.cluster_arn(ACCOUNT, r) for r in (EAST, WEST)],
    }  # WriterAnswers
    client = role_client(world, grants, (watches,))
    settings = preserve.PreservationSettings(
        environment="x", region=EAST, member_regions=(EAST, WEST), cluster=NAMES.cluster_id(EAST), key_id=world["keys"][EAST],
        lossy_failover_parameter=NAMES.lossy_failover_parameter, wait_seconds=60, command="drkit runbook reconcile --env x",
        global_cluster_id=NAMES.global_cluster_id,
    )  # fmt: skip
    return preserve.step(settings, client, datetime.now(UTC), {})


MONITOR_GRANTS = monitor_grants(NAMES, ACCOUNT, RegionScope(region=EAST, kms_key_arn="KEY-us-east-1"), (EAST, WEST))


def test_the_monitor_preserves_with_exactly_its_grants(granted: dict[str, Any]) -> None:
    step = monitor_step(granted, with_keys(MONITOR_GRANTS, {"KEY-us-east-1": granted["keys"][EAST]}))
    assert [p.created for p in step.preserved] == [True] and step.preserved[0].failover is not None
    assert [subject for subject, _ in step.alerts] == ["[drkit x] point-of-failure snapshot preserved (drkit-x-us-east-1)"]
    # What RDS holds, not what the step says: a manual copy (retention cannot delete it) under the planned name, with the region's key.
    manual = granted["aws"]("rds", EAST).describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
    assert [(s["DBClusterSnapshotIdentifier"], s["KmsKeyId"]) for s in manual] == [(step.preserved[0].plan.target, granted["keys"][EAST])]


@pytest.mark.parametrize(("sid", "action"), [(g.sid, a) for g in MONITOR_GRANTS for a in g.actions])
def test_without_any_one_of_its_grants_the_monitor_pages_that_it_could_not(granted: dict[str, Any], sid: str, action: str) -> None:
    step = monitor_step(granted, with_keys(without(MONITOR_GRANTS, sid, action), {"KEY-us-east-1": granted["keys"][EAST]}))
    pages = " ".join(message for _, message in step.alerts)
    assert "NOT handled" in " ".join(subject for subject, _ in step.alerts) and action in pages, (sid, step.alerts)


# ------------------------------------------------------------------------------------------ the ARC plan's post-recovery step


def test_the_plans_post_recovery_step_keeps_the_snapshot_with_the_runbook_functions_grants(granted: dict[str, Any]) -> None:
    """ARC runs ``preserve-point-of-failure-snapshot`` in the inactive region (the old primary's, back) with the runbook
    function's role: the monitor's own idempotent preservation, tagged with the recorded failover; a second run (or the
    monitor first) finds the copy and keeps nothing twice."""
    from functions.failover import arc
    from functions.failover.runner import RunbookSettings

    scopes = (RegionScope(region=EAST, kms_key_arn=granted["keys"][EAST]), RegionScope(region=WEST, kms_key_arn=granted["keys"][WEST]))
    grants = (*plan_step_grants(NAMES, ACCOUNT, scopes), *record_grants(NAMES, ACCOUNT))
    client = role_client(granted, grants, RUNBOOK_READS)
    settings = RunbookSettings(
        environment="x", home_region=EAST, global_cluster_id=NAMES.global_cluster_id, alert_topic_arns={}, zone_id=None,
        record_names=(), switchover_max_lag_seconds=5, lossy_failover_parameter=NAMES.lossy_failover_parameter,
    )  # fmt: skip
    event = {
        "InvokedBy": "arc-region-switch.amazonaws.com", "PlanArn": f"arn:aws:arc-region-switch::{ACCOUNT}:plan/drkit-x-use1-usw2:abc123",
        "ExecutionId": "e", "StepName": arc.PRESERVE_SNAPSHOT,
    }  # fmt: skip
    invocation = arc.recognise(event)  # as the handler reads ARC's metadata
    assert invocation is not None
    said: list[str] = []
    first = arc.handle(invocation, settings, client, said.append)
    assert first["result"] == "ok" and [p.startswith(f"{NAMES.cluster_id(EAST)}-pof-") for p in first["preserved"]] == [True], said
    copies = [s for s in granted["aws"]("rds", EAST).describe_db_cluster_snapshots()["DBClusterSnapshots"] if s["SnapshotType"] == "manual"]
    (tags,) = [{t["Key"]: t["Value"] for t in s["TagList"]} for s in copies]
    assert tags[FAILOVER_TAG].startswith(f"{NAMES.cluster_id(EAST)}@")  # the failover the runbook recorded
    again = arc.handle(invocation, settings, client, said.append)
    assert again["preserved"] == [] and "no point-of-failure snapshot" in said[-1]
