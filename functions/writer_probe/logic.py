"""Pure decisions of the writer probe: whose writer to judge, what an answer proves, when a probe runs.

Nothing here calls AWS or opens a socket; tests call these functions with plain data.

One probe judges the writer of the global database from a region that does not hold it, along two
independent paths:

* the **data path**: a TCP connection to the writer's cluster endpoint, through the VPC peering link,
  carrying a PostgreSQL ``SSLRequest`` (8 bytes). A PostgreSQL server answers it with one byte, ``S``
  or ``N``, before any authentication ("The server then responds with a single byte containing S or N,
  indicating that it is willing or unwilling to perform SSL, respectively": PostgreSQL documentation,
  Frontend/Backend Protocol, "SSL Session Encryption"). An answer proves that the server process
  accepts connections; no credentials are needed or sent.
* the **control path**: the writer's own region's RDS API (``DescribeDBClusters``) says the writer
  cluster is in a state that can take writes (the monitor's rule, ``writer_can_write``).

The writer is *lost, seen from here* only when both fail: a peering problem alone fails the data path
while the API answers, an API problem alone fails the control path while the database answers.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..replication_monitor.logic import writer_can_write

SSL_REQUEST_CODE = 80877103  # 1234 << 16 | 5679 (PostgreSQL protocol, SSLRequest)
SSL_REQUEST = struct.pack("!II", 8, SSL_REQUEST_CODE)
SERVER_ANSWERS = (b"S", b"N")


@dataclass(frozen=True)
class Writer:
    arn: str

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    @property
    def identifier(self) -> str:
        return self.arn.rsplit(":", maxsplit=1)[-1]


@dataclass(frozen=True)
class ProbeResult:
    writer_region: str
    data_path_up: bool
    api_up: bool

    @property
    def lost(self) -> bool:
        return not self.data_path_up and not self.api_up

    def metrics(self) -> dict[str, int]:
        from .contract import Metric

        return {Metric.DATA_PATH_UP: int(self.data_path_up), Metric.API_UP: int(self.api_up), Metric.LOST: int(self.lost)}


def writer_of(response: Mapping[str, Any], global_cluster_id: str) -> Writer | None:
    """The writer member from a DescribeGlobalClusters response (None: no writer, or not found)."""
    for cluster in response.get("GlobalClusters", []):
        if cluster.get("GlobalClusterIdentifier") != global_cluster_id:
            continue
        for member in cluster.get("GlobalClusterMembers", []):
            if member.get("IsWriter"):
                return Writer(arn=str(member["DBClusterArn"]))
    return None


def to_judge(writer: Writer | None, own_region: str) -> Writer | None:
    """The writer this region judges: any writer but one in its own region (a region never judges itself:
    its verdict would fail with it)."""
    return writer if writer is not None and writer.region != own_region else None


def server_answered(reply: bytes) -> bool:
    """Did a PostgreSQL server answer the SSLRequest (``S`` or ``N``)? Anything else is not a server."""
    return reply[:1] in SERVER_ANSWERS


def api_says_writable(clusters: Sequence[Mapping[str, Any]]) -> bool:
    """From DescribeDBClusters of the writer, in the writer's region."""
    return writer_can_write(str(clusters[0].get("Status")) if clusters else None)


def probe_offsets(interval_seconds: int, probes: int) -> tuple[int, ...]:
    """Seconds from the invocation at which each probe of a run starts."""
    return tuple(index * interval_seconds for index in range(probes))


def observer_votes_lost(results: Sequence[ProbeResult], lost_after_probes: int) -> bool:
    """What the observer's "writer lost" alarm concludes from its probes, newest last: the last
    ``lost_after_probes`` probes all lost both paths (the alarm: ``lost_after_probes`` consecutive 10 s
    periods whose minimum of ``WriterLost`` is 1). Fewer probes than that are no verdict."""
    recent = results[-lost_after_probes:]
    return len(recent) == lost_after_probes and all(result.lost for result in recent)
