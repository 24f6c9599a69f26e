"""Before ``drkit plan``: does each region leave Lambda room for the concurrency drkit reserves?

Lambda refuses a reservation on the account's *unreserved* concurrency, not on its quota: "You can reserve
concurrency for as many functions as you like, as long as you leave at least 100 simultaneous executions
unreserved for functions that aren't configured with a per-function limit" (Lambda API reference,
PutFunctionConcurrency). The stack's plan-time check (``constructs_lib/lambda_quota.py``) reads the quota from
Service Quotas, which reports the default when no value was ever applied to the account and knows nothing of
other functions' reservations. This preflight reads what Lambda enforces: GetAccountSettings returns
``AccountLimit.ConcurrentExecutions`` ("The maximum number of simultaneous function executions") and
``AccountLimit.UnreservedConcurrentExecutions`` ("The maximum number of simultaneous function executions, minus
the capacity that's reserved for individual functions with PutFunctionConcurrency", Lambda API reference,
GetAccountSettings / AccountLimit), in every region of the environment.

What drkit will reserve is read from the synthesized stack (every ``aws_lambda_function`` with
``reserved_concurrent_executions``); what its own functions already reserve (GetFunction, ``Concurrency``) is
already counted out of the unreserved pool, so only the increase must fit. The plan is refused (exit 3) when that
increase would leave less than Lambda's 100 unreserved. The caller needs ``lambda:GetAccountSettings`` and
``lambda:GetFunction``, as the identity Terraform plans with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from constructs_lib.config.model import LAMBDA_UNRESERVED_MINIMUM

Client = Callable[[str, str], Any]  # (service, region) -> boto3 client
SETTING = "monitor_reserved_concurrency"


@dataclass(frozen=True)
class Reservation:
    region: str
    function_name: str
    reserved: int


class PreflightError(RuntimeError):
    """Lambda's account settings could not be read (no credentials, access denied, an unreachable region)."""


def reservations(stack: Mapping[str, Any]) -> list[Reservation]:
    """The reserved concurrency of every function of a synthesized stack (``cdk.tf.json``), with its region."""
    providers = stack.get("provider", {}).get("aws", [])
    regions = {(f"aws.{p['alias']}" if p.get("alias") else "aws"): str(p.get("region", "?")) for p in providers}
    found = []
    for body in (stack.get("resource", {}).get("aws_lambda_function") or {}).values():
        reserved = body.get("reserved_concurrent_executions")
        # The provider's -1 (its default) means "no reservation".
        if isinstance(reserved, int) and reserved >= 0:
            found.append(Reservation(regions.get(str(body.get("provider", "aws")), "?"), str(body["function_name"]), reserved))
    return found


def _already_reserved(lam: Any, function_name: str) -> int:
    """What the function reserves now; 0 when it does not exist yet (or its name is only known at apply)."""
    if "${" in function_name:
        return 0
    try:
        answer = lam.get_function(FunctionName=function_name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return 0
        raise
    return int((answer.get("Concurrency") or {}).get("ReservedConcurrentExecutions") or 0)


def refusal(wanted: Iterable[Reservation], client: Client) -> str | None:
    """One line naming the first region where drkit's reservations would not fit, or None when all fit."""
    by_region: dict[str, list[Reservation]] = {}
    for item in wanted:
        by_region.setdefault(item.region, []).append(item)
    for region, items in by_region.items():
        lam = client("lambda", region)
        try:
            limit = lam.get_account_settings()["AccountLimit"]
            more = {item.function_name: max(0, item.reserved - _already_reserved(lam, item.function_name)) for item in items}
        except (BotoCoreError, ClientError) as error:  # no credentials, access denied, an unreachable endpoint
            raise PreflightError(
                f"could not read Lambda's concurrency in {region} ({error}); the plan identity needs lambda:GetAccountSettings and lambda:GetFunction"
            ) from error
        added = sum(more.values())
        total, unreserved = int(limit["ConcurrentExecutions"]), int(limit["UnreservedConcurrentExecutions"])
        if added and unreserved - added < LAMBDA_UNRESERVED_MINIMUM:
            detail = ", ".join(f"{name} +{n}" for name, n in more.items() if n)
            return (
                f"Lambda in {region} has {unreserved} of the account's {total} concurrent executions unreserved (GetAccountSettings); "
                f"drkit would reserve {added} more there ({detail}), leaving {unreserved - added}, below Lambda's minimum of "
                f"{LAMBDA_UNRESERVED_MINIMUM} unreserved: raise the account's Lambda concurrency quota or free reserved concurrency "
                f"in {region}, or lower {SETTING}"
            )
    return None


def boto3_clients(extra: Mapping[str, str], home_region: str, deploy_role_arn: str | None, session_name: str) -> Client:
    """Clients as Terraform reaches AWS for this stack: the endpoint and credentials ``extra`` gives (the local
    lab's emulator), else the caller's own, through the deploy role when the environment names one (the
    provider's ``assume_role``)."""
    import boto3

    endpoint = extra.get("AWS_ENDPOINT_URL")
    keys = {}
    if "AWS_ACCESS_KEY_ID" in extra:
        keys = {"aws_access_key_id": extra["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": extra.get("AWS_SECRET_ACCESS_KEY", "")}
    session = boto3.Session(**keys)
    if deploy_role_arn:
        sts = session.client("sts", region_name=home_region, endpoint_url=endpoint)
        try:
            credentials = sts.assume_role(RoleArn=deploy_role_arn, RoleSessionName=session_name)["Credentials"]
        except (BotoCoreError, ClientError) as error:
            raise PreflightError(f"could not assume the deploy role {deploy_role_arn} to read Lambda's concurrency ({error})") from error
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def client(service: str, region: str) -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint)

    return client
