"""The main job: deploy, check, drill and destroy the whole DR stack on the local emulator.

``python -m tools.deploy_local deploy``  emulator up (or reused), state bucket, synth ``local``,
                                         terraform init + apply, smoke report, switchover drill,
                                         re-plan that must show no changes. The emulator keeps
                                         running so the deployment can be inspected.
``python -m tools.deploy_local destroy`` terraform destroy, leftover check, emulator stopped.

Every step prints what it does and how long it took; a failure names the step, shows the tail
of its log and stops the emulator.
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
from pathlib import Path
from typing import Any

from tools.emulator import process as emulator_process
from tools.emulator.process import FAKE_CREDENTIALS, LOCAL_DIR, PROJECT_DIR, Emulator
from tools.terraform import terraform_env

ENVIRONMENT = "local"
STACK = f"dr-{ENVIRONMENT}"


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

    state_dir: Path = LOCAL_DIR
    emulator: Emulator | None = None
    timings: dict[str, float] = field(default_factory=dict)
    quiet: bool = False
    # Fresh for every run and never written anywhere: it reaches AWS only through write-only arguments.
    password: str = field(default_factory=master_password, repr=False)

    @property
    def outdir(self) -> Path:
        return self.state_dir / "cdktf.out"

    @property
    def stack_dir(self) -> Path:
        return self.outdir / "stacks" / STACK

    @property
    def url(self) -> str:
        assert self.emulator is not None
        return self.emulator.url

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


def local_config(url: str) -> dict[str, Any]:
    """The ``local`` environment of cdktf.json, pointed at the running emulator."""
    document = json.loads((PROJECT_DIR / "cdktf.json").read_text(encoding="utf-8"))
    env = dict(document["context"]["environments"][ENVIRONMENT])
    env["aws_endpoint_url"] = url
    return {ENVIRONMENT: env}


def terraform_stream(args: list[str], deployment: Deployment, log_name: str, extra_env: dict[str, str]) -> str:
    """Run terraform, writing its output to a log and a heartbeat line every 20 s."""
    log_path = deployment.state_dir / log_name
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
        tail = "\n".join(output.strip().splitlines()[-20:])
        raise RuntimeError(f"terraform {args[0]} exited {code}; log {log_path}\n{tail}")
    return output


def ensure_emulator(deployment: Deployment) -> None:
    with deployment.step("emulator", "start moto with drkit's fidelity patches on a free port"):
        existing = emulator_process.running(deployment.state_dir)
        if existing is not None:
            deployment.emulator = existing
            deployment.say(f"    reusing the running emulator at {existing.url} (pid {existing.pid})")
        else:
            shutil.rmtree(deployment.outdir, ignore_errors=True)  # its state lived in the old emulator
            deployment.emulator = emulator_process.start(deployment.state_dir)
            deployment.say(f"    emulator at {deployment.url} (pid {deployment.emulator.pid})")


def synth_local(deployment: Deployment) -> None:
    with deployment.step("synth", "synthesize the local environment against the emulator endpoint"):
        config_path = deployment.state_dir / "environments.json"
        config_path.write_text(json.dumps(local_config(deployment.url), indent=2), encoding="utf-8")
        env = {**os.environ, "DR_CONFIG": str(config_path), "CDKTF_OUTDIR": str(deployment.outdir)}
        completed = subprocess.run([sys.executable, "-O", "main.py"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr.strip() or completed.stdout.strip())
        deployment.say("    " + completed.stdout.strip().splitlines()[-1].strip())


def create_state_bucket(deployment: Deployment) -> None:
    from constructs_lib.config import parse_environments

    with deployment.step("state-bucket", "create the S3 state bucket on the emulator"):
        env = parse_environments(local_config(deployment.url), source="local").get(ENVIRONMENT)
        s3 = deployment.client("s3", env.state_region)
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if env.state_bucket not in existing:
            s3.create_bucket(Bucket=env.state_bucket)
            s3.put_bucket_versioning(Bucket=env.state_bucket, VersioningConfiguration={"Status": "Enabled"})


def deploy(deployment: Deployment) -> dict[str, Any]:
    from tools import smoke

    ensure_emulator(deployment)
    create_state_bucket(deployment)
    synth_local(deployment)
    password = {"TF_VAR_db_master_password": deployment.password}
    with deployment.step("init", "terraform init (provider from the mirror when present)"):
        terraform_stream(["init", "-reconfigure"], deployment, "init.log", {})
    with deployment.step("apply", "terraform apply of the whole stack (about 2.5 minutes)"):
        try:
            terraform_stream(["apply", "-auto-approve"], deployment, "apply.log", password)
        except RuntimeError as error:
            # A loaded emulator can lose a response; the SDK's retry then meets "already done"
            # (seen once: AttachInternetGateway -> Resource.AlreadyAssociated). One more apply
            # converges from the recorded state; a second failure is reported as it is.
            first = next((line for line in str(error).splitlines() if "Error:" in line), str(error).splitlines()[0])
            deployment.say(f"    apply failed ({first.strip()}); applying once more")
            terraform_stream(["apply", "-auto-approve"], deployment, "apply-retry.log", password)
    report: dict[str, Any] = {}
    with deployment.step("smoke", "read the deployment back from the emulator"):
        outputs = _outputs(deployment)
        report = smoke.inspect(deployment.client, outputs)
        report["monitor"] = smoke.run_monitor(deployment.client, outputs["primary_region"], seed_lag_ms=850.0)
        deployment.say(smoke.render(report))
    with deployment.step("replan", "terraform plan again: a correct stack shows no changes"):
        output = terraform_stream(["plan", "-detailed-exitcode"], deployment, "replan.log", password)
        report["replan_no_changes"] = "No changes." in output
        if not report["replan_no_changes"]:
            changed = [line.strip() for line in output.splitlines() if line.strip().startswith("# ")]
            raise RuntimeError("the second plan is not empty:\n" + "\n".join(changed[:20]))
        deployment.say("    No changes: the deployment matches the configuration")
    with deployment.step("drill", "runbook: switchover to the secondary region, repeat (no-op), and back"):
        report["drill"] = smoke.switchover_drill(deployment.client, outputs, deployment.say, ENVIRONMENT)
    return report


def plan_json(deployment: Deployment, destroy: bool = False) -> dict[str, Any]:
    """A saved plan of the local deployment (optionally a destroy plan) as ``terraform show -json``."""
    name = "destroy.tfplan" if destroy else "drkit.tfplan"
    args = ["plan", f"-out={name}", *(["-destroy"] if destroy else [])]
    terraform_stream(args, deployment, f"{name}.log", {"TF_VAR_db_master_password": deployment.password})
    document: dict[str, Any] = _terraform_json(deployment, ["show", "-json", name])
    return document


def _terraform_json(deployment: Deployment, args: list[str]) -> Any:
    completed = subprocess.run(
        ["terraform", *args], cwd=deployment.stack_dir, env=terraform_env(deployment.aws_env()), capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def _outputs(deployment: Deployment) -> dict[str, Any]:
    return {name: body["value"] for name, body in _terraform_json(deployment, ["output", "-json"]).items()}


def destroy(deployment: Deployment) -> dict[str, Any]:
    from tools import smoke

    existing = emulator_process.running(deployment.state_dir)
    if existing is None:
        deployment.say("drkit: no local emulator is running; nothing is deployed (its state lived in the emulator).")
        shutil.rmtree(deployment.outdir, ignore_errors=True)
        return {}
    deployment.emulator = existing
    leftovers: dict[str, Any] = {}
    if deployment.stack_dir.is_dir():
        with deployment.step("destroy", "terraform destroy (secondary, then primary, then the global cluster)"):
            terraform_stream(["destroy", "-auto-approve"], deployment, "destroy.log", {"TF_VAR_db_master_password": deployment.password})
        with deployment.step("leftovers", "check that the emulator holds nothing of the stack"):
            leftovers = smoke.leftovers(deployment.client)
            if leftovers:
                raise RuntimeError(f"resources left behind: {leftovers}")
            deployment.say("    nothing left behind")
    with deployment.step("stop", "stop the emulator"):
        emulator_process.stop(deployment.state_dir)
        shutil.rmtree(deployment.outdir, ignore_errors=True)
    return leftovers


def run(action: Callable[[Deployment], Any], deployment: Deployment) -> int:
    start = time.monotonic()
    try:
        action(deployment)
    except StepFailed as error:
        print(f"drkit: {error}", file=sys.stderr)
        if emulator_process.stop(deployment.state_dir):
            print("drkit: the emulator was stopped", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        emulator_process.stop(deployment.state_dir)
        print("\ndrkit: interrupted; the emulator was stopped", file=sys.stderr)
        return 130
    summary = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in deployment.timings.items())
    print(f"drkit: {action.__name__} finished in {time.monotonic() - start:.0f} s ({summary})")
    if action is deploy and deployment.emulator is not None:
        print(f"drkit: the emulator keeps running at {deployment.url}; `make destroy-local` removes everything")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["deploy", "destroy"])
    args = parser.parse_args(argv)
    return run(deploy if args.action == "deploy" else destroy, Deployment())


if __name__ == "__main__":
    sys.exit(main())
