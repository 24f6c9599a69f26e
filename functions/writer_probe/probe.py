"""One probe: the AWS and network side around the pure logic. Clients and the resolver are injected
(moto, the emulator's endpoint map, or AWS and the VPC's DNS)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .contract import CONNECT_TIMEOUT_SECONDS, POSTGRES_PORT
from .logic import SSL_REQUEST, ProbeResult, Writer, api_says_writable, server_answered, to_judge, writer_of
from .settings import ProbeSettings

ClientFactory = Callable[[str, str], Any]  # (service, region) -> boto3 client
Resolver = Callable[[str, int], list[tuple[str, int]]]  # (host, port) -> addresses to try


def dns_resolve(host: str, port: int) -> list[tuple[str, int]]:
    """What the VPC's resolver answers (the cluster endpoint resolves to a private address in the writer's VPC)."""
    return [(str(info[4][0]), int(info[4][1])) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def data_path_up(endpoint: str, resolve: Resolver, timeout: float = CONNECT_TIMEOUT_SECONDS) -> bool:
    """A PostgreSQL server answers an SSLRequest at ``endpoint`` within ``timeout`` (connect included)."""
    deadline = time.monotonic() + timeout
    try:
        addresses = resolve(endpoint, POSTGRES_PORT)
    except (OSError, KeyError, ValueError):
        return False
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            with socket.create_connection(address, timeout=remaining) as connection:
                connection.settimeout(max(deadline - time.monotonic(), 0.01))
                connection.sendall(SSL_REQUEST)
                return server_answered(connection.recv(1))
        except OSError:
            continue
    return False


def api_up(client: ClientFactory, writer: Writer) -> bool:
    """The writer's region's RDS API answers for the writer cluster, in a state that can take writes."""
    try:
        clusters = client("rds", writer.region).describe_db_clusters(DBClusterIdentifier=writer.arn)["DBClusters"]
    except Exception:  # the region, or its API, does not answer: evidence against the writer
        return False
    return api_says_writable(clusters)


def find_writer(client: ClientFactory, settings: ProbeSettings, last_known: Writer | None) -> Writer | None:
    """The writer, read in this region (Aurora answers for every member in every member region). When this
    region's own API does not answer, the last writer it named is still the one to judge."""
    try:
        response = client("rds", settings.region).describe_global_clusters(GlobalClusterIdentifier=settings.global_cluster_id)
    except Exception:
        return last_known
    return writer_of(response, settings.global_cluster_id)


def probe(settings: ProbeSettings, client: ClientFactory, resolve: Resolver, last_known: Writer | None) -> tuple[ProbeResult | None, Writer | None]:
    """Judge the writer along both paths at once; (None, writer) when there is nothing to judge here."""
    writer = find_writer(client, settings, last_known)
    judged = to_judge(writer, settings.region)
    if judged is None:
        return None, writer
    endpoint = settings.endpoints.get(judged.region)
    with ThreadPoolExecutor(max_workers=2) as pool:
        data = pool.submit(data_path_up, endpoint, resolve) if endpoint else None
        control = pool.submit(api_up, client, judged)
        result = ProbeResult(writer_region=judged.region, data_path_up=bool(data and data.result()), api_up=control.result())
    return result, writer
