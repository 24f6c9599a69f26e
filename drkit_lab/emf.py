"""Embedded metric format: the metrics CloudWatch Logs extracts from what a Lambda prints.

Used where a handler runs in-process (the game day publishes what it extracts; the monitor's tests
check the dimensions it emits), so both read EMF the way CloudWatch does, in one place.
"""

from __future__ import annotations

import json
from typing import Any


def emf_metrics(output: str) -> list[tuple[str, dict[str, Any]]]:
    """What CloudWatch Logs extracts from embedded-metric-format documents: (namespace, datum) pairs."""
    found = []
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = [{"Name": name, "Value": str(document[name])} for name in dimension_set]
                for metric in directive["Metrics"]:
                    values = document[metric["Name"]]
                    for value in values if isinstance(values, list) else [values]:
                        datum = {"MetricName": metric["Name"], "Dimensions": dimensions, "Value": float(value)}
                        if metric.get("Unit"):
                            datum["Unit"] = metric["Unit"]
                        found.append((directive["Namespace"], datum))
    return found
