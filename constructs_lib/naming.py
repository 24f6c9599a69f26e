"""Every derived name of drkit, written once.

Constructs, tools and tests build names through :class:`Names` (``Names("dev").cluster_id("us-east-1")``
is ``drkit-dev-us-east-1``); the Lambda functions receive the names they need through their
contract's environment variables. Renaming anything here renames AWS resources and Terraform
addresses' inputs: treat it as a migration.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.replication_monitor.contract import POINT_OF_FAILURE_PREFIX, PRESERVED_MARK, PRESERVED_STAMP_FORMAT

PROJECT_NAME = "drkit"
STACK_PREFIX = "dr-"


def resource_name(*parts: str, max_length: int = 63) -> str:
    """An AWS resource name such as ``drkit-dev-us-east-1-db`` (lower case, '-' separated)."""
    name = "-".join(p for p in parts if p).lower()
    return name[:max_length].rstrip("-")


def function_health_alarm(function_name: str, label: str) -> str:
    """The alarm on a function's own health (``errors``, ``throttles``, ``silent``), in its region."""
    return f"{function_name}-{label}"


def stack_name(environment_name: str) -> str:
    return f"{STACK_PREFIX}{environment_name}"


@dataclass(frozen=True)
class Names:
    """The names of one environment's resources; ``environment_name`` is the key in the configuration."""

    environment_name: str

    @property
    def prefix(self) -> str:
        """``drkit-<env>``: the global cluster and every environment-wide resource start with it."""
        return resource_name(PROJECT_NAME, self.environment_name)

    @property
    def stack(self) -> str:
        return stack_name(self.environment_name)

    @property
    def deploy_session(self) -> str:
        """The session name of the deploy role: CloudTrail shows drkit deployed it, and which environment."""
        return resource_name(PROJECT_NAME, self.environment_name)

    def state_key(self, environment: str) -> str:
        return f"{PROJECT_NAME}/{environment}/{self.stack}.tfstate"

    def regional(self, region: str) -> str:
        """``drkit-<env>-<region>``: VPC, key alias, EKS cluster and other per-region resources."""
        return resource_name(PROJECT_NAME, self.environment_name, region)

    def peering(self, requester_region: str, accepter_region: str) -> str:
        return resource_name(PROJECT_NAME, self.environment_name, requester_region, "to", accepter_region)

    # -- database
    @property
    def global_cluster_id(self) -> str:
        return self.prefix

    def cluster_id(self, region: str) -> str:
        return f"{self.prefix}-{region}"

    def cluster_arn(self, account_id: str, region: str) -> str:
        return f"arn:aws:rds:{region}:{account_id}:cluster:{self.cluster_id(region)}"

    def rds_arn(self, account_id: str, region: str, kind: str, suffix: str = "") -> str:
        """An RDS ARN of ``kind`` (cluster, db, subgrp, cluster-pg) named after the region's cluster."""
        return f"arn:aws:rds:{region}:{account_id}:{kind}:{self.cluster_id(region)}{suffix}"

    def global_cluster_arn(self, account_id: str) -> str:
        return f"arn:aws:rds::{account_id}:global-cluster:{self.global_cluster_id}"

    def database_log_group(self, region: str) -> str:
        """The group Aurora exports PostgreSQL logs to (created by drkit first, with retention and key)."""
        return f"/aws/rds/cluster/{self.cluster_id(region)}/postgresql"

    # -- alerts and monitoring
    @property
    def alert_topic(self) -> str:
        return f"{self.prefix}-alerts"

    def alert_topic_arn(self, account_id: str, region: str) -> str:
        return f"arn:aws:sns:{region}:{account_id}:{self.alert_topic}"

    @property
    def monitor_function(self) -> str:
        return f"{self.prefix}-replication-monitor"

    def monitor_health_alarm(self, label: str) -> str:
        """``errors``, ``throttles`` or ``silent``: the monitor's own health, in each region."""
        return function_health_alarm(self.monitor_function, label)

    def monitor_role(self, region: str) -> str:
        return f"{self.prefix}-{region}-replication-monitor"

    @property
    def monitor_state_parameter(self) -> str:
        return f"/{PROJECT_NAME}/{self.environment_name}/replication-monitor/state"

    @property
    def dashboard(self) -> str:
        return f"{self.prefix}-disaster-recovery"

    def writer_healthy_alarm(self, region: str) -> str:
        """The alarm (in another region) that says the writer in ``region`` is alive and replicating."""
        return f"{self.prefix}-writer-healthy-in-{region}"

    def lag_alarm(self, region: str) -> str:
        return f"{self.cluster_id(region)}-rpo-lag"

    # -- failover
    @property
    def runbook_function(self) -> str:
        return f"{self.prefix}-failover-runbook"

    def runbook_function_arn(self, account_id: str, region: str) -> str:
        return f"arn:aws:lambda:{region}:{account_id}:function:{self.runbook_function}"

    @property
    def dr_operations_role(self) -> str:
        return f"{self.prefix}-dr-operations"

    @property
    def dr_reconcile_policy_prefix(self) -> str:
        """The DR role's managed policies for ``reconcile`` are this and 1, 2, ... (``constructs_lib.point_of_failure``)."""
        return f"{self.dr_operations_role}-reconcile-"

    def dr_operations_role_arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{self.dr_operations_role}"

    @property
    def default_zone_name(self) -> str:
        return f"{self.environment_name}.{PROJECT_NAME}.internal"

    # -- after an unplanned failover: the point-of-failure snapshot, its preserved copy, the failover's marker
    def master_secret(self, region: str) -> str:
        """The Secrets Manager secret with the master credentials, in ``region`` (``aurora_global``)."""
        return f"{self.cluster_id(region)}/master-credentials"

    def master_secret_arns(self, account_id: str, region: str) -> str:
        """Its ARN pattern (Secrets Manager appends six random characters to a secret's name)."""
        return f"arn:aws:secretsmanager:{region}:{account_id}:secret:{self.master_secret(region)}-??????"

    def point_of_failure_snapshot_prefix(self, region: str) -> str:
        """What Aurora names the snapshot of the old primary's volume (the timestamp after it is not documented)."""
        return f"{POINT_OF_FAILURE_PREFIX}{self.cluster_id(region)}-"

    def preserved_snapshot_prefix(self, region: str) -> str:
        """``<cluster>-pof-``: a preserved copy is this and its source's creation time (``PRESERVED_STAMP_FORMAT``),
        shorter than a restore's name, so every environment whose restores fit has copies that fit."""
        return f"{self.cluster_id(region)}{PRESERVED_MARK}"

    @property
    def lossy_failover_parameter(self) -> str:
        """SSM parameter in every region: the runbook records each failover that allowed data loss in the target's."""
        return f"/{PROJECT_NAME}/{self.environment_name}/lossy-failovers"

    def lossy_failover_parameter_arn(self, account_id: str, region: str) -> str:
        return f"arn:aws:ssm:{region}:{account_id}:parameter{self.lossy_failover_parameter}"


RESTORE_MARK = "-restore-"  # restored clusters are named <cluster>-restore-<time> (tools/restore.py)
RESTORE_STAMP_FORMAT = PRESERVED_STAMP_FORMAT  # the <time> of a restored cluster's name
RESTORE_STAMP_LENGTH = 14
RDS_IDENTIFIER_MAX = 63  # DB cluster and instance identifiers: 1-63 characters (RDS API reference)


def database_record(zone_name: str) -> str:
    """``db.<zone>``: the failover record clients use (follows the writer through health checks)."""
    return f"db.{zone_name}"


def writer_record(zone_name: str) -> str:
    """``writer.<zone>``: the global writer endpoint under the zone's name."""
    return f"writer.{zone_name}"


def chain_record(zone_name: str, region: str) -> str:
    """The next link of the failover chain when there is more than one secondary."""
    return f"db-after-{region}.{zone_name}"


def failover_record_names(zone_name: str, regions: tuple[str, ...]) -> tuple[str, ...]:
    """Every name of the failover chain, ``db.<zone>`` first: one per member but the last."""
    return (database_record(zone_name), *(chain_record(zone_name, region) for region in regions[:-2]))


def reconcile_command(environment_name: str) -> str:
    """What on-call runs after a lossy failover (quoted in the monitor's pages; ``tools/reconcile``)."""
    return f"python -m tools.runbook reconcile --env {environment_name}"
