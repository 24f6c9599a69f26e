"""Read environments from ``cdktf.json`` (or ``$DR_CONFIG``) into the model, validating everything.

The generic part reads every :func:`~constructs_lib.config.model.setting` of a section with its
reader and default. What is not a plain value has its own function here: the region list, the
maps keyed by region, the engine version (two keys), tags, and the rules that span sections
(reserved concurrency against the quota, the recovery budget against the target).
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from constructs_lib.config.model import (
    ENGINE_KEYS,
    LAMBDA_UNRESERVED_MINIMUM,
    LOCAL_ENVIRONMENT,
    PROBE_RESERVED_CONCURRENCY,
    REQUIRED,
    RESERVED_TAGS,
    RUNBOOK_RESERVED_CONCURRENCY,
    SECTION,
    SPEC,
    Context,
    EngineSelection,
    EnvironmentConfig,
    SettingError,
    Settings,
    Spec,
    is_production,
)
from constructs_lib.config.readers import (
    AZ_ID,
    ENGINE_VERSION,
    NAME,
    TAG_TEXT,
    ConfigError,
    Section,
    as_int,
    as_list,
    as_region,
    as_vpc_cidr,
    child_path,
    show,
)
from constructs_lib.engine_catalog import EngineCatalog, load_catalog, version_key
from constructs_lib.naming import RDS_IDENTIFIER_MAX, REGION_SWITCH_PLAN_NAME_MAX, RESTORE_MARK, RESTORE_STAMP_LENGTH
from constructs_lib.regions import MAX_SECONDARY_REGIONS, POWERTOOLS_LAYER_REGIONS, az_id_prefix, default_az_ids

T = TypeVar("T")


def read_section(cls: type[T], raw: Section, context: Context, given: Mapping[str, Any] | None = None) -> T:
    """Every setting of ``cls`` from ``raw`` (``given`` supplies what the caller parsed itself)."""
    values: dict[str, Any] = dict(given or {})
    hints = get_type_hints(cls)
    for item in fields(cls):  # type: ignore[arg-type]
        if item.name in values:
            continue
        if SECTION in item.metadata:
            values[item.name] = read_section(hints[item.name], raw.section(item.name), context)
            continue
        spec: Spec | None = item.metadata.get(SPEC)
        if spec is None:
            continue  # a constant of the model, not a setting
        if spec.parse is None:
            raise TypeError(f"{cls.__name__}.{item.name} needs its own reader in the loader")
        default = spec.resolve_default(context)
        if spec.default is REQUIRED and not raw.has(item.name):
            raise ConfigError(f"{raw.child(item.name)}: required ({spec.doc})")
        values[item.name] = raw.get(item.name, spec.parse, default)
    raw.finish()
    try:
        return cls(**values)
    except SettingError as error:
        raise ConfigError(f"{raw.child(error.field)}: {error.message}") from None


def _parse_regions(raw: Section) -> tuple[str, tuple[str, ...]]:
    primary = raw.get("primary_region", as_region, "us-east-1")
    default_secondaries: tuple[str, ...] = ("us-west-2",)
    secondaries = raw.get("secondary_regions", as_list(as_region, max_items=MAX_SECONDARY_REGIONS), default_secondaries)
    path = raw.child("secondary_regions")
    if not secondaries:
        raise ConfigError(f"{path}: at least one secondary region is needed for disaster recovery, got []")
    seen = {primary: raw.child("primary_region")}
    for index, region in enumerate(secondaries):
        if region in seen:
            raise ConfigError(f"{path}[{index}]: region {region!r} is listed twice (also {seen[region]})")
        seen[region] = f"{path}[{index}]"
    for region, where in seen.items():
        if region not in POWERTOOLS_LAYER_REGIONS:
            raise ConfigError(
                f"{where}: {region!r} has no AWS-published Powertools for AWS Lambda layer, which the replication monitor "
                "needs (see POWERTOOLS_LAYER_REGIONS in constructs_lib/regions.py)"
            )
    return primary, secondaries


def _parse_by_region(raw: Section, key: str, regions: tuple[str, ...]) -> Section:
    inner = raw.section(key)
    extra = sorted(set(inner.raw) - set(regions))
    if extra:
        raise ConfigError(f"{inner.child(extra[0])}: region is not part of this environment (regions: {', '.join(regions)})")
    return inner


def _parse_cidrs(raw: Section, regions: tuple[str, ...]) -> dict[str, ipaddress.IPv4Network]:
    inner = _parse_by_region(raw, "vpc_cidrs", regions)
    cidrs = {region: inner.get(region, as_vpc_cidr, ipaddress.IPv4Network(f"10.{index}.0.0/16")) for index, region in enumerate(regions)}
    ordered = list(cidrs.items())
    for i, (region_a, cidr_a) in enumerate(ordered):
        for region_b, cidr_b in ordered[i + 1 :]:
            if cidr_a.overlaps(cidr_b):
                raise ConfigError(
                    f"{inner.child(region_b)}: '{cidr_b}' overlaps {inner.child(region_a)} '{cidr_a}' (peered VPCs need disjoint ranges)"
                )
    return cidrs


def _parse_az_ids(raw: Section, regions: tuple[str, ...], count: int) -> dict[str, tuple[str, ...]]:
    inner = _parse_by_region(raw, "availability_zone_ids", regions)
    chosen: dict[str, tuple[str, ...]] = {}
    for region in regions:
        path = inner.child(region)
        default = default_az_ids(region, count)
        ids = inner.get(region, as_list(AZ_ID, max_items=count, min_items=count), default)
        if ids is None:
            raise ConfigError(f"{path}: required for {region} (drkit has no default there: it offers fewer than {count} AZs to some accounts)")
        prefix = az_id_prefix(region)
        for index, zone in enumerate(ids):
            if not zone.startswith(f"{prefix}-"):
                raise ConfigError(f"{path}[{index}]: {zone!r} is not an AZ ID of {region} (they start with '{prefix}-')")
        if len(set(ids)) != len(ids):
            raise ConfigError(f"{path}: {list(ids)!r} lists an AZ twice; the three tiers need {count} different AZs")
        chosen[region] = tuple(ids)
    inner.finish()
    return chosen


def _parse_engine(raw: Section, catalog: EngineCatalog) -> EngineSelection:
    major_key, version_key_ = ENGINE_KEYS
    major = raw.get(major_key, as_int(9, 99), None)
    version = raw.get(version_key_, ENGINE_VERSION, None)
    where = f"{catalog.engine} catalog checked {catalog.checked_on}"
    if version is not None:
        path = raw.child(version_key_)
        if version not in catalog.versions:
            same_major = catalog.versions_of(version_key(version)[0])
            hint = (
                f"supported {version_key(version)[0]}.x: {', '.join(same_major)}"
                if same_major
                else (f"supported majors: {', '.join(map(str, catalog.majors))}")
            )
            raise ConfigError(f"{path}: {version!r} does not support Aurora Global Database ({where}); {hint}")
        if major is not None and version_key(version)[0] != major:
            raise ConfigError(f"{path}: {version!r} is not a version of {major_key} {major}")
        return EngineSelection(version=version, catalog_checked_on=catalog.checked_on)
    if major is not None and major not in catalog.majors:
        raise ConfigError(
            f"{raw.child(major_key)}: {major} has no version with Aurora Global Database "
            f"support ({where}); supported majors: {', '.join(map(str, catalog.majors))}"
        )
    return EngineSelection(version=catalog.newest(major), catalog_checked_on=catalog.checked_on)


def _parse_tags(raw: Section) -> dict[str, str]:
    inner = raw.section("tags")
    tags: dict[str, str] = {}
    for key in list(inner.raw):
        path = inner.child(str(key))
        if key in RESERVED_TAGS:
            raise ConfigError(f"{path}: tag is set by drkit from the environment and cannot be overridden")
        TAG_TEXT(key, f"{path} (key)")
        tags[key] = inner.get(key, TAG_TEXT, "")
    inner.finish()
    return tags


def _check_rules(env: EnvironmentConfig, raw: Section) -> None:
    """Rules that span settings; each error names the setting to change."""
    if env.aws_endpoint_url is not None and env.environment != LOCAL_ENVIRONMENT:
        raise ConfigError(
            f"{raw.child('aws_endpoint_url')}: only the '{LOCAL_ENVIRONMENT}' environment may point at an "
            f"emulator, got {env.aws_endpoint_url!r} for environment {env.environment!r}"
        )
    if env.is_production and env.account_id is None:
        raise ConfigError(f"{raw.child('account_id')}: required in production, so that no other account's credentials can plan or apply it")
    trusted = env.dr_operations.trusted_principals
    patterns = env.dr_operations.trusted_principal_patterns
    if env.is_production and ((not trusted and not patterns) or any(p.endswith(":root") for p in trusted)):
        # The account root in a trust policy trusts every principal of the account that may call sts:AssumeRole, and an
        # ExternalId is a confused-deputy control for third parties, not authentication ("AWS does not treat the external
        # ID as a secret", IAM User Guide, "Access to AWS accounts owned by third parties"). The account is trusted only
        # together with an aws:PrincipalArn pattern (trusted_principal_patterns).
        raise ConfigError(
            f"{child_path(raw.child('dr_operations'), 'trusted_principals')}: {list(trusted)} in production: name the on-call roles or "
            "users that may become the DR role, or their ARN patterns in trusted_principal_patterns (not the account root, which "
            "trusts anyone in the account who may assume roles)"
        )
    if env.region_switch.triggers and env.failover.mode.value == "automatic":
        # One mover per incident: an ARC plan started by its trigger and drkit's automation would both move the writer
        # (docs/region-switch.md, "Which to use when").
        raise ConfigError(
            f"{child_path(raw.child('region_switch'), 'triggers')}: true with failover.mode 'automatic': two automations would "
            "move the writer in one incident; choose one (region_switch.triggers false, or failover.mode manual)"
        )
    if env.deploy_role_arn is not None:
        role_account = env.deploy_role_arn.split(":")[4]
        if env.account_id is None or role_account != env.account_id:
            raise ConfigError(
                f"{raw.child('deploy_role_arn')}: {env.deploy_role_arn!r} is not a role of account_id {env.account_id!r} "
                "(set account_id to its account)"
            )
    reserved = env.monitor_reserved_concurrency + RUNBOOK_RESERVED_CONCURRENCY + PROBE_RESERVED_CONCURRENCY
    if env.lambda_concurrency_quota - reserved < LAMBDA_UNRESERVED_MINIMUM:
        raise ConfigError(
            f"{raw.child('monitor_reserved_concurrency')}: {env.monitor_reserved_concurrency} (+ {RUNBOOK_RESERVED_CONCURRENCY} for the runbook, "
            f"+ {PROBE_RESERVED_CONCURRENCY} for the writer probe) "
            f"leaves {env.lambda_concurrency_quota - reserved} of lambda_concurrency_quota {env.lambda_concurrency_quota} unreserved per region; "
            f"Lambda keeps at least {LAMBDA_UNRESERVED_MINIMUM} unreserved"
        )
    if env.database.global_db_rpo_seconds is not None and len(env.secondary_regions) < 2:
        raise ConfigError(
            f"{child_path(raw.child('database'), 'global_db_rpo_seconds')}: {env.database.global_db_rpo_seconds} needs at least two secondary "
            f"regions, got {len(env.secondary_regions)}: with one, losing it blocks every commit in the healthy primary "
            "(Aurora blocks commits while no secondary is within the RPO)"
        )
    longest = max(env.regions, key=lambda region: len(env.names.cluster_id(region)))
    restored = len(env.names.cluster_id(longest)) + len(RESTORE_MARK) + RESTORE_STAMP_LENGTH + len("-1")
    if restored > RDS_IDENTIFIER_MAX:
        raise ConfigError(
            f"{raw.path}: the environment name is {restored - RDS_IDENTIFIER_MAX} character(s) too long for a point-in-time restore: "
            f"{env.names.cluster_id(longest)}{RESTORE_MARK}<14-digit time>-1 must fit RDS's {RDS_IDENTIFIER_MAX}-character identifiers "
            "(and the DR role's *-restore-* permissions)"
        )
    _check_region_switch(env, raw)
    budget = env.recovery_budget
    if not budget.within_target:
        raise ConfigError(f"{raw.child('rto_target_seconds')}: {env.rto_target_seconds} is less than the recovery budget: {budget.explain()}")


def _check_region_switch(env: EnvironmentConfig, raw: Section) -> None:
    settings = env.region_switch
    path = raw.child("region_switch")
    if settings.eks_workloads and not (settings.enabled and env.app_clusters.enabled):
        raise ConfigError(f"{child_path(path, 'eks_workloads')}: needs region_switch.enabled and app_clusters.enabled (the plan scales them in EKS)")
    approver = settings.approval_role_arn
    if approver is not None and not (settings.enabled and settings.manual_approval):
        raise ConfigError(f"{child_path(path, 'approval_role_arn')}: needs region_switch.manual_approval (and enabled): it names that step's role")
    if approver is not None and env.account_id is not None and approver.split(":")[4] != env.account_id:
        # "The IAM role must be within the account that is the owner of the plan" (ARC developer guide, manual-approval-block).
        raise ConfigError(f"{child_path(path, 'approval_role_arn')}: the role must be in the plan's account {env.account_id}, got {approver}")
    if not settings.enabled:
        return
    longest = max((env.names.region_switch_plan(env.primary_region, s) for s in env.secondary_regions), key=len)
    if len(longest) > REGION_SWITCH_PLAN_NAME_MAX:
        raise ConfigError(
            f"{child_path(path, 'enabled')}: the environment name is {len(longest) - REGION_SWITCH_PLAN_NAME_MAX} character(s) too long for "
            f"ARC Region switch: plan name {longest!r} must fit {REGION_SWITCH_PLAN_NAME_MAX} characters"
        )


def parse_environment(name: str, document: object, catalog: EngineCatalog) -> EnvironmentConfig:
    NAME(name, f"environments[{name!r}]")
    raw = Section(document, name)
    environment = raw.get("environment", NAME, name)
    primary, secondaries = _parse_regions(raw)
    regions = (primary, *secondaries)
    context = Context(name=name, production=is_production(environment), regions=regions)
    network = raw.section("network")
    given = {
        "name": name,
        "environment": environment,
        "primary_region": primary,
        "secondary_regions": secondaries,
        "vpc_cidrs": _parse_cidrs(raw, regions),
        "engine": _parse_engine(raw, catalog),
        "tags": _parse_tags(raw),
    }
    network_settings = read_section(
        get_type_hints(EnvironmentConfig)["network"], network, context, {"availability_zone_ids": _parse_az_ids(network, regions, 3)}
    )
    env = read_section(EnvironmentConfig, raw, context, {**given, "network": network_settings})
    _check_rules(env, raw)
    return env


def parse_environments(document: object, *, source: str, only: tuple[str, ...] | None = None, catalog: EngineCatalog | None = None) -> Settings:
    """Parse the ``environments`` object (keyed by environment name) into typed settings."""
    catalog = catalog or load_catalog()
    if not isinstance(document, dict):
        raise ConfigError(f"environments: expected an object keyed by environment name, got {show(document)}")
    if not document:
        raise ConfigError("environments: no environment is defined")
    names = list(document)
    if only:
        for wanted in only:
            if wanted not in document:
                raise ConfigError(f"DR_ENVIRONMENTS: {wanted!r} is not a configured environment (have: {', '.join(names)})")
        names = [n for n in names if n in only]
    environments = tuple(parse_environment(str(name), document[name], catalog) for name in names)
    return Settings(source=source, environments=environments)


def read_json(path: Path, label: str) -> object:
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


def environments_document(project_dir: Path, environ: Mapping[str, str] | None = None) -> tuple[object, str]:
    """The raw environments object and where it came from (``$DR_CONFIG`` or ``cdktf.json``)."""
    env = os.environ if environ is None else environ
    override = env.get("DR_CONFIG")
    if override:
        return read_json(Path(override), "DR_CONFIG"), f"DR_CONFIG={override}"
    document = read_json(project_dir / "cdktf.json", "cdktf.json")
    context = document.get("context") if isinstance(document, dict) else None
    environments = context.get("environments") if isinstance(context, dict) else None
    if environments is None:
        raise ConfigError("cdktf.json: context.environments is missing")
    return environments, "cdktf.json context.environments"


def load_settings(project_dir: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Environments from ``$DR_CONFIG`` when set, else ``cdktf.json`` ``context.environments``.

    ``$DR_ENVIRONMENTS`` (comma-separated names) limits which environments are built.
    """
    env = os.environ if environ is None else environ
    only = tuple(n.strip() for n in env.get("DR_ENVIRONMENTS", "").split(",") if n.strip()) or None
    document, source = environments_document(project_dir, env)
    return parse_environments(document, source=source, only=only)
