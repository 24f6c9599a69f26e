"""The configuration model: every setting with its default, its reader and a one-line description.

Each setting is a dataclass field declared with :func:`setting`; the loader reads the field's
JSON key with the field's reader and default, so a setting's default and description live here
and nowhere else (the README's settings table is generated from this module and checked by a
test). Cross-field rules of a section are in its ``__post_init__`` and raise
:class:`SettingError` naming the field; the loader adds the section's path.

Nothing here imports cdktf: tools and tests load configuration in milliseconds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from constructs_lib.config.readers import (
    ACCOUNT_ID,
    BUCKET,
    CRON,
    EC2_TYPE,
    EMAIL,
    EXTERNAL_ID,
    HTTPS_URL,
    IAM_PRINCIPAL,
    IAM_ROLE,
    IAM_TAG_KEY,
    IAM_TAG_VALUE,
    INSTANCE_CLASS,
    K8S_VERSION,
    NAME,
    SQL_NAME,
    TABLE_NAME,
    URL,
    ZONE_NAME,
    ConfigError,
    Parser,
    Section,
    as_any_cidr,
    as_bool,
    as_enum,
    as_int,
    as_list,
    as_positive_number,
    as_principal_arn_pattern,
    as_region,
    as_str,
    as_string_map,
)
from constructs_lib.engine_catalog import version_key
from constructs_lib.naming import Names
from constructs_lib.rto import PROMOTION_ALLOWANCE_SECONDS, RecoveryBudget
from functions.failover.contract import FailoverMode
from functions.writer_probe.contract import PROBE_INTERVALS

PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod"})
LOCAL_ENVIRONMENT = "local"
RESERVED_TAGS = frozenset({"Environment", "Project", "DR-Role", "ManagedBy"})
# Lambda keeps at least this much concurrency unreserved per region ("You can reserve up to the
# Unreserved account concurrency value minus 100", Lambda developer guide, configuration-concurrency).
ENGINE_KEYS = ("aurora_engine_major", "aurora_engine_version")
LAMBDA_UNRESERVED_MINIMUM = 100
RUNBOOK_RESERVED_CONCURRENCY = 1  # one DR operation at a time per region
# Every cluster's daily windows (UTC). They must not overlap each other (RDS API, PreferredBackupWindow: "Must not
# conflict with the preferred maintenance window"); AWS Backup's default schedule starts after both (policy DRK010).
AURORA_BACKUP_WINDOW = "03:00-04:00"
AURORA_MAINTENANCE_WINDOW = "sun:05:00-sun:06:00"
# The writer probe: one run a minute is the schedule; a second lets a late run overlap the next one
# instead of being throttled (a throttled probe is a missing datapoint, which decides nothing).
PROBE_RESERVED_CONCURRENCY = 2


def is_production(environment: str) -> bool:
    """Production protects stateful resources; every other environment is destroyable."""
    return environment in PRODUCTION_ENVIRONMENTS


class SettingError(ValueError):
    """A rule between settings of one section is broken; ``field`` names the setting to blame."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


# --------------------------------------------------------------------------- defaults


@dataclass(frozen=True)
class Context:
    """What a default may depend on."""

    name: str  # the environment's key in the configuration
    production: bool
    regions: tuple[str, ...]  # primary first


class _Required:
    def __repr__(self) -> str:
        return "required"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class ByEnvironment:
    production: Any
    other: Any

    def resolve(self, context: Context) -> Any:
        return self.production if context.production else self.other

    def describe(self) -> str:
        return f"{_show_default(self.production)} production / {_show_default(self.other)}"


@dataclass(frozen=True)
class Derived:
    function: Callable[[Context], Any]
    description: str

    def resolve(self, context: Context) -> Any:
        return self.function(context)

    def describe(self) -> str:
        return self.description


def _show_default(value: Any) -> str:
    if isinstance(value, StrEnum):
        return f"`{value.value}`"
    if isinstance(value, tuple):
        return f"`{list(value)}`".replace("'", '"')
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


@dataclass(frozen=True)
class Spec:
    """How one setting is read: description, reader, default (and its JSON keys when they differ)."""

    doc: str
    parse: Parser[Any] | None  # None: read by the loader's own code (a map keyed by region, ...)
    default: Any = REQUIRED
    keys: tuple[str, ...] = ()  # the JSON keys when not the field's name

    def resolve_default(self, context: Context) -> Any:
        if isinstance(self.default, (ByEnvironment, Derived)):
            return self.default.resolve(context)
        return self.default

    def describe_default(self) -> str:
        if self.default is REQUIRED:
            return "required"
        if self.default is None:
            return "—"
        if isinstance(self.default, (ByEnvironment, Derived)):
            return self.default.describe()
        return _show_default(self.default)


SPEC = "drkit.setting"
SECTION = "drkit.section"


def setting(doc: str, parse: Parser[Any] | None, default: Any = REQUIRED, keys: tuple[str, ...] = ()) -> Any:
    """A configuration field: read from the JSON key of the same name (or from ``keys``)."""
    return field(metadata={SPEC: Spec(doc, parse, default, keys)})


def section(doc: str) -> Any:
    """A nested object of settings (its type is the field's dataclass)."""
    return field(metadata={SECTION: doc})


# --------------------------------------------------------------------------- sections


class NatGateways(StrEnum):
    PER_AZ = "per_az"
    SINGLE = "single"


class VaultLock(StrEnum):
    NONE = "none"
    GOVERNANCE = "governance"  # removable by a principal with backup:DeleteBackupVaultLockConfiguration
    COMPLIANCE = "compliance"  # immutable once its grace time (changeable_for_days) has passed


class CapacityType(StrEnum):
    ON_DEMAND = "ON_DEMAND"
    SPOT = "SPOT"


@dataclass(frozen=True, kw_only=True)
class EngineSelection:
    """The aurora-postgresql version, validated against the global-database catalog."""

    version: str
    catalog_checked_on: str

    @property
    def major(self) -> int:
        return version_key(self.version)[0]

    @property
    def parameter_group_family(self) -> str:
        return f"aurora-postgresql{self.major}"


@dataclass(frozen=True, kw_only=True)
class DatabaseSettings:
    instance_class: str = setting("Aurora instance class", INSTANCE_CLASS, "db.r6g.large")
    instances_per_region: int = setting("instances per cluster (1–15), spread across AZs", as_int(1, 15), 2)
    backup_retention_days: int = setting(
        "automated backup retention in days (1–35): the point-in-time restore window", as_int(1, 35), ByEnvironment(35, 7)
    )
    global_db_rpo_seconds: int | None = setting(
        "Aurora's enforced RPO (`rds.global_db_rpo`, ≥ 20): commits block while no secondary is within it; blocks major-version upgrades while set",
        as_int(20, 2_147_483_647),
        None,
    )
    database_name: str = "transactions"
    master_username: str = "dbadmin"


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    nat_gateways: NatGateways = setting(
        "NAT gateways per region (`per_az` or `single`)", as_enum(NatGateways), ByEnvironment(NatGateways.PER_AZ, NatGateways.SINGLE)
    )
    flow_log_retention_days: int = setting("VPC flow-log retention in days", as_int(1, 3653), ByEnvironment(365, 30))
    availability_zone_ids: Mapping[str, tuple[str, ...]] = setting(
        'object keyed by region: the three AZ IDs (not names) the subnets use, e.g. `["use1-az1", "use1-az2", "use1-az4"]`',
        None,
        Derived(lambda c: None, "per region: its first three AZ IDs, skipping use1-az3, usw1-az2, cac1-az3, apne1-az3; none for us-west-1"),
    )
    availability_zones: int = 3


@dataclass(frozen=True, kw_only=True)
class DnsSettings:
    zone_name: str = setting(
        "private hosted zone for the failover records", ZONE_NAME, Derived(lambda c: Names(c.name).default_zone_name, "`<name>.drkit.internal`")
    )


@dataclass(frozen=True, kw_only=True)
class AlertSettings:
    emails: tuple[str, ...] = setting("e-mail subscriptions of every regional alert topic", as_list(EMAIL), ())
    https_endpoints: tuple[str, ...] = setting("HTTPS subscriptions of every regional alert topic", as_list(HTTPS_URL), ())


@dataclass(frozen=True, kw_only=True)
class DrOperationsSettings:
    external_id: str = setting("the `sts:ExternalId` DR operators present when they assume the DR role", EXTERNAL_ID)
    trusted_principals: tuple[str, ...] = setting(
        "IAM roles or users allowed to assume the DR role (production needs these or `trusted_principal_patterns`, and never "
        "the account root; elsewhere, with neither, the account root)",
        as_list(IAM_PRINCIPAL, max_items=20),
        (),
    )
    trusted_principal_patterns: tuple[str, ...] = setting(
        "ARN patterns (`*`, `?`) of IAM roles or users allowed to assume the DR role, for roles re-created with generated "
        "names (IAM Identity Center: `arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_<set>_*`): "
        "the trust names their account, only with `ArnLike` on `aws:PrincipalArn`",
        as_list(as_principal_arn_pattern, max_items=20),
        (),
    )
    require_mfa: bool = setting(
        "the trust policy requires `aws:MultiFactorAuthPresent`: an IAM user who assumes the role with an MFA code has it; a "
        "chained role session and an IAM Identity Center (SAML) session do not carry it, so with such principals nobody can "
        "assume the role",
        as_bool,
        False,
    )
    principal_tags: Mapping[str, str] = setting(
        "object of tag key to value the assuming principal (its user, or its role and session) must carry "
        "(`aws:PrincipalTag/<key>`; session tags override role tags, so not a control where the caller's own trust allows "
        "`sts:TagSession`)",
        as_string_map(IAM_TAG_KEY, IAM_TAG_VALUE, max_items=10),
        Derived(lambda c: {}, "`{}`"),
    )


@dataclass(frozen=True, kw_only=True)
class FailoverSettings:
    switchover_max_lag_seconds: float = setting(
        "the runbook refuses a switchover while the target's replication lag is above this", as_positive_number(3600), 5.0
    )
    detection_periods: int = setting("one-minute periods a writer must look dead from another region before DNS fails over", as_int(1, 10), 2)
    mode: FailoverMode = setting(
        "`manual`: a lost writer pages with the exact failover command; `automatic`: the runbook function in a surviving region "
        "fails over when the quorum of other regions says the writer is lost (safety rules: one per incident, never back, "
        "least-lag target within the RPO; three regions recommended)",
        as_enum(FailoverMode),
        FailoverMode.MANUAL,
    )
    probe_interval_seconds: int = setting(
        "seconds between two writer probes from each other region (10, 20 or 30: CloudWatch's high-resolution alarm periods)", as_int(10, 30), 10
    )
    lost_after_probes: int = setting(
        "probes in a row that must fail on both paths (data and control) before an observer says the writer is lost (2–10)", as_int(2, 10), 3
    )
    operator_response_seconds: int = setting(
        "`manual`: the operator's share of the recovery budget, from the page to the command (an assumption: measure it in drills)",
        as_int(0, 3600),
        180,
    )
    promotion_allowance_seconds: int = setting(
        "the recovery budget's allowance for Aurora's promotion of the target (an assumption: the Aurora User Guide says "
        '"within a few minutes", older AWS material "under a minute"; measure it in a drill on AWS and set it here)',
        as_int(10, 1800),
        PROMOTION_ALLOWANCE_SECONDS,
    )
    automation_dry_run: bool = setting("`automatic`: only record and page what the automation would have done", as_bool, False)

    def __post_init__(self) -> None:
        if self.probe_interval_seconds not in PROBE_INTERVALS:
            raise SettingError(
                "probe_interval_seconds",
                f"must be one of {', '.join(map(str, PROBE_INTERVALS))} (the periods CloudWatch allows for high-resolution alarms), "
                f"got {self.probe_interval_seconds}",
            )


@dataclass(frozen=True, kw_only=True)
class BackupSettings:
    enabled: bool = setting("AWS Backup of every member cluster, with cross-region copies", as_bool, True)
    schedule: str = setting(
        "backup schedule (an AWS Backup `cron(...)` expression, UTC); the default starts after the clusters' backup window "
        "(03:00–04:00) and maintenance window (Sunday 05:00–06:00)",
        CRON,
        "cron(0 7 * * ? *)",
    )
    start_window_minutes: int = setting(
        "minutes after the scheduled time within which a backup must start, else it is cancelled (AWS minimum 60)", as_int(60, 52_560_000), 60
    )
    completion_window_minutes: int = setting(
        "minutes after a backup starts within which it must complete, else AWS Backup cancels it; the default is the AWS Backup "
        "console's 7 days (a Terraform rule that names none gets the provider's 180 minutes)",
        as_int(60, 52_560_000),
        7 * 24 * 60,
    )
    retention_days: int = setting("retention of each backup in its own region's vault", as_int(1, 36500), ByEnvironment(35, 7))
    copy_retention_days: int = setting("retention of the copy in the next region's vault", as_int(1, 36500), ByEnvironment(35, 7))
    vault_lock: VaultLock = setting(
        "`compliance` (immutable after its grace time: cannot be undone), `governance` or `none`",
        as_enum(VaultLock),
        ByEnvironment(VaultLock.COMPLIANCE, VaultLock.NONE),
    )
    lock_min_retention_days: int = setting(
        "the vault lock's minimum retention (every backup and copy must keep at least this)", as_int(1, 36500), ByEnvironment(7, 1)
    )
    lock_max_retention_days: int = setting("the vault lock's maximum retention", as_int(1, 36500), ByEnvironment(3650, 365))
    lock_changeable_for_days: int = setting("grace time of a compliance lock before it becomes immutable (AWS minimum 3)", as_int(3, 36500), 3)

    def __post_init__(self) -> None:
        if self.vault_lock is VaultLock.NONE:
            return
        if self.lock_min_retention_days > self.lock_max_retention_days:
            raise SettingError(
                "lock_min_retention_days", f"{self.lock_min_retention_days} is more than lock_max_retention_days {self.lock_max_retention_days}"
            )
        for name in ("retention_days", "copy_retention_days"):
            value = getattr(self, name)
            if not self.lock_min_retention_days <= value <= self.lock_max_retention_days:
                raise SettingError(
                    name,
                    f"{value} is outside the vault lock's retention range {self.lock_min_retention_days}–{self.lock_max_retention_days} days "
                    "(AWS Backup refuses such a backup)",
                )


@dataclass(frozen=True, kw_only=True)
class ReconciledTable:
    """A table the reconciliation compares by primary key between the point-of-failure copy and the writer."""

    name: str
    primary_key: tuple[str, ...]
    updated_at: str | None  # a column set on every change; None: commit timestamps (track_commit_timestamp)


def as_reconciled_table(value: object, path: str) -> ReconciledTable:
    entry = Section(value, path)
    table = ReconciledTable(
        name=entry.get("name", TABLE_NAME, ""),
        primary_key=entry.get("primary_key", as_list(SQL_NAME, max_items=16, min_items=1), ()),
        updated_at=entry.get("updated_at", SQL_NAME, None),
    )
    entry.finish()
    for key, present in (("name", table.name), ("primary_key", table.primary_key)):
        if not present:
            raise ConfigError(f"{entry.child(key)}: required (the table's {'name' if key == 'name' else 'primary key columns'})")
    return table


@dataclass(frozen=True, kw_only=True)
class ReconcileSettings:
    tables: tuple[ReconciledTable, ...] = setting(
        "tables `drkit runbook reconcile` compares by primary key after a lossy failover: "
        '`[{"name": "public.payments", "primary_key": ["id"], "updated_at": "updated_at"}]` (without `updated_at`: commit timestamps, '
        "which need `track_commit_timestamp`); the differences become reviewable SQL, never executed",
        as_list(as_reconciled_table, max_items=200),
        (),
    )
    margin_seconds: int = setting(
        "how far before the divergence point the comparison starts (before the failover minus the target's last known lag, and before "
        "the newest commit the writer has by replication): clock skew and commits in flight",
        as_int(0, 86400),
        300,
    )
    snapshot_wait_minutes: int = setting(
        "once Aurora has rebuilt the old primary (an available secondary of the global cluster again), how long the monitor waits for "
        "its point-of-failure snapshot to be listed before paging that the lost commits are unrecoverable",
        as_int(5, 10080),
        60,
    )


@dataclass(frozen=True, kw_only=True)
class FaultInjectionSettings:
    enabled: bool = setting(
        "an AWS FIS experiment template that cuts the primary's app and data subnets off the network (run by `make gameday ENV=<env>`)",
        as_bool,
        True,
    )
    duration_minutes: int = setting("how long the experiment keeps the primary's subnets cut off", as_int(1, 720), 15)


@dataclass(frozen=True, kw_only=True)
class AppClusterSettings:
    enabled: bool = setting("one EKS cluster per region for the transaction services", as_bool, True)
    kubernetes_version: str = setting("EKS Kubernetes version", K8S_VERSION, "1.33")
    endpoint_public_access: bool = setting("public EKS API endpoint (needs `public_access_cidrs`)", as_bool, False)
    public_access_cidrs: tuple[str, ...] = setting("CIDRs allowed to reach a public EKS API endpoint", as_list(as_any_cidr), ())
    node_instance_types: tuple[str, ...] = setting("node instance types", as_list(EC2_TYPE, max_items=10, min_items=1), ("m6i.large",))
    node_min_size: int = setting("node group minimum size", as_int(0, 100), ByEnvironment(3, 1))
    node_desired_size: int = setting("node group desired size", as_int(0, 100), ByEnvironment(3, 1))
    node_max_size: int = setting("node group maximum size", as_int(1, 100), ByEnvironment(6, 2))
    capacity_type: CapacityType = setting("`ON_DEMAND` or `SPOT` nodes", as_enum(CapacityType), CapacityType.ON_DEMAND)
    admin_principal_arns: tuple[str, ...] = setting(
        "IAM roles or users given cluster-admin through EKS access entries (the DR role always gets edit access)",
        as_list(as_str(r"arn:aws:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}", "an IAM role or user ARN"), max_items=20),
        (),
    )

    def __post_init__(self) -> None:
        if not self.node_min_size <= self.node_desired_size <= self.node_max_size:
            raise SettingError(
                "node_desired_size",
                "must satisfy node_min_size <= node_desired_size <= node_max_size, "
                f"got {self.node_min_size} <= {self.node_desired_size} <= {self.node_max_size}",
            )
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise SettingError("public_access_cidrs", "required when endpoint_public_access is true (never 0.0.0.0/0 by default)")


# A Kubernetes workload the plan scales: `<namespace>/<deployment>` (namespace as the CloudFormation schema of
# AWS::ARCRegionSwitch::Plan allows it: ^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$; names are DNS subdomains).
K8S_WORKLOAD = as_str(r"[a-z0-9][a-z0-9-]{0,61}[a-z0-9]/[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?", "`<namespace>/<deployment>` in lower case")


@dataclass(frozen=True, kw_only=True)
class RegionSwitchSettings:
    """ARC Region switch plans (``constructs_lib/region_switch_plan.py``): one per pair {primary, secondary}."""

    enabled: bool = setting(
        "an ARC Region switch plan per pair {primary, secondary k}, deployed through Cloud Control and rehearsed by "
        "`make gameday ENGINE=arc`; AWS bills a fixed monthly fee per plan",
        as_bool,
        ByEnvironment(True, False),
    )
    manual_approval: bool = setting(
        "a manual approval step (the approver: the DR operations role) before each activation", as_bool, ByEnvironment(True, False)
    )
    triggers: bool = setting(
        "let the primary's writer-lost alarm (the writer is there and the region does not answer) start the first secondary's "
        "activation (off: an operator starts every execution)",
        as_bool,
        False,
    )
    eks_workloads: tuple[str, ...] = setting(
        "`<namespace>/<deployment>` the plan scales up in the activated region's EKS cluster (needs `app_clusters.enabled`)",
        as_list(K8S_WORKLOAD, max_items=20),
        (),
    )
    approval_role_arn: str | None = setting(
        "the IAM role whose sessions approve the manual approval step, in `account_id` (ARC: anyone with access to that role "
        "approves); unset: the DR operations role, which also starts executions, so the approval is a pause for "
        "confirmation and not a second person (production synth warns, DRK011)",
        IAM_ROLE,
        None,
    )


# --------------------------------------------------------------------------- the environment


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """One deployable environment: one stack ``dr-<name>``. Fields mirror the JSON keys."""

    name: str
    environment: str = setting(
        "value of the `Environment` tag; `production` (or `prod`) turns on protection (deletion protection, final snapshots, "
        "`prevent_destroy`); any other value is fully destroyable",
        NAME,
        Derived(lambda c: c.name, "the key"),
    )
    primary_region: str = setting("region of the writer at deploy time; a known commercial AWS region", as_region, "us-east-1")
    secondary_regions: tuple[str, ...] = setting("1–10 regions (Aurora's limit), no duplicates, not the primary", None, ("us-west-2",))
    vpc_cidrs: Mapping[str, ipaddress.IPv4Network] = setting(
        "object keyed by region; private IPv4, /16–/20, pairwise disjoint", None, Derived(lambda c: None, "`10.<n>.0.0/16` by region order")
    )
    engine: EngineSelection = setting(
        "`aurora_engine_major` picks the newest catalog version of that major; "
        "`aurora_engine_version` an exact one (must be in the global-database catalog)",
        None,
        Derived(lambda c: None, "newest version in the catalog"),
        keys=ENGINE_KEYS,
    )
    lag_alarm_threshold_seconds: float = setting("replication-lag alert threshold in seconds (> 0, ≤ 3600)", as_positive_number(3600), 5.0)
    monitor_reserved_concurrency: int = setting("reserved concurrency of the lag monitor (1–1000)", as_int(1, 1000), 5)
    lambda_concurrency_quota: int = setting(
        "the account's Lambda concurrency quota per region; drkit's reserved concurrency must leave 100 unreserved", as_int(100, 1_000_000), 1000
    )
    log_retention_days: int = setting("retention of the project's log groups in days", as_int(1, 3653), ByEnvironment(365, 30))
    dns_ttl_seconds: int = setting("TTL of the failover records (seconds)", as_int(1, 86400), 30)
    state_bucket: str = setting("S3 bucket of the Terraform state", BUCKET, "drkit-terraform-state")
    state_region: str = setting(
        "region of the state bucket; keep it out of the primary region so a primary outage leaves the stack plannable",
        as_region,
        Derived(lambda c: c.regions[1], "the first secondary region"),
    )
    tags: Mapping[str, str] = setting("extra tags; `Environment`, `Project`, `DR-Role`, `ManagedBy` are drkit's", None, Derived(lambda c: {}, "`{}`"))
    rto_target_seconds: int = setting(
        "recovery-time objective of the write path (`writer.<zone>`); synth fails when the recovery budget exceeds it", as_int(60, 86400), 300
    )
    aws_endpoint_url: str | None = setting("emulator endpoint; allowed only when `environment` is `local`", URL, None)
    account_id: str | None = setting(
        "the AWS account of the environment: the providers and the state backend refuse any other (required in production)", ACCOUNT_ID, None
    )
    deploy_role_arn: str | None = setting(
        "an IAM role in `account_id` that the providers and the state backend assume to deploy (session name `drkit-<name>`)", IAM_ROLE, None
    )
    database: DatabaseSettings = section("the Aurora clusters")
    network: NetworkSettings = section("VPCs")
    dns: DnsSettings = section("the private zone")
    alerts: AlertSettings = section("alert subscriptions")
    dr_operations: DrOperationsSettings = section("the DR operations role")
    failover: FailoverSettings = section("failover detection and the runbook's guards")
    backup: BackupSettings = section("AWS Backup: vaults, plans, cross-region copies, vault lock")
    fault_injection: FaultInjectionSettings = section("the real-AWS game day's experiment (AWS FIS)")
    app_clusters: AppClusterSettings = section("EKS per region")
    region_switch: RegionSwitchSettings = section("ARC Region switch plans")
    reconcile: ReconcileSettings = section("after a lossy failover: the point-of-failure snapshot and the reconciliation")

    @property
    def names(self) -> Names:
        return Names(self.name)

    @property
    def is_production(self) -> bool:
        return is_production(self.environment)

    @property
    def is_local(self) -> bool:
        return self.aws_endpoint_url is not None

    @property
    def regions(self) -> tuple[str, ...]:
        return (self.primary_region, *self.secondary_regions)

    @property
    def stack_name(self) -> str:
        return self.names.stack

    @property
    def state_key(self) -> str:
        return self.names.state_key(self.environment)

    @property
    def rpo_budget_seconds(self) -> float:
        """The RPO: Aurora's enforced ``rds.global_db_rpo`` when set, else the lag alarm threshold. The
        automation refuses a target whose last known lag is above it."""
        return float(self.database.global_db_rpo_seconds or self.lag_alarm_threshold_seconds)

    @property
    def recovery_budget(self) -> RecoveryBudget:
        failover = self.failover
        return RecoveryBudget(
            detection_periods=failover.detection_periods,
            dns_ttl_seconds=self.dns_ttl_seconds,
            rpo_seconds=self.rpo_budget_seconds,
            rpo_source="rds.global_db_rpo, enforced by Aurora" if self.database.global_db_rpo_seconds else "lag alarm threshold",
            rto_target_seconds=self.rto_target_seconds,
            mode=failover.mode,
            observers=len(self.regions) - 1,
            probe_interval_seconds=failover.probe_interval_seconds,
            lost_after_probes=failover.lost_after_probes,
            operator_response_seconds=failover.operator_response_seconds,
            promotion_seconds=failover.promotion_allowance_seconds,
        )


@dataclass(frozen=True, kw_only=True)
class Settings:
    source: str
    environments: tuple[EnvironmentConfig, ...] = ()

    def get(self, name: str) -> EnvironmentConfig:
        from constructs_lib.config.readers import ConfigError

        for env in self.environments:
            if env.name == name:
                return env
        raise ConfigError(f"{name}: no such environment (have: {', '.join(e.name for e in self.environments)})")
