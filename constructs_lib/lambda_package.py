"""Deterministic Lambda zips from ``functions/<package>`` (no archive provider needed).

The same sources always give the same bytes (sorted entries, fixed timestamps and modes), so
``source_code_hash`` changes only when the code does and a re-synth never forces an update.

A package that reuses a module of another function (``shared``) is zipped under ``functions/``, so
its modules keep the names they have in this repository (``functions.writer_probe.handler``) and a
relative import of the shared module resolves the same way in tests and in Lambda.
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
    module_prefix: str = ""  # "functions." when zipped under functions/ (a package with shared modules)

    def handler(self, module: str) -> str:
        """The Lambda handler setting for ``<package>.<module>`` (``handler.lambda_handler``)."""
        return f"{self.module_prefix}{module}"


def package_files(package: str) -> list[Path]:
    root = FUNCTIONS_DIR / package
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


@cache
def build_package(package: str, build_dir: Path = BUILD_DIR, shared: tuple[str, ...] = ()) -> LambdaPackage:
    """Zip ``functions/<package>`` as the top-level package ``<package>`` of the archive; with ``shared``
    modules (paths under ``functions/``, such as ``replication_monitor/logic.py``), everything under
    ``functions/`` instead, the shared modules and their packages' ``__init__`` included."""
    files = package_files(package)
    if not files:
        raise ValueError(f"functions/{package}: no Python sources to package")
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
