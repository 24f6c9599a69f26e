"""The probe's configuration, from environment variables parsed once at cold start (names: ``contract.Env``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .contract import PROBE_INTERVALS, Env, parse_endpoints, probes_per_run


class MissingSetting(RuntimeError):
    pass


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is missing or empty")
    return value


@dataclass(frozen=True)
class ProbeSettings:
    environment: str
    region: str
    global_cluster_id: str
    endpoints: Mapping[str, str]  # member region -> its cluster (writer) endpoint, configuration order
    interval_seconds: int
    latch_parameter: str

    @property
    def member_regions(self) -> tuple[str, ...]:
        return tuple(self.endpoints)

    @property
    def probes_per_run(self) -> int:
        return probes_per_run(self.interval_seconds)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ProbeSettings:
        raw_interval = _required(environ, Env.PROBE_INTERVAL_SECONDS)
        if not raw_interval.isdigit() or int(raw_interval) not in PROBE_INTERVALS:
            raise MissingSetting(f"environment variable {Env.PROBE_INTERVAL_SECONDS} must be one of {PROBE_INTERVALS}, got {raw_interval!r}")
        try:
            endpoints = parse_endpoints(_required(environ, Env.MEMBER_ENDPOINTS))
        except ValueError as error:
            raise MissingSetting(str(error)) from None
        return cls(
            environment=_required(environ, Env.ENVIRONMENT),
            region=_required(environ, Env.REGION),
            global_cluster_id=_required(environ, Env.GLOBAL_CLUSTER_ID),
            endpoints=endpoints,
            interval_seconds=int(raw_interval),
            latch_parameter=_required(environ, Env.LATCH_PARAMETER),
        )
