"""One owner of a local deployment at a time; a failure stops only what it started; destroy stops every emulator."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drkit_lab.deploy_local import Deployment, deploy, destroy, run
from drkit_lab.emulator import process
from drkit_lab.emulator.process import Busy, OwnerLock

HOLD = "import sys, time; from pathlib import Path; from drkit_lab.emulator.process import OwnerLock\n" \
       "with OwnerLock(Path(sys.argv[1]), 'deploy'):\n    print('held', flush=True); time.sleep(60)"  # fmt: skip


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process that owns ``tmp_path/local`` (as a running `make deploy-local` would)."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "local")], cwd=process.PROJECT_DIR, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    yield child
    child.kill()
    child.wait()


def test_a_second_invocation_is_refused_naming_the_first(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(Busy) as refused, OwnerLock(tmp_path / "local", "destroy"):
        pass
    message = str(refused.value)
    assert f"another local deploy is running (pid {holder.pid}" in message and "wait for it to finish" in message


def test_the_lock_goes_with_its_holder_however_it_ends(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    holder.kill()
    holder.wait()
    with OwnerLock(tmp_path / "local", "deploy"):  # the kernel released the lock of the killed process
        assert (tmp_path / "local" / "owner.json").is_file()
    assert not (tmp_path / "local" / "owner.json").exists()


def test_deploy_and_destroy_refuse_while_another_owns_the_deployment(
    tmp_path: Path, holder: subprocess.Popen[str], capsys: pytest.CaptureFixture[str]
) -> None:
    for action in (deploy, destroy):
        assert run(action, Deployment(state_dir=tmp_path / "local")) == 75
        assert f"pid {holder.pid}" in capsys.readouterr().err
    assert process.emulators_of(tmp_path / "local") == []  # the refused deploy started nothing


def test_a_failed_deploy_stops_only_the_emulator_it_started_and_keeps_its_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bystander = process.start(tmp_path / "other")  # another checkout's (or test's) emulator
    try:
        deployment = Deployment(env_name="no-such-environment", state_dir=tmp_path / "local")
        assert run(deploy, deployment) == 1
        err = capsys.readouterr().err
        assert "step 'configure' failed: no-such-environment: no such environment" in err
        assert f"the logs of this run are in {deployment.logs}" in err
        assert (deployment.logs / "emulator.log").stat().st_size > 0  # what the emulator said stays on disk
        assert process.emulators_of(tmp_path / "local") == []  # it started one and stopped it
        assert bystander.is_alive()
    finally:
        process.stop(tmp_path / "other")


def test_destroy_stops_every_emulator_of_the_deployment_even_unrecorded_ones(tmp_path: Path) -> None:
    """Two deploys once started two emulators and one record survived: destroy must stop both."""
    state = tmp_path / "local"
    first = process.start(state)
    (state / process.RECORD).unlink()  # its record was overwritten by the second one
    second = process.start(state)
    assert sorted(process.emulators_of(state)) == sorted([first.pid, second.pid])
    assert run(destroy, Deployment(state_dir=state)) == 0
    deadline = time.monotonic() + 10
    while process.emulators_of(state) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process.emulators_of(state) == []
