"""The runbook Lambda's configuration, from environment variables, parsed once at cold start."""

from __future__ import annotations

from collections.abc import Mapping

from .contract import Env
from .runner import RunbookSettings


class MissingSetting(RuntimeError):
    pass


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is missing or empty")
    return value


def from_env(environ: Mapping[str, str]) -> RunbookSettings:
    region = _required(environ, Env.REGION)
    raw_lag = _required(environ, Env.SWITCHOVER_MAX_LAG_SECONDS)
    try:
        max_lag = float(raw_lag)
    except ValueError:
        raise MissingSetting(f"environment variable {Env.SWITCHOVER_MAX_LAG_SECONDS} is not a number: {raw_lag!r}") from None
    if max_lag <= 0:
        raise MissingSetting(f"environment variable {Env.SWITCHOVER_MAX_LAG_SECONDS} must be positive, got {raw_lag!r}")
    return RunbookSettings(
        environment=_required(environ, Env.ENVIRONMENT),
        home_region=region,
        global_cluster_id=_required(environ, Env.GLOBAL_CLUSTER_ID),
        alert_topic_arns={region: _required(environ, Env.ALERT_TOPIC_ARN)},
        zone_id=environ.get(Env.ZONE_ID) or None,
        record_names=tuple(n for n in environ.get(Env.RECORD_NAMES, "").split(",") if n),
        switchover_max_lag_seconds=max_lag,
        lossy_failover_parameter=environ.get(Env.LOSSY_FAILOVER_PARAMETER) or None,
    )
