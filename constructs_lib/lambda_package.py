"""Deterministic Lambda zips of the ``functions`` package's sources (no archive provider needed).

The same sources always give the same bytes (sorted entries, fixed timestamps and modes), so
``source_code_hash`` changes only when the code does and a re-synth never forces an update. The
sources are found through the installed ``functions`` package (a checkout or a wheel alike); the zips
are built outside it, in ``$DRKIT_BUILD_DIR`` when set, else in a temporary directory of this process.
``TerraformAsset`` copies each zip into the synthesized output, so where it was built never shows.

A package that reuses a module of another function (``shared``) is zipped under ``functions/``, so
its modules keep the names they have in this repository (``functions.writer_probe.handler``) and a
relative import of the shared module resolves the same way in tests and in Lambda.
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
    module_prefix: str = ""  # "functions." when zipped under functions/ (a package with shared modules)

    def handler(self, module: str) -> str:
        """The Lambda handler setting for ``<package>.<module>`` (``handler.lambda_handler``)."""
        return f"{self.module_prefix}{module}"


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
def build_package(package: str, build_dir: Path | None = None, shared: tuple[str, ...] = ()) -> LambdaPackage:
    """Zip ``functions/<package>`` as the top-level package ``<package>`` of the archive; with ``shared``
    modules (paths under ``functions/``, such as ``replication_monitor/logic.py``), everything under
    ``functions/`` instead, the shared modules and their packages' ``__init__`` included."""
    files = package_files(package)
    if not files:
        raise ValueError(f"functions/{package}: no Python sources to package")
    build_dir = build_dir or default_build_dir()
    root = FUNCTIONS_DIR
    if shared:
        root = FUNCTIONS_DIR.parent
        extra = {FUNCTIONS_DIR / "__init__.py"}
        for module in shared:
            path = FUNCTIONS_DIR / module
            if not path.is_file():
                raise ValueError(f"functions/{module}: no such shared module")
            extra |= {path, path.parent / "__init__.py"}
        files = sorted({*files, *extra})
    build_dir.mkdir(parents=True, exist_ok=True)
    staging = build_dir / f".{package}.zip.tmp"
    with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            info = zipfile.ZipInfo(str(file.relative_to(root)), date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    digest = hashlib.sha256(staging.read_bytes())
    target = build_dir / f"{package}-{digest.hexdigest()[:16]}.zip"
    staging.replace(target)
    return LambdaPackage(path=target, source_code_hash=base64.b64encode(digest.digest()).decode(), module_prefix="functions." if shared else "")
