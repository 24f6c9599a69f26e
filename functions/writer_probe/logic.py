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
while the API answers, an API problem alone fails the control path while the database answers. A failure
of this container (a client that cannot be made, no credentials) is neither: the control path then has no
verdict, and neither has the probe.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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
    api_up: bool | None  # None: the control path was not judged (an error of this container, not of the writer's region)

    @property
    def judged(self) -> bool:
        return self.api_up is not None

    @property
    def lost(self) -> bool:
        return not self.data_path_up and self.api_up is False

    def metrics(self) -> dict[str, int]:
        """The writer metrics of this probe. Without a control-path verdict only the data path is reported:
        ``WriterLost`` needs both paths judged."""
        from .contract import Metric

        if self.api_up is None:
            return {Metric.DATA_PATH_UP: int(self.data_path_up)}
        return {
            Metric.DATA_PATH_UP: int(self.data_path_up),
            Metric.API_UP: int(self.api_up),
            Metric.LOST: int(self.lost),
            Metric.API_ONLY_DOWN: int(self.data_path_up and not self.api_up),
        }


@dataclass(frozen=True)
class Outcome:
    """One probe: the writer it judged (or found here), its result, and why it has no verdict when it has none."""

    writer: Writer | None
    result: ProbeResult | None = None  # None: nothing judged (the writer is here, or unknown, or a local error)
    home: bool = False  # the writer is in this region: nothing to judge, by design
    problem: str | None = None

    @property
    def verdict(self) -> bool:
        """Did this probe do its job: judge the writer on both paths, or find it here?"""
        return self.home or (self.result is not None and self.result.judged)

    def metric_data(self, environment: str, at: datetime) -> list[dict[str, Any]]:
        """The PutMetricData ``MetricData`` of this probe: every metric at the probe's own time, high resolution."""
        from .contract import STORAGE_RESOLUTION, Metric, verdict_dimensions, writer_dimensions

        def datum(name: str, value: int, dimensions: Mapping[str, str]) -> dict[str, Any]:
            return {
                "MetricName": name,
                "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
                "Timestamp": at,
                "Value": float(value),
                "Unit": "Count",
                "StorageResolution": STORAGE_RESOLUTION,
            }

        data = [datum(Metric.VERDICT, int(self.verdict), verdict_dimensions(environment))]
        if self.result is not None:
            writer = writer_dimensions(environment, self.result.writer_region)
            data += [datum(name, value, writer) for name, value in self.result.metrics().items()]
        return data


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
