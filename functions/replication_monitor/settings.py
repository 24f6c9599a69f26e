"""Configuration from environment variables, parsed once at cold start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class MissingSetting(RuntimeError):
    pass


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is missing or empty")
    return value


@dataclass(frozen=True)
class MonitorSettings:
    environment: str
    region: str
    global_cluster_id: str
    alert_topic_arn: str
    state_parameter: str
    threshold_seconds: float
    state_key_id: str | None = None  # KMS key of the SecureString state parameter

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> MonitorSettings:
        raw_threshold = _required(environ, "LAG_THRESHOLD_SECONDS")
        try:
            threshold = float(raw_threshold)
        except ValueError:
            raise MissingSetting(f"environment variable LAG_THRESHOLD_SECONDS is not a number: {raw_threshold!r}") from None
        if threshold <= 0:
            raise MissingSetting(f"environment variable LAG_THRESHOLD_SECONDS must be positive, got {raw_threshold!r}")
        return cls(
            environment=_required(environ, "DRKIT_ENVIRONMENT"),
            region=_required(environ, "AWS_REGION"),
            global_cluster_id=_required(environ, "GLOBAL_CLUSTER_ID"),
            alert_topic_arn=_required(environ, "ALERT_TOPIC_ARN"),
            state_parameter=_required(environ, "STATE_PARAMETER"),
            threshold_seconds=threshold,
            state_key_id=environ.get("STATE_KEY_ID") or None,
        )
