"""Emulator fidelity patches: where moto differs from AWS, make moto behave like AWS.

The stack is never weakened for the emulator. Each patch below names the AWS behaviour it
mirrors, is applied to the moto server process only (``tools.emulator.server``), and has a test
in ``tests/integration/test_emulator_patches.py``. ``apply_all()`` is idempotent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from moto.awslambda import models as lambda_models
from moto.ec2 import models as ec2_models
from moto.ec2.models import security_groups as ec2_sg_models
from moto.eks import models as eks_models
from moto.eks import responses as eks_responses
from moto.rds import models as rds_models
from moto.rds import responses as rds_responses
from moto.rds.exceptions import RDSClientError
from moto.route53 import models as route53_models
from moto.route53 import responses as route53_responses

from constructs_lib.engine_catalog import load_catalog, version_key

_APPLIED: list[str] = []
PATCHES: list[Callable[[], None]] = []


def patch(function: Callable[[], None]) -> Callable[[], None]:
    PATCHES.append(function)
    return function


def _regional_backends(account_id: str) -> Iterator[rds_models.RDSBackend]:
    backends = rds_models.rds_backends[account_id]
    for region in list(backends.keys()):
        yield backends[region]


def _find_global_cluster(account_id: str, identifier: str) -> rds_models.GlobalCluster | None:
    key = identifier.rsplit(":", maxsplit=1)[-1].lower()
    for backend in _regional_backends(account_id):
        if key in backend.global_clusters:
            return backend.global_clusters[key]
    return None


def _find_member(global_cluster: rds_models.GlobalCluster, cluster_identifier: str) -> rds_models.DBCluster | None:
    for member in global_cluster.members:
        if cluster_identifier in (member.db_cluster_arn, member.db_cluster_identifier):
            return member
    return None


class GlobalClusterStateFault(RDSClientError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidGlobalClusterStateFault", message)


class GlobalClusterMemberFault(RDSClientError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidDBClusterStateFault", message)


@patch
def describe_db_engine_versions() -> None:
    """AWS: DescribeDBEngineVersions lists engine versions with ``SupportsGlobalDatabases``.

    moto answers HTTP 500, and the provider's ``data "aws_rds_engine_version"`` retries forever.
    The emulator answers from the project's catalog, as AWS would for those versions.
    """

    def handler(self: rds_responses.RDSResponse) -> rds_responses.ActionResult:
        engine = self.params.get("Engine", "aurora-postgresql")
        wanted = self.params.get("EngineVersion")
        catalog = load_catalog()
        versions = [] if engine != catalog.engine else list(catalog.versions)
        if wanted:
            versions = [v for v in versions if v == wanted or v.startswith(f"{wanted}.")]
        rows = [
            {
                "Engine": engine,
                "EngineVersion": v,
                "DBParameterGroupFamily": f"aurora-postgresql{version_key(v)[0]}",
                "DBEngineDescription": "Aurora (PostgreSQL)",
                "DBEngineVersionDescription": f"Aurora PostgreSQL (Compatible with PostgreSQL {v})",
                "Status": "available",
                "SupportedEngineModes": ["provisioned"],
                "SupportsGlobalDatabases": True,
                "SupportsLogExportsToCloudwatchLogs": True,
                "ExportableLogTypes": ["postgresql"],
                "SupportsReadReplica": False,
                "SupportsParallelQuery": False,
            }
            for v in versions
        ]
        return rds_responses.ActionResult({"DBEngineVersions": rows})

    rds_responses.RDSResponse.describe_db_engine_versions = handler  # type: ignore[attr-defined]


@patch
def global_cluster_database_name() -> None:
    """AWS: a global cluster created with ``DatabaseName`` returns it in DescribeGlobalClusters.

    moto drops it, so every re-plan would replace the global cluster.
    """
    original = rds_responses.RDSResponse.create_global_cluster

    def create(self: rds_responses.RDSResponse) -> Any:
        result = original(self)
        cluster = self.global_backend.global_clusters[self.params["GlobalClusterIdentifier"].lower()]
        cluster.database_name = self.params.get("DatabaseName")
        return result

    rds_responses.RDSResponse.create_global_cluster = create  # type: ignore[method-assign]
    rds_models.GlobalCluster.database_name = None  # type: ignore[attr-defined]


@patch
def provisioned_cluster_scaling_info() -> None:
    """AWS: ``ScalingConfigurationInfo`` is returned only for serverless v1 clusters.

    moto returns an empty one for provisioned clusters, a perpetual diff on every plan.
    """

    def info(self: rds_models.DBCluster) -> dict[str, Any] | None:
        if self.engine_mode != "serverless":
            return None
        configuration = self.scaling_configuration or {}
        return {
            "MinCapacity": configuration.get("min_capacity"),
            "MaxCapacity": configuration.get("max_capacity"),
            "AutoPause": configuration.get("auto_pause"),
            "SecondsUntilAutoPause": configuration.get("seconds_until_auto_pause"),
            "TimeoutAction": configuration.get("timeout_action"),
            "SecondsBeforeTimeout": configuration.get("seconds_before_timeout"),
        }

    rds_models.DBCluster.scaling_configuration_info = property(info)  # type: ignore[assignment]


@patch
def cross_region_membership() -> None:
    """AWS: deleting a member cluster, or RemoveFromGlobalCluster, detaches it whatever its region.

    moto keeps global clusters in one regional backend and only detaches members deleted there,
    so destroying the global cluster afterwards fails with "is not empty" forever.
    """

    def remove_from_global_cluster(
        self: rds_models.RDSBackend, global_cluster_identifier: str, db_cluster_identifier: str
    ) -> rds_models.GlobalCluster | None:
        global_cluster = _find_global_cluster(self.account_id, global_cluster_identifier)
        if global_cluster is None:
            return None
        member = _find_member(global_cluster, db_cluster_identifier)
        if member is not None:
            global_cluster.members.remove(member)
            member.global_cluster_identifier = None
            member.is_writer = False
        return global_cluster

    original_delete = rds_models.RDSBackend.delete_db_cluster

    def delete_db_cluster(self: rds_models.RDSBackend, cluster_identifier: str, snapshot_name: str | None = None) -> Any:
        cluster = self.clusters.get(cluster_identifier)
        global_id = getattr(cluster, "global_cluster_identifier", None) if cluster else None
        if cluster is not None and not cluster.deletion_protection and global_id:
            remove_from_global_cluster(self, global_id, cluster.db_cluster_arn)
        return original_delete(self, cluster_identifier, snapshot_name)

    rds_models.RDSBackend.remove_from_global_cluster = remove_from_global_cluster  # type: ignore[method-assign]
    rds_models.RDSBackend.delete_db_cluster = delete_db_cluster  # type: ignore[method-assign]

    def response(self: rds_responses.RDSResponse) -> rds_responses.ActionResult:
        global_cluster = self.backend.remove_from_global_cluster(
            global_cluster_identifier=self.params["GlobalClusterIdentifier"],
            db_cluster_identifier=self.params["DbClusterIdentifier"],
        )
        return rds_responses.ActionResult({"GlobalCluster": global_cluster})

    rds_responses.RDSResponse.remove_from_global_cluster = response  # type: ignore[method-assign]


def _move_writer(self: rds_responses.RDSResponse, *, allow_data_loss: bool) -> rds_responses.ActionResult:
    params = self.params
    identifier = params["GlobalClusterIdentifier"]
    target = params["TargetDbClusterIdentifier"]
    global_cluster = _find_global_cluster(self.current_account, identifier)
    if global_cluster is None:
        raise RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found")
    member = _find_member(global_cluster, target)
    if member is None:
        raise GlobalClusterMemberFault(f"{target} is not a member of global cluster {identifier}")
    if member.is_writer:
        raise GlobalClusterMemberFault(f"{target} is already the writer of global cluster {identifier}")
    if not allow_data_loss and member.engine_version != global_cluster.engine_version:
        raise GlobalClusterStateFault("Switchover requires every member to run the same engine version")
    for candidate in global_cluster.members:
        candidate.is_writer = candidate is member
    # The writer moves to the front, as DescribeGlobalClusters lists it on AWS.
    global_cluster.members.sort(key=lambda c: not c.is_writer)
    return rds_responses.ActionResult({"GlobalCluster": global_cluster})


@patch
def switchover_and_failover() -> None:
    """AWS: SwitchoverGlobalCluster / FailoverGlobalCluster make the target secondary the writer.

    moto implements neither. AWS completes them asynchronously in about a minute; the emulator
    completes them at once and keeps AWS's refusals (not a member, already the writer).
    """

    def switchover(self: rds_responses.RDSResponse) -> rds_responses.ActionResult:
        return _move_writer(self, allow_data_loss=False)

    def failover(self: rds_responses.RDSResponse) -> rds_responses.ActionResult:
        allow = str(self.params.get("AllowDataLoss", "false")).lower() == "true"
        switchover_requested = str(self.params.get("Switchover", "false")).lower() == "true"
        if not allow and not switchover_requested:
            raise RDSClientError("InvalidParameterCombination", "FailoverGlobalCluster needs AllowDataLoss or Switchover")
        return _move_writer(self, allow_data_loss=allow)

    rds_responses.RDSResponse.switchover_global_cluster = switchover  # type: ignore[attr-defined]
    rds_responses.RDSResponse.failover_global_cluster = failover  # type: ignore[attr-defined]


_INSTANCE_MONITORING_FIELDS = (
    "monitoring_interval",
    "monitoring_role_arn",
    "performance_insights_enabled",
    "performance_insights_kms_key_id",
    "performance_insights_retention_period",
)


@patch
def instance_monitoring_settings() -> None:
    """AWS: DescribeDBInstances returns MonitoringInterval, MonitoringRoleArn and the
    Performance Insights settings an instance was created or modified with.

    moto ignores them, so every plan would try to turn enhanced monitoring and Performance
    Insights on again.
    """
    original_init = rds_models.DBInstance.__init__
    original_update = rds_models.DBInstance.update

    def remember(instance: rds_models.DBInstance, kwargs: dict[str, Any]) -> None:
        if kwargs.get("enable_performance_insights") is not None:  # the request's name for it
            instance.performance_insights_enabled = kwargs["enable_performance_insights"]  # type: ignore[attr-defined]
        for name in _INSTANCE_MONITORING_FIELDS:
            if kwargs.get(name) is not None:
                setattr(instance, name, kwargs[name])

    def init(self: rds_models.DBInstance, *args: Any, **kwargs: Any) -> None:
        for name in _INSTANCE_MONITORING_FIELDS:
            setattr(self, name, None)
        original_init(self, *args, **kwargs)
        remember(self, kwargs)
        if self.monitoring_interval is None:  # type: ignore[attr-defined]
            self.monitoring_interval = 0  # type: ignore[attr-defined]

    def update(self: rds_models.DBInstance, **kwargs: Any) -> Any:
        remember(self, kwargs)
        return original_update(self, **kwargs)

    rds_models.DBInstance.__init__ = init  # type: ignore[method-assign]
    rds_models.DBInstance.update = update  # type: ignore[method-assign]


@patch
def global_cluster_tags() -> None:
    """AWS: global clusters are taggable (CreateGlobalCluster ``Tags``, ListTagsForResource and
    AddTagsToResource on the ``arn:aws:rds::<account>:global-cluster:<id>`` ARN).

    moto ignores the tags, so the provider's default tags show up as a change on every plan.
    """
    original_create = rds_responses.RDSResponse.create_global_cluster
    original_lookup = rds_models.RDSBackend._get_resource_for_tagging

    def create(self: rds_responses.RDSResponse) -> Any:
        result = original_create(self)
        cluster = self.global_backend.global_clusters[self.params["GlobalClusterIdentifier"].lower()]
        cluster.add_tags(self.params.get("Tags") or [])
        return result

    def lookup(self: rds_models.RDSBackend, arn: str) -> Any:
        if ":global-cluster:" in arn:
            return _find_global_cluster(self.account_id, arn)
        return original_lookup(self, arn)

    rds_responses.RDSResponse.create_global_cluster = create  # type: ignore[method-assign]
    rds_models.RDSBackend._get_resource_for_tagging = lookup  # type: ignore[method-assign]


POWERTOOLS_LAYER_ACCOUNT = "017000801446"


@patch
def aws_published_layers() -> None:
    """AWS: the Powertools for AWS Lambda layers (account 017000801446) are public in every
    commercial region, so any account can attach them.

    moto knows only layers published inside the emulator and rejects the function.
    """
    original = lambda_models.LambdaFunction._get_layers_data

    def layers(self: lambda_models.LambdaFunction, arns: list[str]) -> list[dict[str, Any]]:
        public = [arn for arn in arns if arn.split(":")[4] == POWERTOOLS_LAYER_ACCOUNT]
        own = [arn for arn in arns if arn not in public]
        return [*original(self, own), *({"Arn": arn, "CodeSize": 0} for arn in public)]

    lambda_models.LambdaFunction._get_layers_data = layers  # type: ignore[method-assign]


@patch
def cloudwatch_metric_health_checks() -> None:
    """AWS: a CLOUDWATCH_METRIC health check returns its AlarmIdentifier and
    InsufficientDataHealthStatus, and no IPAddress, Port, RequestInterval or FailureThreshold.

    moto drops the first two and invents defaults for the others (RequestInterval 30, Port 80),
    so the provider sees drift on every plan and replaces the health check.
    """
    original_create = route53_responses.Route53.create_health_check
    original_config = route53_models.HealthCheck.health_check_config.fget  # type: ignore[attr-defined]

    def create(self: route53_responses.Route53) -> Any:
        result = original_create(self)
        config = self._get_param("HealthCheckConfig")
        health_check = result.result["HealthCheck"]  # type: ignore[attr-defined]
        health_check.alarm_identifier = config.get("AlarmIdentifier")
        health_check.insufficient_data_health_status = config.get("InsufficientDataHealthStatus")
        return result

    def config(self: route53_models.HealthCheck) -> dict[str, Any]:
        if self.type_ != "CLOUDWATCH_METRIC":
            return dict(original_config(self))
        return {
            "Type": self.type_,
            "Inverted": self.inverted,
            "Disabled": self.disabled,
            "AlarmIdentifier": getattr(self, "alarm_identifier", None),
            "InsufficientDataHealthStatus": getattr(self, "insufficient_data_health_status", None),
        }

    route53_responses.Route53.create_health_check = create  # type: ignore[method-assign]
    route53_models.HealthCheck.health_check_config = property(config)  # type: ignore[assignment,method-assign]


@patch
def lambda_environment_key() -> None:
    """AWS: GetFunction(Configuration) returns ``KMSKeyArn`` when the environment variables are
    encrypted with a customer-managed key.

    moto accepts the key and forgets it, so every plan would set it again.
    """
    original_init = lambda_models.LambdaFunction.__init__
    original_config = lambda_models.LambdaFunction.get_configuration
    original_update = lambda_models.LambdaFunction.update_configuration

    def init(self: lambda_models.LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.kms_key_arn = spec.get("KMSKeyArn")  # type: ignore[attr-defined]

    def configuration(self: lambda_models.LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = dict(original_config(self, *args, **kwargs))
        if getattr(self, "kms_key_arn", None):
            config["KMSKeyArn"] = self.kms_key_arn  # type: ignore[attr-defined]
        return config

    def update(self: lambda_models.LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "KMSKeyArn" in config_updates:
            self.kms_key_arn = config_updates["KMSKeyArn"] or None  # type: ignore[attr-defined]
        return dict(original_update(self, config_updates))

    lambda_models.LambdaFunction.__init__ = init  # type: ignore[method-assign]
    lambda_models.LambdaFunction.get_configuration = configuration  # type: ignore[method-assign]
    lambda_models.LambdaFunction.update_configuration = update  # type: ignore[method-assign]


@patch
def hosted_zone_created_with_a_vpc_is_private() -> None:
    """AWS: CreateHostedZone with a ``VPC`` creates a private hosted zone (the provider sends no
    ``HostedZoneConfig.PrivateZone``, which is implied by the VPC).

    moto treats the zone as public unless ``PrivateZone`` is set, and then refuses to associate
    the other VPCs ("You're trying to associate a VPC with a public hosted zone").
    """
    original = route53_responses.Route53.create_hosted_zone

    def create(self: route53_responses.Route53) -> Any:
        result = original(self)
        vpc_id = self._get_param("VPC.VPCId")
        zone = result.result["HostedZone"]  # type: ignore[attr-defined]
        if vpc_id and not zone.private_zone:
            zone.private_zone = True
            self.backend.associate_vpc_with_hosted_zone(zone.id, vpc_id, self._get_param("VPC.VPCRegion"))
        return result

    route53_responses.Route53.create_hosted_zone = create  # type: ignore[method-assign]


@patch
def eks_cluster_security_group() -> None:
    """AWS: every EKS cluster gets a cluster security group (``eks-cluster-sg-<name>-...``) in
    its VPC, returned as ``resourcesVpcConfig.clusterSecurityGroupId`` and removed with the cluster.

    moto returns none, so a rule that lets the nodes reach the database has no group to name.
    """
    original_create = eks_models.EKSBackend.create_cluster
    original_delete = eks_models.EKSBackend.delete_cluster

    def create(self: eks_models.EKSBackend, name: str, role_arn: str, resources_vpc_config: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        cluster = original_create(self, name, role_arn, resources_vpc_config, *args, **kwargs)
        ec2 = ec2_models.ec2_backends[self.account_id][self.region_name]
        subnets = resources_vpc_config.get("subnetIds") or []
        if subnets and not cluster.resources_vpc_config.get("clusterSecurityGroupId"):
            vpc_id = ec2.get_subnet(subnets[0]).vpc_id
            group = ec2.create_security_group(
                f"eks-cluster-sg-{name}", "EKS created security group applied to ENI that is attached to EKS Control Plane", vpc_id
            )
            cluster.resources_vpc_config = {**cluster.resources_vpc_config, "clusterSecurityGroupId": group.id, "vpcId": vpc_id}
        return cluster

    def delete(self: eks_models.EKSBackend, name: str) -> Any:
        cluster = original_delete(self, name)
        group_id = (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")
        if group_id:
            ec2 = ec2_models.ec2_backends[self.account_id][self.region_name]
            with contextlib.suppress(Exception):  # a rule still naming it: AWS retries, the emulator lets it be
                ec2.delete_security_group(group_id=group_id)
        return cluster

    eks_models.EKSBackend.create_cluster = create  # type: ignore[method-assign]
    eks_models.EKSBackend.delete_cluster = delete  # type: ignore[method-assign]


@patch
def security_group_rule_description_for_group_references() -> None:
    """AWS: DescribeSecurityGroupRules returns the Description of a rule that references another
    security group, as it does for CIDR rules.

    moto reads the description from the CIDR range only, so a group-referencing rule loses it and
    every plan sets it again.
    """

    def description(self: ec2_sg_models.SecurityGroupRule) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    ec2_sg_models.SecurityGroupRule.description = property(description)  # type: ignore[assignment,method-assign]


@patch
def eks_node_group_settings() -> None:
    """AWS: a managed node group created without ``remoteAccess`` has none, and it keeps the
    ``updateConfig`` it was created with.

    moto invents ``{"ec2SshKey": "eksKeypair"}`` (forcing replacement on every plan, and
    suggesting SSH access that does not exist) and drops ``updateConfig`` at creation.
    """
    eks_models.DEFAULT_REMOTE_ACCESS = None  # type: ignore[assignment]
    original = eks_responses.EKSResponse.create_nodegroup

    def create(self: eks_responses.EKSResponse) -> Any:
        result = original(self)
        update_config = self._get_param("updateConfig")
        if update_config:
            result.result["nodegroup"].update_config = update_config  # type: ignore[attr-defined]
        return result

    eks_responses.EKSResponse.create_nodegroup = create  # type: ignore[method-assign]


@patch
def lambda_dead_letter_config() -> None:
    """AWS: GetFunctionConfiguration returns the ``DeadLetterConfig`` a function was given.

    moto drops it, so every plan would add the dead-letter target again.
    """
    original_init = lambda_models.LambdaFunction.__init__
    original_config = lambda_models.LambdaFunction.get_configuration
    original_update = lambda_models.LambdaFunction.update_configuration

    def init(self: lambda_models.LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.dead_letter_config = spec.get("DeadLetterConfig")  # type: ignore[attr-defined]

    def configuration(self: lambda_models.LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = dict(original_config(self, *args, **kwargs))
        if getattr(self, "dead_letter_config", None):
            config["DeadLetterConfig"] = self.dead_letter_config  # type: ignore[attr-defined]
        return config

    def update(self: lambda_models.LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = config_updates["DeadLetterConfig"] or None  # type: ignore[attr-defined]
        return dict(original_update(self, config_updates))

    lambda_models.LambdaFunction.__init__ = init  # type: ignore[method-assign]
    lambda_models.LambdaFunction.get_configuration = configuration  # type: ignore[method-assign]
    lambda_models.LambdaFunction.update_configuration = update  # type: ignore[method-assign]


def apply_all() -> list[str]:
    for function in PATCHES:
        if function.__name__ not in _APPLIED:
            function()
            _APPLIED.append(function.__name__)
    return list(_APPLIED)
