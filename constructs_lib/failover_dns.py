"""FailoverDnsConstruct: a private zone whose ``db`` name follows the writer across any number of regions.

Route 53 allows exactly one PRIMARY and one SECONDARY record per failover record set (API
``ResourceRecordSet.Failover``: PRIMARY | SECONDARY), so the members form a chain, in the order of
the configuration (deploy-time primary first)::

    db.<zone>                      PRIMARY  -> member 0 endpoint   [writer healthy in member 0]
                                   SECONDARY-> db-after-<0>.<zone>  (or member 1 when there are two)
    db-after-<0>.<zone>            PRIMARY  -> member 1 endpoint   [writer healthy in member 1]
                                   SECONDARY-> member 2 endpoint   (last: no health check)

Route 53 answers a failover set with the PRIMARY while its health check is healthy, else with the
SECONDARY; a SECONDARY without a health check is always used when the PRIMARY is unhealthy (Route 53
Developer Guide, "How Amazon Route 53 chooses records when health checking is configured"). So
``db`` resolves to the first member whose writer-healthy check passes, and to the last member when
none does (a regional outage before the runbook has promoted anyone).

Route 53 health checkers cannot reach inside a VPC, so each health check is ``CLOUDWATCH_METRIC``
over the member's **writer-healthy alarm, which lives in another region** (its observer): the writer
is in that member's region and its region's RDS API answers for it, as seen by
the observer's monitor. Route 53 reads the alarm's data stream, not its state; when the observer's
region is unreachable the data is insufficient and the check keeps its last verdict
(``LastKnownStatus``), so losing an observer never moves the writer's name. ``writer.<zone>`` is the
global writer endpoint, which Aurora itself moves on switchover and failover.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordFailoverRoutingPolicy
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone, Route53ZoneVpc
from constructs import Construct

from constructs_lib.naming import failover_record_names, writer_record
from constructs_lib.props import DOC, check

INSUFFICIENT_DATA = "LastKnownStatus"  # an unreachable observer is not a verdict


@dataclass(frozen=True, kw_only=True)
class ZoneVpc:
    vpc_id: str = field(metadata={DOC: "a VPC whose resolver answers the private zone"})
    region: str = field(metadata={DOC: "the VPC's region"})


@dataclass(frozen=True, kw_only=True)
class DnsMember:
    region: str = field(metadata={DOC: "the member's region"})
    endpoint: str = field(metadata={DOC: "the member cluster's (writer) endpoint"})
    writer_healthy_alarm: str | None = field(
        metadata={DOC: "name of the alarm that says the writer is in this region and answers (every member but the last)"}
    )
    alarm_region: str | None = field(metadata={DOC: "the region that alarm lives in: another region than the member's (its observer)"})


@dataclass(frozen=True, kw_only=True)
class FailoverDnsProps:
    provider: AwsProvider = field(metadata={DOC: "any of the stack's providers (Route 53 is global)"})
    name: str = field(metadata={DOC: "stem of the health checks' `Name` tags: `<name>-writer-in-<region>`"})
    zone_name: str = field(metadata={DOC: "the private hosted zone (`db.<zone>`, `writer.<zone>`)"})
    vpcs: tuple[ZoneVpc, ...] = field(metadata={DOC: "the VPCs associated with the zone (at least one)"})
    members: tuple[DnsMember, ...] = field(metadata={DOC: "the failover order, deploy-time primary first (at least two)"})
    global_writer_endpoint: str = field(metadata={DOC: "the global cluster's writer endpoint, which Aurora moves itself: `writer.<zone>`"})
    ttl_seconds: int = field(default=30, metadata={DOC: "TTL of every record, in seconds: clients follow a failover at most this late"})
    zone_comment: str = field(default="database failover records", metadata={DOC: "the hosted zone's comment"})

    def __post_init__(self) -> None:
        check(bool(self.name), "name", "must not be empty")
        check(bool(self.zone_name) and not self.zone_name.endswith("."), "zone_name", f"{self.zone_name!r}: a domain name without the final dot")
        if not self.vpcs:
            raise ValueError("vpcs: a private hosted zone needs at least one VPC")
        if self.ttl_seconds < 1:
            raise ValueError(f"ttl_seconds: must be at least 1, got {self.ttl_seconds}")
        if len(self.members) < 2:
            raise ValueError(f"members: failover needs at least two members, got {len(self.members)}")
        regions = [m.region for m in self.members]
        check(len(set(regions)) == len(regions), "members", f"a region is listed twice: {regions}")
        for member in self.members[:-1]:
            if not member.writer_healthy_alarm or not member.alarm_region:
                raise ValueError(f"members: {member.region} needs a writer-healthy alarm (every member but the last)")
            if member.alarm_region == member.region:
                raise ValueError(f"members: the alarm judging {member.region} must live in another region, got {member.alarm_region}")


class FailoverDnsConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: FailoverDnsProps) -> None:
        super().__init__(scope, construct_id)
        provider = props.provider
        self.zone = Route53Zone(
            self,
            "zone",
            provider=provider,
            name=props.zone_name,
            comment=props.zone_comment,
            vpc=[Route53ZoneVpc(vpc_id=v.vpc_id, vpc_region=v.region) for v in props.vpcs],
        )
        zone_id = self.zone.zone_id
        self.health_check_ids: dict[str, str] = {}
        for member in props.members[:-1]:
            check = Route53HealthCheck(
                self,
                f"writer_in_{member.region.replace('-', '_')}",
                provider=provider,
                type="CLOUDWATCH_METRIC",
                cloudwatch_alarm_name=member.writer_healthy_alarm,
                cloudwatch_alarm_region=member.alarm_region,
                insufficient_data_health_status=INSUFFICIENT_DATA,
                tags={"Name": f"{props.name}-writer-in-{member.region}"},
            )
            self.health_check_ids[member.region] = check.id

        self.chain_names: tuple[str, ...] = failover_record_names(props.zone_name, tuple(m.region for m in props.members))
        self.record_name = self.chain_names[0]
        links = len(self.chain_names)
        for index in range(links):
            member = props.members[index]
            name = self.chain_names[index]
            last_link = index == links - 1
            fallback = props.members[index + 1].endpoint if last_link else self.chain_names[index + 1]
            ids = ("primary_record", "secondary_record") if index == 0 else (f"link_{index}_primary_record", f"link_{index}_secondary_record")
            set_ids = ("primary", "secondary") if index == 0 else (member.region, "next")
            for role, construct_id_, set_id, value, health in (
                ("PRIMARY", ids[0], set_ids[0], member.endpoint, self.health_check_ids[member.region]),
                ("SECONDARY", ids[1], set_ids[1], fallback, None),
            ):
                Route53Record(
                    self,
                    construct_id_,
                    provider=provider,
                    zone_id=zone_id,
                    name=name,
                    type="CNAME",
                    ttl=props.ttl_seconds,
                    records=[value],
                    set_identifier=set_id,
                    failover_routing_policy=Route53RecordFailoverRoutingPolicy(type=role),
                    health_check_id=health,
                )
        self.writer_record_name = writer_record(props.zone_name)
        Route53Record(
            self,
            "writer_record",
            provider=provider,
            zone_id=zone_id,
            name=self.writer_record_name,
            type="CNAME",
            ttl=props.ttl_seconds,
            records=[props.global_writer_endpoint],
        )
        self.zone_id: str = zone_id
        self.zone_arn: str = self.zone.arn
