"""The other way users deploy: the cdktf CLI against the emulator, exactly as docs/emulator.md says.

`make emulator` (``python -m drkit_lab.emulator up``) starts the emulator and prints the shell lines that
deploy the ``local`` stack; docs/emulator.md shows the same lines. This test checks the two agree, then
runs those lines: the ``export`` lines become the environment (nothing else: no ``AWS_ENDPOINT_URL``,
so every service the stack calls must be named by the synthesized providers), and ``cdktf diff``,
``cdktf deploy`` and ``cdktf destroy`` run with the page's flags. The only additions are
``--output`` (the test must not replace the checkout's ``cdktf.out``) and the emulator's port (a free
one, through ``DR_CONFIG``, so a developer's own ``make emulator`` on 4566 is left alone).
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from drkit_lab.deploy_local import local_config, master_password
from drkit_lab.emulator import __main__ as emulator_cli
from drkit_lab.emulator import process
from drkit_lab.smoke import leftovers
from tests.helpers import PROJECT_DIR

pytestmark = pytest.mark.integration
STACK = "dr-local"
CDKTF_TIMEOUT = 1200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def shell_environment(lines: list[str], password: str) -> dict[str, str]:
    """The environment a shell has after the ``export`` lines, started from a bare one (PATH, HOME)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PWD": str(PROJECT_DIR)}
    for line in lines:
        words = shlex.split(line)
        if not words or words[0] != "export":
            continue
        for assignment in words[1:]:
            name, _, value = assignment.partition("=")
            value = value.replace("$PWD", env["PWD"]).replace("$PATH", env["PATH"])
            env[name] = password if value.startswith("<") else value
    return env


@pytest.fixture
def cli_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[str, str]]:
    """`make emulator` for a copy of the local environment on a free port; its printed instructions."""
    monkeypatch.delenv("DR_CONFIG", raising=False)
    config = tmp_path / "environments.json"
    config.write_text(json.dumps(local_config("local", f"http://127.0.0.1:{free_port()}")), encoding="utf-8")
    monkeypatch.setenv("DR_CONFIG", str(config))
    monkeypatch.setattr(process, "CLI_DIR", tmp_path / "emulator")
    try:
        assert emulator_cli.main(["up", "--env", "local"]) == 0
        yield str(config), capsys.readouterr().out
    finally:
        emulator_cli.main(["down"])
    assert process.emulators_of(tmp_path / "emulator") == []


def test_the_documented_cdktf_path_deploys_and_destroys_the_local_stack(cli_emulator: tuple[str, str], tmp_path: Path) -> None:
    config, printed = cli_emulator
    lines = emulator_cli.cli_instructions(STACK)
    page = (PROJECT_DIR / "docs" / "emulator.md").read_text(encoding="utf-8")
    assert "\n".join(lines) in page, "docs/emulator.md must show exactly the lines `make emulator` prints"
    assert all(f"  {line}" in printed for line in lines)

    env = shell_environment(lines, master_password())
    assert "AWS_ENDPOINT_URL" not in env
    env.update(DR_CONFIG=config, CHECKPOINT_DISABLE="1", CI="1")  # CI=1: no interactive prompts, plain output
    outdir = tmp_path / "cdktf.out"
    transcript = tmp_path / "cdktf.log"

    def cdktf(line: str) -> str:
        words = shlex.split(line)
        assert words[0] == "cdktf"
        command = [*words, "--output", str(outdir)]
        with transcript.open("a", encoding="utf-8") as log:
            log.write(f"\n$ {shlex.join(command)}\n")
        done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=CDKTF_TIMEOUT, check=False)
        with transcript.open("a", encoding="utf-8") as log:
            log.write(done.stdout + done.stderr)
        assert done.returncode == 0, f"{line} failed ({done.returncode}); the end of its output:\n{(done.stdout + done.stderr)[-4000:]}"
        return done.stdout

    commands = [line for line in lines if line.startswith("cdktf ")]
    diff, deploy_, destroy_ = commands
    assert "Plan:" in cdktf(diff)
    cdktf(deploy_)

    url = json.loads(Path(config).read_text(encoding="utf-8"))["local"]["aws_endpoint_url"]

    def client(service: str, region: str = "us-east-1") -> object:
        return boto3.client(service, region_name=region, endpoint_url=url, aws_access_key_id="drkit-local", aws_secret_access_key="drkit-local")

    rds = client("rds")
    members = rds.describe_global_clusters()["GlobalClusters"][0]["GlobalClusterMembers"]  # type: ignore[attr-defined]
    assert len(members) == 2
    # The parameters the cdktf deploy failed on in issue #12 (SSM was missing from the endpoints).
    for region in ("us-east-1", "us-west-2"):
        names = [p["Name"] for p in client("ssm", region).describe_parameters()["Parameters"]]  # type: ignore[attr-defined]
        assert any(name.startswith("/drkit/local/") for name in names), (region, names)

    cdktf(destroy_)
    assert leftovers(client, ["us-east-1", "us-west-2"]) == {}
