"""AuroraGlobalConstruct: an Aurora PostgreSQL Global Database spanning the stack's regions."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn, Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_rds_engine_version import DataAwsRdsEngineVersion
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import (
    RdsClusterParameterGroup,
    RdsClusterParameterGroupParameter,
)
from cdktf_cdktf_provider_aws.rds_global_cluster import RdsGlobalCluster
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct

from constructs_lib.config import DatabaseSettings, EngineSelection
from constructs_lib.iam import service_trust
from constructs_lib.network import POSTGRES_PORT

ENGINE = "aurora-postgresql"
LOG_EXPORTS = ["postgresql"]
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
# Drift guards: minor versions move by themselves (auto minor upgrade); membership is managed
# by switchover/failover, so a later apply must never detach or re-attach a member.
PRIMARY_IGNORED = ["engine_version", "global_cluster_identifier"]
SECONDARY_IGNORED = ["engine_version", "global_cluster_identifier", "replication_source_identifier"]


@dataclass(frozen=True, kw_only=True)
class RegionalDatabaseInput:
    provider: AwsProvider
    region: str
    is_primary: bool
    subnet_ids: tuple[str, ...]
    availability_zones: tuple[str, ...]
    security_group_id: str
    kms_key_arn: str


@dataclass(frozen=True, kw_only=True)
class AuroraGlobalProps:
    name: str  # global cluster identifier, e.g. drkit-dev
    engine: EngineSelection
    database: DatabaseSettings
    protect: bool  # production: deletion protection, final snapshots, prevent_destroy
    regions: tuple[RegionalDatabaseInput, ...]  # primary first
    master_password: str  # token of an ephemeral, sensitive variable: used only in *_wo arguments
    master_password_version: float  # bump to rotate: write-only values are sent when this changes
    iam_provider: AwsProvider

    def __post_init__(self) -> None:
        if not self.regions or not self.regions[0].is_primary:
            raise ValueError(f"regions: the first entry must be the primary region, got {[r.region for r in self.regions]}")
        if sum(r.is_primary for r in self.regions) != 1:
            raise ValueError("regions: exactly one region must be primary")
        if self.database.instances_per_region < 1:
            raise ValueError(f"database.instances_per_region: must be at least 1, got {self.database.instances_per_region}")


@dataclass(frozen=True)
class RegionalCluster:
    region: str
    is_primary: bool
    cluster: RdsCluster
    instances: tuple[RdsClusterInstance, ...]
    secret: SecretsmanagerSecret

    @property
    def cluster_arn(self) -> str:
        return self.cluster.arn

    @property
    def cluster_identifier(self) -> str:
        return self.cluster.cluster_identifier

    @property
    def writer_endpoint(self) -> str:
        return self.cluster.endpoint

    @property
    def reader_endpoint(self) -> str:
        return self.cluster.reader_endpoint

    @property
    def secret_arn(self) -> str:
        return self.secret.arn


class AuroraGlobalConstruct(Construct):
    """Global cluster, a primary and N secondary clusters, instances, TLS-only parameters, secrets."""

    def __init__(self, scope: Construct, construct_id: str, props: AuroraGlobalProps) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        primary = props.regions[0]
        protect_lifecycle = TerraformResourceLifecycle(prevent_destroy=props.protect)
        self.monitoring_role = self._monitoring_role()
        self.engine_guards = [self._engine_guard(region) for region in props.regions]

        self.global_cluster = RdsGlobalCluster(
            self,
            "global_cluster",
            provider=primary.provider,
            global_cluster_identifier=props.name,
            engine=ENGINE,
            engine_version=props.engine.version,
            database_name=props.database.database_name,
            storage_encrypted=True,
            deletion_protection=props.protect,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=props.protect, ignore_changes=["engine_version"]),
            depends_on=self.engine_guards,
        )

        self.clusters: list[RegionalCluster] = []
        primary_instances: list[RdsClusterInstance] = []
        for region in props.regions:
            label = "primary" if region.is_primary else f"secondary_{region.region.replace('-', '_')}"
            identifier = f"{props.name}-{region.region}"
            subnet_group = DbSubnetGroup(
                self,
                f"{label}_subnet_group",
                provider=region.provider,
                name=identifier,
                description=f"Data-tier subnets of {identifier}",
                subnet_ids=list(region.subnet_ids),
            )
            parameter_group = RdsClusterParameterGroup(
                self,
                f"{label}_parameters",
                provider=region.provider,
                name=identifier,
                family=props.engine.parameter_group_family,
                description="drkit: TLS required, connection and statement logging",
                parameter=[
                    RdsClusterParameterGroupParameter(name="rds.force_ssl", value="1"),
                    RdsClusterParameterGroupParameter(name="log_connections", value="1"),
                    RdsClusterParameterGroupParameter(name="log_disconnections", value="1"),
                    # Schema changes and slow statements only: full query logs would copy card data into logs.
                    RdsClusterParameterGroupParameter(name="log_statement", value="ddl"),
                    RdsClusterParameterGroupParameter(name="log_min_duration_statement", value="1000"),
                ],
            )
            common = dict(
                provider=region.provider,
                cluster_identifier=identifier,
                engine=ENGINE,
                engine_version=props.engine.version,
                global_cluster_identifier=self.global_cluster.id,
                db_subnet_group_name=subnet_group.name,
                db_cluster_parameter_group_name=parameter_group.name,
                vpc_security_group_ids=[region.security_group_id],
                storage_encrypted=True,
                kms_key_id=region.kms_key_arn,
                backup_retention_period=props.database.backup_retention_days,
                preferred_backup_window="03:00-04:00",
                preferred_maintenance_window="sun:05:00-sun:06:00",
                copy_tags_to_snapshot=True,
                enabled_cloudwatch_logs_exports=LOG_EXPORTS,
                iam_database_authentication_enabled=True,
                deletion_protection=props.protect,
                port=POSTGRES_PORT,
            )
            if region.is_primary:
                cluster = RdsCluster(
                    self,
                    f"{label}_cluster",
                    **common,
                    master_username=props.database.master_username,
                    master_password_wo=props.master_password,
                    master_password_wo_version=props.master_password_version,
                    skip_final_snapshot=not props.protect,
                    final_snapshot_identifier=f"{identifier}-final" if props.protect else None,
                    lifecycle=TerraformResourceLifecycle(prevent_destroy=props.protect, ignore_changes=PRIMARY_IGNORED),
                )
            else:
                # A secondary joins after the primary has a writer; it has no credentials of its own.
                cluster = RdsCluster(
                    self,
                    f"{label}_cluster",
                    **common,
                    source_region=primary.region,
                    skip_final_snapshot=True,
                    lifecycle=TerraformResourceLifecycle(prevent_destroy=props.protect, ignore_changes=SECONDARY_IGNORED),
                    depends_on=list(primary_instances),
                )
            instances = tuple(
                RdsClusterInstance(
                    self,
                    f"{label}_instance_{index}",
                    provider=region.provider,
                    identifier=f"{identifier}-{index + 1}",
                    cluster_identifier=cluster.id,
                    engine=ENGINE,
                    instance_class=props.database.instance_class,
                    availability_zone=region.availability_zones[index % len(region.availability_zones)],
                    db_subnet_group_name=subnet_group.name,
                    publicly_accessible=False,
                    auto_minor_version_upgrade=True,
                    performance_insights_enabled=True,
                    performance_insights_kms_key_id=region.kms_key_arn,
                    performance_insights_retention_period=7,
                    monitoring_interval=60,
                    monitoring_role_arn=self.monitoring_role.arn,
                    copy_tags_to_snapshot=True,
                    lifecycle=protect_lifecycle,
                )
                for index in range(props.database.instances_per_region)
            )
            if region.is_primary:
                primary_instances = list(instances)
            secret = self._secret(label, identifier, region)
            self.clusters.append(
                RegionalCluster(region=region.region, is_primary=region.is_primary, cluster=cluster, instances=instances, secret=secret)
            )

        self.global_cluster_id: str = self.global_cluster.id
        self.global_cluster_arn: str = self.global_cluster.arn
        self.global_writer_endpoint: str = self.global_cluster.endpoint
        self.primary: RegionalCluster = self.clusters[0]
        self.secondaries: list[RegionalCluster] = self.clusters[1:]

    def _engine_guard(self, region: RegionalDatabaseInput) -> DataAwsRdsEngineVersion:
        """Make ``terraform plan`` refuse a version the live API no longer offers for global databases."""
        version = self._props.engine.version
        return DataAwsRdsEngineVersion(
            self,
            f"engine_guard_{region.region.replace('-', '_')}",
            provider=region.provider,
            engine=ENGINE,
            version=version,
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        condition="${self.supports_global_databases}",
                        error_message=(
                            f"{ENGINE} {version} does not support Aurora Global Database in {region.region}. "
                            "Choose another aurora_engine_version and run `make refresh-engine-versions`."
                        ),
                    )
                ]
            ),
        )

    def _monitoring_role(self) -> IamRole:
        trust = service_trust(self, "monitoring_trust", self._props.iam_provider, "monitoring.rds.amazonaws.com")
        role = IamRole(
            self,
            "monitoring_role",
            provider=self._props.iam_provider,
            name=f"{self._props.name}-rds-monitoring",
            assume_role_policy=trust.json,
        )
        IamRolePolicyAttachment(self, "monitoring_policy", provider=self._props.iam_provider, role=role.name, policy_arn=ENHANCED_MONITORING_POLICY)
        return role

    def _secret(self, label: str, identifier: str, region: RegionalDatabaseInput) -> SecretsmanagerSecret:
        props = self._props
        secret = SecretsmanagerSecret(
            self,
            f"{label}_master_secret",
            provider=region.provider,
            name=f"{identifier}/master-credentials",
            description="Aurora master credentials; the value is written once through a write-only argument",
            kms_key_id=region.kms_key_arn,
            recovery_window_in_days=30 if props.protect else 0,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=props.protect),
        )
        SecretsmanagerSecretVersion(
            self,
            f"{label}_master_secret_value",
            provider=region.provider,
            secret_id=secret.id,
            secret_string_wo=Fn.jsonencode(
                {
                    "engine": "postgres",
                    "username": props.database.master_username,
                    "password": props.master_password,
                    "host": self.global_cluster.endpoint,
                    "port": POSTGRES_PORT,
                    "dbname": props.database.database_name,
                }
            ),
            secret_string_wo_version=props.master_password_version,
        )
        return secret
