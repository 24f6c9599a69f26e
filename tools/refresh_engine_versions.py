"""Rebuild the global-database engine catalog from the live RDS API.

``make refresh-engine-versions`` calls DescribeDBEngineVersions (engine aurora-postgresql) in
every region given (default: the regions of all configured environments), keeps the versions
with ``SupportsGlobalDatabases`` in *every* region, and rewrites
``constructs_lib/data/aurora_postgresql_global_versions.json`` with today's date. Without AWS
credentials it says so and changes nothing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from constructs_lib.engine_catalog import CATALOG_PATH, version_key

PROJECT_DIR = Path(__file__).resolve().parent.parent


def global_versions(client: Any) -> set[str]:
    versions: set[str] = set()
    for page in client.get_paginator("describe_db_engine_versions").paginate(Engine="aurora-postgresql"):
        versions.update(v["EngineVersion"] for v in page["DBEngineVersions"] if v.get("SupportsGlobalDatabases"))
    return versions


def configured_regions() -> list[str]:
    from constructs_lib.config import load_settings

    return sorted({region for env in load_settings(PROJECT_DIR).environments for region in env.regions})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", nargs="*", help="regions to query (default: every configured region)")
    args = parser.parse_args(argv)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    session = boto3.Session()
    if session.get_credentials() is None:
        print(
            "drkit: no AWS credentials found, so the catalog was not changed. Sign in (AWS_PROFILE, "
            "aws sso login or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and run `make refresh-engine-versions` again.",
            file=sys.stderr,
        )
        return 2
    regions = args.regions or configured_regions()
    try:
        per_region = [global_versions(session.client("rds", region_name=region)) for region in regions]
    except (NoCredentialsError, ClientError, BotoCoreError) as error:
        print(f"drkit: describe-db-engine-versions failed, catalog unchanged: {error}", file=sys.stderr)
        return 1
    common = set.intersection(*per_region)
    if not common:
        print("drkit: the API returned no version with global support in every region; catalog unchanged", file=sys.stderr)
        return 1
    document = {
        "engine": "aurora-postgresql",
        "feature": "SupportsGlobalDatabases",
        "checked_on": datetime.date.today().isoformat(),
        "source": f"describe-db-engine-versions in {', '.join(regions)} (versions supported in every one)",
        "versions": sorted(common, key=version_key),
    }
    CATALOG_PATH.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"drkit: wrote {len(common)} versions to {CATALOG_PATH.relative_to(PROJECT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
