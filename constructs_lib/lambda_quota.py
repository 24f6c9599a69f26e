"""LambdaConcurrencyQuotaCheck: the account's Lambda concurrency quota, read at plan time, against what drkit reserves.

Reserved concurrency comes out of the account's per-region concurrency quota, and Lambda keeps 100 of it
unreserved ("You can reserve concurrency for as many functions as you like, as long as you leave at least 100
simultaneous executions unreserved", Lambda API, PutFunctionConcurrency). The quota is the account's: "Concurrent
executions" (Service Quotas ``lambda``/``L-B99A9384``) is 1,000 by default, and "New AWS accounts have reduced
concurrency and memory quotas" (Lambda developer guide, "Lambda quotas"; 10 is common). Synth checks the configured
``lambda_concurrency_quota``; only the account knows its real quota, so every plan reads it
(``data "aws_servicequotas_service_quota"``) and a postcondition of that read stops the plan with the reason,
instead of an apply failing at the function with "decreases account's UnreservedConcurrentExecution below its
minimum value". (A postcondition of the data source is checked as soon as Terraform reads it during the plan.)
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
            f"${{self.value}}: drkit reserves {props.reserved} ({props.detail}) and Lambda keeps {props.unreserved_minimum} unreserved, "
            f"so the account needs at least {needed}. New accounts start lower: request an increase in Service Quotas before applying "
            "(or lower monitor_reserved_concurrency)."
        )
        self.quota = DataAwsServicequotasServiceQuota(
            self,
            "quota",
            provider=props.provider,
            service_code=SERVICE_CODE,
            quota_code=QUOTA_CODE,
            lifecycle=TerraformResourceLifecycle(postcondition=[Postcondition(condition=f"${{self.value >= {needed}}}", error_message=message)]),
        )
