"""Running Terraform from the project: the project's CLI config, no prompts, readable failures."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from constructs_lib.naming import stack_name
from tools.terraform_setup import CLI_CONFIG, write_cli_config

_USER_AWS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN")


class TerraformError(RuntimeError):
    def __init__(self, args: list[str], workdir: Path, output: str) -> None:
        tail = "\n".join(output.strip().splitlines()[-25:])
        super().__init__(f"terraform {' '.join(args)} failed in {workdir}:\n{tail}")
        self.output = output


def terraform_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    if not CLI_CONFIG.is_file():
        write_cli_config()
    emulated = bool(extra and "AWS_ENDPOINT_URL" in extra)
    # Against the emulator, the user's AWS identity must not leak in: only the fake credentials count.
    env = {key: value for key, value in os.environ.items() if not (emulated and key in _USER_AWS)}
    env.update({"TF_CLI_CONFIG_FILE": str(CLI_CONFIG), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"})
    env.update(extra or {})
    return env


def run(args: list[str], workdir: Path, env: Mapping[str, str] | None = None, timeout: float = 1800) -> str:
    """Run ``terraform <args>`` in ``workdir``; raise TerraformError with the output tail on failure."""
    completed = subprocess.run(
        ["terraform", *args, "-no-color"],
        cwd=workdir,
        env=terraform_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise TerraformError(args, workdir, output)
    return output


class NoStack(RuntimeError):
    pass


def stack_workdir(env_name: str, outdir: Path) -> tuple[Path, dict[str, str]]:
    """Where ``dr-<env_name>`` was synthesized, and what Terraform needs to reach it.

    The ``local`` environment lives in the emulator: its stack is the one ``make deploy-local``
    synthesized, reached with the emulator's endpoint and fake credentials."""
    extra: dict[str, str] = {}
    if env_name == "local":
        from tools.emulator import process

        emulator = process.running()
        if emulator is None:
            raise NoStack("the local environment lives in the emulator; run `make deploy-local` first")
        outdir = process.LOCAL_DIR / "cdktf.out"
        extra = {**process.FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": emulator.url}
        os.environ.setdefault("TF_VAR_db_master_password", "local-plan-only-password-0")
    stack_dir = outdir / "stacks" / stack_name(env_name)
    if not (stack_dir / "cdk.tf.json").is_file():
        raise NoStack(f"{stack_dir} not found; run `make synth` first")
    return stack_dir, extra
