"""Write the project-local Terraform CLI configuration (``.drkit/terraformrc``).

Provider installation is the project's business, not the user's home directory: when a
filesystem mirror holding hashicorp/aws at the pinned version is present, Terraform installs
from it (offline); otherwise it downloads from the public registry into a project-local cache.
Usage: ``python -m tools.terraform_setup`` (prints the file it wrote and the mode).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = PROJECT_DIR / ".drkit"
CLI_CONFIG = STATE_DIR / "terraformrc"
PLUGIN_CACHE = STATE_DIR / "plugin-cache"
AWS_PROVIDER_VERSION = "5.100.0"
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    str(Path.home() / ".terraform.d" / "plugins"),
)


def find_mirror(candidates: tuple[str, ...] = MIRROR_CANDIDATES) -> Path | None:
    """First folder that holds registry.terraform.io/hashicorp/aws/<pinned version>."""
    explicit = os.environ.get("DRKIT_PROVIDER_MIRROR")
    for folder in ((explicit,) if explicit else ()) + candidates:
        if (Path(folder) / "registry.terraform.io" / "hashicorp" / "aws" / AWS_PROVIDER_VERSION).is_dir():
            return Path(folder)
    return None


def render(mirror: Path | None) -> str:
    if mirror is None:
        return f'plugin_cache_dir = "{PLUGIN_CACHE}"\n\nprovider_installation {{\n  direct {{}}\n}}\n'
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/hashicorp/aws"]\n'
        "  }\n"
        "}\n"
    )


def write_cli_config() -> tuple[Path, Path | None]:
    mirror = find_mirror()
    STATE_DIR.mkdir(exist_ok=True)
    PLUGIN_CACHE.mkdir(exist_ok=True)
    CLI_CONFIG.write_text(render(mirror), encoding="utf-8")
    return CLI_CONFIG, mirror


def main() -> int:
    path, mirror = write_cli_config()
    mode = f"filesystem mirror {mirror}" if mirror else "public registry (no local mirror found)"
    print(f"drkit: Terraform CLI config {path.relative_to(PROJECT_DIR)}: providers from {mode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
