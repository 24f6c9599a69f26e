"""How a game day moves the writer: with drkit's runbook, or by executing the environment's ARC Region switch plan.

``make gameday ENGINE=arc`` (``--engine arc``) runs the scenarios' operator action through the plan: the
operator, as the DR role, starts the plan's execution in the region being activated (ungraceful for a lost
region, graceful for a planned switchover), approves its approval step if it has one, and follows it
(``drkit runbook arc-*``); the emulator executes the plan's blocks as ARC does. Every check of
the scenario stays the same. The report puts ARC's recorded recovery time (GetPlanExecution
``actualRecoveryTime``) beside what drkit observed.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from drkit.region_switch import EXIT_WAITING_FOR_APPROVAL


class Engine(StrEnum):
    RUNBOOK = "runbook"
    ARC = "arc"


def describe(gd: Any, operation: str) -> str:
    """What moves the writer, as the checks say it."""
    if Engine(gd.engine) is Engine.ARC:
        return (
            "the ARC plan's ungraceful activation (failover, data loss allowed)" if operation == "failover" else "the ARC plan's graceful activation"
        )
    return "the runbook's failover (allowing data loss)" if operation == "failover" else "the runbook's switchover"


def actor(gd: Any) -> str:
    return "the ARC plan's execution" if Engine(gd.engine) is Engine.ARC else "the runbook"


def move_writer(gd: Any, out: Any, operation: str, target: str) -> tuple[int, str, list[str]]:
    """Move the writer to ``target`` (``failover`` or ``switchover``) with the game day's engine: (exit code,
    output, regions called). With ARC, the execution and its recorded recovery time go into ``out``."""
    if Engine(gd.engine) is Engine.RUNBOOK:
        code, output, called = gd.runbook(operation, "--to", target)
        return int(code), str(output), list(called)
    args = ["arc-start", "--activate", target, "--poll-seconds", "1"] + (["--ungraceful"] if operation == "failover" else [])
    code, output, called = gd.runbook(*args)
    execution = _execution(output)
    if code == EXIT_WAITING_FOR_APPROVAL and execution:  # production plans: the DR role approves, as the approver
        code, more, more_called = gd.runbook("arc-approve", "--execution", execution)
        output, called = f"{output}\n{more}", sorted({*called, *more_called})
    recorded = re.search(r"ARC's recorded recovery time: (\S+)", output)
    moves = out.measured.setdefault("arc_executions", [])
    moves.append({"execution": execution, "target": target, "exit": code, "recorded_recovery_time": recorded.group(1) if recorded else None})
    if recorded and "arc_recorded_recovery_seconds" not in out.measured:  # the scenario's own move, not a switch back
        out.measured["arc_recorded_recovery_seconds"] = _seconds(recorded.group(1))
    if code != 0 and execution:  # a paused execution would refuse every later start of the plan: end it
        gd.runbook("arc-cancel", "--execution", execution)
    return int(code), str(output), list(called)


def note(gd: Any, out: Any) -> None:
    """ARC's figure beside drkit's, said once per report."""
    if Engine(gd.engine) is not Engine.ARC:
        return
    recorded = out.measured.get("arc_recorded_recovery_seconds")
    observed = out.measured.get("rto_seconds") or out.measured.get("database_name_seconds")
    out.notes.append(
        f"ARC recorded a recovery time of {recorded if recorded is not None else 'nothing'} s for its execution (the plan's run time, from "
        f"StartPlanExecution to its last step: no application-health alarms are associated; the emulator's blocks take seconds, AWS's "
        f"take as long as the Aurora switchover or failover does); drkit observed {observed} s from the "
        "fault to clients reaching the new writer (detection, health check and DNS included, which ARC's figure does not see)"
    )


def _execution(output: str) -> str | None:
    found = re.search(r"started: execution (\S+)", output)
    return found.group(1) if found else None


def _seconds(duration: str) -> float | None:
    """An ISO 8601 duration (``PT1M5S``) in seconds."""
    found = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", duration)
    if found is None:
        return None
    days, hours, minutes, seconds = (float(part or 0) for part in found.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds
