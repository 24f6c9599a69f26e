"""Run one of drkit's Lambda handlers as Lambda would, in a process of its own.

moto's Lambda cannot execute code here (no Docker daemon), so whatever the emulator must invoke for real
(ARC's custom-action step) runs here: the deployed function's environment variables, ``AWS_REGION`` of its
region, credentials of its own execution role, the emulator as the endpoint, and a fresh interpreter as its
cold start. The handler string maps to drkit's source (``failover.handler.lambda_handler`` and
``functions.failover.handler.lambda_handler`` are ``functions/failover/handler.py``), the code the function was packaged from.

``python -m drkit_lab.emulator.lambda_runner <module> <function> <result file>``: the event on stdin; the result
file gets ``{"ok": true, "result": ...}`` or ``{"ok": false, "errorType": ..., "errorMessage": ...}``, as
Lambda reports a function error (stdout stays the function's log).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Context:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str


@dataclass(frozen=True)
class Invocation:
    ok: bool
    result: Any = None
    error_type: str = ""
    error_message: str = ""
    log: str = ""


def source_module(module: str) -> str:
    """The module of drkit's source a handler names: ``failover.handler`` (zipped at the top level) and
    ``functions.failover.handler`` (zipped under ``functions/`` with shared modules) are both ``functions/failover/handler.py``."""
    return module if module.startswith("functions.") else f"functions.{module}"


def invoke(
    configuration: dict[str, Any], region: str, endpoint: str, credentials: dict[str, str], event: dict[str, Any], request_id: str
) -> Invocation:
    """Run the function of ``configuration`` (GetFunctionConfiguration) with ``event``, as its role."""
    handler = str(configuration["Handler"])
    module, function = handler.rsplit(".", 1)
    variables = dict((configuration.get("Environment") or {}).get("Variables") or {})
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_DIR),
        **variables,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_LAMBDA_FUNCTION_NAME": str(configuration["FunctionName"]),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "DRKIT_FUNCTION_ARN": str(configuration["FunctionArn"]),
        "DRKIT_FUNCTION_MEMORY": str(configuration.get("MemorySize", 128)),
        "DRKIT_REQUEST_ID": request_id,
        **credentials,
    }
    result_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"drkit-lambda-{os.getpid()}-{request_id.replace('/', '-')}.json"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "drkit_lab.emulator.lambda_runner", source_module(module), function, str(result_file)],
            input=json.dumps(event),
            env=env,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=float(configuration.get("Timeout", 60)),
            check=False,
        )
        log = (done.stdout + done.stderr)[-4000:]
        if not result_file.is_file():
            return Invocation(ok=False, error_type="Runtime.ExitError", error_message=f"the function exited {done.returncode}", log=log)
        outcome = json.loads(result_file.read_text(encoding="utf-8"))
    except subprocess.TimeoutExpired:
        return Invocation(ok=False, error_type="Sandbox.Timedout", error_message=f"Task timed out after {configuration.get('Timeout')} seconds")
    finally:
        result_file.unlink(missing_ok=True)
    if outcome.get("ok"):
        return Invocation(ok=True, result=outcome.get("result"), log=log)
    return Invocation(ok=False, error_type=str(outcome.get("errorType")), error_message=str(outcome.get("errorMessage")), log=log)


def main(argv: list[str]) -> int:
    module_name, function_name, result_path = argv
    event = json.loads(sys.stdin.read() or "{}")
    context = Context(
        function_name=os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        invoked_function_arn=os.environ["DRKIT_FUNCTION_ARN"],
        memory_limit_in_mb=int(os.environ["DRKIT_FUNCTION_MEMORY"]),
        aws_request_id=os.environ["DRKIT_REQUEST_ID"],
    )
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        outcome: dict[str, Any] = {"ok": True, "result": handler(event, context)}
    except Exception as error:  # a function error, as Lambda reports it to the invoker
        outcome = {"ok": False, "errorType": type(error).__name__, "errorMessage": str(error)}
    Path(result_path).write_text(json.dumps(outcome, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
