"""Synth tests for the stack skeleton: providers, tags, backend, emulator endpoints, names, outputs."""

from __future__ import annotations

from typing import Any

import pytest

from constructs_lib.providers import SERVICE_OF_TYPE, UnknownServiceError, service_of, services_used
from tests.helpers import fixture_environments, resources

ALIASES = {
    "dev": ["primary", "secondary"],
    "prod": ["primary", "secondary"],
    "three": ["primary", "secondary", "secondary_2"],
    "local": ["primary", "secondary"],
}


def providers(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["alias"]: p for p in stack["provider"]["aws"]}


@pytest.mark.parametrize("name", ["dev", "prod", "three"])
def test_one_aliased_provider_per_region_with_truthful_tags(stacks: dict[str, Any], name: str) -> None:
    config = fixture_environments()[name]
    by_alias = providers(stacks[name])
    assert list(by_alias) == ALIASES[name]
    assert [p["region"] for p in by_alias.values()] == [config["primary_region"], *config["secondary_regions"]]
    for alias, provider in by_alias.items():
        tags = provider["default_tags"][0]["tags"]
        assert tags["Environment"] == config["environment"]
        assert tags["Project"] == "drkit"
        assert tags["DR-Role"] == ("primary" if alias == "primary" else "secondary")
        for key, value in config.get("tags", {}).items():
            assert tags[key] == value


@pytest.mark.parametrize("name", ["dev", "prod", "three", "local"])
def test_every_resource_names_its_provider(stacks: dict[str, Any], name: str) -> None:
    allowed = {f"aws.{alias}" for alias in ALIASES[name]}
    for rtype, items in stacks[name]["resource"].items():
        for rname, body in items.items():
            assert body.get("provider") in allowed, f"{rtype}.{rname}"


@pytest.mark.parametrize("name", ["dev", "prod", "three"])
def test_remote_state_outside_the_primary_region_with_native_locking(stacks: dict[str, Any], name: str) -> None:
    config = fixture_environments()[name]
    backend = stacks[name]["terraform"]["backend"]["s3"]
    assert backend["bucket"] == config["state_bucket"]
    # During a primary-region outage the stack must still be plannable: the state defaults to the first secondary.
    assert backend["region"] == config["secondary_regions"][0] != config["primary_region"]
    assert config["environment"] in backend["key"] and backend["key"].endswith(f"/dr-{name}.tfstate")
    assert backend["encrypt"] is True and backend["use_lockfile"] is True
    assert "dynamodb_table" not in backend


def test_only_the_local_environment_talks_to_the_emulator(stacks: dict[str, Any]) -> None:
    for name, stack in stacks.items():
        local = name == "local"
        for provider in stack["provider"]["aws"]:
            assert ("endpoints" in provider) is local, name
        assert ("endpoints" in stack["terraform"]["backend"]["s3"]) is local, name
    for provider in stacks["local"]["provider"]["aws"]:
        assert set(provider["endpoints"][0].values()) == {"http://127.0.0.1:4566"}
        assert "access_key" not in provider and "secret_key" not in provider


def test_emulated_endpoints_are_every_service_the_stack_calls(stacks: dict[str, Any]) -> None:
    """`cdktf deploy` of the local stack once called the real SSM: the list is derived, not written."""
    local = stacks["local"]
    endpoints = set(local["provider"]["aws"][0]["endpoints"][0])
    assert endpoints == set(services_used(local))
    assert {"ssm", "lambda", "logs", "events", "route53", "eks", "rds", "sts", "s3"} <= endpoints


def test_a_resource_type_without_a_known_service_fails_synth() -> None:
    assert service_of("aws_ssm_parameter") == "ssm"
    assert service_of("aws_route53_record") == "route53" and service_of("aws_route_table") == "ec2"
    assert service_of("aws_iam_policy_document") is None
    with pytest.raises(UnknownServiceError, match="aws_dynamodb_table: drkit does not know which AWS service"):
        services_used({"resource": {"aws_dynamodb_table": {"t": {}}}})
    assert "aws_ssm_" in SERVICE_OF_TYPE


def test_provider_is_pinned_to_the_mirrored_version(stacks: dict[str, Any]) -> None:
    for stack in stacks.values():
        assert stack["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"


def test_logical_ids_follow_the_construct_path(stacks: dict[str, Any]) -> None:
    vpcs = resources(stacks["three"], "aws_vpc")
    assert sorted(name.rsplit("_", 1)[0] for name in vpcs) == ["primary_network_vpc", "secondary_2_network_vpc", "secondary_network_vpc"]


def test_stack_outputs_are_described(stacks: dict[str, Any]) -> None:
    outputs = stacks["three"]["output"]
    for name in (
        "global_writer_endpoint",
        "primary_cluster_endpoint",
        "secondary_cluster_endpoint",
        "secondary_2_cluster_endpoint",
        "secondary_2_region",
        "primary_cluster_reader_endpoint",
        "primary_db_secret_arn",
        "global_cluster_id",
        "database_record_name",
        "writer_record_name",
    ):
        assert outputs[name]["description"], name
    assert "aws_rds_global_cluster.database_global_cluster" in outputs["global_writer_endpoint"]["value"]


def test_only_the_environments_account_may_deploy_it_through_its_role(stacks: dict[str, Any]) -> None:
    prod = stacks["prod"]
    for provider in prod["provider"]["aws"]:
        assert provider["allowed_account_ids"] == ["111122223333"]
        assert provider["assume_role"] == [{"role_arn": "arn:aws:iam::111122223333:role/drkit-deploy", "session_name": "drkit-prod"}]
    backend = prod["terraform"]["backend"]["s3"]
    assert backend["allowed_account_ids"] == ["111122223333"]
    assert backend["assume_role"] == {"role_arn": "arn:aws:iam::111122223333:role/drkit-deploy", "session_name": "drkit-prod"}
    assert all("allowed_account_ids" not in p for p in stacks["dev"]["provider"]["aws"])  # dev names no account: nothing to pin
