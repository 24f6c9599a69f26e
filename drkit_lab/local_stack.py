"""The operator's plan and drift, against the local deployment.

``python -m drkit_lab.local_stack plan --env local`` (``make plan ENV=local``) and
``python -m drkit_lab.local_stack drift --env local`` (``make drift ENV=local``). The local
environment lives in the emulator: its stack is the one ``make deploy-local`` synthesized beside the
emulator's state, reached with the emulator's endpoint and fake credentials. This module only says
where that is; the review and the drift report are the operator's own code (``drkit.plan_review``,
``drkit.drift``), exactly as against AWS. The lab depends on the product, never the reverse.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from constructs_lib.naming import stack_name
from drkit import drift, plan_review
from drkit import terraform as operator_terraform
from drkit.drift import PASSWORD_VARIABLE
from drkit.terraform import NoStack
from drkit_lab.emulator import process

PLAN_ONLY_PASSWORD = "local-plan-only-password-0"  # the local stack's password never leaves the emulator


def cli_config() -> Path:
    """The Terraform CLI configuration of this checkout (``.drkit/terraformrc``), written when missing;
    ``$TF_CLI_CONFIG_FILE`` wins when the caller set it (the Makefile and the test suite do)."""
    chosen = os.environ.get("TF_CLI_CONFIG_FILE")
    if chosen:
        return Path(chosen)
    from tools.terraform_setup import CLI_CONFIG, write_cli_config

    if not CLI_CONFIG.is_file():
        write_cli_config()
    return CLI_CONFIG


def terraform_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The operator's Terraform environment, with this checkout's CLI configuration (offline mirror)."""
    return operator_terraform.terraform_env({"TF_CLI_CONFIG_FILE": str(cli_config()), **(extra or {})})


def locate(env_name: str, outdir: Path) -> tuple[Path, dict[str, str]]:
    """The running local deployment's stack and what Terraform needs to reach it (``outdir`` is not used:
    the stack lives beside the emulator's state)."""
    emulator = process.running()
    if emulator is None:
        raise NoStack("the local environment lives in the emulator; run `make deploy-local` first")
    stack_dir = process.LOCAL_DIR / "cdktf.out" / "stacks" / stack_name(env_name)
    if not (stack_dir / "cdk.tf.json").is_file():
        raise NoStack(f"{stack_dir} not found; `make deploy-local` deploys the local environment")
    extra = {**process.FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": emulator.url, "TF_CLI_CONFIG_FILE": str(cli_config())}
    extra[PASSWORD_VARIABLE] = os.environ.get(PASSWORD_VARIABLE, PLAN_ONLY_PASSWORD)
    return stack_dir, extra


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {"plan": plan_review.main, "drift": drift.main}
    if not args or args[0] not in commands:
        print("usage: python -m drkit_lab.local_stack {plan,drift} --env local [options of drkit plan / drkit drift]", file=sys.stderr)
        return 2
    return commands[args[0]](args[1:], locate=locate)


if __name__ == "__main__":
    sys.exit(main())
