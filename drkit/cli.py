"""``drkit``: the operator's command. Each subcommand is one module's ``main(argv)``.

  drkit runbook {status,switchover,failover,restore,discard} --env E ...   as the DR operations role
  drkit plan --env E [--allow-destroy ADDRESS] [--markdown FILE]           terraform plan + review
  drkit drift --env E                                                      refresh-only plan; exit 2 on drift
  drkit diagram --env E                                                    a Mermaid diagram of the stack
  drkit gameday --env E [--confirm]                                        the FIS experiment on AWS
  drkit version

Every command reads the environments of ``cdktf.json`` in the current directory (or the file named by
``$DR_CONFIG``) and the synthesized stacks in ``./cdktf.out``; what it writes (game-day reports) goes
under ``./.drkit/``. ``drkit <command> --help`` gives a command's own options. Exit codes are each
command's own (the runbook: 0 done, 3 refused, 1 failed, 2 bad usage).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from importlib import metadata

# command -> (module whose main(argv) runs it, one line of help)
COMMANDS: dict[str, tuple[str, str]] = {
    "runbook": ("drkit.runbook", "status, switchover, failover, point-in-time restore and discard, as the DR role"),
    "plan": ("drkit.plan_review", "terraform plan of one environment, with the review of stateful and membership changes"),
    "drift": ("drkit.drift", "refresh-only plan: what changed in AWS outside Terraform (exit 2 on drift)"),
    "diagram": ("drkit.diagram", "a Mermaid diagram of what one environment deploys, from its synthesized stack"),
    "gameday": ("drkit.fis_gameday", "the environment's AWS FIS experiment, watched (a dry run without --confirm)"),
}
REPORTED_DISTRIBUTIONS = ("cdktf", "cdktf-cdktf-provider-aws", "constructs", "boto3")


def version_line() -> str:
    from drkit import __version__

    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    parts = ", ".join(f"{name} {installed(name)}" for name in REPORTED_DISTRIBUTIONS)
    return f"drkit {__version__} ({parts}; Python {sys.version.split()[0]})"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="drkit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, summary) in COMMANDS.items():
        # The command's own module parses the rest (and answers --help), so its options live in one place.
        commands.add_parser(name, help=summary, add_help=False)
    commands.add_parser("version", help="the versions of drkit and of what it synthesizes with")
    return top


def main(argv: list[str] | None = None) -> int:
    args, rest = parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.command == "version":
        print(version_line())
        return 0
    module, _ = COMMANDS[args.command]
    command: Callable[[list[str]], int] = importlib.import_module(module).main
    return command(rest)


if __name__ == "__main__":
    sys.exit(main())
