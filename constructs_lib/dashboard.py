"""DashboardConstruct: one CloudWatch dashboard per environment (lag, writer health, monitor health).

The monitor's metrics are queried with exactly the dimension sets the monitor emits
(``functions/replication_monitor/contract.py``): CloudWatch matches dimensions exactly, so a widget
that leaves out one (Powertools adds ``service``) stays empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from functions.replication_monitor import contract


@dataclass(frozen=True, kw_only=True)
class DashboardProps:
    provider: AwsProvider
    name: str
    environment: str
    home_region: str
    clusters: tuple[tuple[str, str], ...]  # (region, cluster identifier), every member
    monitor_function_name: str
    monitor_regions: tuple[str, ...]


def _widget(title: str, metrics: list[list[Any]], region: str, y: int, x: int = 0, stat: str = "Maximum") -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {"title": title, "metrics": metrics, "region": region, "stat": stat, "period": 60, "view": "timeSeries"},
    }


def _metric(namespace: str, name: str, dimensions: dict[str, str], options: dict[str, str]) -> list[Any]:
    row: list[Any] = [namespace, name]
    for key, value in dimensions.items():
        row.extend([key, value])
    return [*row, options]


def dashboard_body(props: DashboardProps) -> str:
    lag = [
        _metric("AWS/RDS", metric, {"DBClusterIdentifier": identifier}, {"region": region, "label": f"{identifier} {short}"})
        for region, identifier in props.clusters
        for metric, short in (("AuroraGlobalDBReplicationLag", "replication"), ("AuroraGlobalDBRPOLag", "RPO"))
    ]
    reported = [
        _metric(
            contract.NAMESPACE,
            contract.Metric.REPLICATION_LAG,
            contract.lag_dimensions(props.environment, identifier),
            {"region": monitor_region, "label": f"{identifier} seen from {monitor_region}"},
        )
        for monitor_region in props.monitor_regions
        for _, identifier in props.clusters
    ]
    writer = [
        _metric(
            contract.NAMESPACE,
            contract.Metric.WRITER_IN_MONITOR_REGION,
            contract.summary_dimensions(props.environment),
            {"region": region, "label": region},
        )
        for region in props.monitor_regions
    ]
    healthy = [
        _metric(
            contract.NAMESPACE,
            contract.Metric.WRITER_HEALTHY,
            contract.writer_healthy_dimensions(props.environment, watched),
            {"region": observer, "label": f"writer in {watched}, seen from {observer}"},
        )
        for observer in props.monitor_regions
        for watched in props.monitor_regions
        if watched != observer
    ]
    health = [
        _metric("AWS/Lambda", metric, {"FunctionName": props.monitor_function_name}, {"region": region, "label": f"{metric} {region}"})
        for region in props.monitor_regions
        for metric in ("Errors", "Throttles", "Invocations")
    ]
    widgets = [
        _widget("Global database lag per member (ms, secondary region metrics)", lag, props.home_region, 0),
        _widget("Lag reported by the monitor (s)", reported, props.home_region, 0, x=12),
        _widget("Writer in this region (1 = yes)", writer, props.home_region, 6),
        _widget("Writer healthy, seen from another region (1 = yes)", healthy, props.home_region, 6, x=12, stat="Minimum"),
        _widget("Replication monitor health", health, props.home_region, 12, stat="Sum"),
    ]
    return json.dumps({"widgets": widgets}, sort_keys=True)


class DashboardConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: DashboardProps) -> None:
        super().__init__(scope, construct_id)
        dashboard = CloudwatchDashboard(self, "dashboard", provider=props.provider, dashboard_name=props.name, dashboard_body=dashboard_body(props))
        self.dashboard_name: str = dashboard.dashboard_name
