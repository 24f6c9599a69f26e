"""RDS: global clusters, their members and roles, engine versions, instance settings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from moto.rds import models as rds_models
from moto.rds import responses as rds_responses
from moto.rds.exceptions import RDSClientError

from constructs_lib.engine_catalog import load_catalog, version_key
from drkit_lab.emulator.patches.registry import patch


def _regional_backends(account_id: str) -> Iterator[rds_models.RDSBackend]:
    backends = rds_models.rds_backends[account_id]
    for region in list(backends.keys()):
        yield backends[region]


def find_global_cluster(account_id: str, identifier: str) -> rds_models.GlobalCluster | None:
    key = identifier.rsplit(":", maxsplit=1)[-1].lower()
    for backend in _regional_backends(account_id):
        if key in backend.global_clusters:
            return backend.global_clusters[key]
    return None


def find_member(global_cluster: rds_models.GlobalCluster, cluster_identifier: str) -> rds_models.DBCluster | None:
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


def set_writer(global_cluster: rds_models.GlobalCluster, writer: rds_models.DBCluster) -> None:
    """Make ``writer`` the writer; every other member replicates from it (and reports it)."""
    for member in global_cluster.members:
        member.is_writer = member is writer
        member.replication_source_identifier = None if member is writer else writer.db_cluster_arn
    # The writer moves to the front, as DescribeGlobalClusters lists it on AWS.
    global_cluster.members.sort(key=lambda c: not c.is_writer)


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
def global_cluster_database_name_and_tags() -> None:
    """AWS: a global cluster created with ``DatabaseName`` and ``Tags`` returns both
    (DescribeGlobalClusters; ListTagsForResource on ``arn:aws:rds::<account>:global-cluster:<id>``).

    moto drops both, so every re-plan would replace the global cluster and re-tag it.
    """
    original_create = rds_responses.RDSResponse.create_global_cluster
    original_lookup = rds_models.RDSBackend._get_resource_for_tagging

    def create(self: rds_responses.RDSResponse) -> Any:
        result = original_create(self)
        cluster = self.global_backend.global_clusters[self.params["GlobalClusterIdentifier"].lower()]
        cluster.database_name = self.params.get("DatabaseName")
        cluster.add_tags(self.params.get("Tags") or [])
        return result

    def lookup(self: rds_models.RDSBackend, arn: str) -> Any:
        if ":global-cluster:" in arn:
            return find_global_cluster(self.account_id, arn)
        return original_lookup(self, arn)

    rds_responses.RDSResponse.create_global_cluster = create  # type: ignore[method-assign]
    rds_models.RDSBackend._get_resource_for_tagging = lookup  # type: ignore[method-assign]
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
def secondary_reports_its_replication_source() -> None:
    """AWS: a secondary member of a global database reports the writer cluster as its
    ``ReplicationSourceIdentifier`` (DescribeDBClusters). That is why the provider documents
    ``ignore_changes = [replication_source_identifier]`` for global members (website/docs/r/rds_cluster:
    "If DB Cluster is part of a Global Cluster, use the lifecycle configuration block ignore_changes
    argument"; provider PR #40921: "Without this any additional run after the initial one will
    promote the secondary").

    moto reports none, so a configuration that forgets the guard plans "No changes" on the emulator
    and promotes (splits) the cluster on AWS.
    """
    original = rds_models.RDSBackend.create_db_cluster

    def create(self: rds_models.RDSBackend, kwargs: dict[str, Any]) -> Any:
        cluster = original(self, kwargs)
        global_id = getattr(cluster, "global_cluster_identifier", None)
        global_cluster = find_global_cluster(self.account_id, global_id) if global_id else None
        if global_cluster is not None and not cluster.is_writer:
            writer = next((m for m in global_cluster.members if m.is_writer), None)
            if writer is not None:
                cluster.replication_source_identifier = writer.db_cluster_arn
        return cluster

    rds_models.RDSBackend.create_db_cluster = create  # type: ignore[method-assign]


@patch
def cross_region_membership() -> None:
    """AWS: deleting a member cluster, or RemoveFromGlobalCluster, detaches it whatever its region.

    moto keeps global clusters in one regional backend and only detaches members deleted there,
    so destroying the global cluster afterwards fails with "is not empty" forever.
    """

    def remove_from_global_cluster(
        self: rds_models.RDSBackend, global_cluster_identifier: str, db_cluster_identifier: str
    ) -> rds_models.GlobalCluster | None:
        global_cluster = find_global_cluster(self.account_id, global_cluster_identifier)
        if global_cluster is None:
            return None
        member = find_member(global_cluster, db_cluster_identifier)
        if member is not None:
            global_cluster.members.remove(member)
            member.global_cluster_identifier = None
            member.is_writer = False
            member.replication_source_identifier = None
        return global_cluster

    original_delete = rds_models.RDSBackend.delete_db_cluster

    def delete_db_cluster(self: rds_models.RDSBackend, cluster_identifier: str, snapshot_name: str | None = None) -> Any:
        cluster = self.clusters.get(cluster_identifier)
        global_id = getattr(cluster, "global_cluster_identifier", None) if cluster else None
        if cluster is not None and not cluster.deletion_protection and global_id:
            remove_from_global_cluster(self, global_id, cluster.db_cluster_arn)
            cluster.replication_source_identifier = None  # detached: moto would look the source up again
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
    global_cluster = find_global_cluster(self.current_account, identifier)
    if global_cluster is None:
        raise RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found")
    member = find_member(global_cluster, target)
    if member is None:
        raise GlobalClusterMemberFault(f"{target} is not a member of global cluster {identifier}")
    if member.is_writer:
        raise GlobalClusterMemberFault(f"{target} is already the writer of global cluster {identifier}")
    if not allow_data_loss and member.engine_version != global_cluster.engine_version:
        raise GlobalClusterStateFault("Switchover requires every member to run the same engine version")
    from drkit_lab.emulator import hooks  # the data plane (real PostgreSQL) moves first, when one is attached

    hooks.writer_moved(global_cluster.global_cluster_identifier, member.db_cluster_identifier, allow_data_loss=allow_data_loss)
    if allow_data_loss:
        _rebuilt_after_failover(global_cluster, member)
    set_writer(global_cluster, member)
    return rds_responses.ActionResult({"GlobalCluster": global_cluster})


# Members an unplanned failover left to be rebuilt: cluster id -> when their rebuild started (wall time; None: its region
# is down, the rebuild starts when it returns). They report pending-resync for ``resync_seconds`` (read at each answer, so
# a test can end the resync by turning the knob down). Without a data plane, this is the whole model.
RESYNCING: dict[str, float | None] = {}


def _rebuilt_after_failover(global_cluster: rds_models.GlobalCluster, target: rds_models.DBCluster) -> None:
    """After FailoverGlobalCluster with AllowDataLoss every other member is rebuilt from the new writer; the old
    writer only once its region is back (Aurora user guide, "Recovering an Amazon Aurora global database from an
    unplanned outage": the old primary is added back as a secondary and resynchronized)."""
    from drkit_lab.emulator.control import STATE

    for member in global_cluster.members:
        if member is not target:
            region = member.db_cluster_arn.split(":")[3]
            RESYNCING[member.db_cluster_identifier] = None if region in STATE.down_regions else time.time()


def _region_returned(region: str) -> None:
    for identifier, started in list(RESYNCING.items()):
        if started is None and _region_of(identifier) == region:
            RESYNCING[identifier] = time.time()


def _region_of(identifier: str) -> str | None:
    for account in list(rds_models.rds_backends.keys()):
        for region, backend in rds_models.rds_backends[account].items():
            if identifier in backend.clusters:
                return str(region)
    return None


def synchronization_status(identifier: str) -> str:
    """``pending-resync`` while a rebuilt member catches up (the data plane's replica, or the modeled time), else ``connected``."""
    from drkit_lab.emulator import hooks
    from drkit_lab.emulator.knobs import KNOBS

    if identifier in RESYNCING:
        started = RESYNCING[identifier]
        if started is None or time.time() < started + KNOBS.resync_seconds:
            return "pending-resync"
    if hooks.synchronization(identifier) == "pending-resync":
        return "pending-resync"
    RESYNCING.pop(identifier, None)
    return "connected"


@patch
def members_report_their_synchronization() -> None:
    """AWS: DescribeGlobalClusters reports each member's ``SynchronizationStatus``, ``connected`` or ``pending-resync``
    (botocore rds 2014-10-31, GlobalClusterMember: "The status of synchronization of each Aurora DB cluster in the
    global cluster"; enum GlobalClusterMemberSynchronizationStatus). After an unplanned failover the members Aurora
    rebuilds from the new writer, the returning old primary among them, are ``pending-resync`` until they catch up.

    moto reports no such field, so a switchover back to a member still resynchronizing looked possible. The emulator
    reports ``pending-resync`` while the data plane's rebuilt replica has not caught up, and for ``resync_seconds``
    (``drkit_lab.emulator.knobs``) after the rebuild starts (at the failover, or when the region returns)."""
    from drkit_lab.emulator import hooks

    original = rds_models.GlobalCluster.global_cluster_members

    def members(self: rds_models.GlobalCluster) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = original.fget(self)  # type: ignore[attr-defined]
        by_arn = {m.db_cluster_arn: m for m in self.members}
        for member in found:
            cluster = by_arn.get(member["DBClusterArn"])
            member["SynchronizationStatus"] = synchronization_status(cluster.db_cluster_identifier) if cluster is not None else "connected"
        return found

    rds_models.GlobalCluster.global_cluster_members = property(members)  # type: ignore[assignment, method-assign]
    hooks.on_region_returned(_region_returned)


@patch
def switchover_and_failover() -> None:
    """AWS: SwitchoverGlobalCluster demotes the writer to a secondary and promotes the target,
    keeping the topology (API_SwitchoverGlobalCluster: "demotes the current primary cluster to a
    secondary (read-only) cluster, maintaining the original replication topology");
    FailoverGlobalCluster with ``AllowDataLoss`` promotes the target at once, and Aurora adds the
    old primary back as a secondary when its region returns (Aurora User Guide, "Managed failover").
    After either, the demoted cluster and every other secondary report the new writer as their
    ``ReplicationSourceIdentifier`` and the new writer reports none.

    moto implements neither. AWS completes them asynchronously in about a minute; the emulator
    completes them at once and keeps AWS's refusals (not a member, already the writer, versions).
    After a failover the emulator demotes the old primary at once, even while its region is down
    (nothing can observe that region until it returns); when it returns, it is what AWS makes of
    it: a read-only secondary of the new writer.
    """

    def switchover(self: rds_responses.RDSResponse) -> rds_responses.ActionResult:
        return _move_writer(self, allow_data_loss=False)

    def failover(self: rds_responses.RDSResponse) -> rds_responses.ActionResult:
        allow = str(self.params.get("AllowDataLoss", "false")).lower() == "true"
        switchover_requested = str(self.params.get("Switchover", "false")).lower() == "true"
        if allow and switchover_requested:
            raise RDSClientError("InvalidParameterCombination", "Specify either AllowDataLoss or Switchover, not both")
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
def members_have_a_data_plane() -> None:
    """Not an AWS behaviour but its consequence: an Aurora cluster holds a database. When the emulator
    runs with a data plane (``--dataplane``), every member of a global cluster is backed by a real
    PostgreSQL server (``drkit_lab.dataplane``): created with the cluster, removed with it. Without one,
    the hooks do nothing."""
    from drkit_lab.emulator import hooks

    original_create = rds_models.RDSBackend.create_db_cluster
    original_delete = rds_models.RDSBackend.delete_db_cluster

    def create(self: rds_models.RDSBackend, kwargs: dict[str, Any]) -> rds_models.DBCluster:
        cluster = original_create(self, kwargs)
        if cluster.global_cluster_identifier:
            global_cluster = find_global_cluster(self.account_id, cluster.global_cluster_identifier)
            # The API never returns the password (moto does not keep it either): the database gets it here.
            hooks.cluster_created(
                cluster,
                global_cluster.endpoint if global_cluster is not None else None,
                kwargs.get("master_user_password"),
                cluster.database_name or (getattr(global_cluster, "database_name", None) if global_cluster is not None else None),
            )
        return cluster

    def delete(self: rds_models.RDSBackend, cluster_identifier: str, snapshot_name: str | None = None) -> rds_models.DBCluster:
        cluster = original_delete(self, cluster_identifier, snapshot_name)
        hooks.cluster_deleted(cluster.db_cluster_identifier)
        return cluster

    rds_models.RDSBackend.create_db_cluster = create  # type: ignore[method-assign]
    rds_models.RDSBackend.delete_db_cluster = delete  # type: ignore[method-assign]


# What a restored cluster does not inherit from its source: membership of the global database, its
# role in it, its instances, its identity.
_NOT_RESTORED = frozenset(
    {"backend", "db_subnet_group", "vpc_security_group_ids", "global_cluster_identifier", "replication_source_identifier", "is_writer",
     "members", "tags", "url_identifier", "db_cluster_arn", "arn", "endpoint", "reader_endpoint"}
)  # fmt: skip


@patch
def point_in_time_restore() -> None:
    """AWS: RestoreDBClusterToPointInTime creates a new, standalone cluster from the source's backups,
    to a time inside the source's restorable window (``EarliestRestorableTime`` .. ``LatestRestorableTime``;
    outside it the API fails with InvalidRestoreFault), in the subnet group and security groups the
    request names (RDS API reference, RestoreDBClusterToPointInTime). The restored cluster is not a
    member of the source's global database and has no instances: they are created separately.

    moto copies every attribute of the source, its global-cluster membership and writer role
    included (the restore would join the global database), and accepts any time.

    A restore takes minutes to hours on AWS (the restored cluster is ``creating`` meanwhile), and moto's
    is instant: with ``restore_seconds`` (``drkit_lab.emulator.knobs``) the restored cluster stays
    ``creating`` that long, so the runbook's wait, its interruption and its resumption are rehearsed."""

    def restore(self: rds_models.RDSBackend, db_cluster_identifier: str, source_db_cluster_identifier: str, **request: Any) -> rds_models.DBCluster:
        import copy
        from datetime import UTC, datetime

        source = self.describe_db_clusters(db_cluster_identifier=source_db_cluster_identifier)[0]
        moment = request.pop("restore_to_time", None)
        latest = bool(request.pop("use_latest_restorable_time", False))
        request.pop("restore_type", None)
        earliest, newest = source.earliest_restorable_time, source.latest_restorable_time
        if moment is not None and not latest:
            when = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            start = earliest if earliest.tzinfo else earliest.replace(tzinfo=UTC)
            end = newest if newest.tzinfo else newest.replace(tzinfo=UTC)
            if not start <= when <= end:
                raise RDSClientError(
                    "InvalidRestoreFault",
                    f"RestoreToTime {when.isoformat()} is outside the restorable window of {source.db_cluster_identifier}: "
                    f"{start.isoformat()} .. {end.isoformat()}",
                )
        props: dict[str, Any] = {}
        for attribute, value in source.__dict__.items():
            name = attribute.lstrip("_")
            if name not in _NOT_RESTORED:
                props[name] = copy.copy(value)
        props.update(request)
        props["db_cluster_identifier"] = db_cluster_identifier
        # A restore keeps the source's master credentials; moto keeps none for a global member, and a
        # standalone cluster must have one: a placeholder it never returns.
        props.setdefault("master_user_password", "restored-credentials-of-the-source")
        restored = self.create_db_cluster(props)
        from drkit_lab.emulator.knobs import KNOBS

        restored.drkit_available_at = time.time() + KNOBS.restore_seconds
        return restored

    original_status = rds_models.DBCluster.status

    def status(self: rds_models.DBCluster) -> str:
        if getattr(self, "drkit_available_at", 0.0) > time.time():
            return "creating"
        return str(original_status.fget(self))  # type: ignore[attr-defined]

    rds_models.RDSBackend.restore_db_cluster_to_point_in_time = restore  # type: ignore[method-assign]
    rds_models.DBCluster.status = property(status, original_status.fset)  # type: ignore[assignment, method-assign]
