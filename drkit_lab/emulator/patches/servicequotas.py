"""Service Quotas: Lambda's concurrency quota, as the provider's ``data "aws_servicequotas_service_quota"`` reads it."""

from __future__ import annotations

import json
from typing import Any

from moto.servicequotas import models as quota_models
from moto.servicequotas import responses as quota_responses

from drkit_lab.emulator.patches.registry import patch

LAMBDA_CONCURRENCY = ("lambda", "L-B99A9384")
AWS_DEFAULT_LAMBDA_CONCURRENCY = 1000.0  # Lambda developer guide, "Lambda quotas": Concurrent executions, default 1,000


def _lambda_concurrency(region: str, account: str, value: float, applied: bool) -> dict[str, Any]:
    service, code = LAMBDA_CONCURRENCY
    return {
        "ServiceCode": service,
        "ServiceName": "AWS Lambda",
        "QuotaArn": f"arn:aws:servicequotas:{region}:{account if applied else ''}:{service}/{code}",
        "QuotaCode": code,
        "QuotaName": "Concurrent executions",
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


@patch
def lambda_concurrency_quota() -> None:
    """AWS: Service Quotas answers GetAWSDefaultServiceQuota and GetServiceQuota for Lambda's "Concurrent executions"
    (``lambda``, ``L-B99A9384``): 1,000 by default, lower in new accounts ("New AWS accounts have reduced concurrency
    and memory quotas", Lambda developer guide, "Lambda quotas"). The provider's ``aws_servicequotas_service_quota``
    reads the default first, then the applied value (hashicorp/terraform-provider-aws,
    internal/service/servicequotas/service_quota_data_source.go).

    moto knows only VPC quotas (NoSuchResourceException) and has no GetAWSDefaultServiceQuota, so the stack's
    plan-time check of the account's quota could not be read. The applied value is the ``lambda_concurrency_quota``
    knob (``drkit_lab.emulator.knobs``, default 1,000), so a test can give the account a new account's quota."""
    original = quota_models.ServiceQuotasBackend.get_service_quota

    def get_service_quota(self: quota_models.ServiceQuotasBackend, service_code: str, quota_code: str) -> dict[str, Any]:
        if (service_code, quota_code) == LAMBDA_CONCURRENCY:
            from drkit_lab.emulator.knobs import KNOBS

            return _lambda_concurrency(self.region_name, self.account_id, KNOBS.lambda_concurrency_quota, applied=True)
        return dict(original(self, service_code, quota_code))

    def get_aws_default_service_quota(self: quota_responses.ServiceQuotasResponse) -> str:
        params = json.loads(self.body)
        service_code, quota_code = str(params.get("ServiceCode")), str(params.get("QuotaCode"))
        if (service_code, quota_code) == LAMBDA_CONCURRENCY:
            quota = _lambda_concurrency(self.region, self.current_account, AWS_DEFAULT_LAMBDA_CONCURRENCY, applied=False)
        else:
            quota = dict(original(self.backend, service_code, quota_code))
        return json.dumps({"Quota": quota})

    quota_models.ServiceQuotasBackend.get_service_quota = get_service_quota  # type: ignore[method-assign]
    quota_responses.ServiceQuotasResponse.get_aws_default_service_quota = get_aws_default_service_quota  # type: ignore[attr-defined]
