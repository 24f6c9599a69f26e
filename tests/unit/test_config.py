"""The configuration loader: defaults, every documented error, and the DR_CONFIG override."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.config import ConfigError, NatGateways, load_settings, parse_environments
from tests.helpers import PROJECT_DIR, cdktf_environments, minimal_environment, parse_one

PROD_TRUST = {"external_id": "e1", "trusted_principals": ["arn:aws:iam::111122223333:role/oncall"], "require_mfa": True}


def test_defaults_follow_the_mission() -> None:
    env = parse_one(minimal_environment())
    assert env.primary_region == "us-east-1"
    assert env.secondary_regions == ("us-west-2",)
    assert {r: str(c) for r, c in env.vpc_cidrs.items()} == {"us-east-1": "10.0.0.0/16", "us-west-2": "10.1.0.0/16"}
    assert env.lag_alarm_threshold_seconds == 5
    assert env.monitor_reserved_concurrency == 5
    assert env.dns_ttl_seconds == 30
    assert env.environment == "dev"
    assert env.stack_name == "dr-dev"
    assert not env.is_production
    # The state lives outside the primary region: during its outage the stack can still be planned.
    assert env.state_region == "us-west-2"
    assert env.network.availability_zone_ids == {
        "us-east-1": ("use1-az1", "use1-az2", "use1-az4"),  # use1-az3 lacks current instance families and EKS
        "us-west-2": ("usw2-az1", "usw2-az2", "usw2-az3"),
    }
    assert env.failover.switchover_max_lag_seconds == 5 and env.failover.detection_periods == 2
    assert env.backup.enabled and env.backup.vault_lock.value == "none" and env.backup.retention_days == 7  # dev stays destroyable
    assert env.database.global_db_rpo_seconds is None
    prod = parse_one(minimal_environment(environment="production", account_id="111122223333", dr_operations=PROD_TRUST), name="prod")
    assert prod.backup.vault_lock.value == "compliance" and prod.backup.retention_days == 35


def test_environment_decides_protection_and_sizing() -> None:
    prod = parse_one(minimal_environment(environment="production", account_id="111122223333", dr_operations=PROD_TRUST), name="prod-east")
    dev = parse_one(minimal_environment(environment="dev"))
    assert prod.is_production and not dev.is_production
    assert prod.network.nat_gateways is NatGateways.PER_AZ
    assert dev.network.nat_gateways is NatGateways.SINGLE
    assert prod.database.backup_retention_days > dev.database.backup_retention_days


def test_engine_defaults_to_newest_catalog_version_and_accepts_a_major() -> None:
    from constructs_lib.engine_catalog import load_catalog

    catalog = load_catalog()
    assert parse_one(minimal_environment()).engine.version == catalog.newest()
    assert parse_one(minimal_environment(aurora_engine_major=16)).engine.version == catalog.newest(16)
    assert parse_one(minimal_environment(aurora_engine_version="16.6")).engine.parameter_group_family == "aurora-postgresql16"


def test_more_than_one_secondary_gets_disjoint_default_cidrs() -> None:
    env = parse_one(minimal_environment(secondary_regions=["us-west-2", "eu-west-1", "us-east-2"]))
    assert [str(env.vpc_cidrs[r]) for r in env.regions] == ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"]


BAD_INPUTS = [
    pytest.param(
        {"vpc_cidrs": {"us-east-1": "10.0.0.0/33"}},
        "dev.vpc_cidrs.us-east-1: '10.0.0.0/33' is not a valid IPv4 CIDR (for example '10.0.0.0/16')",
        id="malformed-cidr",
    ),
    pytest.param(
        {"vpc_cidrs": {"us-east-1": "10.0.0.1/16"}},
        "dev.vpc_cidrs.us-east-1: '10.0.0.1/16' is not a valid IPv4 CIDR",
        id="host-bits-set",
    ),
    pytest.param(
        {"vpc_cidrs": {"us-east-1": "10.0.0.0/8"}},
        "dev.vpc_cidrs.us-east-1: '10.0.0.0/8' must have a prefix between /16 and /20",
        id="too-large",
    ),
    pytest.param(
        {"vpc_cidrs": {"us-east-1": "10.0.0.0/16", "us-west-2": "10.0.128.0/17"}},
        "dev.vpc_cidrs.us-west-2: '10.0.128.0/17' overlaps dev.vpc_cidrs.us-east-1 '10.0.0.0/16' (peered VPCs need disjoint ranges)",
        id="overlap",
    ),
    pytest.param(
        {"vpc_cidrs": {"eu-west-1": "10.5.0.0/16"}},
        "dev.vpc_cidrs.eu-west-1: region is not part of this environment (regions: us-east-1, us-west-2)",
        id="cidr-for-foreign-region",
    ),
    pytest.param(
        {"vpc_cidrs": {"us-east-1": "8.8.0.0/16"}},
        "dev.vpc_cidrs.us-east-1: '8.8.0.0/16' is not a private (RFC 1918) range",
        id="public-range",
    ),
    pytest.param({"primary_region": "us-middle-1"}, "dev.primary_region: unknown AWS region 'us-middle-1'", id="unknown-region"),
    pytest.param(
        {"secondary_regions": ["us-west-2", "us-west-2"]},
        "dev.secondary_regions[1]: region 'us-west-2' is listed twice (also dev.secondary_regions[0])",
        id="region-twice",
    ),
    pytest.param(
        {"secondary_regions": ["us-east-1"]},
        "dev.secondary_regions[0]: region 'us-east-1' is listed twice (also dev.primary_region)",
        id="secondary-equals-primary",
    ),
    pytest.param(
        {"secondary_regions": []},
        "dev.secondary_regions: at least one secondary region is needed for disaster recovery, got []",
        id="no-secondary",
    ),
    pytest.param({"secondary_regions": "us-west-2"}, "dev.secondary_regions: expected a list, got 'us-west-2'", id="secondary-not-list"),
    pytest.param(
        {"lag_alarm_threshold_seconds": 0},
        "dev.lag_alarm_threshold_seconds: must be greater than 0 and at most 3600, got 0",
        id="zero-threshold",
    ),
    pytest.param(
        {"lag_alarm_threshold_seconds": -5},
        "dev.lag_alarm_threshold_seconds: must be greater than 0 and at most 3600, got -5",
        id="negative-threshold",
    ),
    pytest.param({"lag_alarm_threshold_seconds": "5"}, "dev.lag_alarm_threshold_seconds: expected a number, got '5'", id="string-threshold"),
    pytest.param(
        {"monitor_reserved_concurrency": 0},
        "dev.monitor_reserved_concurrency: must be between 1 and 1000, got 0",
        id="zero-concurrency",
    ),
    pytest.param(
        {"monitor_reserved_concurrency": True},
        "dev.monitor_reserved_concurrency: expected a whole number, got True",
        id="bool-concurrency",
    ),
    pytest.param({"dns_ttl_seconds": 0}, "dev.dns_ttl_seconds: must be between 1 and 86400, got 0", id="zero-ttl"),
    pytest.param(
        {"aurora_engine_version": "15.4"},
        "dev.aurora_engine_version: '15.4' does not support Aurora Global Database (aurora-postgresql catalog checked",
        id="version-without-global-support",
    ),
    pytest.param(
        {"aurora_engine_major": 12},
        "dev.aurora_engine_major: 12 has no version with Aurora Global Database support",
        id="unsupported-major",
    ),
    pytest.param(
        {"aurora_engine_major": 16, "aurora_engine_version": "17.5"},
        "dev.aurora_engine_version: '17.5' is not a version of aurora_engine_major 16",
        id="major-version-mismatch",
    ),
    pytest.param(
        {"database": {"instances_per_region": 0}},
        "dev.database.instances_per_region: must be between 1 and 15, got 0",
        id="zero-instances",
    ),
    pytest.param({"vpc_cidr": "10.0.0.0/16"}, "dev.vpc_cidr: unknown setting (known here:", id="unknown-key"),
    pytest.param(
        {"database": {"size": 3}},
        "dev.database.size: unknown setting (known here: backup_retention_days, global_db_rpo_seconds, instance_class, instances_per_region)",
        id="unknown-nested-key",
    ),
    pytest.param(
        {"tags": {"Environment": "production"}},
        "dev.tags.Environment: tag is set by drkit from the environment and cannot be overridden",
        id="reserved-tag",
    ),
    pytest.param(
        {"aws_endpoint_url": "http://127.0.0.1:4566"},
        "dev.aws_endpoint_url: only the 'local' environment may point at an emulator, got 'http://127.0.0.1:4566' for environment 'dev'",
        id="endpoint-outside-local",
    ),
    pytest.param(
        {"dr_operations": {}},
        "dev.dr_operations.external_id: required (the `sts:ExternalId` DR operators present when they assume the DR role)",
        id="missing-external-id",
    ),
    pytest.param(
        {"state_bucket": "Not_A_Bucket"},
        "dev.state_bucket: expected an S3 bucket name (3-63 lower-case characters), got 'Not_A_Bucket'",
        id="bad-bucket",
    ),
    pytest.param(
        {"app_clusters": {"node_min_size": 3, "node_desired_size": 2}},
        "dev.app_clusters.node_desired_size: must satisfy node_min_size <= node_desired_size <= node_max_size, got 3 <= 2 <= 2",
        id="impossible-node-sizes",
    ),
    pytest.param(
        {"network": {"availability_zone_ids": {"us-east-1": ["use1-az1", "use1-az2"]}}},
        "dev.network.availability_zone_ids.us-east-1: at least 3 entries, got 2",
        id="too-few-azs",
    ),
    pytest.param(
        {"network": {"availability_zone_ids": {"us-east-1": ["use1-az1", "usw2-az2", "use1-az4"]}}},
        "dev.network.availability_zone_ids.us-east-1[1]: 'usw2-az2' is not an AZ ID of us-east-1 (they start with 'use1-')",
        id="az-of-another-region",
    ),
    pytest.param(
        {"network": {"availability_zone_ids": {"us-east-1": ["us-east-1a", "use1-az2", "use1-az4"]}}},
        "dev.network.availability_zone_ids.us-east-1[0]: expected an availability zone ID such as 'use1-az1', got 'us-east-1a'",
        id="az-name-not-id",
    ),
    pytest.param(
        {"network": {"availability_zone_ids": {"us-east-1": ["use1-az1", "use1-az1", "use1-az4"]}}},
        "dev.network.availability_zone_ids.us-east-1: ['use1-az1', 'use1-az1', 'use1-az4'] lists an AZ twice",
        id="az-twice",
    ),
    pytest.param(
        {"secondary_regions": ["us-west-1"]},
        "dev.network.availability_zone_ids.us-west-1: required for us-west-1 (drkit has no default there",
        id="region-without-default-azs",
    ),
    pytest.param(
        {"secondary_regions": ["ap-east-2"]},
        "dev.secondary_regions[0]: 'ap-east-2' has no AWS-published Powertools for AWS Lambda layer",
        id="region-without-powertools",
    ),
    pytest.param(
        {"monitor_reserved_concurrency": 950},
        "dev.monitor_reserved_concurrency: 950 (+ 1 for the runbook, + 2 for the writer probe) leaves 47 of lambda_concurrency_quota 1000 "
        "unreserved per region; Lambda keeps at least 100 unreserved",
        id="concurrency-over-quota",
    ),
    pytest.param(
        {"monitor_reserved_concurrency": 5, "lambda_concurrency_quota": 100},
        "dev.monitor_reserved_concurrency: 5 (+ 1 for the runbook, + 2 for the writer probe) leaves 92 of lambda_concurrency_quota 100 unreserved",
        id="small-account-quota",
    ),
    pytest.param(
        {"failover": {"operator_response_seconds": 600}},
        "dev.rto_target_seconds: 300 is less than the recovery budget: RTO 715 s (manual) = detection 30 s",
        id="budget-over-target",
    ),
    pytest.param(
        {"failover": {"mode": "automatic"}, "rto_target_seconds": 100},
        "dev.rto_target_seconds: 100 is less than the recovery budget: RTO 115 s (automatic) = detection 30 s",
        id="automatic-budget-over-target",
    ),
    pytest.param(
        {"failover": {"probe_interval_seconds": 15}},
        "dev.failover.probe_interval_seconds: must be one of 10, 20, 30 (the periods CloudWatch allows for high-resolution alarms), got 15",
        id="probe-interval-not-an-alarm-period",
    ),
    pytest.param(
        {"failover": {"lost_after_probes": 1}}, "dev.failover.lost_after_probes: must be between 2 and 10, got 1", id="one-probe-is-no-verdict"
    ),
    pytest.param({"failover": {"mode": "auto"}}, "dev.failover.mode: expected one of manual, automatic, got 'auto'", id="unknown-failover-mode"),
    pytest.param(
        {"failover": {"detection_periods": 0}},
        "dev.failover.detection_periods: must be between 1 and 10, got 0",
        id="zero-detection-periods",
    ),
    pytest.param(
        {"app_clusters": {"admin_principal_arns": ["arn:aws:iam::123456789012:root"]}},
        "dev.app_clusters.admin_principal_arns[0]: expected an IAM role or user ARN",
        id="root-as-eks-admin",
    ),
    pytest.param({"environment": "production"}, "dev.account_id: required in production", id="production-without-account"),
    pytest.param(
        {"environment": "production", "account_id": "111122223333"},
        "dev.dr_operations.trusted_principals: [] in production: name the on-call roles or users",
        id="production-trusts-the-whole-account",
    ),
    pytest.param(
        {
            "environment": "production",
            "account_id": "111122223333",
            "dr_operations": {"external_id": "e1", "trusted_principals": ["arn:aws:iam::111122223333:root"]},
        },
        "dev.dr_operations.trusted_principals: ['arn:aws:iam::111122223333:root'] in production: name the on-call roles or users",
        id="production-trusts-the-account-root",
    ),
    pytest.param(
        {"environment": "production", "account_id": "111122223333", "dr_operations": {"external_id": "e1", "trusted_principal_patterns": []}},
        "dev.dr_operations.trusted_principals: [] in production: name the on-call roles or users that may become the DR role, or "
        "their ARN patterns in trusted_principal_patterns",
        id="production-with-neither-principals-nor-patterns",
    ),
    pytest.param(
        {"dr_operations": {"external_id": "e1", "trusted_principal_patterns": ["arn:aws:iam::*:role/oncall-*"]}},
        "dev.dr_operations.trusted_principal_patterns[0]: expected an ARN pattern of IAM roles or users of one account",
        id="principal-pattern-of-any-account",
    ),
    pytest.param(
        {"dr_operations": {"external_id": "e1", "trusted_principal_patterns": ["arn:aws:iam::111122223333:root"]}},
        "dev.dr_operations.trusted_principal_patterns[0]: expected an ARN pattern of IAM roles or users of one account",
        id="principal-pattern-is-the-root",
    ),
    pytest.param(
        {"dr_operations": {"external_id": "e1", "trusted_principal_patterns": ["arn:aws:iam::111122223333:role/*"]}},
        "dev.dr_operations.trusted_principal_patterns[0]: 'arn:aws:iam::111122223333:role/*' matches every role of the account",
        id="principal-pattern-of-every-role",
    ),
    pytest.param(
        {"dr_operations": {"external_id": "e1", "principal_tags": {"team": ["oncall"]}}},
        "dev.dr_operations.principal_tags.team: expected an IAM tag value",
        id="principal-tag-not-a-string",
    ),
    pytest.param({"account_id": "12345"}, "dev.account_id: expected a 12-digit AWS account ID", id="short-account"),
    pytest.param(
        {"account_id": "111122223333", "deploy_role_arn": "arn:aws:iam::444455556666:role/deploy"},
        "dev.deploy_role_arn: 'arn:aws:iam::444455556666:role/deploy' is not a role of account_id '111122223333'",
        id="deploy-role-in-another-account",
    ),
    pytest.param(
        {"deploy_role_arn": "arn:aws:iam::111122223333:user/deploy"}, "dev.deploy_role_arn: expected an IAM role ARN", id="deploy-user-not-role"
    ),
    pytest.param(
        {"database": {"global_db_rpo_seconds": 10}}, "dev.database.global_db_rpo_seconds: must be between 20 and", id="rpo-below-aws-minimum"
    ),
    pytest.param(
        {"database": {"global_db_rpo_seconds": 30}},
        "dev.database.global_db_rpo_seconds: 30 needs at least two secondary regions, got 1: with one, losing it blocks every commit",
        id="enforced-rpo-with-one-secondary",
    ),
    pytest.param({"backup": {"schedule": "daily"}}, "dev.backup.schedule: expected an AWS Backup schedule of six cron fields", id="backup-schedule"),
    pytest.param({"backup": {"vault_lock": "strict"}}, "dev.backup.vault_lock: expected one of", id="unknown-lock-mode"),
    pytest.param(
        {"backup": {"vault_lock": "compliance", "lock_min_retention_days": 14}},
        "dev.backup.retention_days: 7 is outside the vault lock's retention range 14–365 days",
        id="retention-below-lock-minimum",
    ),
    pytest.param(
        {"backup": {"vault_lock": "governance", "lock_min_retention_days": 30, "lock_max_retention_days": 20}},
        "dev.backup.lock_min_retention_days: 30 is more than lock_max_retention_days 20",
        id="lock-range-inverted",
    ),
    pytest.param(
        {"backup": {"vault_lock": "compliance", "lock_changeable_for_days": 2}},
        "dev.backup.lock_changeable_for_days: must be between 3 and",
        id="compliance-grace-below-aws-minimum",
    ),
    pytest.param(
        {"fault_injection": {"duration_minutes": 0}}, "dev.fault_injection.duration_minutes: must be between 1 and 720", id="experiment-duration"
    ),
    pytest.param({"fault_injection": {"enabled": "yes"}}, "dev.fault_injection.enabled: expected true or false", id="experiment-enabled-not-bool"),
]


@pytest.mark.parametrize(("override", "message"), BAD_INPUTS)
def test_bad_input_is_one_clear_line(override: dict[str, Any], message: str) -> None:
    env = minimal_environment()
    env.update(override)
    with pytest.raises(ConfigError) as raised:
        parse_one(env)
    text = str(raised.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_top_level_shape_errors() -> None:
    with pytest.raises(ConfigError, match=r"^environments: expected an object keyed by environment name, got \[\]$"):
        parse_environments([], source="test")
    with pytest.raises(ConfigError, match=r"^environments: no environment is defined$"):
        parse_environments({}, source="test")
    with pytest.raises(ConfigError, match=r"^dev: expected an object, got 'x'$"):
        parse_environments({"dev": "x"}, source="test")
    with pytest.raises(ConfigError, match=r"^environments\['Bad Name'\]: expected a lower-case name"):
        parse_environments({"Bad Name": minimal_environment()}, source="test")


def test_cdktf_json_defines_the_four_environments() -> None:
    settings = load_settings(PROJECT_DIR, environ={})
    assert [e.name for e in settings.environments] == ["dev", "staging", "production", "local"]
    assert settings.get("production").is_production
    assert settings.get("local").aws_endpoint_url is not None
    assert all(e.aws_endpoint_url is None for e in settings.environments if e.name != "local")


def test_dr_config_replaces_cdktf_json(tmp_path: Path) -> None:
    path = tmp_path / "envs.json"
    path.write_text(json.dumps({"qa": minimal_environment(primary_region="eu-west-1", secondary_regions=["eu-central-1"])}))
    settings = load_settings(PROJECT_DIR, environ={"DR_CONFIG": str(path)})
    assert [e.name for e in settings.environments] == ["qa"]
    assert settings.get("qa").regions == ("eu-west-1", "eu-central-1")


def test_dr_config_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    with pytest.raises(ConfigError, match=re.escape(f"DR_CONFIG: {str(broken)!r} is not valid JSON")):
        load_settings(PROJECT_DIR, environ={"DR_CONFIG": str(broken)})
    with pytest.raises(ConfigError, match=re.escape(f"DR_CONFIG: cannot read {str(tmp_path / 'missing.json')!r}")):
        load_settings(PROJECT_DIR, environ={"DR_CONFIG": str(tmp_path / "missing.json")})


def test_environment_selection() -> None:
    settings = load_settings(PROJECT_DIR, environ={"DR_ENVIRONMENTS": "local,dev"})
    assert [e.name for e in settings.environments] == ["dev", "local"]
    with pytest.raises(ConfigError, match=r"^DR_ENVIRONMENTS: 'qa' is not a configured environment"):
        load_settings(PROJECT_DIR, environ={"DR_ENVIRONMENTS": "qa"})


def test_every_shipped_environment_has_an_external_id_from_config() -> None:
    for name, env in cdktf_environments().items():
        assert env["dr_operations"]["external_id"], name


def test_an_environment_name_too_long_for_a_point_in_time_restore_is_refused() -> None:
    """drkit-<name>-<region>-restore-<14 digits>-1 must fit RDS's 63 characters, or the restore (and the
    DR role's *-restore-* permissions) would get a truncated name: names fit up to 17 characters in
    ap-southeast-2, the longest region name here."""
    far = minimal_environment(primary_region="ap-southeast-2", secondary_regions=["ap-southeast-1"])
    assert parse_one(far, "n" * 17).names.cluster_id("ap-southeast-2") == f"drkit-{'n' * 17}-ap-southeast-2"
    with pytest.raises(ConfigError, match=r"^" + "n" * 20 + r": the environment name is 3 character\(s\) too long for a point-in-time restore"):
        parse_one(far, "n" * 20)


SSO_PATTERN = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_DROperators_*"


def test_production_may_trust_principal_arn_patterns_instead_of_named_principals() -> None:
    """IAM Identity Center's permission-set roles have generated names and are re-created: production may name them by
    an ARN pattern (the account as principal, only with ``ArnLike aws:PrincipalArn``), never by the bare account."""
    env = parse_one(
        minimal_environment(
            environment="production", account_id="111122223333", dr_operations={"external_id": "e1", "trusted_principal_patterns": [SSO_PATTERN]}
        )
    )
    assert env.dr_operations.trusted_principal_patterns == (SSO_PATTERN,)
    assert env.dr_operations.trusted_principals == ()
