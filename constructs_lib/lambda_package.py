"""Deterministic Lambda zips of the ``functions`` package's sources (no archive provider needed).

The same sources always give the same bytes (sorted entries, fixed timestamps and modes), so
``source_code_hash`` changes only when the code does and a re-synth never forces an update. The
sources are found through the installed ``functions`` package (a checkout or a wheel alike); the zips
are built outside it, in ``$DRKIT_BUILD_DIR`` when set, else in a temporary directory of this process.
``TerraformAsset`` copies each zip into the synthesized output, so where it was built never shows.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import functions

FUNCTIONS_DIR = Path(functions.__file__).resolve().parent
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class LambdaPackage:
    path: Path
    source_code_hash: str  # base64 SHA-256 of the zip, as Lambda reports CodeSha256


@cache
def default_build_dir() -> Path:
    """``$DRKIT_BUILD_DIR``, else a directory of this process, removed when it exits."""
    chosen = os.environ.get("DRKIT_BUILD_DIR")
    if chosen:
        return Path(chosen)
    scratch = Path(tempfile.mkdtemp(prefix="drkit-lambda-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return scratch


def package_files(package: str) -> list[Path]:
    root = FUNCTIONS_DIR / package
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


@cache
def build_package(package: str, build_dir: Path | None = None) -> LambdaPackage:
    """Zip ``functions/<package>`` as the top-level package ``<package>`` of the archive."""
    files = package_files(package)
    if not files:
        raise ValueError(f"functions/{package}: no Python sources to package")
    build_dir = build_dir or default_build_dir()
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
