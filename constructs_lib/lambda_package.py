"""Deterministic Lambda zips from ``functions/<package>`` (no archive provider needed).

The same sources always give the same bytes (sorted entries, fixed timestamps and modes), so
``source_code_hash`` changes only when the code does and a re-synth never forces an update.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = PROJECT_DIR / "functions"
BUILD_DIR = PROJECT_DIR / ".drkit" / "build"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class LambdaPackage:
    path: Path
    source_code_hash: str  # base64 SHA-256 of the zip, as Lambda reports CodeSha256


def package_files(package: str) -> list[Path]:
    root = FUNCTIONS_DIR / package
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


@cache
def build_package(package: str, build_dir: Path = BUILD_DIR) -> LambdaPackage:
    """Zip ``functions/<package>`` as the top-level package ``<package>`` of the archive."""
    files = package_files(package)
    if not files:
        raise ValueError(f"functions/{package}: no Python sources to package")
    build_dir.mkdir(parents=True, exist_ok=True)
    staging = build_dir / f".{package}.zip.tmp"
    with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            info = zipfile.ZipInfo(str(file.relative_to(FUNCTIONS_DIR)), date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    digest = hashlib.sha256(staging.read_bytes())
    target = build_dir / f"{package}-{digest.hexdigest()[:16]}.zip"
    staging.replace(target)
    return LambdaPackage(path=target, source_code_hash=base64.b64encode(digest.digest()).decode())
