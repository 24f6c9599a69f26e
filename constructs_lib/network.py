"""NetworkConstruct: one VPC per region with public, app and data tiers across three AZs."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from constructs_lib.iam import service_trust
from constructs_lib.props import DEFAULT, DOC, check, is_token
from constructs_lib.subnet_plan import TIER_BLOCK, SubnetPlan, Tier

POSTGRES_PORT = 5432
# Subnet tag the AWS Load Balancer Controller uses to find subnets for internal load balancers
# (kubernetes-sigs aws-load-balancer-controller, "Subnet Auto Discovery").
INTERNAL_ELB_TAG = {"kubernetes.io/role/internal-elb": "1"}
MIN_ZONES, MAX_ZONES = 2, TIER_BLOCK  # a tier's block of subnets holds TIER_BLOCK of them
# AWS: a VPC is /16 to /28 and a subnet at least /28 (VPC user guide, "VPC CIDR blocks"); tiers are prefix + 4.
MIN_PREFIX, MAX_PREFIX = 16, 24


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    provider: AwsProvider = field(metadata={DOC: "the AWS provider of the VPC's region (the stack makes providers; the construct never does)"})
    name: str = field(metadata={DOC: "stem of every name and `Name` tag: `<name>-app-0`, `<name>-database`, `<name>-flow-logs`"})
    region: str = field(metadata={DOC: "the region of `provider`"})
    vpc_cidr: ipaddress.IPv4Network = field(metadata={DOC: "the VPC's range, /16 to /24; each tier's subnets are prefix + 4 (a /16 gives /20s)"})
    availability_zone_ids: tuple[str, ...] = field(
        metadata={DOC: "2 to 4 AZ IDs (`use1-az1`: IDs, not names, are the same physical zone in every account), one subnet per tier in each"}
    )
    kms_key_arn: str = field(metadata={DOC: "customer-managed key of the flow-log group"})
    nat_gateway_per_az: bool = field(
        default=True, metadata={DOC: "a NAT gateway in every AZ; `False`: one for the region (cheaper; that AZ's outage cuts the app tier's egress)"}
    )
    flow_log_retention_days: int = field(default=365, metadata={DOC: "retention of the VPC flow logs, in days"})
    database_client_cidrs: tuple[str, ...] = field(
        default=(), metadata={DOC: "ranges the database security group admits on 5432: the app subnets of every VPC whose apps use the database"}
    )
    flow_log_group_name: str | None = field(default=None, metadata={DOC: "the flow logs' CloudWatch log group", DEFAULT: "`/vpc-flow-logs/<name>`"})
    database_security_group_description: str = field(
        default="Aurora PostgreSQL: 5432 from the database client ranges only", metadata={DOC: "description of the database security group"}
    )

    def __post_init__(self) -> None:
        check(bool(self.name), "name", "must not be empty")
        zones = list(self.availability_zone_ids)
        check(len(set(zones)) == len(zones), "availability_zone_ids", f"an AZ ID is listed twice: {zones}")
        check(MIN_ZONES <= len(zones) <= MAX_ZONES, "availability_zone_ids", f"{MIN_ZONES} to {MAX_ZONES} different AZs are needed, got {zones}")
        prefix = self.vpc_cidr.prefixlen
        check(MIN_PREFIX <= prefix <= MAX_PREFIX, "vpc_cidr", f"'{self.vpc_cidr}' is a /{prefix}: a /{MIN_PREFIX} to /{MAX_PREFIX} is needed")
        check(self.flow_log_retention_days >= 1, "flow_log_retention_days", f"must be at least 1, got {self.flow_log_retention_days}")
        for cidr in self.database_client_cidrs:
            if not is_token(cidr):
                try:
                    ipaddress.IPv4Network(cidr)
                except ValueError:
                    raise ValueError(f"database_client_cidrs: '{cidr}' is not an IPv4 range") from None


class NetworkConstruct(Construct):
    """VPC, tiered subnets and routing, NAT, flow logs and the database security group."""

    def __init__(self, scope: Construct, construct_id: str, props: NetworkProps) -> None:
        super().__init__(scope, construct_id)
        provider = props.provider
        zone_count = len(props.availability_zone_ids)
        plan = SubnetPlan(vpc_cidr=props.vpc_cidr, availability_zones=zone_count)
        self.vpc = Vpc(
            self,
            "vpc",
            provider=provider,
            cidr_block=str(props.vpc_cidr),
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": props.name},
        )
        self.vpc_id: str = self.vpc.id  # read once: every attribute read is a round trip to jsii
        DefaultSecurityGroup(self, "default_sg", provider=provider, vpc_id=self.vpc_id, tags={"Name": f"{props.name}-default-closed"})
        subnets: dict[Tier, list[Subnet]] = {}
        for tier in Tier:
            subnets[tier] = [
                Subnet(
                    self,
                    f"{tier.value}_subnet_{az}",
                    provider=provider,
                    vpc_id=self.vpc_id,
                    cidr_block=cidr,
                    availability_zone_id=props.availability_zone_ids[az],
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{props.name}-{tier.value}-{az}", "Tier": tier.value, **(INTERNAL_ELB_TAG if tier is Tier.APP else {})},
                )
                for az, cidr in enumerate(plan.cidrs(tier))
            ]

        igw = InternetGateway(self, "igw", provider=provider, vpc_id=self.vpc_id, tags={"Name": props.name})
        public_rt = RouteTable(self, "public_rt", provider=provider, vpc_id=self.vpc_id, tags={"Name": f"{props.name}-public", "Tier": "public"})
        Route(
            self,
            "public_default_route",
            provider=provider,
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
        )
        for az, subnet in enumerate(subnets[Tier.PUBLIC]):
            RouteTableAssociation(self, f"public_rta_{az}", provider=provider, subnet_id=subnet.id, route_table_id=public_rt.id)

        nat_count = zone_count if props.nat_gateway_per_az else 1
        nats = []
        for az in range(nat_count):
            eip = Eip(self, f"nat_eip_{az}", provider=provider, domain="vpc", tags={"Name": f"{props.name}-nat-{az}"})
            nats.append(
                NatGateway(
                    self,
                    f"nat_{az}",
                    provider=provider,
                    allocation_id=eip.id,
                    subnet_id=subnets[Tier.PUBLIC][az].id,
                    tags={"Name": f"{props.name}-nat-{az}"},
                    depends_on=[igw],
                )
            )

        app_route_tables = []
        for az, subnet in enumerate(subnets[Tier.APP]):
            table = RouteTable(
                self,
                f"app_rt_{az}",
                provider=provider,
                vpc_id=self.vpc_id,
                tags={"Name": f"{props.name}-app-{az}", "Tier": "app"},
            )
            Route(
                self,
                f"app_default_route_{az}",
                provider=provider,
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[az % nat_count].id,
            )
            RouteTableAssociation(self, f"app_rta_{az}", provider=provider, subnet_id=subnet.id, route_table_id=table.id)
            app_route_tables.append(table)

        data_rt = RouteTable(self, "data_rt", provider=provider, vpc_id=self.vpc_id, tags={"Name": f"{props.name}-data", "Tier": "data"})
        for az, subnet in enumerate(subnets[Tier.DATA]):
            RouteTableAssociation(self, f"data_rta_{az}", provider=provider, subnet_id=subnet.id, route_table_id=data_rt.id)

        self._flow_logs(props)

        self.database_security_group = SecurityGroup(
            self,
            "database_sg",
            provider=provider,
            name=f"{props.name}-database",
            description=props.database_security_group_description,
            vpc_id=self.vpc_id,
            tags={"Name": f"{props.name}-database"},
        )
        for index, cidr in enumerate(props.database_client_cidrs):
            VpcSecurityGroupIngressRule(
                self,
                f"database_ingress_{index}",
                provider=provider,
                security_group_id=self.database_security_group.id,
                description=f"PostgreSQL from app subnet {cidr}",
                ip_protocol="tcp",
                from_port=POSTGRES_PORT,
                to_port=POSTGRES_PORT,
                cidr_ipv4=cidr,
            )

        self.vpc_cidr = props.vpc_cidr
        self.public_subnet_ids: list[str] = [s.id for s in subnets[Tier.PUBLIC]]
        self.app_subnet_ids: list[str] = [s.id for s in subnets[Tier.APP]]
        self.data_subnet_ids: list[str] = [s.id for s in subnets[Tier.DATA]]
        # AZ names as this account maps them, read from the data subnets (RDS instances want names).
        self.availability_zones: list[str] = [s.availability_zone for s in subnets[Tier.DATA]]
        self.public_route_table_id: str = public_rt.id
        self.app_route_table_ids: list[str] = [t.id for t in app_route_tables]
        self.data_route_table_id: str = data_rt.id
        self.private_route_table_ids: list[str] = [*self.app_route_table_ids, data_rt.id]
        self.database_security_group_id: str = self.database_security_group.id

    def _flow_logs(self, props: NetworkProps) -> None:
        provider = props.provider
        group = CloudwatchLogGroup(
            self,
            "flow_log_group",
            provider=provider,
            name=props.flow_log_group_name or f"/vpc-flow-logs/{props.name}",
            retention_in_days=props.flow_log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        trust = service_trust(self, "flow_log_trust", provider, "vpc-flow-logs.amazonaws.com")
        role = IamRole(self, "flow_log_role", provider=provider, name=f"{props.name}-flow-logs", assume_role_policy=trust.json)
        permissions = DataAwsIamPolicyDocument(
            self,
            "flow_log_permissions",
            provider=provider,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[group.arn, f"{group.arn}:*"],
                )
            ],
        )
        IamRolePolicy(self, "flow_log_policy", provider=provider, role=role.id, policy=permissions.json)
        FlowLog(
            self,
            "flow_log",
            provider=provider,
            vpc_id=self.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": props.name},
        )
