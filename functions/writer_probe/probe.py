"""One probe: the AWS and network side around the pure logic. Clients, the resolver and the thread pool are
injected (moto, the emulator's endpoint map, or AWS and the VPC's DNS).

Every probe is bounded in time (``contract``: ``FIND_WRITER_SECONDS``, ``VERDICT_SECONDS``): the calls run on
the pool and are waited for until the deadline; a call still running then has not answered, and finishes (or
times out on its own botocore or socket timeout) on its thread.

Only what the writer's region does counts against the writer: the data path's socket errors, and on the
control path the errors of the ``DescribeDBClusters`` call itself (the region answered with an error, or did
not answer: botocore's connection and HTTP client errors, socket errors). Anything else, such as a client
that cannot be made in this container (boto/boto3#1592: ``KeyError: 'credential_provider'`` when clients are
created from several threads) or missing credentials, is this container's failure: no verdict.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_for
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.parsers import ResponseParserError

from . import contract
from .contract import POSTGRES_PORT
from .logic import SSL_REQUEST, Outcome, ProbeResult, Writer, api_says_writable, server_answered, to_judge, writer_of
from .settings import ProbeSettings

ClientFactory = Callable[[str, str], Any]  # (service, region) -> boto3 client
Resolver = Callable[[str, int], list[tuple[str, int]]]  # (host, port) -> addresses to try
# The writer's region answered with an error, or did not answer (botocore: EndpointConnectionError and
# ConnectTimeoutError are ConnectionErrors, ReadTimeoutError and ConnectionClosedError HTTPClientErrors), or
# answered what is not its API's answer (ResponseParserError: a 5xx page in place of the query protocol's XML,
# which botocore calls retryable: "Further retries may succeed").
REMOTE_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotocoreConnectionError, HTTPClientError, ResponseParserError, OSError)


def dns_resolve(host: str, port: int) -> list[tuple[str, int]]:
    """What the VPC's resolver answers (the cluster endpoint resolves to a private address in the writer's VPC)."""
    return [(str(info[4][0]), int(info[4][1])) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def data_path_up(endpoint: str, resolve: Resolver, timeout: float = contract.CONNECT_TIMEOUT_SECONDS) -> bool:
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
    """The writer's region's RDS API answers for the writer cluster, in a state that can take writes. Raises
    on anything that is not the writer region's doing (the caller: no verdict)."""
    rds = client("rds", writer.region)
    try:
        clusters = rds.describe_db_clusters(DBClusterIdentifier=writer.arn)["DBClusters"]
    except REMOTE_ERRORS:  # the region, or its API, does not answer: evidence against the writer
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


def _first_line(error: BaseException) -> str:
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _settled(future: Future[Any], timeout: float) -> bool:
    try:
        future.result(timeout=max(timeout, 0.0))
    except FutureTimeout:
        return False
    except Exception:
        return True
    return True


def probe(settings: ProbeSettings, client: ClientFactory, resolve: Resolver, last_known: Writer | None, pool: Executor) -> Outcome:
    """Judge the writer along both paths at once, within ``VERDICT_SECONDS`` of now."""
    started = time.monotonic()
    verdict_by = started + contract.VERDICT_SECONDS
    lookup = pool.submit(find_writer, client, settings, last_known)
    writer = lookup.result() if _settled(lookup, min(contract.FIND_WRITER_SECONDS, contract.VERDICT_SECONDS)) else last_known
    if writer is None:
        return Outcome(writer=None, problem="the writer is unknown: DescribeGlobalClusters here named none, or failed before any was known")
    judged = to_judge(writer, settings.region)
    if judged is None:
        return Outcome(writer=writer, home=True)
    endpoint = settings.endpoints.get(judged.region)
    remaining = max(verdict_by - time.monotonic(), 0.0)
    data = pool.submit(data_path_up, endpoint, resolve, min(contract.CONNECT_TIMEOUT_SECONDS, remaining)) if endpoint else None
    control = pool.submit(api_up, client, judged)
    wait_for([f for f in (data, control) if f is not None], timeout=max(verdict_by - time.monotonic(), 0.0))
    problem = None
    if data is not None and data.done() and data.exception() is not None:
        error = data.exception()
        assert error is not None
        return Outcome(writer=writer, problem=f"the data path was not judged: {_first_line(error)}")
    data_up = bool(data is not None and data.done() and data.result())
    api: bool | None
    if not control.done():
        api = False  # the writer's region did not answer within the probe's deadline
    elif control.exception() is not None:
        error = control.exception()
        assert error is not None
        api, problem = None, f"the control path was not judged (an error of this container): {_first_line(error)}"
    else:
        api = control.result()
    return Outcome(writer=writer, result=ProbeResult(writer_region=judged.region, data_path_up=data_up, api_up=api), problem=problem)
