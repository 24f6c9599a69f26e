"""AuroraGlobalConstruct: an Aurora PostgreSQL Global Database spanning the stack's regions.

Membership drift guards (``MEMBER_IGNORED``): the roles of the members change outside Terraform
(switchover, failover) and AWS then reports them on whichever cluster holds them now. In
hashicorp/aws 5.x, ``aws_rds_cluster`` reads ``replication_source_identifier`` back from
DescribeDBClusters, and an update that sets it to null calls ``PromoteReadReplicaDBCluster``
(``internal/service/rds/cluster.go``, resourceClusterUpdate; "Removing this attribute after creation
will promote the read replica to a standalone cluster. If DB Cluster is part of a Global Cluster,
use the lifecycle configuration block ignore_changes argument", website/docs/r/rds_cluster;
provider PR #40921); a change of ``global_cluster_identifier`` to null calls
``RemoveFromGlobalCluster``. A cluster created as the primary is demoted by a switchover, so
*every* member ignores both, whatever its role at deploy time: the first apply after a switchover
must never split the global database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cdktf import Fn, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
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

from constructs_lib.config.model import AURORA_BACKUP_WINDOW, AURORA_MAINTENANCE_WINDOW
from constructs_lib.iam import service_trust
from constructs_lib.network import POSTGRES_PORT
from constructs_lib.props import DEFAULT, DOC, check, is_token
from constructs_lib.regions import RegionRole

ENGINE = "aurora-postgresql"
LOG_EXPORTS = ["postgresql"]
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
# Minor versions move by themselves (auto minor upgrade); membership moves with switchover/failover.
MEMBER_IGNORED = ["engine_version", "global_cluster_identifier", "replication_source_identifier"]
# Aurora User Guide: a global database has a primary and up to 10 secondary regions, a cluster up to 15
# instances, automated backups 1-35 days, rds.global_db_rpo at least 20 s; RDS API reference for identifiers.
MAX_MEMBERS = 11
MAX_INSTANCES = 15
MAX_BACKUP_RETENTION = 35
MIN_GLOBAL_DB_RPO = 20
MIN_SUBNETS = 2
IDENTIFIER = re.compile(r"(?!.*--)[a-zA-Z][a-zA-Z0-9-]{0,62}(?<!-)")


@dataclass(frozen=True, kw_only=True)
class RegionalDatabaseInput:
    provider: AwsProvider = field(metadata={DOC: "the AWS provider of this member's region"})
    region: str = field(metadata={DOC: "the region of `provider`"})
    role: RegionRole = field(metadata={DOC: "the role at deploy time (`PRIMARY` first, then `SECONDARY`); switchover and failover change it later"})
    subnet_ids: tuple[str, ...] = field(metadata={DOC: "data-tier subnets of the DB subnet group, in at least two AZs"})
    availability_zones: tuple[str, ...] = field(metadata={DOC: "AZ names the instances are spread over, in order"})
    security_group_id: str = field(metadata={DOC: "the database security group (5432 from the clients)"})
    kms_key_arn: str = field(metadata={DOC: "this region's key: storage, Performance Insights, the log group and the secret"})
    cluster_identifier: str = field(metadata={DOC: "the member cluster's identifier; instances are `<identifier>-<n>`"})
    log_group_name: str | None = field(
        default=None,
        metadata={DOC: "the PostgreSQL log group, created here before the cluster", DEFAULT: "`/aws/rds/cluster/<cluster_identifier>/postgresql`"},
    )

    def __post_init__(self) -> None:
        check(
            len(self.subnet_ids) >= MIN_SUBNETS,
            "subnet_ids",
            f"a DB subnet group needs subnets in at least {MIN_SUBNETS} AZs, got {len(self.subnet_ids)}",
        )
        check(bool(self.availability_zones), "availability_zones", "at least one AZ for the instances")
        check(
            bool(IDENTIFIER.fullmatch(self.cluster_identifier)),
            "cluster_identifier",
            f"{self.cluster_identifier!r}: 1-63 letters, digits or hyphens, starting with a letter, no '--' and no hyphen at the end",
        )


@dataclass(frozen=True, kw_only=True)
class AuroraGlobalProps:
    global_cluster_identifier: str = field(metadata={DOC: "the global cluster's identifier (also the stem of the enhanced-monitoring role)"})
    engine_version: str = field(metadata={DOC: "an aurora-postgresql version with global-database support (there is no default: pick it)"})
    parameter_group_family: str = field(metadata={DOC: "the cluster parameter group family of that version (`aurora-postgresql17`)"})
    database_name: str = field(metadata={DOC: "the database created on the primary"})
    master_username: str = field(metadata={DOC: "the master user"})
    master_password: str = field(
        metadata={DOC: "a reference to a sensitive, ephemeral Terraform variable: used only in write-only arguments (`*_wo`), never stored in state"}
    )
    regions: tuple[RegionalDatabaseInput, ...] = field(metadata={DOC: "the members, the deploy-time primary first"})
    iam_provider: AwsProvider = field(metadata={DOC: "any provider of the stack, for the (global) enhanced-monitoring role"})
    master_password_version: float = field(
        default=1, metadata={DOC: "increase to send a new `master_password` (write-only values are sent when it changes)"}
    )
    instance_class: str = field(default="db.r6g.large", metadata={DOC: "instance class of every instance"})
    instances_per_region: int = field(default=2, metadata={DOC: "instances per member cluster (1 to 15), spread over its AZs"})
    backup_retention_days: int = field(default=7, metadata={DOC: "automated backup retention (1 to 35): the point-in-time restore window"})
    log_retention_days: int = field(default=30, metadata={DOC: "retention of the PostgreSQL log groups, in days"})
    protect: bool = field(
        default=False, metadata={DOC: "deletion protection, a final snapshot, `prevent_destroy` and a 30-day secret recovery window (production)"}
    )
    global_db_rpo_seconds: int | None = field(
        default=None,
        metadata={DOC: "Aurora's enforced RPO (`rds.global_db_rpo`, at least 20) on every member; commits block while no secondary is within it"},
    )
    engine_withdrawn_advice: str = field(
        default="plan an upgrade to a version that supports it.",
        metadata={DOC: "what the plan's warning advises when AWS no longer offers `engine_version` for global databases"},
    )
    parameter_group_description: str = field(
        default="TLS required, connection and statement logging", metadata={DOC: "description of every member's cluster parameter group"}
    )

    def __post_init__(self) -> None:
        roles = [r.role for r in self.regions]
        if not roles or roles[0] is not RegionRole.PRIMARY or roles.count(RegionRole.PRIMARY) != 1:
            raise ValueError(f"regions: exactly one primary region, listed first, is needed; got {[f'{r.region}:{r.role}' for r in self.regions]}")
        names = [r.region for r in self.regions]
        check(len(set(names)) == len(names), "regions", f"a region is listed twice: {names}")
        check(len(names) <= MAX_MEMBERS, "regions", f"Aurora allows a primary and up to {MAX_MEMBERS - 1} secondary regions, got {len(names)}")
        if self.instances_per_region < 1:
            raise ValueError(f"instances_per_region: must be at least 1, got {self.instances_per_region}")
        check(self.instances_per_region <= MAX_INSTANCES, "instances_per_region", f"at most {MAX_INSTANCES}, got {self.instances_per_region}")
        check(1 <= self.backup_retention_days <= MAX_BACKUP_RETENTION, "backup_retention_days", f"1 to 35, got {self.backup_retention_days}")
        check(self.log_retention_days >= 1, "log_retention_days", f"must be at least 1, got {self.log_retention_days}")
        if self.global_db_rpo_seconds is not None:
            check(
                self.global_db_rpo_seconds >= MIN_GLOBAL_DB_RPO,
                "global_db_rpo_seconds",
                f"at least {MIN_GLOBAL_DB_RPO}, got {self.global_db_rpo_seconds}",
            )
        check(
            is_token(self.master_password),
            "master_password",
            "pass a reference to a sensitive, ephemeral variable (TerraformVariable(...).string_value), not a literal: "
            "a literal would be written into the synthesized JSON",
        )


@dataclass(frozen=True)
class RegionalCluster:
    region: str
    role: RegionRole
    cluster: RdsCluster
    instances: tuple[RdsClusterInstance, ...]
    secret: SecretsmanagerSecret
    identifier: str  # known at synth time

    @property
    def cluster_arn(self) -> str:
        return self.cluster.arn

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
        for region in props.regions:
            self._engine_check(region)

        self.global_cluster = RdsGlobalCluster(
            self,
            "global_cluster",
            provider=primary.provider,
            global_cluster_identifier=props.global_cluster_identifier,
            engine=ENGINE,
            engine_version=props.engine_version,
            database_name=props.database_name,
            storage_encrypted=True,
            deletion_protection=props.protect,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=props.protect, ignore_changes=["engine_version"]),
        )

        self.clusters: list[RegionalCluster] = []
        primary_instances: list[RdsClusterInstance] = []
        for region in props.regions:
            is_primary = region.role is RegionRole.PRIMARY
            label = "primary" if is_primary else f"secondary_{region.region.replace('-', '_')}"
            identifier = region.cluster_identifier
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
                family=props.parameter_group_family,
                description=props.parameter_group_description,
                parameter=[
                    RdsClusterParameterGroupParameter(name="rds.force_ssl", value="1"),
                    RdsClusterParameterGroupParameter(name="log_connections", value="1"),
                    RdsClusterParameterGroupParameter(name="log_disconnections", value="1"),
                    # Schema changes and slow statements only: full query logs would copy card data into logs.
                    RdsClusterParameterGroupParameter(name="log_statement", value="ddl"),
                    RdsClusterParameterGroupParameter(name="log_min_duration_statement", value="1000"),
                    # Every member, whatever its role: the RPO must hold after a switchover too (Aurora User
                    # Guide, "Managing RPOs for Aurora PostgreSQL-based global databases").
                    *(
                        [
                            RdsClusterParameterGroupParameter(
                                name="rds.global_db_rpo", value=str(props.global_db_rpo_seconds), apply_method="immediate"
                            )
                        ]
                        if props.global_db_rpo_seconds is not None
                        else []
                    ),
                ],
            )
            # Aurora creates /aws/rds/cluster/<id>/postgresql itself when it is missing, with
            # "Never expire" retention and no customer key ("If a log group with the specified name
            # exists, Aurora uses that log group", Aurora User Guide, AuroraPostgreSQL.CloudWatch):
            # drkit creates it first and the cluster depends on it.
            log_group = CloudwatchLogGroup(
                self,
                f"{label}_log_group",
                provider=region.provider,
                name=region.log_group_name or f"/aws/rds/cluster/{identifier}/postgresql",
                retention_in_days=props.log_retention_days,
                kms_key_id=region.kms_key_arn,
            )
            common = dict(
                provider=region.provider,
                cluster_identifier=identifier,
                engine=ENGINE,
                engine_version=props.engine_version,
                global_cluster_identifier=self.global_cluster.id,
                db_subnet_group_name=subnet_group.name,
                db_cluster_parameter_group_name=parameter_group.name,
                vpc_security_group_ids=[region.security_group_id],
                storage_encrypted=True,
                kms_key_id=region.kms_key_arn,
                backup_retention_period=props.backup_retention_days,
                preferred_backup_window=AURORA_BACKUP_WINDOW,
                preferred_maintenance_window=AURORA_MAINTENANCE_WINDOW,
                copy_tags_to_snapshot=True,
                enabled_cloudwatch_logs_exports=LOG_EXPORTS,
                iam_database_authentication_enabled=True,
                deletion_protection=props.protect,
                port=POSTGRES_PORT,
            )
            lifecycle = TerraformResourceLifecycle(prevent_destroy=props.protect, ignore_changes=MEMBER_IGNORED)
            if is_primary:
                cluster = RdsCluster(
                    self,
                    f"{label}_cluster",
                    **common,
                    master_username=props.master_username,
                    master_password_wo=props.master_password,
                    master_password_wo_version=props.master_password_version,
                    skip_final_snapshot=not props.protect,
                    final_snapshot_identifier=f"{identifier}-final" if props.protect else None,
                    lifecycle=lifecycle,
                    depends_on=[log_group],
                )
            else:
                # A secondary joins after the primary has a writer; it has no credentials of its own.
                cluster = RdsCluster(
                    self,
                    f"{label}_cluster",
                    **common,
                    source_region=primary.region,
                    skip_final_snapshot=True,
                    lifecycle=lifecycle,
                    depends_on=[*primary_instances, log_group],
                )
            instances = tuple(
                RdsClusterInstance(
                    self,
                    f"{label}_instance_{index}",
                    provider=region.provider,
                    identifier=f"{identifier}-{index + 1}",
                    cluster_identifier=cluster.id,
                    engine=ENGINE,
                    instance_class=props.instance_class,
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
                for index in range(props.instances_per_region)
            )
            if is_primary:
                primary_instances = list(instances)
            secret = self._secret(label, identifier, region)
            self.clusters.append(
                RegionalCluster(region=region.region, role=region.role, cluster=cluster, instances=instances, secret=secret, identifier=identifier)
            )

        self.global_cluster_id: str = self.global_cluster.id
        self.global_cluster_arn: str = self.global_cluster.arn
        self.global_writer_endpoint: str = self.global_cluster.endpoint
        self.primary: RegionalCluster = self.clusters[0]
        self.secondaries: list[RegionalCluster] = self.clusters[1:]

    def _engine_check(self, region: RegionalDatabaseInput) -> None:
        """Warn on every plan when the live API no longer offers the version for global databases.

        A Terraform ``check`` block, not a postcondition: a check only warns, so a running stack
        whose version AWS has since withdrawn can still be planned (in an emergency above all).
        The data source reads deprecated versions too (``include_all``): AWS keeps a withdrawn version
        listed as deprecated, so the lookup keeps answering and the check (not an error) reports it.
        It is an ordinary data source, read during plan, because a data source scoped to a check block
        is re-read at every apply and shows in every plan (no plan would ever say "No changes").
        What it does not survive: the region's RDS API itself failing. Then this read fails the plan,
        as refreshing that region's clusters does anyway; an emergency plan of the surviving regions
        uses ``-target`` (a targeted plan reads only the data sources its targets depend on). Creating
        a cluster or changing its version while the check fails is refused by the plan review
        (``drkit/plan_review.py`` reads the check's result from the plan), and synth refuses any
        version outside the shipped catalog.
        """
        version = self._props.engine_version
        suffix = region.region.replace("-", "_")
        offered = DataAwsRdsEngineVersion(
            self, f"engine_offered_{suffix}", provider=region.provider, engine=ENGINE, version=version, include_all=True
        )
        TerraformStack.of(self).add_override(
            f"check.engine_version_{suffix}",
            {
                "assert": [
                    {
                        "condition": offered.supports_global_databases,
                        "error_message": (
                            f"{ENGINE} {version} no longer supports Aurora Global Database in {region.region}: " + self._props.engine_withdrawn_advice
                        ),
                    }
                ],
            },
        )

    def _monitoring_role(self) -> IamRole:
        trust = service_trust(self, "monitoring_trust", self._props.iam_provider, "monitoring.rds.amazonaws.com")
        role = IamRole(
            self,
            "monitoring_role",
            provider=self._props.iam_provider,
            name=f"{self._props.global_cluster_identifier}-rds-monitoring",
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
                    "username": props.master_username,
                    "password": props.master_password,
                    "host": self.global_cluster.endpoint,
                    "port": POSTGRES_PORT,
                    "dbname": props.database_name,
                }
            ),
            secret_string_wo_version=props.master_password_version,
        )
        return secret
