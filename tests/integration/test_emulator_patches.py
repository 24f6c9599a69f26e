"""Each emulator fidelity patch makes moto answer as AWS does (in-process moto, patched)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tools.emulator.patches import apply_all

pytestmark = pytest.mark.integration


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    apply_all()
    with mock_aws():
        yield lambda service, region="us-east-1": boto3.client(service, region_name=region)


def global_with_members(aws: Any) -> tuple[str, str]:
    aws("rds").create_global_cluster(
        GlobalClusterIdentifier="g1",
        Engine="aurora-postgresql",
        EngineVersion="16.6",
        DatabaseName="transactions",
        Tags=[{"Key": "Environment", "Value": "test"}],
    )
    primary = aws("rds").create_db_cluster(
        DBClusterIdentifier="p1",
        Engine="aurora-postgresql",
        EngineVersion="16.6",
        GlobalClusterIdentifier="g1",
        MasterUsername="admin",
        MasterUserPassword="x" * 16,
    )["DBCluster"]["DBClusterArn"]
    secondary = aws("rds", "us-west-2").create_db_cluster(
        DBClusterIdentifier="s1",
        Engine="aurora-postgresql",
        EngineVersion="16.6",
        GlobalClusterIdentifier="g1",
    )["DBCluster"]["DBClusterArn"]
    return primary, secondary


def writer(aws: Any) -> str:
    members = aws("rds").describe_global_clusters(GlobalClusterIdentifier="g1")["GlobalClusters"][0]["GlobalClusterMembers"]
    return next(m["DBClusterArn"] for m in members if m["IsWriter"])


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
    cluster = aws("rds").describe_db_clusters(DBClusterIdentifier="p1")["DBClusters"][0]
    assert "ScalingConfigurationInfo" not in cluster


def test_deleting_a_cross_region_member_detaches_it(aws: Any) -> None:
    global_with_members(aws)
    aws("rds", "us-west-2").delete_db_cluster(DBClusterIdentifier="s1", SkipFinalSnapshot=True)
    aws("rds").delete_db_cluster(DBClusterIdentifier="p1", SkipFinalSnapshot=True)
    aws("rds").delete_global_cluster(GlobalClusterIdentifier="g1")
    assert aws("rds").describe_global_clusters()["GlobalClusters"] == []


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


def test_instances_report_monitoring_settings(aws: Any) -> None:
    global_with_members(aws)
    aws("rds").create_db_instance(
        DBInstanceIdentifier="i1",
        DBClusterIdentifier="p1",
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


def test_aws_published_powertools_layer_can_be_attached(aws: Any) -> None:
    import io
    import zipfile

    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    layer = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
    function = aws("lambda").create_function(
        FunctionName="f", Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": buffer.getvalue()}, Layers=[layer]
    )
    assert [entry["Arn"] for entry in function["Layers"]] == [layer]
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    aws("lambda").update_function_configuration(FunctionName="f", KMSKeyArn=key, Environment={"Variables": {"A": "1"}})
    assert aws("lambda").get_function_configuration(FunctionName="f")["KMSKeyArn"] == key
    assert aws("lambda").get_function(FunctionName="f")["Configuration"]["KMSKeyArn"] == key
    with pytest.raises(ClientError):
        aws("lambda").create_function(
            FunctionName="g",
            Runtime="python3.13",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": buffer.getvalue()},
            Layers=["arn:aws:lambda:us-east-1:999999999999:layer:unknown:1"],
        )


def test_cloudwatch_metric_health_check_keeps_its_alarm_and_no_http_fields(aws: Any) -> None:
    route53 = aws("route53")
    created = route53.create_health_check(
        CallerReference="hc1",
        HealthCheckConfig={
            "Type": "CLOUDWATCH_METRIC",
            "AlarmIdentifier": {"Region": "us-east-1", "Name": "writer-down"},
            "InsufficientDataHealthStatus": "Unhealthy",
        },
    )["HealthCheck"]
    config = route53.get_health_check(HealthCheckId=created["Id"])["HealthCheck"]["HealthCheckConfig"]
    assert config["AlarmIdentifier"] == {"Region": "us-east-1", "Name": "writer-down"}
    assert config["InsufficientDataHealthStatus"] == "Unhealthy"
    for absent in ("RequestInterval", "Port", "FailureThreshold", "IPAddress"):
        assert absent not in config, absent


def test_hosted_zone_created_with_a_vpc_is_private_and_takes_more_vpcs(aws: Any) -> None:
    east = aws("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    west = aws("ec2", "us-west-2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    route53 = aws("route53")
    zone = route53.create_hosted_zone(Name="dr.internal", CallerReference="z1", VPC={"VPCRegion": "us-east-1", "VPCId": east})["HostedZone"]
    assert zone["Config"]["PrivateZone"] is True
    route53.associate_vpc_with_hosted_zone(HostedZoneId=zone["Id"], VPC={"VPCRegion": "us-west-2", "VPCId": west})
    vpcs = route53.get_hosted_zone(Id=zone["Id"])["VPCs"]
    assert sorted(v["VPCId"] for v in vpcs) == sorted([east, west])


def test_eks_cluster_gets_a_cluster_security_group(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(2)]
    role = aws("iam").create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    cluster = aws("eks").create_cluster(name="c1", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})["cluster"]
    group = cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["VpcId"] == vpc
    aws("eks").delete_cluster(name="c1")
    remaining = [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    assert group not in remaining


def test_group_referencing_rule_keeps_its_description(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    database = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    nodes = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=database,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": nodes, "Description": "from nodes"}]}
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [database]}])["SecurityGroupRules"]
    (ingress,) = [r for r in rules if not r["IsEgress"]]
    assert ingress["Description"] == "from nodes"


def test_node_group_keeps_its_settings_and_no_invented_remote_access(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(2)]
    role = aws("iam").create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws("eks").create_cluster(name="c1", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
    aws("eks").create_nodegroup(clusterName="c1", nodegroupName="n1", nodeRole=role, subnets=subnets, updateConfig={"maxUnavailable": 1})
    group = aws("eks").describe_nodegroup(clusterName="c1", nodegroupName="n1")["nodegroup"]
    assert not group.get("remoteAccess")
    assert group["updateConfig"] == {"maxUnavailable": 1}


def test_lambda_dead_letter_config_is_kept(aws: Any) -> None:
    import io
    import zipfile

    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    topic = aws("sns").create_topic(Name="alerts")["TopicArn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    aws("lambda").create_function(
        FunctionName="f", Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": buffer.getvalue()},
        DeadLetterConfig={"TargetArn": topic},
    )  # fmt: skip
    assert aws("lambda").get_function_configuration(FunctionName="f")["DeadLetterConfig"] == {"TargetArn": topic}
