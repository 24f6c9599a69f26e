"""Lambda: public layers, customer-managed environment keys, dead-letter configuration, unique permission statement ids."""

from __future__ import annotations

import json
from typing import Any

from moto.awslambda import models as lambda_models
from moto.awslambda import policy as lambda_policy
from moto.awslambda.exceptions import LambdaClientError

from drkit_lab.emulator.patches.registry import patch

POWERTOOLS_LAYER_ACCOUNT = "017000801446"


@patch
def aws_published_layers() -> None:
    """AWS: the Powertools for AWS Lambda layers (account 017000801446) are public in every
    commercial region, so any account can attach them.

    moto knows only layers published inside the emulator and rejects the function.
    """
    original = lambda_models.LambdaFunction._get_layers_data

    def layers(self: lambda_models.LambdaFunction, arns: list[str]) -> list[dict[str, Any]]:
        public = [arn for arn in arns if arn.split(":")[4] == POWERTOOLS_LAYER_ACCOUNT]
        own = [arn for arn in arns if arn not in public]
        return [*original(self, own), *({"Arn": arn, "CodeSize": 0} for arn in public)]

    lambda_models.LambdaFunction._get_layers_data = layers  # type: ignore[method-assign]


@patch
def lambda_environment_key() -> None:
    """AWS: GetFunction(Configuration) returns ``KMSKeyArn`` when the environment variables are
    encrypted with a customer-managed key.

    moto accepts the key and forgets it, so every plan would set it again.
    """
    original_init = lambda_models.LambdaFunction.__init__
    original_config = lambda_models.LambdaFunction.get_configuration
    original_update = lambda_models.LambdaFunction.update_configuration

    def init(self: lambda_models.LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.kms_key_arn = spec.get("KMSKeyArn")  # type: ignore[attr-defined]

    def configuration(self: lambda_models.LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = dict(original_config(self, *args, **kwargs))
        if getattr(self, "kms_key_arn", None):
            config["KMSKeyArn"] = self.kms_key_arn  # type: ignore[attr-defined]
        return config

    def update(self: lambda_models.LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "KMSKeyArn" in config_updates:
            self.kms_key_arn = config_updates["KMSKeyArn"] or None  # type: ignore[attr-defined]
        return dict(original_update(self, config_updates))

    lambda_models.LambdaFunction.__init__ = init  # type: ignore[method-assign]
    lambda_models.LambdaFunction.get_configuration = configuration  # type: ignore[method-assign]
    lambda_models.LambdaFunction.update_configuration = update  # type: ignore[method-assign]


@patch
def lambda_dead_letter_config() -> None:
    """AWS: GetFunctionConfiguration returns the ``DeadLetterConfig`` a function was given.

    moto drops it, so every plan would add the dead-letter target again.
    """
    original_init = lambda_models.LambdaFunction.__init__
    original_config = lambda_models.LambdaFunction.get_configuration
    original_update = lambda_models.LambdaFunction.update_configuration

    def init(self: lambda_models.LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.dead_letter_config = spec.get("DeadLetterConfig")  # type: ignore[attr-defined]

    def configuration(self: lambda_models.LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = dict(original_config(self, *args, **kwargs))
        if getattr(self, "dead_letter_config", None):
            config["DeadLetterConfig"] = self.dead_letter_config  # type: ignore[attr-defined]
        return config

    def update(self: lambda_models.LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = config_updates["DeadLetterConfig"] or None  # type: ignore[attr-defined]
        return dict(original_update(self, config_updates))

    lambda_models.LambdaFunction.__init__ = init  # type: ignore[method-assign]
    lambda_models.LambdaFunction.get_configuration = configuration  # type: ignore[method-assign]
    lambda_models.LambdaFunction.update_configuration = update  # type: ignore[method-assign]


class StatementIdExists(LambdaClientError):
    code = 409

    def __init__(self, sid: str) -> None:
        message = f"The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."
        super().__init__("ResourceConflictException", message)


@patch
def lambda_permission_statement_ids_are_unique() -> None:
    """AWS: AddPermission with a statement id the policy (of that function or qualifier) already holds is refused with
    ``409 ResourceConflictException: The statement id (X) provided already exists`` (the message
    users meet in hashicorp/terraform-provider-aws#1524 and #3312).

    moto appends a second statement with the same id, so two permissions that collide would pass
    here and fail on AWS, and a create that ran twice would go unnoticed.
    """
    original = lambda_policy.Policy.add_statement

    def add_statement(self: lambda_policy.Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        sid = json.loads(raw).get("StatementId")
        # AWS keeps a policy per qualifier ($LATEST, each version, each alias); moto keeps one per
        # function and tells them apart by the statement's Resource, as built here.
        parent = self.parent
        resource = getattr(parent, "function_arn", None) or parent.arn
        resource = f"{resource}:{qualifier}" if qualifier and qualifier != "$LATEST" else resource
        if sid is not None and any(s.get("Sid") == sid and s.get("Resource") == resource for s in self.statements):
            raise StatementIdExists(sid)
        return original(self, raw, qualifier)

    lambda_policy.Policy.add_statement = add_statement  # type: ignore[method-assign]


@patch
def dry_run_invocations_run_nothing() -> None:
    """AWS: ``Invoke`` with ``InvocationType=DryRun`` validates the parameters and "verif[ies] that the user
    or role has permission to invoke the function", runs nothing and answers 204 (Lambda API reference,
    Invoke). ARC's custom-action block is rehearsed with it: the permission is checked as the plan's
    execution role, the code then runs as the function's own role (``drkit_lab/emulator/arc_execution.py``).

    moto runs the function for a dry run too (it needs a Docker daemon here)."""
    original = lambda_models.LambdaBackend.invoke

    def invoke(
        self: lambda_models.LambdaBackend, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> str | bytes | None:
        if str(headers.get("X-Amz-Invocation-Type", "")) == "DryRun":
            self.get_function(function_name, qualifier)  # ResourceNotFound as for any invoke
            return b""
        return original(self, function_name, qualifier, body, headers, response_headers)

    lambda_models.LambdaBackend.invoke = invoke  # type: ignore[method-assign]


# Lambda's documented limits for AccountLimit's code-size fields ("Lambda quotas": 75 GB of function and layer storage,
# 250 MB unzipped, 50 MB zipped for a direct upload).
CODE_STORAGE_BYTES = 75 * 1024**3
CODE_UNZIPPED_BYTES = 250 * 1024**2
CODE_ZIPPED_BYTES = 50 * 1024**2
UNRESERVED_MINIMUM = 100


@patch
def lambda_account_concurrency() -> None:
    """AWS: GetAccountSettings (``GET /2016-08-19/account-settings``) reports a region's concurrency:
    ``AccountLimit.ConcurrentExecutions`` ("The maximum number of simultaneous function executions") and
    ``UnreservedConcurrentExecutions`` ("... minus the capacity that's reserved for individual functions with
    PutFunctionConcurrency"); PutFunctionConcurrency refuses a reservation that would leave fewer than 100
    unreserved ("as long as you leave at least 100 simultaneous executions unreserved", Lambda API reference),
    with InvalidParameterValueException "Specified ReservedConcurrentExecutions for function decreases account's
    UnreservedConcurrentExecution below its minimum value of [100]".

    moto has no GetAccountSettings, and checks the 100 only when ``MOTO_LAMBDA_CONCURRENCY_QUOTA`` is set when it
    starts. Both here read the ``lambda_concurrency_quota`` knob (``drkit_lab.emulator.knobs``, default 1,000), the
    value Service Quotas reports too, so ``drkit plan``'s preflight, the plan-time quota check and an apply all see
    one account."""
    from moto.awslambda import responses as lambda_responses
    from moto.awslambda import urls as lambda_urls
    from moto.awslambda.exceptions import InvalidParameterValueException

    from drkit_lab.emulator.knobs import KNOBS

    lambda_urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = lambda_responses.LambdaResponse.dispatch

    def reserved_by_others(backend: lambda_models.LambdaBackend, function_name: str | None) -> int:
        return sum(int(fn.reserved_concurrency or 0) for fn in backend.list_functions() if fn.function_name != function_name)

    def get_account_settings(self: lambda_responses.LambdaResponse) -> str:
        functions = self.backend.list_functions()
        total = int(KNOBS.lambda_concurrency_quota)
        return json.dumps(
            {
                "AccountLimit": {
                    "TotalCodeSize": CODE_STORAGE_BYTES,
                    "CodeSizeUnzipped": CODE_UNZIPPED_BYTES,
                    "CodeSizeZipped": CODE_ZIPPED_BYTES,
                    "ConcurrentExecutions": total,
                    "UnreservedConcurrentExecutions": total - reserved_by_others(self.backend, None),
                },
                "AccountUsage": {"TotalCodeSize": sum(int(fn.code_size or 0) for fn in functions), "FunctionCount": len(functions)},
            }
        )

    def put_function_concurrency(self: lambda_models.LambdaBackend, function_name: str, reserved_concurrency: str) -> str:
        fn = self.get_function(function_name)
        left = int(KNOBS.lambda_concurrency_quota) - reserved_by_others(self, fn.function_name) - int(reserved_concurrency)
        if left < UNRESERVED_MINIMUM:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
                f"below its minimum value of [{UNRESERVED_MINIMUM}]."
            )
        fn.reserved_concurrency = reserved_concurrency
        return fn.reserved_concurrency

    lambda_responses.LambdaResponse.get_account_settings = get_account_settings  # type: ignore[attr-defined]
    lambda_models.LambdaBackend.put_function_concurrency = put_function_concurrency  # type: ignore[method-assign]
