"""Embedded metric format: the metrics CloudWatch Logs extracts from what a Lambda prints.

Used where a handler runs in-process (the game day publishes what it extracts; the monitor's tests
check the dimensions it emits), so both read EMF the way CloudWatch does, in one place. A metric
definition's ``StorageResolution`` (1: high resolution, stored to the second; 60 or absent: standard)
is kept on the datum, as CloudWatch keeps it (CloudWatch User Guide, "Specification: Embedded metric
format", ``MetricDefinition``), and so is the document's own ``Timestamp`` when asked for.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def emf_metrics(output: str, *, timestamps: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """What CloudWatch Logs extracts from embedded-metric-format documents: (namespace, datum) pairs.

    With ``timestamps``, each datum carries its document's ``_aws.Timestamp`` (milliseconds since the
    epoch) as ``Timestamp``: the time the metric is stored at."""
    found = []
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        stamp = document["_aws"].get("Timestamp")
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = [{"Name": name, "Value": str(document[name])} for name in dimension_set]
                for metric in directive["Metrics"]:
                    values = document[metric["Name"]]
                    for value in values if isinstance(values, list) else [values]:
                        datum: dict[str, Any] = {"MetricName": metric["Name"], "Dimensions": dimensions, "Value": float(value)}
                        if metric.get("Unit"):
                            datum["Unit"] = metric["Unit"]
                        if metric.get("StorageResolution"):
                            datum["StorageResolution"] = int(metric["StorageResolution"])
                        if timestamps and stamp is not None:
                            datum["Timestamp"] = datetime.fromtimestamp(int(stamp) / 1000, UTC)
                        found.append((directive["Namespace"], datum))
    return found
