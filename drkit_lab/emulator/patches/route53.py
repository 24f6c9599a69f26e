"""Route 53: health checks over CloudWatch alarms, calculated checks, private zones."""

from __future__ import annotations

from typing import Any

from moto.route53 import models as route53_models
from moto.route53 import responses as route53_responses

from drkit_lab.emulator.patches.registry import patch


@patch
def cloudwatch_metric_health_checks() -> None:
    """AWS: a CLOUDWATCH_METRIC health check returns its AlarmIdentifier and
    InsufficientDataHealthStatus, and no IPAddress, Port, RequestInterval or FailureThreshold.

    moto drops the first two and invents defaults for the others (RequestInterval 30, Port 80),
    so the provider sees drift on every plan and replaces the health check.
    """
    original_create = route53_responses.Route53.create_health_check
    original_config = route53_models.HealthCheck.health_check_config.fget  # type: ignore[attr-defined]

    def create(self: route53_responses.Route53) -> Any:
        result = original_create(self)
        config = self._get_param("HealthCheckConfig")
        health_check = result.result["HealthCheck"]  # type: ignore[attr-defined]
        health_check.alarm_identifier = config.get("AlarmIdentifier")
        health_check.insufficient_data_health_status = config.get("InsufficientDataHealthStatus")
        return result

    def config(self: route53_models.HealthCheck) -> dict[str, Any]:
        if self.type_ != "CLOUDWATCH_METRIC":
            return dict(original_config(self))
        return {
            "Type": self.type_,
            "Inverted": self.inverted,
            "Disabled": self.disabled,
            "AlarmIdentifier": getattr(self, "alarm_identifier", None),
            "InsufficientDataHealthStatus": getattr(self, "insufficient_data_health_status", None),
        }

    route53_responses.Route53.create_health_check = create  # type: ignore[method-assign]
    route53_models.HealthCheck.health_check_config = property(config)  # type: ignore[assignment,method-assign]


@patch
def hosted_zone_created_with_a_vpc_is_private() -> None:
    """AWS: CreateHostedZone with a ``VPC`` creates a private hosted zone (the provider sends no
    ``HostedZoneConfig.PrivateZone``, which is implied by the VPC).

    moto treats the zone as public unless ``PrivateZone`` is set, and then refuses to associate
    the other VPCs ("You're trying to associate a VPC with a public hosted zone").
    """
    original = route53_responses.Route53.create_hosted_zone

    def create(self: route53_responses.Route53) -> Any:
        result = original(self)
        vpc_id = self._get_param("VPC.VPCId")
        zone = result.result["HostedZone"]  # type: ignore[attr-defined]
        if vpc_id and not zone.private_zone:
            zone.private_zone = True
            self.backend.associate_vpc_with_hosted_zone(zone.id, vpc_id, self._get_param("VPC.VPCRegion"))
        return result

    route53_responses.Route53.create_hosted_zone = create  # type: ignore[method-assign]


@patch
def health_check_status() -> None:
    """AWS: GetHealthCheckStatus refuses a CALCULATED health check ("You can't use
    GetHealthCheckStatus to get the status of a calculated health check", Route 53 API reference,
    API_GetHealthCheckStatus; the documented error is InvalidInput) and otherwise reports what the
    health checkers observed.

    moto answers "Success" for every check of every type. The emulator refuses calculated checks
    and reports the status its evaluator last decided (``drkit_lab/emulator/control.py``), healthy until
    then: "Route 53 considers a new health check to be healthy until there's enough data".
    """
    from moto.route53.exceptions import InvalidInput

    from drkit_lab.emulator import control

    original = route53_responses.Route53.get_health_check_status

    def status(self: route53_responses.Route53) -> Any:
        health_check_id = self._get_param("HealthCheckId")
        health_check = self.backend.get_health_check(health_check_id)
        if health_check.type_ == "CALCULATED":
            raise InvalidInput("You can't use GetHealthCheckStatus to get the status of a calculated health check.")
        result = original(self)
        healthy = control.STATE.health_checks.get(health_check_id, True)
        for observation in result.result["HealthCheckObservations"]:  # type: ignore[attr-defined]
            observation["StatusReport"]["Status"] = (
                "Success: CloudWatch alarm data stream says OK" if healthy else "Failure: CloudWatch alarm data stream says ALARM"
            )
        return result

    route53_responses.Route53.get_health_check_status = status  # type: ignore[method-assign]


@patch
def cloudwatch_metric_health_checks_read_standard_resolution_alarms() -> None:
    """AWS: a CLOUDWATCH_METRIC health check's alarm — "Route 53 supports CloudWatch alarms with the
    following features: Standard-resolution metrics. High-resolution metrics aren't supported" (Route 53 API
    Reference, ``AlarmIdentifier``).

    moto accepts any alarm. The emulator refuses a health check over an alarm with a sub-minute period
    (InvalidInput; what AWS does with one is not documented, so the emulator fails loudly rather than
    evaluate a check AWS does not support): the writer probe's 10 s alarms cannot steer DNS.
    """
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.route53.exceptions import InvalidInput

    original = route53_responses.Route53.create_health_check

    def create(self: route53_responses.Route53) -> Any:
        config = self._get_param("HealthCheckConfig") or {}
        alarm = config.get("AlarmIdentifier") or {}
        if config.get("Type") == "CLOUDWATCH_METRIC" and alarm.get("Name") and alarm.get("Region"):
            backend = cloudwatch_backends[self.current_account][alarm["Region"]]
            found = backend.alarms.get(alarm["Name"])
            if found is not None and found.period is not None and int(found.period) < 60:
                raise InvalidInput(
                    f"CloudWatch alarm {alarm['Name']} has a {found.period} s period (a high-resolution alarm): "
                    "Route 53 health checks support standard-resolution metrics only"
                )
        return original(self)

    route53_responses.Route53.create_health_check = create  # type: ignore[method-assign]
