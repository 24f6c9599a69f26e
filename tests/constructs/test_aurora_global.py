"""AuroraGlobalConstruct alone: the global cluster, a primary and a secondary member, instances, secrets, the engine check."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.constructs.conftest import KEY_ARN, Bare, resources, synth_alone

VERSION, FAMILY = "17.5", "aurora-postgresql17"


def member(bare: Bare, region: str, primary: bool, **overrides: Any) -> Any:
    from constructs_lib import RegionalDatabaseInput, RegionRole

    values: dict[str, Any] = {
        "provider": bare.providers[region],
        "region": region,
        "role": RegionRole.PRIMARY if primary else RegionRole.SECONDARY,
        "subnet_ids": (f"subnet-{region}-a", f"subnet-{region}-b"),
        "availability_zones": (f"{region}a", f"{region}b"),
        "security_group_id": f"sg-{region}",
        "kms_key_arn": KEY_ARN[region],
        "cluster_identifier": f"shop-{region}",
    }
    return RegionalDatabaseInput(**{**values, **overrides})


def password(bare: Bare) -> str:
    from cdktf import TerraformVariable

    existing = bare.stack.node.try_find_child("db_password")
    variable = existing or TerraformVariable(bare.stack, "db_password", type="string", sensitive=True)
    return str(variable.string_value)


def props(bare: Bare, **overrides: Any) -> Any:
    from constructs_lib import AuroraGlobalProps

    values: dict[str, Any] = {
        "global_cluster_identifier": "shop",
        "engine_version": VERSION,
        "parameter_group_family": FAMILY,
        "database_name": "orders",
        "master_username": "dbadmin",
        "master_password": password(bare),
        "regions": (member(bare, "us-east-1", True), member(bare, "us-west-2", False)),
        "iam_provider": bare.providers["us-east-1"],
    }
    return AuroraGlobalProps(**{**values, **overrides})


@pytest.fixture(scope="module")
def built() -> tuple[Any, dict[str, Any]]:
    from constructs_lib import AuroraGlobalConstruct

    return synth_alone(lambda bare: AuroraGlobalConstruct(bare.stack, "database", props(bare)))


def test_a_global_cluster_with_a_primary_and_a_secondary(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    (global_cluster,) = resources(document, "aws_rds_global_cluster").values()
    assert (global_cluster["global_cluster_identifier"], global_cluster["engine_version"]) == ("shop", VERSION)
    clusters = {c["cluster_identifier"]: c for c in resources(document, "aws_rds_cluster").values()}
    assert sorted(clusters) == ["shop-us-east-1", "shop-us-west-2"]
    primary, secondary = clusters["shop-us-east-1"], clusters["shop-us-west-2"]
    assert primary["master_username"] == "dbadmin" and "master_password_wo" in primary
    assert "master_username" not in secondary and secondary["source_region"] == "us-east-1"
    assert any("aws_rds_cluster_instance" in dependency for dependency in secondary["depends_on"])  # joins after the primary has a writer
    for cluster in clusters.values():
        assert cluster["lifecycle"]["ignore_changes"] == ["engine_version", "global_cluster_identifier", "replication_source_identifier"]
        assert cluster["storage_encrypted"] is True and cluster["deletion_protection"] is False
    instances = resources(document, "aws_rds_cluster_instance").values()
    assert sorted(i["identifier"] for i in instances) == ["shop-us-east-1-1", "shop-us-east-1-2", "shop-us-west-2-1", "shop-us-west-2-2"]
    assert {i["instance_class"] for i in instances} == {"db.r6g.large"}


def test_defaults_name_nothing_after_drkit(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    groups = resources(document, "aws_rds_cluster_parameter_group").values()
    assert {g["description"] for g in groups} == {"TLS required, connection and statement logging"}
    assert {p["name"]: p["value"] for p in next(iter(groups))["parameter"]}["rds.force_ssl"] == "1"
    logs = sorted(g["name"] for g in resources(document, "aws_cloudwatch_log_group").values())
    assert logs == ["/aws/rds/cluster/shop-us-east-1/postgresql", "/aws/rds/cluster/shop-us-west-2/postgresql"]
    checks = document["check"]
    assert sorted(checks) == ["engine_version_us_east_1", "engine_version_us_west_2"]
    assert checks["engine_version_us_east_1"]["assert"][0]["error_message"].endswith("plan an upgrade to a version that supports it.")
    assert "drkit" not in str(document)


def test_the_password_reaches_only_write_only_arguments(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    text = str(document)
    assert "var.db_password" in text
    for rtype, items in document["resource"].items():
        for body in items.values():
            for key, value in body.items():
                if "var.db_password" in str(value):
                    assert key.endswith("_wo"), f"{rtype}: {key}"


def test_typed_attributes(built: tuple[Any, dict[str, Any]]) -> None:
    database, _ = built
    assert [c.region for c in database.clusters] == ["us-east-1", "us-west-2"]
    assert database.primary.region == "us-east-1" and [s.region for s in database.secondaries] == ["us-west-2"]
    assert [c.identifier for c in database.clusters] == ["shop-us-east-1", "shop-us-west-2"]
    assert len(database.primary.instances) == 2
    for token in (database.global_cluster_id, database.global_cluster_arn, database.global_writer_endpoint, database.primary.writer_endpoint):
        assert token.startswith("${TfToken[")
    assert database.primary.secret_arn.startswith("${TfToken[") and database.primary.cluster_arn.startswith("${TfToken[")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda bare: {"regions": (member(bare, "us-west-2", False), member(bare, "us-east-1", True))},
            r"regions: exactly one primary region, listed first",
        ),
        (lambda bare: {"regions": (member(bare, "us-east-1", True), member(bare, "us-west-2", True))}, r"regions: exactly one primary region"),
        (lambda bare: {"regions": (member(bare, "us-east-1", True), member(bare, "us-east-1", False))}, r"regions: a region is listed twice"),
        (lambda bare: {"instances_per_region": 0}, r"instances_per_region: must be at least 1, got 0"),
        (lambda bare: {"instances_per_region": 16}, r"instances_per_region: at most 15, got 16"),
        (lambda bare: {"backup_retention_days": 36}, r"backup_retention_days: 1 to 35, got 36"),
        (lambda bare: {"global_db_rpo_seconds": 10}, r"global_db_rpo_seconds: at least 20, got 10"),
        (lambda bare: {"master_password": "hunter2hunter2hunter2"}, r"master_password: pass a reference to a sensitive, ephemeral variable"),
    ],
    ids=["primary-not-first", "two-primaries", "region-twice", "no-instances", "too-many-instances", "backup-retention", "rpo", "literal-password"],
)
def test_props_refuse_what_aurora_would(bare: Bare, change: Any, message: str) -> None:
    valid = props(bare)
    with pytest.raises(ValueError, match=message):
        replace(valid, **change(bare))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subnet_ids": ("subnet-a",)}, r"subnet_ids: a DB subnet group needs subnets in at least 2 AZs, got 1"),
        ({"availability_zones": ()}, r"availability_zones: at least one AZ"),
        ({"cluster_identifier": "1shop"}, r"cluster_identifier: '1shop': 1-63 letters"),
        ({"cluster_identifier": "shop--east"}, r"cluster_identifier: 'shop--east'"),
        ({"cluster_identifier": "shop-"}, r"cluster_identifier: 'shop-'"),
    ],
)
def test_member_props_refuse_what_rds_would(bare: Bare, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        member(bare, "us-east-1", True, **overrides)
