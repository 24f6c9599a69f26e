"""Connecting to the restored copy and to the writer: the AWS endpoint name, ``sslmode=verify-full``, the master user.

As the README tells applications to connect: to the AWS endpoint name (the certificate names it), with
the RDS CA bundle, ``verify-full``; one bundle for both connections, so the one for all regions
(``global-bundle.pem``): the restored copy is in the old primary's region, the writer in another.
On AWS the name resolves through DNS, so the tool must run where it reaches both databases: inside
the VPC (a pod of the region's EKS cluster, an SSM session on an instance in the app subnets); the
database security group admits 5432 from the app subnets only. On the local emulator
(``AWS_ENDPOINT_URL``), the emulator's endpoint map stands in for DNS and its CA for the RDS CA, as
for the ledger.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from typing import Any

from drkit.reconcile.aws import Credentials

POSTGRES_PORT = 5432
CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Resolver:
    """Where a name is served: DNS on AWS (``emulator_url`` None), the emulator's endpoint map locally."""

    emulator_url: str | None = None

    def endpoints(self) -> dict[str, Any]:
        if self.emulator_url is None:
            return {}
        with urllib.request.urlopen(f"{self.emulator_url.rstrip('/')}/_drkit/dataplane", timeout=10) as response:
            return dict(json.loads(response.read()))

    def address(self, host: str) -> tuple[str | None, int]:
        if self.emulator_url is None:
            return None, POSTGRES_PORT
        target = self.endpoints().get("endpoints", {}).get(host)
        if target is None:
            raise RuntimeError(f"no database answers {host} (the emulator's endpoint map does not name it)")
        return str(target["host"]), int(target["port"])

    def default_ca_bundle(self) -> str | None:
        """The emulator's CA (standing in for the RDS CA bundle); on AWS, ``PGSSLROOTCERT`` if set."""
        if self.emulator_url is None:
            return os.environ.get("PGSSLROOTCERT") or None
        return str(self.endpoints().get("ca") or "") or None


def resolver_from_environment() -> Resolver:
    return Resolver(os.environ.get("AWS_ENDPOINT_URL") or None)


def connect(host: str, credentials: Credentials, resolver: Resolver, ca_bundle: str) -> Any:
    try:
        import psycopg
    except ImportError:
        raise RuntimeError("reconcile needs the PostgreSQL client: pip install 'drkit[reconcile]'") from None

    address, port = resolver.address(host)
    return psycopg.connect(
        host=host,
        hostaddr=address,
        port=port,
        user=credentials.user,
        password=credentials.password,
        dbname=credentials.database,
        sslmode="verify-full",
        sslrootcert=ca_bundle,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        application_name="drkit-reconcile",
    )
