"""RDS fidelity: engine versions, global clusters, membership and roles as AWS reports them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import Aws, global_with_members, source_of, writer

pytestmark = pytest.mark.emulator


def test_describe_db_engine_versions_reports_global_support(aws: Any) -> None:
    rds = aws("rds")
    (row,) = rds.describe_db_engine_versions(Engine="aurora-postgresql", EngineVersion="16.6")["DBEngineVersions"]
    assert row["SupportsGlobalDatabases"] is True and row["DBParameterGroupFamily"] == "aurora-postgresql16"
    assert rds.describe_db_engine_versions(Engine="aurora-postgresql", EngineVersion="15.4")["DBEngineVersions"] == []


def test_global_cluster_keeps_database_name_and_tags(aws: Any) -> None:
    global_with_members(aws)
    cluster = aws("rds").describe_global_clusters(GlobalClusterIdentifier="g1")["GlobalClusters"][0]
    assert cluster["DatabaseName"] == "transactions"
    tags = aws("rds").list_tags_for_resource(ResourceName=cluster["GlobalClusterArn"])["TagList"]
    assert tags == [{"Key": "Environment", "Value": "test"}]


def test_provisioned_cluster_has_no_serverless_scaling_block(aws: Any) -> None:
    global_with_members(aws)
    cluster = aws("rds").describe_db_clusters(DBClusterIdentifier="c-us-east-1")["DBClusters"][0]
    assert "ScalingConfigurationInfo" not in cluster


def test_deleting_a_cross_region_member_detaches_it(aws: Any) -> None:
    global_with_members(aws)
    aws("rds", "us-west-2").delete_db_cluster(DBClusterIdentifier="c-us-west-2", SkipFinalSnapshot=True)
    aws("rds").delete_db_cluster(DBClusterIdentifier="c-us-east-1", SkipFinalSnapshot=True)
    aws("rds").delete_global_cluster(GlobalClusterIdentifier="g1")
    assert aws("rds").describe_global_clusters()["GlobalClusters"] == []


def test_instances_report_monitoring_settings(aws: Any) -> None:
    global_with_members(aws)
    aws("rds").create_db_instance(
        DBInstanceIdentifier="i1",
        DBClusterIdentifier="c-us-east-1",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
        MonitoringInterval=60,
        MonitoringRoleArn="arn:aws:iam::123456789012:role/m",
        EnablePerformanceInsights=True,
        PerformanceInsightsRetentionPeriod=7,
    )
    instance = aws("rds").describe_db_instances(DBInstanceIdentifier="i1")["DBInstances"][0]
    assert instance["MonitoringInterval"] == 60
    assert instance["PerformanceInsightsEnabled"] is True
    assert instance["PerformanceInsightsRetentionPeriod"] == 7


def test_switchover_moves_the_writer_and_refuses_strangers(aws: Any) -> None:
    primary, secondary = global_with_members(aws)
    assert writer(aws) == primary
    aws("rds").switchover_global_cluster(GlobalClusterIdentifier="g1", TargetDbClusterIdentifier=secondary)
    assert writer(aws) == secondary
    with pytest.raises(ClientError, match="already the writer"):
        aws("rds").switchover_global_cluster(GlobalClusterIdentifier="g1", TargetDbClusterIdentifier=secondary)
    with pytest.raises(ClientError, match="is not a member"):
        aws("rds").failover_global_cluster(
            GlobalClusterIdentifier="g1", TargetDbClusterIdentifier="arn:aws:rds:eu-west-1:123456789012:cluster:x", AllowDataLoss=True
        )
    aws("rds").failover_global_cluster(GlobalClusterIdentifier="g1", TargetDbClusterIdentifier=primary, AllowDataLoss=True)
    assert writer(aws) == primary


def test_members_report_their_replication_source_through_every_role_change(aws: Any) -> None:
    """AWS: a secondary reports the writer as ReplicationSourceIdentifier (hence the provider's ignore_changes
    advice); moto reported none, so a plan after a switchover looked clean on the emulator and split the
    global database on AWS."""
    east, west, eu = global_with_members(aws, ("us-east-1", "us-west-2", "eu-west-1"))
    assert (source_of(aws, east), source_of(aws, west), source_of(aws, eu)) == (None, east, east)
    aws("rds").switchover_global_cluster(GlobalClusterIdentifier="g1", TargetDbClusterIdentifier=eu)
    assert (source_of(aws, east), source_of(aws, west), source_of(aws, eu)) == (eu, eu, None)  # the demoted primary too
    aws("rds").failover_global_cluster(GlobalClusterIdentifier="g1", TargetDbClusterIdentifier=west, AllowDataLoss=True)
    assert (source_of(aws, east), source_of(aws, west), source_of(aws, eu)) == (west, None, west)


def test_failover_takes_allow_data_loss_or_switchover_not_both(aws: Any) -> None:
    _, secondary = global_with_members(aws)
    with pytest.raises(ClientError, match="InvalidParameterCombination"):
        aws("rds").failover_global_cluster(GlobalClusterIdentifier="g1", TargetDbClusterIdentifier=secondary, AllowDataLoss=True, Switchover=True)


def test_a_point_in_time_restore_is_standalone_and_inside_the_window(aws: Aws) -> None:
    from datetime import UTC, datetime, timedelta

    from botocore.exceptions import ClientError

    arns = global_with_members(aws)
    rds = aws("rds")
    source = rds.describe_db_clusters(DBClusterIdentifier=arns[0])["DBClusters"][0]
    with pytest.raises(ClientError, match="InvalidRestoreFault"):
        rds.restore_db_cluster_to_point_in_time(
            DBClusterIdentifier="c-restore-1", SourceDBClusterIdentifier=arns[0], RestoreToTime=source["EarliestRestorableTime"] - timedelta(days=1)
        )
    restored = rds.restore_db_cluster_to_point_in_time(
        DBClusterIdentifier="c-restore-2", SourceDBClusterIdentifier=arns[0], RestoreToTime=datetime.now(UTC), DBSubnetGroupName="default"
    )["DBCluster"]
    assert "GlobalClusterIdentifier" not in restored and not restored.get("DBClusterMembers")
    members = rds.describe_global_clusters(GlobalClusterIdentifier="g1")["GlobalClusters"][0]["GlobalClusterMembers"]
    assert len(members) == 2  # the restore did not join the global database
