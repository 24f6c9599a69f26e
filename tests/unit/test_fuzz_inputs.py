"""Bad input never crashes: random documents end in a clean error naming a setting."""

from __future__ import annotations

import json
import re
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lib.config import ConfigError, parse_environments
from functions.failover.logic import Operation, parse_global_state, preflight
from functions.replication_monitor.logic import evaluate_lag, parse_topology, samples_from_results
from tests.helpers import minimal_environment

KEYS = [
    "environment", "primary_region", "secondary_regions", "vpc_cidrs", "aurora_engine_major", "aurora_engine_version",
    "lag_alarm_threshold_seconds", "monitor_reserved_concurrency", "dns_ttl_seconds", "state_bucket", "state_region",
    "tags", "aws_endpoint_url", "database", "network", "dns", "alerts", "dr_operations", "app_clusters", "rto_target_seconds",
    "log_retention_days",
]  # fmt: skip
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=False), st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20
)
# A setting path like "dev.database.instances_per_region", "dev.secondary_regions[1]" or "environments".
SETTING = re.compile(r"""^(environments|DR_ENVIRONMENTS|[a-z][a-z0-9-]*)((\.[A-Za-z0-9_.-]+)|(\[(\d+|'.*?'|".*?")\]))*( \(key\))?: """)


def assert_clean(document: Any) -> None:
    try:
        parse_environments(document, source="fuzz")
    except ConfigError as error:
        text = str(error)
        assert "\n" not in text
        assert SETTING.match(text), text
    except RecursionError as error:  # pragma: no cover - a clean error is required instead
        raise AssertionError("recursion") from error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6))
def test_random_settings_fail_cleanly_or_parse(overrides: dict[str, Any]) -> None:
    assert_clean({"dev": {**minimal_environment(), **overrides}})


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_random_documents_fail_cleanly(document: Any) -> None:
    assert_clean(document)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=string.printable + "éß中🙂", min_size=1, max_size=30), json_values)
def test_unicode_names_and_junk(name: str, value: Any) -> None:
    assert_clean({name: value})


def test_huge_and_deep_inputs() -> None:
    assert_clean({"dev": {**minimal_environment(), "dns_ttl_seconds": 10**100}})
    deep: Any = "x"
    for _ in range(200):
        deep = {"k": deep}
    assert_clean({"dev": {**minimal_environment(), "tags": deep}})
    assert_clean(json.loads(json.dumps({"dev": {**minimal_environment(), "secondary_regions": ["us-west-2"] * 50}})))


# ----------------------------------------------------------------------------- Lambda inputs

members = st.lists(
    st.fixed_dictionaries(
        {
            "DBClusterArn": st.sampled_from(
                ["arn:aws:rds:us-east-1:1:cluster:a", "arn:aws:rds:us-west-2:1:cluster:b", "arn:aws:rds:eu-west-1:1:cluster:c"]
            ),
            "IsWriter": st.booleans(),
        }
    ),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(
    members,
    st.lists(
        st.fixed_dictionaries(
            {"Id": st.sampled_from(["m0_repl", "m0_rpo", "m1_repl", "zz"]), "Values": st.lists(st.floats(min_value=0, max_value=1e9), max_size=3)}
        ),
        max_size=5,
    ),
    st.floats(min_value=0.001, max_value=3600),
)
def test_monitor_logic_never_raises_on_odd_aws_answers(raw_members: list[dict[str, Any]], results: list[dict[str, Any]], threshold: float) -> None:
    topology = parse_topology({"GlobalClusters": [{"GlobalClusterIdentifier": "g", "GlobalClusterMembers": raw_members}]}, "g")
    samples = samples_from_results(list(topology.secondaries), results)
    verdict = evaluate_lag(samples, threshold, topology.writer.region if topology.writer else None)
    assert verdict.status.value in {"OK", "LAGGING", "NO_DATA"}


@settings(max_examples=200, deadline=None)
@given(
    members,
    st.sampled_from(list(Operation)),
    st.sampled_from(["us-east-1", "us-west-2", "eu-west-1", "ap-south-1"]),
    st.none() | st.floats(min_value=0, max_value=1e6),
)
def test_runbook_preflight_always_decides(raw_members: list[dict[str, Any]], operation: Operation, target: str, lag: float | None) -> None:
    state = parse_global_state({"GlobalClusterIdentifier": "g", "GlobalClusterMembers": raw_members}, {})
    decision = preflight(operation, state, target, lag, 5)
    assert type(decision).__name__ in {"Proceed", "NoOp", "Refuse"}
