"""LambdaConcurrencyQuotaCheck: the account's Lambda concurrency quota, as Service Quotas reports it at plan time,
against what drkit reserves.

Reserved concurrency comes out of the account's per-region concurrency, and Lambda keeps 100 of it unreserved ("You
can reserve concurrency for as many functions as you like, as long as you leave at least 100 simultaneous executions
unreserved", Lambda API, PutFunctionConcurrency). The quota is the account's: "Concurrent executions" (Service Quotas
``lambda``/``L-B99A9384``) is 1,000 by default, and "New AWS accounts have reduced concurrency and memory quotas"
(Lambda developer guide, "Lambda quotas"; 10 is common). Synth checks the configured ``lambda_concurrency_quota``;
every plan also reads the quota (``data "aws_servicequotas_service_quota"``), and a postcondition of that read (checked
as soon as Terraform reads it during the plan) stops the plan when the reported quota itself is too low.

It is a first line, not the last word; two things it cannot see:

* Service Quotas reports an applied value only when one was applied to the account. Otherwise GetServiceQuota answers
  NoSuchResourceException and the provider keeps the *default* (1,000) as ``value`` ("A Service Quota will always
  have a default value, but will only have a current value if it has been set. If it is not set, `GetServiceQuota`
  will return "NoSuchResourceException"", terraform-provider-aws internal/service/servicequotas/
  service_quota_data_source.go; hashicorp/terraform-provider-aws#19745 for this very quota). Such an account passes
  whatever its real quota.
* Lambda refuses on the *unreserved* concurrency, not on the quota: other functions' reservations in the account count.

What Lambda enforces is read by ``drkit plan`` before it plans (GetAccountSettings in every region,
``drkit/lambda_concurrency.py``), which refuses a plan whose reservations would not fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_servicequotas_service_quota import DataAwsServicequotasServiceQuota
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

SERVICE_CODE = "lambda"
QUOTA_CODE = "L-B99A9384"  # Concurrent executions


@dataclass(frozen=True, kw_only=True)
class LambdaConcurrencyQuotaProps:
    provider: AwsProvider
    region: str
    reserved: int  # what drkit reserves in the region (monitor + runbook)
    unreserved_minimum: int  # what Lambda keeps unreserved (100)
    detail: str  # how ``reserved`` is made up, for the message


class LambdaConcurrencyQuotaCheck(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: LambdaConcurrencyQuotaProps) -> None:
        super().__init__(scope, construct_id)
        needed = props.reserved + props.unreserved_minimum
        message = (
            f"Lambda's concurrency quota in {props.region} (Service Quotas, {SERVICE_CODE} {QUOTA_CODE}, Concurrent executions) is "
            f"${{self.value}} as Service Quotas reports it: drkit reserves {props.reserved} ({props.detail}) and Lambda keeps "
            f"{props.unreserved_minimum} unreserved, so the account needs at least {needed}. New accounts start lower: request an "
            "increase in Service Quotas before applying (or lower monitor_reserved_concurrency)."
        )
        self.quota = DataAwsServicequotasServiceQuota(
            self,
            "quota",
            provider=props.provider,
            service_code=SERVICE_CODE,
            quota_code=QUOTA_CODE,
            lifecycle=TerraformResourceLifecycle(postcondition=[Postcondition(condition=f"${{self.value >= {needed}}}", error_message=message)]),
        )
