"""FailoverDnsConstruct: a private zone with PRIMARY/SECONDARY records that follow the writer.

Route 53 health checkers cannot reach inside a VPC, so the PRIMARY record's health comes from
CloudWatch alarms (``CLOUDWATCH_METRIC`` health checks) combined by a ``CALCULATED`` check:

* **writer reporting** — the primary cluster's WRITER publishes metrics (missing data = down);
* **writer in the primary region** — the replication monitor's ``WriterInMonitorRegion`` in the
  primary region (after a switchover or failover the PRIMARY record must stop answering).

``db.<zone>`` answers with the primary cluster endpoint while both hold, else with the secondary
cluster endpoint. ``writer.<zone>`` is the global writer endpoint, the preferred connection
string because it follows the writer without waiting for DNS health.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordFailoverRoutingPolicy
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone, Route53ZoneVpc
from constructs import Construct

from constructs_lib.rto import WRITER_ALARM_EVALUATION_PERIODS, WRITER_ALARM_PERIOD_SECONDS

INSUFFICIENT_DATA = "LastKnownStatus"  # keep the last verdict rather than flap on a metric gap


@dataclass(frozen=True, kw_only=True)
class ZoneVpc:
    vpc_id: str
    region: str


@dataclass(frozen=True, kw_only=True)
class FailoverDnsProps:
    provider: AwsProvider  # the primary region's provider (Route 53 is global)
    primary_region: str
    zone_name: str
    environment: str
    vpcs: tuple[ZoneVpc, ...]
    ttl_seconds: int
    primary_cluster_identifier: str
    primary_endpoint: str
    secondary_endpoint: str
    global_writer_endpoint: str
    alert_topic_arn: str
    monitor_service: str = "replication-monitor"

    def __post_init__(self) -> None:
        if not self.vpcs:
            raise ValueError("vpcs: a private hosted zone needs at least one VPC")
        if self.ttl_seconds < 1:
            raise ValueError(f"dns_ttl_seconds: must be at least 1, got {self.ttl_seconds}")


class FailoverDnsConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: FailoverDnsProps) -> None:
        super().__init__(scope, construct_id)
        provider = props.provider
        self.zone = Route53Zone(
            self,
            "zone",
            provider=provider,
            name=props.zone_name,
            comment=f"drkit {props.environment}: database failover records",
            vpc=[Route53ZoneVpc(vpc_id=v.vpc_id, vpc_region=v.region) for v in props.vpcs],
        )
        zone_id = self.zone.zone_id
        writer_alarm = CloudwatchMetricAlarm(
            self,
            "writer_reporting",
            provider=provider,
            alarm_name=f"{props.primary_cluster_identifier}-writer-down",
            alarm_description="The primary cluster's writer publishes no metrics (missing data = down)",
            namespace="AWS/RDS",
            metric_name="CPUUtilization",
            dimensions={"DBClusterIdentifier": props.primary_cluster_identifier, "Role": "WRITER"},
            statistic="SampleCount",
            period=WRITER_ALARM_PERIOD_SECONDS,
            evaluation_periods=WRITER_ALARM_EVALUATION_PERIODS,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            alarm_actions=[props.alert_topic_arn],
            ok_actions=[props.alert_topic_arn],
        )
        location_alarm = CloudwatchMetricAlarm(
            self,
            "writer_elsewhere",
            provider=provider,
            alarm_name=f"{props.primary_cluster_identifier}-writer-moved",
            alarm_description="The replication monitor sees the writer outside the primary region",
            namespace="drkit",
            metric_name="WriterInMonitorRegion",
            dimensions={"Environment": props.environment, "service": props.monitor_service},
            statistic="Minimum",
            period=WRITER_ALARM_PERIOD_SECONDS,
            evaluation_periods=WRITER_ALARM_EVALUATION_PERIODS,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="notBreaching",  # a silent monitor has its own alarm; don't fail over for it
            alarm_actions=[props.alert_topic_arn],
            ok_actions=[props.alert_topic_arn],
        )
        checks = [
            Route53HealthCheck(
                self,
                f"{label}_check",
                provider=provider,
                type="CLOUDWATCH_METRIC",
                cloudwatch_alarm_name=alarm.alarm_name,
                cloudwatch_alarm_region=props.primary_region,
                insufficient_data_health_status=INSUFFICIENT_DATA,
                tags={"Name": f"{props.primary_cluster_identifier}-{label}"},
            )
            for label, alarm in (("writer_reporting", writer_alarm), ("writer_in_primary", location_alarm))
        ]
        self.primary_health_check = Route53HealthCheck(
            self,
            "primary_health",
            provider=provider,
            type="CALCULATED",
            child_healthchecks=[c.id for c in checks],
            child_health_threshold=len(checks),
            tags={"Name": f"{props.primary_cluster_identifier}-primary-healthy"},
        )
        self.record_name = f"db.{props.zone_name}"
        for role, endpoint, health in (
            ("PRIMARY", props.primary_endpoint, self.primary_health_check.id),
            ("SECONDARY", props.secondary_endpoint, None),
        ):
            Route53Record(
                self,
                f"{role.lower()}_record",
                provider=provider,
                zone_id=zone_id,
                name=self.record_name,
                type="CNAME",
                ttl=props.ttl_seconds,
                records=[endpoint],
                set_identifier=role.lower(),
                failover_routing_policy=Route53RecordFailoverRoutingPolicy(type=role),
                health_check_id=health,
            )
        Route53Record(
            self,
            "writer_record",
            provider=provider,
            zone_id=zone_id,
            name=f"writer.{props.zone_name}",
            type="CNAME",
            ttl=props.ttl_seconds,
            records=[props.global_writer_endpoint],
        )
        self.zone_id: str = zone_id
        self.zone_arn: str = self.zone.arn
        self.health_check_ids: list[str] = [*(c.id for c in checks), self.primary_health_check.id]
