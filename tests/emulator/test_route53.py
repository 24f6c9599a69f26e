"""Route 53 fidelity: CloudWatch-metric and calculated health checks, private zones."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator


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


def test_calculated_health_check_status_is_refused_as_on_aws(aws: Any) -> None:
    """AWS: "You can't use GetHealthCheckStatus to get the status of a calculated health check"; moto answered
    Success, so a runbook that asked passed here and failed after a real switchover."""
    route53 = aws("route53")
    child = route53.create_health_check(
        CallerReference="c1", HealthCheckConfig={"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-east-1", "Name": "a"}}
    )["HealthCheck"]["Id"]
    parent = route53.create_health_check(
        CallerReference="p1", HealthCheckConfig={"Type": "CALCULATED", "ChildHealthChecks": [child], "HealthThreshold": 1}
    )["HealthCheck"]["Id"]
    with pytest.raises(ClientError, match=r"InvalidInput.*calculated health check"):
        route53.get_health_check_status(HealthCheckId=parent)
    observations = route53.get_health_check_status(HealthCheckId=child)["HealthCheckObservations"]
    assert observations and all(o["StatusReport"]["Status"].startswith("Success") for o in observations)  # healthy until evaluated


def test_health_check_status_reports_what_the_evaluator_decided(aws: Any) -> None:
    from drkit_lab.emulator import control

    route53 = aws("route53")
    check = route53.create_health_check(
        CallerReference="c2", HealthCheckConfig={"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-west-2", "Name": "b"}}
    )["HealthCheck"]["Id"]
    control.STATE.health_checks[check] = False
    try:
        (first, *_) = route53.get_health_check_status(HealthCheckId=check)["HealthCheckObservations"]
        assert first["StatusReport"]["Status"].startswith("Failure")
    finally:
        control.STATE.health_checks.pop(check)
