"""Running Terraform for the operator: no prompts, readable failures, the caller's CLI configuration.

The Terraform CLI configuration is the caller's: ``TF_CLI_CONFIG_FILE`` when it is set (this
repository's Makefile and the local lab set it to the project's ``.drkit/terraformrc``), else
Terraform's own default. Where a stack lives is the caller's business too: :func:`stack_workdir`
finds ``dr-<env>`` in a synthesized output folder, and a caller with another answer (the local lab,
whose stack lives beside its emulator) passes its own :data:`Locator` to ``plan`` and ``drift``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from constructs_lib.naming import stack_name

_USER_AWS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN")

# (environment name, synthesized output folder) -> (stack directory, extra environment for terraform)
Locator = Callable[[str, Path], tuple[Path, dict[str, str]]]


class TerraformError(RuntimeError):
    def __init__(self, args: list[str], workdir: Path, output: str) -> None:
        tail = "\n".join(output.strip().splitlines()[-25:])
        super().__init__(f"terraform {' '.join(args)} failed in {workdir}:\n{tail}")
        self.output = output


def terraform_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    emulated = bool(extra and "AWS_ENDPOINT_URL" in extra)
    # Against an emulator, the user's AWS identity must not leak in: only the fake credentials count.
    env = {key: value for key, value in os.environ.items() if not (emulated and key in _USER_AWS)}
    env.update({"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"})
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
    """Where ``dr-<env_name>`` was synthesized (``make synth``), and no extra environment."""
    stack_dir = outdir / "stacks" / stack_name(env_name)
    if not (stack_dir / "cdk.tf.json").is_file():
        raise NoStack(f"{stack_dir} not found; synthesize first (`make synth` or `cdktf synth`)")
    return stack_dir, {}
