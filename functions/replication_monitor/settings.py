"""Configuration from environment variables, parsed once at cold start (names: ``contract.Env``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .contract import Env
from .preserve import PreservationSettings


class MissingSetting(RuntimeError):
    pass


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is missing or empty")
    return value


def _positive(environ: Mapping[str, str], name: str) -> float:
    raw = _required(environ, name)
    try:
        value = float(raw)
    except ValueError:
        raise MissingSetting(f"environment variable {name} is not a number: {raw!r}") from None
    if value <= 0:
        raise MissingSetting(f"environment variable {name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class MonitorSettings:
    environment: str
    region: str
    global_cluster_id: str
    alert_topic_arn: str
    state_parameter: str
    lag_alarm_threshold_seconds: float
    member_regions: tuple[str, ...]
    state_key_id: str | None = None  # KMS key of the SecureString state parameter
    preservation: PreservationSettings | None = None  # the point-of-failure snapshot (``preserve``); None: not deployed with it

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> MonitorSettings:
        environment = _required(environ, Env.ENVIRONMENT)
        region = _required(environ, Env.REGION)
        member_regions = tuple(r for r in _required(environ, Env.MEMBER_REGIONS).split(",") if r)
        preservation = None
        if environ.get(Env.LOCAL_CLUSTER_ID):  # the preservation variables come together
            preservation = PreservationSettings(
                environment=environment,
                region=region,
                member_regions=member_regions,
                cluster=_required(environ, Env.LOCAL_CLUSTER_ID),
                key_id=environ.get(Env.SNAPSHOT_KEY_ID) or None,
                lossy_failover_parameter=_required(environ, Env.LOSSY_FAILOVER_PARAMETER),
                wait_seconds=_positive(environ, Env.SNAPSHOT_WAIT_SECONDS),
                command=_required(environ, Env.RECONCILE_COMMAND),
                global_cluster_id=_required(environ, Env.GLOBAL_CLUSTER_ID),
            )
        return cls(
            environment=environment,
            region=region,
            global_cluster_id=_required(environ, Env.GLOBAL_CLUSTER_ID),
            alert_topic_arn=_required(environ, Env.ALERT_TOPIC_ARN),
            state_parameter=_required(environ, Env.STATE_PARAMETER),
            lag_alarm_threshold_seconds=_positive(environ, Env.LAG_ALARM_THRESHOLD_SECONDS),
            member_regions=member_regions,
            state_key_id=environ.get(Env.STATE_KEY_ID) or None,
            preservation=preservation,
        )
