"""The DR runbook for operators: the same logic as the runbook Lambda, run with the operator's credentials.

  drkit runbook status --env production
  drkit runbook switchover --env production --to us-west-2 --dry-run
  drkit runbook failover --env production --to us-west-2
  drkit runbook restore --env production --to-time 2026-11-29T14:05:00Z [--execute]
  drkit runbook discard --env production --restored <restored cluster id>
  drkit runbook rearm --env production
  drkit runbook reconcile --env production [--execute] [--report-dir DIR] [--ca-bundle global-bundle.pem] [--since TIME]
  drkit runbook arc-start --env production --activate us-west-2 [--ungraceful] [--dry-run]
  drkit runbook arc-status|arc-approve|arc-cancel|arc-retry|arc-skip --env production --execution <region>/<id>

The ``arc-*`` operations start and follow an execution of the environment's ARC Region switch plan
instead (``drkit/region_switch.py``).

Assume the DR operations role first (with its ExternalId); the CLI needs exactly that role's
permissions and nothing of Terraform: names come from the configuration, the account from
``sts:GetCallerIdentity``, the hosted zone from its configured name. It reads the global cluster in
the target region (or ``--region``), so a failover never waits on the lost region. With
``AWS_ENDPOINT_URL`` set, every call goes to that endpoint (the local emulator).

Exit codes: 0 done, no-op, dry run or status; 3 refused; 1 failed (an expired session included: the message says
to assume the role again and re-run, which resumes a restore); 2 bad usage or configuration; 130 interrupted.
``reconcile`` (after a lossy failover, ``drkit/reconcile``): 0 every lost transaction accounted for, 3 not yet (the old
primary's region has not returned, or Aurora has not rebuilt the old primary), 4 accounted for with conflicts a person
must decide, 5 unaccounted (``drkit.reconcile.evidence.Exit``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

EXIT_CODES = {"completed": 0, "no-op": 0, "dry-run": 0, "refused": 3}


def runbook_settings(env: Any, home_region: str, client: Callable[[str, str], Any]) -> Any:
    """Everything the runbook needs, from configuration and one read-only call (the account).

    The hosted zone is looked up by name only when DNS is verified, and not at all when failing over
    away from us-east-1, where Route 53's API lives (``functions.failover.runner.verify_dns``)."""
    from constructs_lib.naming import failover_record_names
    from functions.failover.runner import RunbookSettings

    names = env.names
    account = client("sts", home_region).get_caller_identity()["Account"]
    return RunbookSettings(
        environment=env.environment,
        home_region=home_region,
        global_cluster_id=names.global_cluster_id,
        alert_topic_arns={region: names.alert_topic_arn(account, region) for region in env.regions},
        zone_id=None,
        zone_name=env.dns.zone_name,
        record_names=failover_record_names(env.dns.zone_name, env.regions),
        switchover_max_lag_seconds=env.failover.switchover_max_lag_seconds,
        lossy_failover_parameter=names.lossy_failover_parameter,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("arc-"):  # the plan's executions: ARC Region switch runs the operation
        from drkit import region_switch

        return region_switch.main(argv)
    parser = argparse.ArgumentParser(prog="drkit runbook", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("operation", choices=["switchover", "failover", "status", "restore", "discard", "rearm", "reconcile"])
    parser.add_argument("--env", required=True, help="environment name from ./cdktf.json (or $DR_CONFIG)")
    parser.add_argument("--to", dest="target", help="target region (switchover/failover)")
    parser.add_argument("--region", help="region to read the global cluster in (default: the target, else the primary)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    parser.add_argument("--to-time", help="restore: the point in time, ISO 8601 with a zone (2026-11-29T14:05:00Z)")
    parser.add_argument("--execute", action="store_true", help="restore: do it (the default is a dry run)")
    parser.add_argument("--restored", help="discard: the restored cluster to delete")
    parser.add_argument("--report-dir", help="reconcile: where the evidence report goes (default ./.drkit/reconcile)")
    parser.add_argument(
        "--ca-bundle",
        help="reconcile: the RDS CA bundle for all regions, global-bundle.pem (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem), "
        "for the verify-full connections to the restored copy and to the writer, which are in two regions (default $PGSSLROOTCERT)",
    )
    parser.add_argument(
        "--since",
        help="reconcile: the divergence point (ISO 8601 with a zone) instead of the one drkit takes from the data and the failover record; "
        "needed when neither shows it (no keyed ledger and no record); with the ledger, a --since after a lost transfer is reported",
    )
    args = parser.parse_args(argv)

    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from constructs_lib.config import ConfigError, load_settings
    from functions.failover.logic import Operation, render_status
    from functions.failover.runner import execute, read_state

    try:
        env = load_settings(Path.cwd()).get(args.env)
    except ConfigError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 2
    if args.operation in ("switchover", "failover") and not args.target:
        print("drkit: --to <region> is required for switchover and failover", file=sys.stderr)
        return 2
    if args.operation == "restore" and not args.to_time:
        print("drkit: --to-time <ISO 8601 time with a zone> is required for restore", file=sys.stderr)
        return 2
    if args.operation == "discard" and not args.restored:
        print("drkit: --restored <cluster identifier> is required for discard", file=sys.stderr)
        return 2
    if args.target and args.target not in env.regions:
        print(f"drkit: --to {args.target}: not a region of {args.env} ({', '.join(env.regions)})", file=sys.stderr)
        return 3
    retries = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30)

    @cache
    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, config=retries)

    home = args.region or args.target or env.primary_region
    if args.operation == "rearm":  # the failover automation may act again (functions/failover/automation.py)
        import time

        from functions.failover.automation import rearm

        try:
            removed = rearm(client, env.names.automation_latch_parameter, env.regions, print, pause=time.sleep)
        except (BotoCoreError, ClientError) as error:
            print(f"drkit: AWS call failed: {error}", file=sys.stderr)
            return 1
        print(f"re-armed: {len(removed)} latch(es) removed" if removed else "nothing to re-arm: no region holds a latch")
        return 0
    if args.operation == "reconcile":  # after a lossy failover: every acknowledged transaction accounted for (drkit/reconcile)
        return reconcile_operation(args, env, client)
    if args.operation in ("restore", "discard"):
        from drkit.restore import RestoreStuck, session_expired

        try:
            return data_operation(args, env, home, client)
        except ClientError as error:
            if session_expired(error):
                print(expired_session_advice(args, error), file=sys.stderr)
                return 1
            print(f"drkit: AWS call failed: {error}", file=sys.stderr)
            return 1
        except BotoCoreError as error:
            print(f"drkit: AWS call failed: {error}", file=sys.stderr)
            return 1
        except RestoreStuck as error:
            print(f"drkit: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"drkit: interrupted; nothing is undone: run the same command again to resume ({command_line(args)})", file=sys.stderr)
            return 130
    try:
        settings = runbook_settings(env, home, client)
        if args.operation == "status":
            print(render_status(read_state(client, settings)))
            return 0
        outcome = execute(Operation(args.operation), args.target, args.dry_run, settings, client, print)
    except (BotoCoreError, ClientError) as error:  # no credentials, no endpoint, access denied, an expired session...
        print(f"drkit: AWS call failed (reading in {home}): {error}", file=sys.stderr)
        from drkit.restore import session_expired

        if session_expired(error):
            print("drkit: the AWS session expired: assume the DR role again, read the state (`status`), then decide", file=sys.stderr)
        return 1
    return EXIT_CODES.get(outcome["result"], 1)


def reconcile_operation(args: argparse.Namespace, env: Any, client: Callable[[str, str], Any]) -> int:
    """``reconcile``: its own exit codes (``drkit.reconcile.evidence.Exit``); a failure to reach AWS is 1, an expired
    session says to assume the role again (the restore it started resumes)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from drkit.reconcile import cli
    from drkit.restore import RestoreStuck, session_expired

    try:
        return cli.main(args, env, client, Path.cwd())
    except ClientError as error:
        print(expired_session_advice(args, error) if session_expired(error) else f"drkit: reconcile failed: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, RestoreStuck, ValueError) as error:
        print(f"drkit: reconcile failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"drkit: interrupted; nothing is undone: run the same command again to resume ({command_line(args)})", file=sys.stderr)
        return 130


def command_line(args: argparse.Namespace) -> str:
    """The restore, discard or reconcile command the operator ran, to run again."""
    if args.operation == "reconcile":
        extra = "".join(
            f" --{flag} {value}" for flag, value in (("report-dir", args.report_dir), ("ca-bundle", args.ca_bundle), ("since", args.since)) if value
        )
        return f"drkit runbook reconcile --env {args.env}{extra}{' --execute' if args.execute else ''}"
    if args.operation == "discard":
        return f"drkit runbook discard --env {args.env} --restored {args.restored}"
    return f"drkit runbook restore --env {args.env} --to-time {args.to_time}{' --execute' if args.execute else ''}"


def expired_session_advice(args: argparse.Namespace, error: Exception) -> str:
    """What to do when the DR role's session ends during a restore: Aurora goes on restoring; the command resumes."""
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "ExpiredToken")
    return (
        f"drkit: the AWS session expired ({code}); AWS goes on with what was started. Assume the DR role again (with its "
        f"ExternalId) and run the same command: it resumes where this one stopped.\n  {command_line(args)}"
    )


def data_operation(args: argparse.Namespace, env: Any, home: str, client: Callable[[str, str], Any]) -> int:
    """``restore`` (point-in-time, beside the global database) and ``discard`` (of such a restore)."""
    from constructs_lib.naming import RESTORE_MARK
    from drkit import restore

    if args.operation == "discard":
        region = next((r for r in env.regions if args.restored.startswith(env.names.cluster_id(r) + RESTORE_MARK)), None)
        if region is None:
            print(f"drkit: --restored {args.restored}: not a restore of {args.env} (<cluster>{RESTORE_MARK}<time>)", file=sys.stderr)
            return 3
        reason = restore.discard(client, region, args.restored, print)
        if reason:
            print(f"REFUSED: {reason}")
            return 3
        return 0
    try:
        moment = restore.parse_time(args.to_time)
    except ValueError as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 2
    plan, reason = restore.plan_restore(client, env.names.global_cluster_id, home, moment)
    if plan is None:
        print(f"REFUSED: {reason}")
        return 3
    print(f"plan: {plan.describe()}")
    if not args.execute:
        print("dry run: nothing was changed (add --execute to restore)")
        return 0
    restore.execute(client, plan, print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
