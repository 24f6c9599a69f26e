"""The one way drkit deploys a Lambda function, so every function gets the same baseline.

Deterministic package as a cdktf asset, a supported runtime, environment encrypted with the
regional key, X-Ray tracing, failed asynchronous events to the regional alert topic (a dead-letter
target, unless the caller routes failures through an on-failure destination instead: both at once
would page twice), and the function created after its pre-made, encrypted log group (retention
set by the caller).
"""

from __future__ import annotations

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionDeadLetterConfig,
    LambdaFunctionEnvironment,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from constructs_lib.lambda_package import LambdaPackage

RUNTIME = "python3.13"


def function_log_group(
    scope: Construct, construct_id: str, *, provider: AwsProvider, function_name: str, retention_days: int, kms_key_arn: str
) -> CloudwatchLogGroup:
    return CloudwatchLogGroup(
        scope,
        construct_id,
        provider=provider,
        name=f"/aws/lambda/{function_name}",
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
    )


def hardened_function(
    scope: Construct,
    id_prefix: str,
    *,
    provider: AwsProvider,
    function_name: str,
    description: str,
    role_arn: str,
    handler: str,
    package: LambdaPackage,
    timeout: int,
    memory_size: int,
    reserved_concurrency: int,
    kms_key_arn: str,
    dead_letter_topic_arn: str | None,
    log_group: CloudwatchLogGroup,
    variables: dict[str, str],
    layers: list[str] | None = None,
    vpc_config: LambdaFunctionVpcConfig | None = None,
) -> LambdaFunction:
    """Constructs ``<prefix>package`` and ``<prefix>function`` in ``scope``."""
    asset = TerraformAsset(scope, f"{id_prefix}package", path=str(package.path), type=AssetType.FILE)
    return LambdaFunction(
        scope,
        f"{id_prefix}function",
        provider=provider,
        function_name=function_name,
        description=description,
        role=role_arn,
        runtime=RUNTIME,
        handler=handler,
        filename=asset.path,
        source_code_hash=package.source_code_hash,
        timeout=timeout,
        memory_size=memory_size,
        reserved_concurrent_executions=reserved_concurrency,
        layers=layers,
        kms_key_arn=kms_key_arn,
        tracing_config=LambdaFunctionTracingConfig(mode="Active"),
        dead_letter_config=LambdaFunctionDeadLetterConfig(target_arn=dead_letter_topic_arn) if dead_letter_topic_arn else None,
        environment=LambdaFunctionEnvironment(variables=variables),
        vpc_config=vpc_config,
        depends_on=[log_group],
    )
