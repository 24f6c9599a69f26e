"""Every derived name of drkit, written once.

Constructs, tools and tests build names through :class:`Names` (``Names("dev").cluster_id("us-east-1")``
is ``drkit-dev-us-east-1``); the Lambda functions receive the names they need through their
contract's environment variables. Renaming anything here renames AWS resources and Terraform
addresses' inputs: treat it as a migration.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.regions import az_id_prefix
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

    def primary_lost_trigger_alarm(self, region: str) -> str:
        """The alarm (in another region) that says the writer is in ``region`` and ``region`` does not answer for it:
        the trigger of an ARC plan (``region_switch.triggers``). Not the probe's high-resolution writer-lost alarm
        (``writer_lost_alarm``), which invokes the runbook function."""
        return f"{self.prefix}-arc-trigger-writer-lost-in-{region}"

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

    def writer_control_path_alarm(self, writer_region: str, observer_region: str) -> str:
        """The page, in ``observer_region``, when for five minutes ``writer_region``'s RDS API has not answered
        for the writer while its server did: the quorum rests on one path."""
        return f"{self.prefix}-writer-api-down-in-{writer_region}-from-{observer_region}"

    @property
    def automation_latch_parameter(self) -> str:
        """The SSM parameter that latches one automatic failover until an operator re-arms (in every region)."""
        return f"/{PROJECT_NAME}/{self.environment_name}/failover/automation-latch"

    def automation_latch_arn(self, account_id: str, region: str) -> str:
        return f"arn:aws:ssm:{region}:{account_id}:parameter{self.automation_latch_parameter}"

    @property
    def default_zone_name(self) -> str:
        return f"{self.environment_name}.{PROJECT_NAME}.internal"

    # -- ARC Region switch
    def region_switch_plan(self, primary_region: str, secondary_region: str) -> str:
        """The plan of the pair {primary, secondary}: ``drkit-dev-use1-usw2`` (regions by their AZ-ID prefix;
        ARC plan names are 1-32 letters, digits and '-', API reference ``CreatePlan.name``)."""
        return f"{self.prefix}-{az_id_prefix(primary_region)}-{az_id_prefix(secondary_region)}"

    def region_switch_role(self, primary_region: str, secondary_region: str) -> str:
        """The execution role ARC assumes to run that plan's blocks."""
        return f"{self.region_switch_plan(primary_region, secondary_region)}-region-switch"

    @staticmethod
    def region_switch_plan_arns(account_id: str, plan_name: str) -> str:
        """Every ARN that plan can have: ``arn:aws:arc-region-switch::<account>:plan/<name>:<6 characters ARC chooses>``
        (API reference, ``Plan.arn`` pattern; no region: plans are global)."""
        return f"arn:aws:arc-region-switch::{account_id}:plan/{plan_name}:*"

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


# -- drkit's own words on what it deploys. The constructs take these as props with neutral defaults (a
# library names nothing after drkit); DrStack passes drkit's, so drkit's stacks keep every name and text.
FIS_EXPERIMENT_TAG = f"{PROJECT_NAME}-experiment"  # `drkit gameday` finds the FIS template by this tag
DATABASE_SECURITY_GROUP_DESCRIPTION = f"Aurora PostgreSQL: 5432 from the app subnets of every {PROJECT_NAME} VPC only"
PARAMETER_GROUP_DESCRIPTION = f"{PROJECT_NAME}: TLS required, connection and statement logging"
DR_ROLE_DESCRIPTION = f"Switchover/failover of the {PROJECT_NAME} global database and its DNS"
RUNBOOK_DESCRIPTION = f"{PROJECT_NAME} DR runbook: switchover / failover of the global database (invoked by the DR role)"
MONITOR_DESCRIPTION = f"Aurora Global Database replication-lag monitor ({PROJECT_NAME})"
ENGINE_WITHDRAWN_ADVICE = "plan an upgrade (aurora_engine_version) and run `make refresh-engine-versions`."


def flow_log_group(network_name: str) -> str:
    return f"/{PROJECT_NAME}/vpc-flow-logs/{network_name}"


def key_description(alias_name: str, region: str) -> str:
    return f"{PROJECT_NAME} data key for {alias_name} in {region}"


def failover_dns_name(environment: str) -> str:
    """Stem of the failover health checks' ``Name`` tags; ``environment`` is the ``Environment`` tag's value."""
    return f"{PROJECT_NAME}-{environment}"


def zone_comment(environment: str) -> str:
    return f"{PROJECT_NAME} {environment}: database failover records"


RESTORE_MARK = "-restore-"  # restored clusters are named <cluster>-restore-<time> (drkit/restore.py)
RESTORE_STAMP_FORMAT = PRESERVED_STAMP_FORMAT  # the <time> of a restored cluster's name
RESTORE_STAMP_LENGTH = 14
RDS_IDENTIFIER_MAX = 63  # DB cluster and instance identifiers: 1-63 characters (RDS API reference)
REGION_SWITCH_PLAN_NAME_MAX = 32  # ARC Region switch plan names: 1-32 characters (API reference, CreatePlan.name)


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
    """What on-call runs after a lossy failover (quoted in the monitor's pages; ``drkit/reconcile``)."""
    return f"drkit runbook reconcile --env {environment_name}"
