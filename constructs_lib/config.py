"""The configuration model: environments from ``cdktf.json`` (or ``$DR_CONFIG``), parsed once.

Every setting is read through a small typed reader that knows the setting's path, so each
problem is reported as one line naming the setting and the value received, e.g.::

    production.vpc_cidrs.us-west-2: '10.0.0.0/8' overlaps production.vpc_cidrs.us-east-1 '10.0.0.0/16'

Nothing here imports cdktf: tools and tests can load configuration in milliseconds.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, TypeVar

from constructs_lib.engine_catalog import EngineCatalog, load_catalog, version_key
from constructs_lib.regions import KNOWN_REGIONS, MAX_SECONDARY_REGIONS
from constructs_lib.rto import RecoveryBudget, recovery_budget

T = TypeVar("T")

DEFAULT_PRIMARY_REGION = "us-east-1"
DEFAULT_SECONDARY_REGIONS: tuple[str, ...] = ("us-west-2",)
PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod"})
LOCAL_ENVIRONMENT = "local"
RESERVED_TAGS = frozenset({"Environment", "Project", "DR-Role", "ManagedBy"})
PROJECT_NAME = "drkit"
DEFAULT_NODE_TYPES: tuple[str, ...] = ("m6i.large",)


class ConfigError(ValueError):
    """A configuration problem, worded as one line that names the setting and the value."""


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- readers

Parser = Callable[[object, str], T]
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class _Section:
    """An object-shaped setting whose keys are consumed one by one; leftovers are errors."""

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected an object, got {_show(raw)}")
        self.raw: dict[str, object] = raw
        self.path = path
        self._seen: set[str] = set()

    def child(self, key: str) -> str:
        if not _PLAIN_KEY.fullmatch(key):  # empty, spaces, unicode...: quote it so the path stays readable
            return f"{self.path}[{key!r}]" if self.path else repr(key)
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, parse: Parser[T], default: T) -> T:
        self._seen.add(key)
        if key not in self.raw or self.raw[key] is None:
            return default
        return parse(self.raw[key], self.child(key))

    def section(self, key: str) -> _Section:
        self._seen.add(key)
        return _Section(self.raw.get(key) or {}, self.child(key))

    def finish(self) -> None:
        unknown = sorted(set(self.raw) - self._seen, key=str)
        if unknown:
            known = ", ".join(sorted(self._seen))
            raise ConfigError(f"{self.child(str(unknown[0]))}: unknown setting (known here: {known})")


def as_int(low: int, high: int) -> Parser[int]:
    def parse(value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected a whole number, got {_show(value)}")
        if not low <= value <= high:
            raise ConfigError(f"{path}: must be between {low} and {high}, got {_show(value)}")
        return value

    return parse


def as_positive_number(high: float) -> Parser[float]:
    def parse(value: object, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {_show(value)}")
        if not 0 < value <= high:
            raise ConfigError(f"{path}: must be greater than 0 and at most {high:g}, got {_show(value)}")
        return float(value)

    return parse


def as_bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: expected true or false, got {_show(value)}")
    return value


def as_str(pattern: str, meaning: str) -> Parser[str]:
    compiled = re.compile(pattern)

    def parse(value: object, path: str) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ConfigError(f"{path}: expected {meaning}, got {_show(value)}")
        return value

    return parse


def as_list(item: Parser[T], *, max_items: int = 100) -> Parser[tuple[T, ...]]:
    def parse(value: object, path: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise ConfigError(f"{path}: expected a list, got {_show(value)}")
        if len(value) > max_items:
            raise ConfigError(f"{path}: at most {max_items} entries, got {len(value)}")
        return tuple(item(entry, f"{path}[{index}]") for index, entry in enumerate(value))

    return parse


def as_region(value: object, path: str) -> str:
    if not isinstance(value, str) or value not in KNOWN_REGIONS:
        raise ConfigError(f"{path}: unknown AWS region {_show(value)}")
    return value


def as_cidr(value: object, path: str) -> ipaddress.IPv4Network:
    if not isinstance(value, str):
        raise ConfigError(f"{path}: expected an IPv4 CIDR such as '10.0.0.0/16', got {_show(value)}")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ConfigError(f"{path}: {_show(value)} is not a valid IPv4 CIDR (for example '10.0.0.0/16')") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ConfigError(f"{path}: {_show(value)} is not an IPv4 CIDR; VPC primary CIDRs are IPv4")
    if not 16 <= network.prefixlen <= 20:
        raise ConfigError(
            f"{path}: {_show(value)} must have a prefix between /16 and /20 (AWS allows /16 at most; /20 leaves room for 9 subnets in 3 tiers)"
        )
    if not network.is_private:
        raise ConfigError(f"{path}: {_show(value)} is not a private (RFC 1918) range")
    return network


def as_enum(enum_type: type[Enum]) -> Parser[Any]:
    def parse(value: object, path: str) -> Any:
        choices = [member.value for member in enum_type]
        if value not in choices:
            raise ConfigError(f"{path}: expected one of {', '.join(map(str, choices))}, got {_show(value)}")
        return enum_type(value)

    return parse


NAME = as_str(r"[a-z][a-z0-9-]{0,19}", "a lower-case name of 1-20 letters, digits or '-'")
TAG_TEXT = as_str(r"[\w .:/=+@-]{1,256}", "tag text of 1-256 letters, digits, spaces or _.:/=+-@")
# S3 bucket names: 3-63 chars, lower case, digits, dots, hyphens, start/end alphanumeric.
BUCKET = as_str(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name (3-63 lower-case characters)")
URL = as_str(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?/?", "an http(s) URL such as 'http://127.0.0.1:4566'")
EMAIL = as_str(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", "an e-mail address")
HTTPS_URL = as_str(r"https://\S+", "an https:// URL")
IAM_PRINCIPAL = as_str(
    r"arn:aws:iam::\d{12}:(root|role/[\w+=,.@/-]{1,512}|user/[\w+=,.@/-]{1,512})",
    "an IAM principal ARN (arn:aws:iam::<account>:root, :role/<name> or :user/<name>)",
)
EXTERNAL_ID = as_str(r"[\w+=,.@:/-]{2,1224}", "an ExternalId of 2-1224 characters [\\w+=,.@:/-]")
INSTANCE_CLASS = as_str(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS instance class such as 'db.r6g.large'")
EC2_TYPE = as_str(r"[a-z][a-z0-9-]*\.[a-z0-9]+", "an EC2 instance type such as 'm6i.large'")
K8S_VERSION = as_str(r"1\.(2[89]|3[0-9])", "a Kubernetes minor version between 1.28 and 1.39, such as '1.33'")
ZONE_NAME = as_str(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", "a DNS zone name such as 'dr.internal'")


# --------------------------------------------------------------------------- the model


class NatGateways(StrEnum):
    PER_AZ = "per_az"
    SINGLE = "single"


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
    instance_class: str
    instances_per_region: int
    backup_retention_days: int
    database_name: str = "transactions"
    master_username: str = "dbadmin"


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    nat_gateways: NatGateways
    flow_log_retention_days: int
    availability_zones: int = 3


@dataclass(frozen=True, kw_only=True)
class AlertSettings:
    emails: tuple[str, ...]
    https_endpoints: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class DnsSettings:
    zone_name: str
    ttl_seconds: int


@dataclass(frozen=True, kw_only=True)
class DrOperationsSettings:
    trusted_principals: tuple[str, ...]  # empty: the account root
    external_id: str


@dataclass(frozen=True, kw_only=True)
class AppClusterSettings:
    enabled: bool
    kubernetes_version: str
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    node_instance_types: tuple[str, ...]
    node_min_size: int
    node_desired_size: int
    node_max_size: int
    capacity_type: CapacityType


@dataclass(frozen=True, kw_only=True)
class MonitoringSettings:
    lag_alarm_threshold_seconds: float
    reserved_concurrency: int
    log_retention_days: int


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """One deployable environment: one stack ``dr-<name>``."""

    name: str
    environment: str
    primary_region: str
    secondary_regions: tuple[str, ...]
    vpc_cidrs: Mapping[str, ipaddress.IPv4Network]
    engine: EngineSelection
    database: DatabaseSettings
    network: NetworkSettings
    monitoring: MonitoringSettings
    dns: DnsSettings
    alerts: AlertSettings
    dr_operations: DrOperationsSettings
    app_clusters: AppClusterSettings
    state_bucket: str
    state_region: str
    tags: Mapping[str, str]
    rto_target_seconds: int
    aws_endpoint_url: str | None = None

    @property
    def is_production(self) -> bool:
        """Production protects stateful resources; every other environment is destroyable."""
        return self.environment in PRODUCTION_ENVIRONMENTS

    @property
    def is_local(self) -> bool:
        return self.aws_endpoint_url is not None

    @property
    def recovery_budget(self) -> RecoveryBudget:
        return recovery_budget(self.dns.ttl_seconds, self.monitoring.lag_alarm_threshold_seconds, self.rto_target_seconds)

    @property
    def regions(self) -> tuple[str, ...]:
        return (self.primary_region, *self.secondary_regions)

    @property
    def stack_name(self) -> str:
        return f"dr-{self.name}"

    @property
    def state_key(self) -> str:
        return f"{PROJECT_NAME}/{self.environment}/{self.stack_name}.tfstate"


@dataclass(frozen=True, kw_only=True)
class Settings:
    source: str
    environments: tuple[EnvironmentConfig, ...] = field(default_factory=tuple)

    def get(self, name: str) -> EnvironmentConfig:
        for env in self.environments:
            if env.name == name:
                return env
        raise ConfigError(f"{name}: no such environment (have: {', '.join(e.name for e in self.environments)})")


# --------------------------------------------------------------------------- parsing


def _parse_regions(section: _Section) -> tuple[str, tuple[str, ...]]:
    primary = section.get("primary_region", as_region, DEFAULT_PRIMARY_REGION)
    secondaries = section.get("secondary_regions", as_list(as_region, max_items=MAX_SECONDARY_REGIONS), DEFAULT_SECONDARY_REGIONS)
    path = section.child("secondary_regions")
    if not secondaries:
        raise ConfigError(f"{path}: at least one secondary region is needed for disaster recovery, got []")
    seen = {primary: section.child("primary_region")}
    for index, region in enumerate(secondaries):
        if region in seen:
            raise ConfigError(f"{path}[{index}]: region {region!r} is listed twice (also {seen[region]})")
        seen[region] = f"{path}[{index}]"
    return primary, secondaries


def _parse_cidrs(section: _Section, regions: tuple[str, ...]) -> dict[str, ipaddress.IPv4Network]:
    inner = section.section("vpc_cidrs")
    cidrs: dict[str, ipaddress.IPv4Network] = {}
    for index, region in enumerate(regions):
        default = ipaddress.IPv4Network(f"10.{index}.0.0/16")
        cidrs[region] = inner.get(region, as_cidr, default)
    extra = sorted(set(inner.raw) - set(regions))
    if extra:
        raise ConfigError(f"{inner.child(extra[0])}: region is not part of this environment (regions: {', '.join(regions)})")
    ordered = list(cidrs.items())
    for i, (region_a, cidr_a) in enumerate(ordered):
        for region_b, cidr_b in ordered[i + 1 :]:
            if cidr_a.overlaps(cidr_b):
                raise ConfigError(
                    f"{inner.child(region_b)}: '{cidr_b}' overlaps {inner.child(region_a)} '{cidr_a}' (peered VPCs need disjoint ranges)"
                )
    return cidrs


def _parse_engine(section: _Section, catalog: EngineCatalog) -> EngineSelection:
    major = section.get("aurora_engine_major", as_int(9, 99), None)
    version = section.get("aurora_engine_version", as_str(r"\d{1,2}\.\d{1,2}(\.\d{1,2})?", "a version such as '16.6'"), None)
    where = f"{catalog.engine} catalog checked {catalog.checked_on}"
    if version is not None:
        path = section.child("aurora_engine_version")
        if version not in catalog.versions:
            same_major = catalog.versions_of(version_key(version)[0])
            hint = (
                f"supported {version_key(version)[0]}.x: {', '.join(same_major)}"
                if same_major
                else (f"supported majors: {', '.join(map(str, catalog.majors))}")
            )
            raise ConfigError(f"{path}: {version!r} does not support Aurora Global Database ({where}); {hint}")
        if major is not None and version_key(version)[0] != major:
            raise ConfigError(f"{path}: {version!r} is not a version of aurora_engine_major {major}")
        return EngineSelection(version=version, catalog_checked_on=catalog.checked_on)
    if major is not None and major not in catalog.majors:
        raise ConfigError(
            f"{section.child('aurora_engine_major')}: {major} has no version with Aurora Global Database "
            f"support ({where}); supported majors: {', '.join(map(str, catalog.majors))}"
        )
    return EngineSelection(version=catalog.newest(major), catalog_checked_on=catalog.checked_on)


def _parse_tags(section: _Section) -> dict[str, str]:
    inner = section.section("tags")
    tags: dict[str, str] = {}
    for key in list(inner.raw):
        path = inner.child(str(key))
        if key in RESERVED_TAGS:
            raise ConfigError(f"{path}: tag is set by drkit from the environment and cannot be overridden")
        TAG_TEXT(key, f"{path} (key)")
        tags[key] = inner.get(key, TAG_TEXT, "")
    inner.finish()
    return tags


def _parse_environment(name: str, raw: object, catalog: EngineCatalog) -> EnvironmentConfig:
    NAME(name, f"environments[{name!r}]")
    section = _Section(raw, name)
    environment = section.get("environment", NAME, name)
    production = environment in PRODUCTION_ENVIRONMENTS
    primary, secondaries = _parse_regions(section)
    regions = (primary, *secondaries)
    cidrs = _parse_cidrs(section, regions)
    engine = _parse_engine(section, catalog)

    db = section.section("database")
    database = DatabaseSettings(
        instance_class=db.get("instance_class", INSTANCE_CLASS, "db.r6g.large"),
        instances_per_region=db.get("instances_per_region", as_int(1, 15), 2),
        backup_retention_days=db.get("backup_retention_days", as_int(1, 35), 35 if production else 7),
    )
    db.finish()

    net = section.section("network")
    network = NetworkSettings(
        nat_gateways=net.get("nat_gateways", as_enum(NatGateways), NatGateways.PER_AZ if production else NatGateways.SINGLE),
        flow_log_retention_days=net.get("flow_log_retention_days", as_int(1, 3653), 365 if production else 30),
    )
    net.finish()

    monitoring = MonitoringSettings(
        lag_alarm_threshold_seconds=section.get("lag_alarm_threshold_seconds", as_positive_number(3600), 5.0),
        reserved_concurrency=section.get("monitor_reserved_concurrency", as_int(1, 1000), 5),
        log_retention_days=section.get("log_retention_days", as_int(1, 3653), 365 if production else 30),
    )

    dns_section = section.section("dns")
    dns = DnsSettings(
        zone_name=dns_section.get("zone_name", ZONE_NAME, f"{name}.drkit.internal"),
        ttl_seconds=section.get("dns_ttl_seconds", as_int(1, 86400), 60),
    )
    dns_section.finish()

    alert_section = section.section("alerts")
    alerts = AlertSettings(
        emails=alert_section.get("emails", as_list(EMAIL), ()),
        https_endpoints=alert_section.get("https_endpoints", as_list(HTTPS_URL), ()),
    )
    alert_section.finish()

    ops = section.section("dr_operations")
    external_id = ops.get("external_id", EXTERNAL_ID, "")
    if not external_id:
        raise ConfigError(f"{ops.child('external_id')}: required (the sts:ExternalId operators must present)")
    dr_operations = DrOperationsSettings(
        trusted_principals=ops.get("trusted_principals", as_list(IAM_PRINCIPAL, max_items=20), ()),
        external_id=external_id,
    )
    ops.finish()

    apps = section.section("app_clusters")
    node_min = apps.get("node_min_size", as_int(0, 100), 3 if production else 1)
    node_desired = apps.get("node_desired_size", as_int(0, 100), 3 if production else 1)
    node_max = apps.get("node_max_size", as_int(1, 100), 6 if production else 2)
    if not node_min <= node_desired <= node_max:
        raise ConfigError(
            f"{apps.child('node_desired_size')}: must satisfy node_min_size <= node_desired_size <= "
            f"node_max_size, got {node_min} <= {node_desired} <= {node_max}"
        )
    app_clusters = AppClusterSettings(
        enabled=apps.get("enabled", as_bool, True),
        kubernetes_version=apps.get("kubernetes_version", K8S_VERSION, "1.33"),
        endpoint_public_access=apps.get("endpoint_public_access", as_bool, False),
        public_access_cidrs=apps.get("public_access_cidrs", as_list(_as_any_cidr), ()),
        node_instance_types=apps.get("node_instance_types", as_list(EC2_TYPE, max_items=10), DEFAULT_NODE_TYPES),
        node_min_size=node_min,
        node_desired_size=node_desired,
        node_max_size=node_max,
        capacity_type=apps.get("capacity_type", as_enum(CapacityType), CapacityType.ON_DEMAND),
    )
    apps.finish()

    state_bucket = section.get("state_bucket", BUCKET, "drkit-terraform-state")
    state_region = section.get("state_region", as_region, primary)
    tags = _parse_tags(section)
    rto_target = section.get("rto_target_seconds", as_int(60, 86400), 300)
    endpoint = section.get("aws_endpoint_url", URL, None)
    if endpoint is not None and environment != LOCAL_ENVIRONMENT:
        raise ConfigError(
            f"{section.child('aws_endpoint_url')}: only the '{LOCAL_ENVIRONMENT}' environment may point at an "
            f"emulator, got {endpoint!r} for environment {environment!r}"
        )
    section.finish()
    budget = recovery_budget(dns.ttl_seconds, monitoring.lag_alarm_threshold_seconds, rto_target)
    if not budget.within_target:
        raise ConfigError(f"{section.child('rto_target_seconds')}: {rto_target} is less than the recovery budget: {budget.explain()}")
    return EnvironmentConfig(
        name=name,
        environment=environment,
        primary_region=primary,
        secondary_regions=secondaries,
        vpc_cidrs=cidrs,
        engine=engine,
        database=database,
        network=network,
        monitoring=monitoring,
        dns=dns,
        alerts=alerts,
        dr_operations=dr_operations,
        app_clusters=app_clusters,
        state_bucket=state_bucket,
        state_region=state_region,
        tags=tags,
        rto_target_seconds=rto_target,
        aws_endpoint_url=endpoint,
    )


def _as_any_cidr(value: object, path: str) -> str:
    if isinstance(value, str):
        try:
            return str(ipaddress.ip_network(value, strict=True))
        except ValueError:
            pass
    raise ConfigError(f"{path}: expected a CIDR such as '203.0.113.0/24', got {_show(value)}")


def parse_environments(document: object, *, source: str, only: tuple[str, ...] | None = None, catalog: EngineCatalog | None = None) -> Settings:
    """Parse the ``environments`` object (keyed by environment name) into typed settings."""
    catalog = catalog or load_catalog()
    if not isinstance(document, dict):
        raise ConfigError(f"environments: expected an object keyed by environment name, got {_show(document)}")
    if not document:
        raise ConfigError("environments: no environment is defined")
    names = list(document)
    if only:
        for wanted in only:
            if wanted not in document:
                raise ConfigError(f"DR_ENVIRONMENTS: {wanted!r} is not a configured environment (have: {', '.join(names)})")
        names = [n for n in names if n in only]
    environments = tuple(_parse_environment(str(name), document[name], catalog) for name in names)
    return Settings(source=source, environments=environments)


def _read_json(path: Path, label: str) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{label}: cannot read {str(path)!r} ({error.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{label}: {str(path)!r} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    except RecursionError:
        raise ConfigError(f"{label}: {str(path)!r} is nested too deeply") from None


def load_settings(project_dir: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Environments from ``$DR_CONFIG`` when set, else ``cdktf.json`` ``context.environments``.

    ``$DR_ENVIRONMENTS`` (comma-separated names) limits which environments are built.
    """
    env = os.environ if environ is None else environ
    only = tuple(n.strip() for n in env.get("DR_ENVIRONMENTS", "").split(",") if n.strip()) or None
    override = env.get("DR_CONFIG")
    if override:
        document = _read_json(Path(override), "DR_CONFIG")
        return parse_environments(document, source=f"DR_CONFIG={override}", only=only)
    cdktf_json = project_dir / "cdktf.json"
    document = _read_json(cdktf_json, "cdktf.json")
    context = document.get("context") if isinstance(document, dict) else None
    environments = context.get("environments") if isinstance(context, dict) else None
    if environments is None:
        raise ConfigError("cdktf.json: context.environments is missing")
    return parse_environments(environments, source="cdktf.json context.environments", only=only)
