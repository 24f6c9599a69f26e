"""The main job: deploy, check, drill and destroy the DR stack on the local emulator.

``python -m drkit_lab.deploy_local deploy [--env NAME]``
    emulator up (or reused), state bucket, synth of the environment re-pointed at the emulator,
    terraform init + apply, smoke report, re-plan (no changes), and the day-2 drill: switchover to
    the last secondary *as the DR operations role* (the emulator enforces its permissions), a plan
    while switched over (no changes), status, switch back, a plan (no changes). The emulator keeps
    running so the deployment can be inspected.
``python -m drkit_lab.deploy_local destroy``
    terraform destroy, leftover check, and every emulator process of this checkout stopped.

Any environment of the configuration (``cdktf.json`` or ``$DR_CONFIG``) can be deployed: its
topology is kept, its endpoint becomes the emulator and its ``environment`` becomes ``local``
(protection off, so it can be destroyed). One invocation owns the local deployment at a time; a
second one is refused with the first one's pid and command. Every run keeps its logs in
``.drkit/local/runs/<time>-<action>/`` and a failure says where they are; a failed run stops the
emulator only if it started it, unless ``DRKIT_KEEP_EMULATOR=1`` keeps it for inspection.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drkit_lab.emulator import process as emulator_process
from drkit_lab.emulator.bucket import create_state_bucket
from drkit_lab.emulator.process import FAKE_CREDENTIALS, LOCAL_DIR, PROJECT_DIR, Busy, Emulator, OwnerLock
from drkit_lab.local_stack import terraform_env

DEFAULT_ENVIRONMENT = "local"
EMULATOR_ACCOUNT = "123456789012"  # moto's account: what sts:GetCallerIdentity answers there
RUNS_KEPT = 10


def master_password() -> str:
    """A fresh password for this run; it reaches AWS only through write-only arguments."""
    return "Dk" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")


class StepFailed(RuntimeError):
    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"step '{step}' failed: {detail}")
        self.step = step


@dataclass
class Deployment:
    """Paths and settings of one local deployment."""

    env_name: str = DEFAULT_ENVIRONMENT
    state_dir: Path = LOCAL_DIR
    emulator: Emulator | None = None
    started_emulator: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    quiet: bool = False
    run_dir: Path | None = None
    # Fresh for every run and never written anywhere: it reaches AWS only through write-only arguments.
    password: str = field(default_factory=master_password, repr=False)

    @property
    def config_path(self) -> Path:
        return self.state_dir / "environments.json"

    @property
    def outdir(self) -> Path:
        return self.state_dir / "cdktf.out"

    @property
    def stack_dir(self) -> Path:
        from constructs_lib.naming import stack_name

        return self.outdir / "stacks" / stack_name(self.env_name)

    @property
    def url(self) -> str:
        assert self.emulator is not None
        return self.emulator.url

    @property
    def logs(self) -> Path:
        if self.run_dir is None:
            raise RuntimeError("no run directory yet")
        return self.run_dir

    def begin_run(self, action: str) -> Path:
        runs = self.state_dir / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        self.run_dir = runs / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{action}"
        self.run_dir.mkdir(exist_ok=True)
        for old in sorted(runs.iterdir())[:-RUNS_KEPT]:
            shutil.rmtree(old, ignore_errors=True)
        return self.run_dir

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    @contextmanager
    def step(self, name: str, description: str) -> Iterator[None]:
        self.say(f"==> {name}: {description}")
        start = time.monotonic()
        try:
            yield
        except StepFailed:
            raise
        except Exception as error:
            raise StepFailed(name, str(error)) from error
        elapsed = time.monotonic() - start
        self.timings[name] = elapsed
        self.say(f"    {name} done in {elapsed:.1f} s")

    def dataplane(self) -> dict[str, Any]:
        """What ``/_drkit/dataplane`` says (``{"enabled": false}`` without a data plane)."""
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/_drkit/dataplane", timeout=10) as response:
            document: dict[str, Any] = json.loads(response.read())
        return document

    def aws_env(self) -> dict[str, str]:
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.url}

    def client(self, service: str, region: str = "us-east-1") -> Any:
        import boto3

        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def environment(self) -> Any:
        from constructs_lib.config import parse_environments

        document = json.loads(self.config_path.read_text(encoding="utf-8"))
        return parse_environments(document, source=str(self.config_path)).get(self.env_name)


def local_config(env_name: str, url: str) -> dict[str, Any]:
    """The named environment of the configuration, re-pointed at the running emulator."""
    from constructs_lib.config import ConfigError, environments_document

    document, source = environments_document(PROJECT_DIR)
    if not isinstance(document, dict) or env_name not in document:
        raise ConfigError(f"{env_name}: no such environment in {source}")
    env = dict(document[env_name])
    env["environment"] = "local"
    env["aws_endpoint_url"] = url
    # The emulator is one account; the environment's own account (and its deploy role) live in AWS.
    env["account_id"] = EMULATOR_ACCOUNT
    env.pop("deploy_role_arn", None)
    # The DR role's trusted principals live in AWS too: the drill's operator (an IAM user of the emulator, carrying the
    # configured principal tags) stands in for them. Its access keys never carry MFA (as on AWS), so MFA is not required here.
    operations = dict(env.get("dr_operations") or {})
    if operations.get("trusted_principals"):
        from drkit_lab.drill import OPERATOR_USER

        operations["trusted_principals"] = [f"arn:aws:iam::{EMULATOR_ACCOUNT}:user/{OPERATOR_USER}"]
    operations.pop("require_mfa", None)
    env["dr_operations"] = operations
    return {env_name: env}


def checked_environment(env_name: str) -> None:
    """Refuse an environment the configuration does not have, or does not accept once re-pointed at an emulator
    (``local_config``), before an emulator starts or a run's folder is written: bad input is one line, nothing else."""
    from constructs_lib.config import parse_environments

    document = local_config(env_name, "http://127.0.0.1:4566")  # any emulator address: the run's own port is not known yet
    parse_environments(document, source=f"{env_name} re-pointed at the emulator")


def terraform_stream(args: list[str], deployment: Deployment, log_name: str, extra_env: dict[str, str]) -> str:
    """Run terraform, writing its output to this run's log and a heartbeat line every 20 s."""
    log_path = deployment.logs / log_name
    env = terraform_env({**deployment.aws_env(), **extra_env})
    start = time.monotonic()
    done = 0
    last_beat = start
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            ["terraform", *args, "-no-color", "-input=false"],
            cwd=deployment.stack_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if any(word in line for word in ("Creation complete", "Destruction complete", "Modifications complete")):
                done += 1
            now = time.monotonic()
            if now - last_beat >= 20:
                deployment.say(f"    ... terraform {args[0]}: {now - start:.0f} s, {done} resources done")
                last_beat = now
        code = proc.wait()
    output = log_path.read_text(encoding="utf-8")
    if code not in (0, 2) or (code == 2 and "-detailed-exitcode" not in args):
        errors = [line.strip() for line in output.splitlines() if line.startswith("Error:") or line.startswith("│ Error:")]
        summary = "; ".join(dict.fromkeys(errors)) or "\n".join(output.strip().splitlines()[-10:])
        raise RuntimeError(f"terraform {args[0]} exited {code}: {summary} (full log: {log_path})")
    return output


def plan_no_changes(deployment: Deployment, log_name: str) -> None:
    """A plan that must show no changes; the changed addresses otherwise."""
    output = terraform_stream(["plan", "-detailed-exitcode"], deployment, log_name, {"TF_VAR_db_master_password": deployment.password})
    if "No changes." not in output:
        # The resource headers and the changed attributes (Terraform marks them +, -, ~ and hides the rest).
        changed = [
            line.rstrip()
            for line in output.splitlines()
            if line.strip().startswith("# ") or (line.startswith("      ") and line.strip()[:2] in ("+ ", "- ", "~ "))
        ]
        raise RuntimeError(f"the plan is not empty (log: {deployment.logs / log_name}):\n" + "\n".join(changed[:40]))
    deployment.say("    No changes: the deployment matches the configuration")


def ensure_emulator(deployment: Deployment) -> None:
    with deployment.step("emulator", "start moto with drkit's fidelity patches on a free port"):
        existing = emulator_process.running(deployment.state_dir)
        if existing is not None:
            deployment.emulator = existing
            deployment.say(f"    reusing the running emulator at {existing.url} (pid {existing.pid}, log {existing.log})")
            return
        strays = emulator_process.stop(deployment.state_dir)  # unrecorded emulators of this checkout
        if strays:
            deployment.say(f"    stopped {len(strays)} emulator process(es) this checkout had left running: {strays}")
        shutil.rmtree(deployment.outdir, ignore_errors=True)  # its state lived in the old emulator
        dataplane = emulator_process.dataplane_wanted()
        deployment.emulator = emulator_process.start(deployment.state_dir, log=deployment.logs / "emulator.log", dataplane=dataplane)
        deployment.started_emulator = True
        deployment.say(f"    emulator at {deployment.url} (pid {deployment.emulator.pid}, log {deployment.emulator.log})")
        if dataplane:
            deployment.say(f"    data plane: {deployment.dataplane()['postgres']}, a server behind every Aurora cluster")
        else:
            deployment.say("    no data plane (PostgreSQL not installed, or DRKIT_DATAPLANE=0): the clusters are metadata only")


def configure(deployment: Deployment) -> None:
    with deployment.step("configure", f"the {deployment.env_name} environment, re-pointed at the emulator"):
        previous = json.loads(deployment.config_path.read_text(encoding="utf-8")) if deployment.config_path.is_file() else {}
        if previous and deployment.env_name not in previous and not deployment.started_emulator:
            deployed = ", ".join(previous)
            raise RuntimeError(f"the emulator holds environment {deployed}; `make destroy-local` before deploying {deployment.env_name}")
        deployment.config_path.write_text(json.dumps(local_config(deployment.env_name, deployment.url), indent=2), encoding="utf-8")
        env = deployment.environment()
        deployment.say(f"    regions {', '.join(env.regions)}; state in s3://{env.state_bucket} ({env.state_region})")
        create_state_bucket(env, deployment.url)


def synth(deployment: Deployment) -> None:
    with deployment.step("synth", "synthesize the environment against the emulator endpoint"):
        env = {**os.environ, "DR_CONFIG": str(deployment.config_path), "CDKTF_OUTDIR": str(deployment.outdir), "DR_ENVIRONMENTS": deployment.env_name}
        completed = subprocess.run([sys.executable, "-O", "main.py"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
        (deployment.logs / "synth.log").write_text(completed.stdout + completed.stderr, encoding="utf-8")
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr.strip() or completed.stdout.strip())
        deployment.say("    " + completed.stdout.strip().splitlines()[1].strip())


def deploy(deployment: Deployment) -> dict[str, Any]:
    from drkit_lab import drill, smoke

    ensure_emulator(deployment)
    configure(deployment)
    synth(deployment)
    password = {"TF_VAR_db_master_password": deployment.password}
    with deployment.step("init", "terraform init (provider from the mirror when present)"):
        terraform_stream(["init", "-reconfigure"], deployment, "init.log", {})
    with deployment.step("apply", "terraform apply of the whole stack"):
        # No blind retry: an apply that fails here is a defect (of the stack or of the emulator) to
        # be understood from the logs, not papered over.
        terraform_stream(["apply", "-auto-approve"], deployment, "apply.log", password)
    report: dict[str, Any] = {}
    with deployment.step("smoke", "read the deployment back from the emulator"):
        outputs = terraform_outputs(deployment)
        report = smoke.inspect(deployment.client, outputs)
        real = bool(deployment.dataplane().get("enabled"))  # with a data plane, the lag Aurora publishes is the replicas' real lag
        report["monitor"] = smoke.run_monitor(deployment.client, outputs["primary_region"], seed_lag_ms=None if real else 850.0)
        deployment.say(smoke.render(report))
    with deployment.step("replan", "terraform plan again: a correct stack shows no changes"):
        plan_no_changes(deployment, "replan.log")
        report["replan_no_changes"] = True
    with deployment.step("drill", "day 2 as the DR operations role: switchover, plan while switched over, status, back, plan"):
        report["drill"] = drill.day_two(deployment, outputs, lambda name: plan_no_changes(deployment, f"{name}.log"))
    report["outputs"] = outputs
    return report


def plan_json(deployment: Deployment, destroy: bool = False, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """A saved plan of the local deployment (optionally a destroy plan) as ``terraform show -json``."""
    name = "destroy.tfplan" if destroy else "drkit.tfplan"
    args = ["plan", f"-out={name}", *(["-destroy"] if destroy else []), *extra]
    terraform_stream(args, deployment, f"{name}.log", {"TF_VAR_db_master_password": deployment.password})
    document: dict[str, Any] = terraform_json(deployment, ["show", "-json", name])
    return document


def terraform_json(deployment: Deployment, args: list[str]) -> Any:
    completed = subprocess.run(
        ["terraform", *args], cwd=deployment.stack_dir, env=terraform_env(deployment.aws_env()), capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def terraform_outputs(deployment: Deployment) -> dict[str, Any]:
    return {name: body["value"] for name, body in terraform_json(deployment, ["output", "-json"]).items()}


def attach(deployment: Deployment) -> bool:
    """Point ``deployment`` at the running local deployment, if there is one (emulator and configuration)."""
    existing = emulator_process.running(deployment.state_dir)
    if existing is None or not deployment.config_path.is_file():
        return False
    deployment.emulator = existing
    deployment.env_name = next(iter(json.loads(deployment.config_path.read_text(encoding="utf-8"))))
    return True


def destroy(deployment: Deployment) -> dict[str, Any]:
    from drkit_lab import smoke

    leftovers: dict[str, Any] = {}
    if attach(deployment):
        if deployment.stack_dir.is_dir():
            with deployment.step("destroy", "terraform destroy (secondaries, then the primary, then the global cluster)"):
                terraform_stream(["destroy", "-auto-approve"], deployment, "destroy.log", {"TF_VAR_db_master_password": deployment.password})
            with deployment.step("leftovers", "check that the emulator holds nothing of the stack"):
                leftovers = smoke.leftovers(deployment.client, list(deployment.environment().regions))
                if leftovers:
                    raise RuntimeError(f"resources left behind: {leftovers}")
                deployment.say("    nothing left behind")
    elif emulator_process.running(deployment.state_dir) is None:
        deployment.say("drkit: no local emulator is answering; nothing is deployed (its state lived in the emulator)")
    with deployment.step("stop", "stop every emulator process of this checkout"):
        stopped = emulator_process.stop(deployment.state_dir)
        if deployment.state_dir.resolve() == LOCAL_DIR.resolve():  # the checkout's own deployment: also what `make emulator` started
            for pid, home in emulator_process.project_emulators().items():
                stopped += emulator_process.stop(home, only=pid)
        deployment.say(f"    stopped {len(stopped)} emulator process(es) {stopped}" if stopped else "    no emulator process was running")
        shutil.rmtree(deployment.outdir, ignore_errors=True)
        deployment.config_path.unlink(missing_ok=True)
    return leftovers


def run(action: Callable[[Deployment], Any], deployment: Deployment) -> int:
    start = time.monotonic()
    try:
        with OwnerLock(deployment.state_dir, action.__name__):
            deployment.begin_run(action.__name__)
            try:
                action(deployment)
            except StepFailed as error:
                print(f"drkit: {error}", file=sys.stderr)
                print(f"drkit: the logs of this run are in {deployment.logs}", file=sys.stderr)
                if deployment.started_emulator and deployment.emulator is not None:
                    if os.environ.get("DRKIT_KEEP_EMULATOR") == "1":
                        print(f"drkit: the emulator keeps running for inspection at {deployment.url} (DRKIT_KEEP_EMULATOR=1)", file=sys.stderr)
                    else:
                        emulator_process.stop(deployment.state_dir, only=deployment.emulator.pid)
                        print("drkit: the emulator this run started was stopped (DRKIT_KEEP_EMULATOR=1 keeps it for inspection)", file=sys.stderr)
                return 1
            except KeyboardInterrupt:
                if deployment.started_emulator and deployment.emulator is not None:
                    emulator_process.stop(deployment.state_dir, only=deployment.emulator.pid)
                print("\ndrkit: interrupted; the emulator this run started was stopped", file=sys.stderr)
                return 130
    except Busy as error:
        print(f"drkit: {error}", file=sys.stderr)
        return 75  # EX_TEMPFAIL: try again later
    summary = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in deployment.timings.items())
    print(f"drkit: {action.__name__} finished in {time.monotonic() - start:.0f} s ({summary}); logs in {deployment.logs}")
    if action is deploy and deployment.emulator is not None:
        print(f"drkit: the emulator keeps running at {deployment.url}; `make destroy-local` removes everything")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["deploy", "destroy"])
    parser.add_argument("--env", default=os.environ.get("DRKIT_LOCAL_ENV") or DEFAULT_ENVIRONMENT, help="environment of the configuration to deploy")
    args = parser.parse_args(argv)
    if args.action == "deploy":
        from constructs_lib.config import ConfigError

        try:
            checked_environment(args.env)
        except ConfigError as error:
            print(f"drkit: {error}", file=sys.stderr)
            return 2
    return run(deploy if args.action == "deploy" else destroy, Deployment(env_name=args.env))


if __name__ == "__main__":
    sys.exit(main())
