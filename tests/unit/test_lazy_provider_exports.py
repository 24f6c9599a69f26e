"""The Node hook that loads provider resource modules on first use (constructs_lib/node).

Three things are proven: the hook makes a provider-shaped package lazy and leaves every other
package alone; it covers every eager require of the pinned provider's real ``lib/index.js``; and
a synth with it writes byte-identical Terraform JSON to a synth without it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from constructs_lib.speedups import LAZY_EXPORTS_HOOK, NODE_IN_NODE_MODULES, node_require_option
from tests.helpers import PROJECT_DIR

LOCAL_NODE = PROJECT_DIR / "node_modules" / NODE_IN_NODE_MODULES
NODE = str(LOCAL_NODE) if LOCAL_NODE.is_file() else "node"
COVERAGE = """
const fs = require("fs");
const { lazyExports } = require(process.argv[2]);
const source = fs.readFileSync(process.argv[1], "utf8");
const eager = (text) => text.split("\\n").filter((line) => line.includes("require(") && !line.includes("get()")).length;
const rewritten = lazyExports(source);
console.log(JSON.stringify({ before: eager(source), after: eager(rewritten), getters: (rewritten.match(/get\\(\\) \\{/g) || []).length }));
"""

PROBE = """
globalThis.loaded = [];
const index = require(process.argv[1]);
const before = [...globalThis.loaded];
const alpha = index.alpha;
const afterAlpha = [...globalThis.loaded];
console.log(JSON.stringify({
  before, afterAlpha, keys: Object.keys(index).sort(),
  alpha: alpha.name, stable: index.alpha === alpha, beta: index.beta.name, after: globalThis.loaded,
}));
"""


def fake_package(root: Path, name: str) -> Path:
    """A package shaped like the provider: lib/index.js exporting two modules eagerly."""
    (root / "package.json").write_text(json.dumps({"name": name, "version": "0.0.0", "main": "lib/index.js"}))
    lib = root / "lib"
    for module in ("alpha", "beta-gamma"):
        (lib / module).mkdir(parents=True)
        (lib / module / "index.js").write_text(f'globalThis.loaded.push("{module}"); exports.name = "{module}";\n')
    index = lib / "index.js"
    index.write_text(
        '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n'
        "exports.beta = exports.alpha = void 0;\n"
        'exports.alpha = require("./alpha");\nexports.beta = require("./beta-gamma");\n'
    )
    return index


def probe(index: Path, **env: str) -> dict[str, object]:
    environ = {"PATH": os.environ["PATH"], "NODE_OPTIONS": node_require_option(LAZY_EXPORTS_HOOK), **env}
    completed = subprocess.run([NODE, "-e", PROBE, str(index)], env=environ, capture_output=True, text=True, timeout=60, check=True)
    result: dict[str, object] = json.loads(completed.stdout)
    return result


def test_provider_modules_load_on_first_use(tmp_path: Path) -> None:
    result = probe(fake_package(tmp_path, "@cdktf/provider-aws"))
    assert result["before"] == []
    assert result["afterAlpha"] == ["alpha"]
    assert result["keys"] == ["alpha", "beta"]
    assert result["alpha"] == "alpha" and result["stable"] is True
    assert result["beta"] == "beta-gamma"
    assert result["after"] == ["alpha", "beta-gamma"]


@pytest.mark.parametrize(
    ("name", "env"),
    [("@cdktf/provider-google", {}), ("@cdktf/provider-aws", {"DRKIT_EAGER_PROVIDER": "1"})],
    ids=["other-package", "switched-off"],
)
def test_everything_else_stays_eager(tmp_path: Path, name: str, env: dict[str, str]) -> None:
    result = probe(fake_package(tmp_path, name), **env)
    assert result["before"] == ["alpha", "beta-gamma"]


def test_hook_covers_every_require_of_the_pinned_provider_index(tmp_path: Path) -> None:
    spec = importlib.util.find_spec("cdktf_cdktf_provider_aws")
    assert spec is not None and spec.submodule_search_locations is not None
    tarball = next(Path(spec.submodule_search_locations[0], "_jsii").glob("provider-aws@*.jsii.tgz"))
    with tarfile.open(tarball, "r|gz") as archive:
        for member in archive:
            if member.name == "package/lib/index.js":
                extracted = archive.extractfile(member)
                assert extracted is not None
                source = extracted.read().decode("utf-8")
                break
        else:
            pytest.fail(f"{tarball} has no package/lib/index.js")
    index = tmp_path / "index.js"
    index.write_text(source, encoding="utf-8")
    completed = subprocess.run([NODE, "-e", COVERAGE, str(index), str(LAZY_EXPORTS_HOOK)], capture_output=True, text=True, timeout=60, check=True)
    counts = json.loads(completed.stdout)
    assert counts["before"] > 2000  # ~2,135 resource modules required eagerly by the stock index
    assert counts["after"] == 0
    assert counts["getters"] == counts["before"]


def test_lazy_and_stock_loading_synthesize_identical_json(tmp_path: Path, synth_dir: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    from tests.helpers import FIXTURE_ENVIRONMENTS

    env = {key: value for key, value in os.environ.items() if key not in {"DR_CONFIG", "DR_ENVIRONMENTS"}}
    env.update(DRKIT_EAGER_PROVIDER="1", CDKTF_OUTDIR=str(outdir), DR_CONFIG=str(FIXTURE_ENVIRONMENTS))
    subprocess.run([sys.executable, "-O", "main.py"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300, check=True)
    stock = sorted(outdir.glob("stacks/*/cdk.tf.json"))
    assert len(stock) == 4
    for path in stock:
        lazy = synth_dir / path.relative_to(outdir)
        assert lazy.read_bytes() == path.read_bytes(), f"{path.parent.name} differs between lazy and stock provider loading"


def test_enable_appends_the_hook_to_node_options_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from constructs_lib.speedups import use_lazy_provider_exports

    monkeypatch.setenv("NODE_OPTIONS", "--max-semi-space-size=32")
    use_lazy_provider_exports()
    use_lazy_provider_exports()
    assert os.environ["NODE_OPTIONS"] == f"--max-semi-space-size=32 {node_require_option(LAZY_EXPORTS_HOOK)}"
