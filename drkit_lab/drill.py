"""The day-2 drill: the runbook, run as an operator runs it, with the DR role's permissions only.

An operator identity (an IAM user the emulator issues keys for) assumes the DR operations role
with the configured ExternalId; the emulator enforces IAM for those credentials exactly as AWS
does for everyone (``drkit_lab/emulator/patches/iam.py``), so a permission the role lacks fails the
drill. The runbook CLI (``drkit runbook``) then switches over to the last member region,
Terraform plans while switched over (the first apply after a switchover must not split the global
database), the status is read, the writer moves back and Terraform plans again. Then a point-in-time
restore beside the global database: refused outside the restorable window, a dry run, the restore,
and its discarding. With a data plane
(real PostgreSQL behind the clusters), the ledger writes through both role changes and is checked
after each: nothing acknowledged may be missing, the ledger must balance.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from drkit_lab.dataplane.exercise import Measured, ledger, through
from drkit_lab.emulator.process import PROJECT_DIR, isolated_env
from drkit_lab.smoke import global_topology, replication_sources, seed_lag, stack_regions

OPERATOR_USER = "drkit-drill-operator"
SESSION_NAME = "drkit-drill"
RESTORE_SECONDS = 6.0  # how long the emulator keeps the drill's restore `creating`: long enough to interrupt its wait


def operator_credentials(deployment: Any, role_arn: str, external_id: str, principal_tags: dict[str, str] | None = None) -> dict[str, str]:
    """Credentials of the DR role, obtained the way an operator obtains them (AssumeRole with ExternalId). The operator
    is an IAM user carrying the principal tags the role's trust policy requires (``dr_operations.principal_tags``)."""
    import boto3

    iam = deployment.client("iam")
    try:
        iam.create_user(UserName=OPERATOR_USER)
    except iam.exceptions.EntityAlreadyExistsException:
        for key in iam.list_access_keys(UserName=OPERATOR_USER)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=OPERATOR_USER, AccessKeyId=key["AccessKeyId"])
    if principal_tags:
        iam.tag_user(UserName=OPERATOR_USER, Tags=[{"Key": k, "Value": v} for k, v in sorted(principal_tags.items())])
    iam.put_user_policy(
        UserName=OPERATOR_USER,
        PolicyName="assume-dr-operations",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}),
    )
    key = iam.create_access_key(UserName=OPERATOR_USER)["AccessKey"]
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=deployment.url,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME, ExternalId=external_id)["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def runbook(deployment: Any, credentials: dict[str, str], *args: str, interrupt_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """``drkit runbook ARGS`` with only the operator's credentials, against the emulator. With
    ``interrupt_at``, the operator presses Ctrl-C (SIGINT) as soon as the runbook prints a line starting so."""
    env = isolated_env(dict(os.environ), {"AWS_ENDPOINT_URL": deployment.url, "DR_CONFIG": str(deployment.config_path)})
    env.update(credentials, PYTHONUNBUFFERED="1", DRKIT_RESTORE_POLL_SECONDS="1")
    command = [sys.executable, "-m", "drkit", "runbook", *args, "--env", deployment.env_name]
    if interrupt_at is None:
        return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
    with subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as running:
        assert running.stdout is not None and running.stderr is not None
        lines = []
        for line in running.stdout:
            lines.append(line)
            if line.startswith(interrupt_at):
                running.send_signal(signal.SIGINT)
                break
        out, err = running.communicate(timeout=120)
    return subprocess.CompletedProcess(command, running.returncode, "".join(lines) + out, err)


def day_two(deployment: Any, outputs: dict[str, Any], plan_no_changes: Callable[[str], None]) -> dict[str, Any]:
    env = deployment.environment()
    regions = stack_regions(outputs)
    primary, target = regions[0], regions[-1]
    names = env.names
    if env.dr_operations.require_mfa:
        raise RuntimeError(f"{deployment.env_name}.dr_operations.require_mfa: the drill's operator has access keys, which never carry MFA")
    role_arn = outputs["dr_operations_role_arn"]
    credentials = operator_credentials(deployment, role_arn, env.dr_operations.external_id, dict(env.dr_operations.principal_tags))
    steps: list[dict[str, Any]] = []

    def step(
        label: str, *args: str, expect: int = 0, must_say: str | None = None, interrupt_at: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        start = time.monotonic()
        completed = runbook(deployment, credentials, *args, interrupt_at=interrupt_at)
        seconds = time.monotonic() - start
        command = f"drkit runbook {' '.join(args)} --env {deployment.env_name}"
        deployment.say(f"    $ {command}   (as the DR role, {seconds:.1f} s, exit {completed.returncode})")
        for line in (completed.stdout + completed.stderr).strip().splitlines():
            deployment.say(f"      {line}")
        steps.append({"step": label, "exit": completed.returncode, "seconds": round(seconds, 1)})
        if completed.returncode != expect or (must_say and must_say not in completed.stdout + completed.stderr):
            raise RuntimeError(
                f"runbook {label}: exit {completed.returncode} (expected {expect}){f', no {must_say!r} in its output' if must_say else ''}"
            )
        return completed

    def timed_plan(label: str) -> None:
        start = time.monotonic()
        plan_no_changes(label)
        steps.append({"step": label, "exit": 0, "seconds": round(time.monotonic() - start, 1)})

    real = bool(deployment.dataplane().get("enabled"))
    data: list[Measured] = []
    with ledger(deployment, outputs) if real else nullcontext() as workload:

        def change(label: str, *args: str) -> None:
            """A role change; with a data plane, the ledger writes through it and is checked after it."""
            if workload is None:
                step(label, *args, must_say="verified:")
                return
            measured = through(workload, label, lambda: step(label, *args, must_say="verified:"))
            deployment.say(f"    data plane: {measured.summary()}")
            if measured.missing or not measured.integrity:
                raise RuntimeError(f"the ledger after the {label}: {measured.summary()}")
            data.append(measured)

        if not real:  # without a data plane nothing replicates: publish the lag Aurora would
            seed_lag(deployment.client, target, names.cluster_id(target), 400.0)
        step("dry run", "switchover", "--to", target, "--dry-run", must_say="dry run: nothing was changed")
        change("switchover", "switchover", "--to", target)
        step("repeat", "switchover", "--to", target, must_say="no-op")
        switched = global_topology(deployment.client, outputs["global_cluster_id"], target)
        sources = replication_sources(deployment.client, switched["members"])
        deployment.say(f"    while switched over, each member reports its replication source: {sources}")
        deployment.say("    terraform plan while switched over (the first apply after a switchover must change nothing):")
        timed_plan("plan-switched-over")
        step("status", "status", "--region", target, must_say=f"WRITER    {names.cluster_id(target)} ({target})")
        if not real:
            seed_lag(deployment.client, primary, names.cluster_id(primary), 400.0)
        change("switch back", "switchover", "--to", primary)
    timed_plan("plan-switched-back")
    after = global_topology(deployment.client, outputs["global_cluster_id"], primary)
    restored = point_in_time_restore(deployment, step)
    return {
        "target": target,
        "steps": steps,
        "writer_while_switched": switched["writer_region"],
        "sources_while_switched": sources,
        "writer_after": after["writer_region"],
        "data": [m.as_dict() for m in data],
        "restored": restored,
    }


def point_in_time_restore(deployment: Any, step: Callable[..., subprocess.CompletedProcess[str]]) -> str:
    """A restore beside the global database as the DR role: a time outside the window is refused,
    a dry run changes nothing, the restore creates a standalone cluster, and discard removes it.

    A real restore outlives the tool (minutes to hours; the role's session lasts an hour): the emulator
    keeps the restored cluster ``creating`` for a few seconds, the operator interrupts the first run while
    it waits, and the same command resumes it to its instance."""
    from drkit_lab.emulator.evaluation import post_control

    now = datetime.now(UTC).replace(microsecond=0)
    moment = (now - timedelta(seconds=30)).isoformat()
    step("restore refused", "restore", "--to-time", "2000-01-01T00:00:00Z", expect=3, must_say="outside the restorable window")
    step("restore dry run", "restore", "--to-time", moment, must_say="dry run: nothing was changed")
    post_control(deployment.url, "knobs", {"restore_seconds": RESTORE_SECONDS})
    try:
        step("restore interrupted", "restore", "--to-time", moment, "--execute", expect=130, must_say="run the same command again to resume",
             interrupt_at="waiting for cluster")  # fmt: skip
        done = step("restore resumed", "restore", "--to-time", moment, "--execute", must_say="restored:")
    finally:
        post_control(deployment.url, "knobs", {"restore_seconds": 0})
    if "resuming:" not in done.stdout:
        raise RuntimeError("runbook restore resumed: the second run did not resume the first one's restore")
    identifier = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("restored:"))
    step("discard the restore", "discard", "--restored", identifier, must_say=f"deleted restored cluster {identifier}")
    return identifier
