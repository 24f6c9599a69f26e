"""Catalog of aurora-postgresql versions that support Aurora Global Database.

The catalog is data shipped with the project (``data/aurora_postgresql_global_versions.json``),
not literals in construct code. It is checked twice: at synth time here (a version outside the
catalog never reaches Terraform) and at plan time by a ``data "aws_rds_engine_version"``
postcondition against the live API (a version AWS has since withdrawn fails ``terraform plan``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG_PATH = Path(__file__).resolve().parent / "data" / "aurora_postgresql_global_versions.json"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True, kw_only=True)
class EngineCatalog:
    engine: str
    checked_on: str
    source: str
    versions: tuple[str, ...]

    @property
    def majors(self) -> tuple[int, ...]:
        return tuple(sorted({version_key(v)[0] for v in self.versions}))

    def versions_of(self, major: int) -> tuple[str, ...]:
        return tuple(v for v in self.versions if version_key(v)[0] == major)

    def newest(self, major: int | None = None) -> str:
        """Newest version overall, or of one major; the default when config names none."""
        chosen_major = self.majors[-1] if major is None else major
        candidates = self.versions_of(chosen_major)
        if not candidates:
            raise LookupError(chosen_major)
        return candidates[-1]


def parse_catalog(document: dict[str, object]) -> EngineCatalog:
    versions = document["versions"]
    if not isinstance(versions, list) or not versions:
        raise ValueError("catalog 'versions' must be a non-empty list")
    return EngineCatalog(
        engine=str(document["engine"]),
        checked_on=str(document["checked_on"]),
        source=str(document["source"]),
        versions=tuple(sorted({str(v) for v in versions}, key=version_key)),
    )


@cache
def load_catalog(path: Path = CATALOG_PATH) -> EngineCatalog:
    return parse_catalog(json.loads(path.read_text(encoding="utf-8")))
