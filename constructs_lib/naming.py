"""Every derived name of drkit, written once.

Constructs, tools and tests build names through :class:`Names` (``Names("dev").cluster_id("us-east-1")``
is ``drkit-dev-us-east-1``); the Lambda functions receive the names they need through their
contract's environment variables. Renaming anything here renames AWS resources and Terraform
addresses' inputs: treat it as a migration.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    def dr_operations_role_arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{self.dr_operations_role}"

    # -- fast detection and the failover automation (issue #24)
    @property
    def probe_function(self) -> str:
        return f"{self.prefix}-writer-probe"

    def probe_role(self, region: str) -> str:
        return f"{self.prefix}-{region}-writer-probe"

    def probe_security_group(self, region: str) -> str:
        return f"{self.regional(region)}-writer-probe"

    def writer_lost_alarm(self, writer_region: str, observer_region: str) -> str:
        """The high-resolution alarm, in ``observer_region``, that says the writer in ``writer_region`` is lost
        as seen from there (both paths failed ``lost_after_probes`` times in a row). ``{writer}`` and
        ``{observer}`` as arguments give the template the runbook function reads."""
        return f"{self.prefix}-writer-lost-in-{writer_region}-seen-from-{observer_region}"

    @property
    def writer_lost_alarm_template(self) -> str:
        return self.writer_lost_alarm("{writer}", "{observer}")

    def writer_unreachable_alarm(self, writer_region: str, observer_region: str) -> str:
        """The page, in ``observer_region``, when no probe reached the writer's server for a minute (a peering
        partition does only this; a lost region does this and more)."""
        return f"{self.prefix}-writer-unreachable-in-{writer_region}-from-{observer_region}"

    @property
    def automation_latch_parameter(self) -> str:
        """The SSM parameter that latches one automatic failover until an operator re-arms (in every region)."""
        return f"/{PROJECT_NAME}/{self.environment_name}/failover/automation-latch"

    def automation_latch_arn(self, account_id: str, region: str) -> str:
        return f"arn:aws:ssm:{region}:{account_id}:parameter{self.automation_latch_parameter}"

    @property
    def default_zone_name(self) -> str:
        return f"{self.environment_name}.{PROJECT_NAME}.internal"


RESTORE_MARK = "-restore-"  # restored clusters are named <cluster>-restore-<time> (tools/restore.py)
RESTORE_STAMP_FORMAT = "%Y%m%d%H%M%S"  # the <time> of a restored cluster's name
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
