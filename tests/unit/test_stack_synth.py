"""Synth tests for the stack skeleton: providers, tags, backend, names, outputs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import cdktf_environments, resources

ENVIRONMENTS = ("dev", "staging", "production", "local")


def providers(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["alias"]: p for p in stack["provider"]["aws"]}


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_one_aliased_provider_per_region_with_truthful_tags(stacks: dict[str, Any], name: str) -> None:
    config = cdktf_environments()[name]
    by_alias = providers(stacks[name])
    assert set(by_alias) == {"primary", "secondary"}
    assert by_alias["primary"]["region"] == config["primary_region"]
    assert by_alias["secondary"]["region"] == config["secondary_regions"][0]
    for alias, provider in by_alias.items():
        tags = provider["default_tags"][0]["tags"]
        assert tags["Environment"] == config["environment"]
        assert tags["Project"] == "drkit"
        assert tags["DR-Role"] == alias
        for key, value in config.get("tags", {}).items():
            assert tags[key] == value


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_every_resource_names_its_provider(stacks: dict[str, Any], name: str) -> None:
    for rtype, items in stacks[name]["resource"].items():
        for rname, body in items.items():
            assert body.get("provider") in {"aws.primary", "aws.secondary"}, f"{rtype}.{rname}"


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_remote_state_in_s3_with_native_locking(stacks: dict[str, Any], name: str) -> None:
    config = cdktf_environments()[name]
    backend = stacks[name]["terraform"]["backend"]["s3"]
    assert backend["bucket"] == config["state_bucket"]
    assert backend["region"] == config["state_region"]
    assert config["environment"] in backend["key"]
    assert backend["encrypt"] is True
    assert backend["use_lockfile"] is True
    assert "dynamodb_table" not in backend


def test_only_the_local_environment_talks_to_the_emulator(stacks: dict[str, Any]) -> None:
    for name in ENVIRONMENTS:
        stack = stacks[name]
        local = name == "local"
        for provider in stack["provider"]["aws"]:
            assert ("endpoints" in provider) is local, name
        assert ("endpoints" in stack["terraform"]["backend"]["s3"]) is local, name
    endpoint = cdktf_environments()["local"]["aws_endpoint_url"]
    for provider in stacks["local"]["provider"]["aws"]:
        assert set(provider["endpoints"][0].values()) == {endpoint}
        assert "access_key" not in provider and "secret_key" not in provider


def test_provider_is_pinned_to_the_mirrored_version(stacks: dict[str, Any]) -> None:
    for stack in stacks.values():
        assert stack["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"


def test_logical_ids_follow_the_construct_path(stacks: dict[str, Any]) -> None:
    vpcs = resources(stacks["dev"], "aws_vpc")
    assert len(vpcs) == 2
    assert all(name.startswith(("primary_network_vpc", "secondary_network_vpc")) for name in vpcs)


def test_stack_outputs_are_described(stacks: dict[str, Any]) -> None:
    outputs = stacks["dev"]["output"]
    for name in (
        "global_writer_endpoint",
        "primary_cluster_endpoint",
        "secondary_cluster_endpoint",
        "primary_cluster_reader_endpoint",
        "primary_db_secret_arn",
        "global_cluster_id",
    ):
        assert outputs[name]["description"], name
    assert "aws_rds_global_cluster.database_global_cluster" in outputs["global_writer_endpoint"]["value"]
