"""DrStack: one environment's disaster-recovery platform, ``dr-<environment>``."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import (
    S3Backend,
    S3BackendEndpointConfig,
    TerraformOutput,
    TerraformStack,
    TerraformVariable,
    TerraformVariableValidationConfig,
)
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints
from constructs import Construct

from constructs_lib.alerts import AlertTopicConstruct, AlertTopicProps
from constructs_lib.app_cluster import AppClusterConstruct, AppClusterProps
from constructs_lib.aurora_global import AuroraGlobalConstruct, AuroraGlobalProps, RegionalDatabaseInput
from constructs_lib.config import PROJECT_NAME, EnvironmentConfig
from constructs_lib.dashboard import DashboardConstruct, DashboardProps
from constructs_lib.dr_operations import DrOperationsConstruct, DrOperationsProps, RunbookRegion
from constructs_lib.failover_dns import FailoverDnsConstruct, FailoverDnsProps, ZoneVpc
from constructs_lib.kms import RegionalKeyConstruct, RegionalKeyProps
from constructs_lib.lambda_package import build_package
from constructs_lib.monitoring import ReplicationMonitorConstruct, ReplicationMonitorProps
from constructs_lib.naming import resource_name
from constructs_lib.network import NetworkConstruct, NetworkProps
from constructs_lib.peering import PeeringConstruct, PeeringProps, PeerSide
from constructs_lib.policy.aspect import PolicyAspect
from constructs_lib.regions import RegionRole, provider_alias
from constructs_lib.subnet_plan import SubnetPlan, Tier

# Services the stack calls; the local environment points each of them at the emulator.
EMULATED_SERVICES = (
    "cloudwatch",
    "ec2",
    "eks",
    "events",
    "iam",
    "kms",
    "lambda_",
    "logs",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "sts",
)


@dataclass(frozen=True)
class RegionContext:
    """A region of the stack with its role and its aliased provider."""

    region: str
    role: RegionRole
    alias: str
    provider: AwsProvider

    @property
    def is_primary(self) -> bool:
        return self.role is RegionRole.PRIMARY

    @property
    def label(self) -> str:
        return self.alias


class DrStack(TerraformStack):
    def __init__(self, scope: Construct, env: EnvironmentConfig) -> None:
        super().__init__(scope, env.stack_name)
        self.env = env
        self.regions: list[RegionContext] = [
            self._region(region, RegionRole.PRIMARY if index == 0 else RegionRole.SECONDARY, index - 1) for index, region in enumerate(env.regions)
        ]
        self.primary = self.regions[0]
        self._backend()
        self.account_id: str = DataAwsCallerIdentity(self, "caller", provider=self.primary.provider).account_id

        master_password = TerraformVariable(
            self,
            "db_master_password",
            type="string",
            sensitive=True,
            nullable=False,
            description="Aurora master password. Supplied at deploy time (TF_VAR_db_master_password); "
            "it reaches AWS only through write-only arguments and is never stored in state or plans.",
            validation=[
                TerraformVariableValidationConfig(
                    condition='${length(var.db_master_password) >= 16 && can(regex("^[^/@\\" ]+$", var.db_master_password))}',
                    error_message="db_master_password must be at least 16 characters without '/', '@', '\"' or spaces.",
                )
            ],
        )
        master_password.add_override("ephemeral", True)
        password_version = TerraformVariable(
            self,
            "db_master_password_version",
            type="number",
            default=1,
            description="Increase to send a new db_master_password to the clusters and secrets.",
        )

        self.keys = {
            ctx.region: RegionalKeyConstruct(
                self,
                f"{ctx.label}_key",
                RegionalKeyProps(
                    provider=ctx.provider,
                    region=ctx.region,
                    account_id=self.account_id,
                    alias_name=resource_name(PROJECT_NAME, env.name, ctx.region),
                    protect=env.is_production,
                    deletion_window_days=30 if env.is_production else 7,
                ),
            )
            for ctx in self.regions
        }

        app_cidrs = tuple(
            cidr
            for region in env.regions
            for cidr in SubnetPlan(vpc_cidr=env.vpc_cidrs[region], availability_zones=env.network.availability_zones).cidrs(Tier.APP)
        )
        self.networks = {
            ctx.region: NetworkConstruct(
                self,
                f"{ctx.label}_network",
                NetworkProps(
                    provider=ctx.provider,
                    name=resource_name(PROJECT_NAME, env.name, ctx.region),
                    region=ctx.region,
                    vpc_cidr=env.vpc_cidrs[ctx.region],
                    availability_zones=env.network.availability_zones,
                    nat_gateways=env.network.nat_gateways,
                    flow_log_retention_days=env.network.flow_log_retention_days,
                    kms_key_arn=self.keys[ctx.region].key_arn,
                    database_client_cidrs=app_cidrs,
                ),
            )
            for ctx in self.regions
        }
        primary_network = self.networks[self.primary.region]
        self.peerings = [
            PeeringConstruct(
                self,
                f"{ctx.label}_peering",
                PeeringProps(
                    name=resource_name(PROJECT_NAME, env.name, self.primary.region, "to", ctx.region),
                    requester_role=self.primary.role.value,
                    requester=self._peer_side(self.primary, primary_network),
                    accepter=self._peer_side(ctx, self.networks[ctx.region]),
                ),
            )
            for ctx in self.regions[1:]
        ]

        self.database = AuroraGlobalConstruct(
            self,
            "database",
            AuroraGlobalProps(
                name=resource_name(PROJECT_NAME, env.name),
                engine=env.engine,
                database=env.database,
                protect=env.is_production,
                master_password=master_password.string_value,
                master_password_version=password_version.number_value,
                iam_provider=self.primary.provider,
                regions=tuple(
                    RegionalDatabaseInput(
                        provider=ctx.provider,
                        region=ctx.region,
                        is_primary=ctx.is_primary,
                        subnet_ids=tuple(self.networks[ctx.region].data_subnet_ids),
                        availability_zones=tuple(self.networks[ctx.region].availability_zones),
                        security_group_id=self.networks[ctx.region].database_security_group_id,
                        kms_key_arn=self.keys[ctx.region].key_arn,
                    )
                    for ctx in self.regions
                ),
            ),
        )
        self._monitoring()
        self._failover()
        self.app_clusters = self._app_clusters()
        self._outputs()
        # Project policy (constructs_lib/policy): errors stop synth, warnings are reported.
        self.policy = PolicyAspect()
        self.policy.visit(self)

    def _app_clusters(self) -> dict[str, AppClusterConstruct]:
        env = self.env
        if not env.app_clusters.enabled:
            return {}
        return {
            ctx.region: AppClusterConstruct(
                self,
                f"{ctx.label}_app_cluster",
                AppClusterProps(
                    provider=ctx.provider,
                    region=ctx.region,
                    name=resource_name(PROJECT_NAME, env.name, ctx.region),
                    settings=env.app_clusters,
                    app_subnet_ids=tuple(self.networks[ctx.region].app_subnet_ids),
                    database_security_group_id=self.networks[ctx.region].database_security_group_id,
                    kms_key_arn=self.keys[ctx.region].key_arn,
                    log_retention_days=env.monitoring.log_retention_days,
                ),
            )
            for ctx in self.regions
        }

    def _failover(self) -> None:
        env = self.env
        name = resource_name(PROJECT_NAME, env.name)
        db = self.database
        self.dns = FailoverDnsConstruct(
            self,
            "failover_dns",
            FailoverDnsProps(
                provider=self.primary.provider,
                primary_region=self.primary.region,
                zone_name=env.dns.zone_name,
                environment=env.environment,
                vpcs=tuple(ZoneVpc(vpc_id=self.networks[ctx.region].vpc_id, region=ctx.region) for ctx in self.regions),
                ttl_seconds=env.dns.ttl_seconds,
                primary_cluster_identifier=f"{name}-{self.primary.region}",
                primary_endpoint=db.primary.writer_endpoint,
                secondary_endpoint=db.secondaries[0].writer_endpoint,
                global_writer_endpoint=db.global_writer_endpoint,
                alert_topic_arn=self.alert_topics[self.primary.region].topic_arn,
            ),
        )
        self.dr_operations = DrOperationsConstruct(
            self,
            "dr_operations",
            DrOperationsProps(
                iam_provider=self.primary.provider,
                name=name,
                environment=env.environment,
                account_id=self.account_id,
                trusted_principals=env.dr_operations.trusted_principals,
                external_id=env.dr_operations.external_id,
                global_cluster_id=name,
                cluster_arns=tuple(f"arn:aws:rds:{region}:{self.account_id}:cluster:{name}-{region}" for region in env.regions),
                zone_id=self.dns.zone_id,
                record_name=self.dns.record_name,
                health_check_ids=tuple(self.dns.health_check_ids),
                max_switchover_lag_seconds=env.monitoring.lag_alarm_threshold_seconds,
                log_retention_days=env.monitoring.log_retention_days,
                package=build_package("failover"),
                regions=tuple(
                    RunbookRegion(
                        provider=ctx.provider,
                        region=ctx.region,
                        kms_key_arn=self.keys[ctx.region].key_arn,
                        alert_topic_arn=self.alert_topics[ctx.region].topic_arn,
                    )
                    for ctx in self.regions
                ),
            ),
        )

    def _monitoring(self) -> None:
        env = self.env
        name = resource_name(PROJECT_NAME, env.name)
        package = build_package("replication_monitor")
        self.alert_topics = {
            ctx.region: AlertTopicConstruct(
                self,
                f"{ctx.label}_alerts",
                AlertTopicProps(
                    provider=ctx.provider,
                    name=f"{name}-alerts",
                    account_id=self.account_id,
                    kms_key_arn=self.keys[ctx.region].key_arn,
                    emails=env.alerts.emails,
                    https_endpoints=env.alerts.https_endpoints,
                ),
            )
            for ctx in self.regions
        }
        self.monitors = {
            ctx.region: ReplicationMonitorConstruct(
                self,
                f"{ctx.label}_monitor",
                ReplicationMonitorProps(
                    provider=ctx.provider,
                    region=ctx.region,
                    environment=env.environment,
                    name=name,
                    account_id=self.account_id,
                    global_cluster_id=name,
                    kms_key_arn=self.keys[ctx.region].key_arn,
                    alert_topic_arn=self.alert_topics[ctx.region].topic_arn,
                    threshold_seconds=env.monitoring.lag_alarm_threshold_seconds,
                    reserved_concurrency=env.monitoring.reserved_concurrency,
                    log_retention_days=env.monitoring.log_retention_days,
                    package=package,
                    local_secondary_clusters=() if ctx.is_primary else (f"{name}-{ctx.region}",),
                ),
            )
            for ctx in self.regions
        }
        DashboardConstruct(
            self,
            "dashboard",
            DashboardProps(
                provider=self.primary.provider,
                name=f"{name}-disaster-recovery",
                environment=env.environment,
                home_region=self.primary.region,
                clusters=tuple((region, f"{name}-{region}") for region in env.regions),
                monitor_function_name=f"{name}-replication-monitor",
                monitor_regions=env.regions,
            ),
        )

    # ------------------------------------------------------------------ set-up

    def _region(self, region: str, role: RegionRole, secondary_index: int) -> RegionContext:
        env = self.env
        alias = provider_alias(role, max(secondary_index, 0))
        tags = {
            **env.tags,
            "Environment": env.environment,
            "Project": PROJECT_NAME,
            "DR-Role": role.value,
            "ManagedBy": "cdktf",
        }
        provider = AwsProvider(
            self,
            f"aws_{alias}",
            alias=alias,
            region=region,
            default_tags=[AwsProviderDefaultTags(tags=tags)],
            **self._emulator_settings(),
        )
        return RegionContext(region=region, role=role, alias=alias, provider=provider)

    def _emulator_settings(self) -> dict[str, object]:
        """Provider arguments that point the local environment at the emulator (empty elsewhere)."""
        url = self.env.aws_endpoint_url
        if url is None:
            return {}
        return {
            "endpoints": [AwsProviderEndpoints(**{service: url for service in EMULATED_SERVICES})],
            "skip_credentials_validation": True,
            "skip_metadata_api_check": "true",
            "skip_region_validation": True,
            "s3_use_path_style": True,
        }

    def _backend(self) -> None:
        env = self.env
        local = env.aws_endpoint_url is not None
        S3Backend(
            self,
            bucket=env.state_bucket,
            key=env.state_key,
            region=env.state_region,
            encrypt=True,
            endpoints=S3BackendEndpointConfig(s3=env.aws_endpoint_url, sts=env.aws_endpoint_url) if local else None,
            use_path_style=True if local else None,
            skip_credentials_validation=True if local else None,
            skip_requesting_account_id=True if local else None,
            skip_metadata_api_check=True if local else None,
            skip_region_validation=True if local else None,
        )
        # S3-native state locking (Terraform >= 1.10); cdktf 0.21 has no typed argument for it.
        self.add_override("terraform.backend.s3.use_lockfile", True)

    def _peer_side(self, ctx: RegionContext, network: NetworkConstruct) -> PeerSide:
        return PeerSide(
            provider=ctx.provider,
            region=ctx.region,
            vpc_id=network.vpc_id,
            vpc_cidr=str(network.vpc_cidr),
            route_table_ids=tuple(network.private_route_table_ids),
        )

    def _output(self, name: str, value: object, description: str, sensitive: bool = False) -> None:
        TerraformOutput(self, name, value=value, description=description, sensitive=sensitive)

    def _outputs(self) -> None:
        db = self.database
        self._output("global_cluster_id", db.global_cluster_id, "Aurora global cluster identifier")
        self._output(
            "global_writer_endpoint",
            db.global_writer_endpoint,
            "Preferred connection string: the global writer endpoint follows the writer after switchover/failover",
        )
        self._output("dr_operations_role_arn", self.dr_operations.role_arn, "IAM role DR operators assume (with the configured ExternalId)")
        self._output("hosted_zone_id", self.dns.zone_id, "Private hosted zone with the failover records")
        self._output("database_record_name", self.dns.record_name, "Failover CNAME: primary cluster while healthy, else the secondary")
        for ctx, cluster in zip(self.regions, db.clusters, strict=True):
            prefix = ctx.label
            network = self.networks[ctx.region]
            self._output(f"{prefix}_region", ctx.region, f"AWS region of the {prefix} role")
            self._output(f"{prefix}_vpc_id", network.vpc_id, f"VPC of the {prefix} region")
            self._output(f"{prefix}_cluster_arn", cluster.cluster_arn, f"Aurora cluster ARN in the {prefix} region")
            self._output(f"{prefix}_cluster_endpoint", cluster.writer_endpoint, f"Cluster (writer) endpoint in the {prefix} region")
            self._output(f"{prefix}_cluster_reader_endpoint", cluster.reader_endpoint, f"Reader endpoint in the {prefix} region")
            self._output(
                f"{prefix}_db_secret_arn",
                cluster.secret_arn,
                f"Secrets Manager secret with the master credentials in the {prefix} region",
            )
            self._output(f"{prefix}_kms_key_arn", self.keys[ctx.region].key_arn, f"Customer-managed KMS key of the {prefix} region")
            app = self.app_clusters.get(ctx.region)
            if app is not None:
                self._output(f"{prefix}_eks_cluster_name", app.cluster_name, f"EKS cluster for the transaction services in the {prefix} region")
                self._output(f"{prefix}_eks_cluster_endpoint", app.endpoint, f"EKS API endpoint (private) in the {prefix} region")
                self._output(f"{prefix}_eks_oidc_issuer", app.oidc_issuer, f"OIDC issuer for IAM roles for service accounts in the {prefix} region")
                self._output(f"{prefix}_eks_node_role_arn", app.node_role_arn, f"IAM role of the EKS nodes in the {prefix} region")
