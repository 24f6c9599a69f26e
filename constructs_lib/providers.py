"""Providers, the S3 backend, and the emulator settings of the local environment.

One aliased ``AwsProvider`` per region (``primary``, ``secondary``, ``secondary_2`` ...) with
truthful default tags. The local environment points every AWS service the stack uses at the
emulator: the list is derived from the synthesized resources (:func:`services_used`), and a
resource type drkit cannot place is an error at synth, so a new service cannot be forgotten
(which is how ``cdktf deploy`` of the local stack once called the real SSM endpoint).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cdktf import S3Backend, S3BackendAssumeRoleConfig, S3BackendEndpointConfig, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags

from constructs_lib.config import EnvironmentConfig
from constructs_lib.naming import PROJECT_NAME
from constructs_lib.regions import RegionRole, provider_alias

MANAGED_BY = "cdktf"

# Resource and data source types -> the provider's `endpoints` key of the service they call.
# Longest prefix wins. `None`: computed by Terraform itself, no AWS call.
SERVICE_OF_TYPE: Mapping[str, str | None] = {
    "aws_availability_zones": "ec2",
    "aws_backup_": "backup",
    "aws_caller_identity": "sts",
    "aws_cloudcontrolapi_": "cloudcontrol",  # the provider's endpoints key for Cloud Control API
    "aws_cloudwatch_dashboard": "cloudwatch",
    "aws_cloudwatch_event_": "events",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_db_": "rds",
    "aws_default_security_group": "ec2",
    "aws_eip": "ec2",
    "aws_eks_": "eks",
    "aws_fis_": "fis",
    "aws_flow_log": "ec2",
    "aws_iam_openid_connect_provider": "iam",
    "aws_iam_policy": "iam",
    "aws_iam_policy_document": None,
    "aws_iam_role": "iam",
    "aws_internet_gateway": "ec2",
    "aws_kms_": "kms",
    "aws_lambda_": "lambda",
    "aws_nat_gateway": "ec2",
    "aws_rds_": "rds",
    "aws_route53_": "route53",
    "aws_route": "ec2",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_servicequotas_": "servicequotas",
    "aws_sns_": "sns",
    "aws_sqs_": "sqs",
    "aws_ssm_": "ssm",
    "aws_subnet": "ec2",
    "aws_vpc": "ec2",
}
# The S3 backend and the provider's own identity check call these whatever the stack contains.
ALWAYS_EMULATED = ("s3", "sts")


class UnknownServiceError(ValueError):
    pass


def service_of(resource_type: str) -> str | None:
    matches = [prefix for prefix in SERVICE_OF_TYPE if resource_type.startswith(prefix)]
    if not matches:
        raise UnknownServiceError(
            f"{resource_type}: drkit does not know which AWS service this type calls; add it to SERVICE_OF_TYPE in constructs_lib/providers.py"
        )
    return SERVICE_OF_TYPE[max(matches, key=len)]


def services_used(document: Mapping[str, Any]) -> tuple[str, ...]:
    """Every AWS service the synthesized stack calls (endpoint keys of the provider), sorted."""
    types: set[str] = set()
    for block in ("resource", "data"):
        types.update((document.get(block) or {}).keys())
    for check in (document.get("check") or {}).values():
        types.update((check.get("data") or {}).keys())
    services = {service_of(rtype) for rtype in types} | set(ALWAYS_EMULATED)
    return tuple(sorted(s for s in services if s))


@dataclass(frozen=True)
class RegionContext:
    """A region of the stack with its role and its aliased provider."""

    region: str
    role: RegionRole
    alias: str
    provider: AwsProvider

    @property
    def is_primary(self) -> bool:
        return self.role is RegionRole.PRIMARY


def region_providers(stack: TerraformStack, env: EnvironmentConfig) -> list[RegionContext]:
    contexts = []
    for index, region in enumerate(env.regions):
        role = RegionRole.PRIMARY if index == 0 else RegionRole.SECONDARY
        alias = provider_alias(role, max(index - 1, 0))
        tags = {**env.tags, "Environment": env.environment, "Project": PROJECT_NAME, "DR-Role": role.value, "ManagedBy": MANAGED_BY}
        provider = AwsProvider(
            stack,
            f"aws_{alias}",
            alias=alias,
            region=region,
            default_tags=[AwsProviderDefaultTags(tags=tags)],
            # Terraform refuses credentials of any other account (the provider checks them before any change).
            allowed_account_ids=[env.account_id] if env.account_id else None,
            assume_role=[AwsProviderAssumeRole(role_arn=env.deploy_role_arn, session_name=env.names.deploy_session)] if env.deploy_role_arn else None,
            **_emulator_arguments(env),
        )
        contexts.append(RegionContext(region=region, role=role, alias=alias, provider=provider))
    return contexts


def control_plane_provider(stack: TerraformStack, env: EnvironmentConfig, contexts: list[RegionContext], region: str) -> AwsProvider:
    """A provider in ``region`` for a global service's control plane: the stack's own when it has one
    there, else one more aliased provider (``<region>_control_plane``) with the same account guards.

    drkit calls Cloud Control for its ARC Region switch plans in us-east-1 whatever the stack's regions, so a stack
    in eu-west-1 and eu-central-1 gets a provider there. That is a choice, not ARC's requirement: Cloud Control is
    regional and the type is offered in every commercial region (cfn-lint's per-region provider data); the
    type's handler calls ARC's control plane, which botocore's endpoint rules place in the partition's leader
    region (us-east-1 for aws) whatever region Cloud Control runs in. One region for every stack's plans keeps
    them in one place, next to the control plane they depend on anyway. The aws partition is assumed here and
    in every ``arn:aws:`` literal (GovCloud and China have other leader regions)."""
    existing = next((ctx.provider for ctx in contexts if ctx.region == region), None)
    if existing is not None:
        return existing
    alias = f"{region.replace('-', '_')}_control_plane"
    tags = {**env.tags, "Environment": env.environment, "Project": PROJECT_NAME, "DR-Role": "control-plane", "ManagedBy": MANAGED_BY}
    return AwsProvider(
        stack,
        f"aws_{alias}",
        alias=alias,
        region=region,
        default_tags=[AwsProviderDefaultTags(tags=tags)],
        allowed_account_ids=[env.account_id] if env.account_id else None,
        assume_role=[AwsProviderAssumeRole(role_arn=env.deploy_role_arn, session_name=env.names.deploy_session)] if env.deploy_role_arn else None,
        **_emulator_arguments(env),
    )


def _emulator_arguments(env: EnvironmentConfig) -> dict[str, object]:
    if env.aws_endpoint_url is None:
        return {}
    return {
        "skip_credentials_validation": True,
        "skip_metadata_api_check": "true",
        "skip_region_validation": True,
        "s3_use_path_style": True,
    }


def point_at_emulator(contexts: Iterable[RegionContext], env: EnvironmentConfig, services: Iterable[str], extra: Iterable[AwsProvider] = ()) -> None:
    """Send every service in ``services`` to the emulator (local environment only), from every region's
    provider and the ``extra`` ones (a control plane's)."""
    if env.aws_endpoint_url is None:
        return
    endpoints = {service: env.aws_endpoint_url for service in services}
    for provider in [*(ctx.provider for ctx in contexts), *extra]:
        provider.add_override("endpoints", [endpoints])


def state_backend(stack: TerraformStack, env: EnvironmentConfig) -> None:
    local = env.aws_endpoint_url is not None
    S3Backend(
        stack,
        bucket=env.state_bucket,
        key=env.state_key,
        region=env.state_region,
        encrypt=True,
        allowed_account_ids=[env.account_id] if env.account_id else None,
        assume_role=S3BackendAssumeRoleConfig(role_arn=env.deploy_role_arn, session_name=env.names.deploy_session) if env.deploy_role_arn else None,
        endpoints=S3BackendEndpointConfig(s3=env.aws_endpoint_url, sts=env.aws_endpoint_url) if local else None,
        use_path_style=True if local else None,
        skip_credentials_validation=True if local else None,
        # The account is checked (allowed_account_ids) only if the backend asks STS for it.
        skip_requesting_account_id=True if local and not env.account_id else None,
        skip_metadata_api_check=True if local else None,
        skip_region_validation=True if local else None,
    )
    # S3-native state locking (Terraform >= 1.10); cdktf 0.21 has no typed argument for it.
    stack.add_override("terraform.backend.s3.use_lockfile", True)
