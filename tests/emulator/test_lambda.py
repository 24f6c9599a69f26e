"""Lambda fidelity: public layers, customer-managed environment keys, dead-letter targets, permission statement ids."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator


def test_aws_published_powertools_layer_can_be_attached(aws: Any) -> None:
    import io
    import zipfile

    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    layer = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
    function = aws("lambda").create_function(
        FunctionName="f", Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": buffer.getvalue()}, Layers=[layer]
    )
    assert [entry["Arn"] for entry in function["Layers"]] == [layer]
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    aws("lambda").update_function_configuration(FunctionName="f", KMSKeyArn=key, Environment={"Variables": {"A": "1"}})
    assert aws("lambda").get_function_configuration(FunctionName="f")["KMSKeyArn"] == key
    assert aws("lambda").get_function(FunctionName="f")["Configuration"]["KMSKeyArn"] == key
    with pytest.raises(ClientError):
        aws("lambda").create_function(
            FunctionName="g",
            Runtime="python3.13",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": buffer.getvalue()},
            Layers=["arn:aws:lambda:us-east-1:999999999999:layer:unknown:1"],
        )


def test_lambda_dead_letter_config_is_kept(aws: Any) -> None:
    import io
    import zipfile

    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    topic = aws("sns").create_topic(Name="alerts")["TopicArn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    aws("lambda").create_function(
        FunctionName="f", Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": buffer.getvalue()},
        DeadLetterConfig={"TargetArn": topic},
    )  # fmt: skip
    assert aws("lambda").get_function_configuration(FunctionName="f")["DeadLetterConfig"] == {"TargetArn": topic}


def test_a_permission_whose_statement_id_exists_is_refused_as_aws_refuses_it(aws: Any) -> None:
    from tests.emulator.conftest import handler_zip

    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws("lambda").create_function(FunctionName="f", Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": handler_zip()})
    permission = {"FunctionName": "f", "StatementId": "AllowEvents", "Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com"}
    aws("lambda").add_permission(**permission)
    with pytest.raises(ClientError) as refused:
        aws("lambda").add_permission(**permission, SourceArn="arn:aws:events:us-east-1:123456789012:rule/other")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert refused.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "The statement id (AllowEvents) provided already exists" in refused.value.response["Error"]["Message"]
    aws("lambda").add_permission(**{**permission, "StatementId": "AllowOther"})  # another id is fine
    aws("lambda").remove_permission(FunctionName="f", StatementId="AllowEvents")
    aws("lambda").add_permission(**permission)  # and so is the same id once it was removed
    # Each qualifier has its own policy: the same id on a version is another statement.
    version = aws("lambda").publish_version(FunctionName="f")["Version"]
    aws("lambda").add_permission(**permission, Qualifier=version)
    with pytest.raises(ClientError, match="ResourceConflictException"):
        aws("lambda").add_permission(**permission, Qualifier=version)


def test_account_settings_report_the_quota_and_what_reservations_leave(aws: Any) -> None:
    """GetAccountSettings: ConcurrentExecutions is the ``lambda_concurrency_quota`` knob, UnreservedConcurrentExecutions
    that minus every reservation; PutFunctionConcurrency refuses one that leaves fewer than 100, as Lambda does."""
    from drkit_lab.emulator.knobs import KNOBS
    from tests.emulator.conftest import handler_zip

    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for name in ("other", "f"):
        aws("lambda").create_function(FunctionName=name, Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": handler_zip()})
    limit = aws("lambda").get_account_settings()["AccountLimit"]
    assert (limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]) == (1000, 1000)
    aws("lambda").put_function_concurrency(FunctionName="other", ReservedConcurrentExecutions=895)
    assert aws("lambda").get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 105
    assert aws("lambda", "us-west-2").get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000  # per region
    with pytest.raises(ClientError) as refused:
        aws("lambda").put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=6)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "decreases account's UnreservedConcurrentExecution below its minimum value of [100]" in str(refused.value)
    aws("lambda").put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=5)
    aws("lambda").put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=5)  # the same again: nothing more
    KNOBS.lambda_concurrency_quota = 10
    try:
        limit = aws("lambda", "us-west-2").get_account_settings()["AccountLimit"]
        assert (limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]) == (10, 10)
    finally:
        KNOBS.lambda_concurrency_quota = 1000


def test_the_plan_preflight_against_the_emulator(aws: Any, stacks: dict[str, Any]) -> None:
    """Both outcomes of ``drkit plan``'s Lambda preflight, on what the emulator reports: room for the local stack's
    reservations, then other workloads holding all but 100 of us-east-1's pool, which refuses the plan."""
    from drkit.lambda_concurrency import refusal, reservations
    from tests.emulator.conftest import handler_zip

    wanted = reservations(stacks["local"])
    assert {r.region for r in wanted} == {"us-east-1", "us-west-2"}
    assert refusal(wanted, aws) is None
    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws("lambda").create_function(FunctionName="other", Runtime="python3.13", Role=role, Handler="handler.handler", Code={"ZipFile": handler_zip()})
    aws("lambda").put_function_concurrency(FunctionName="other", ReservedConcurrentExecutions=900)
    line = refusal(wanted, aws)
    assert line is not None and line.startswith("Lambda in us-east-1 has 100 of the account's 1000 concurrent executions unreserved"), line
    assert line.endswith("or lower monitor_reserved_concurrency")


def test_drkit_plan_refuses_before_planning_when_a_region_has_no_room(
    aws: Any, stacks: dict[str, Any], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``drkit plan`` runs the preflight with the identity Terraform would use, and stops with exit 3 and one line
    (the Markdown review says the same) before Terraform runs."""
    import json
    from pathlib import Path

    from drkit import plan_review
    from drkit_lab.emulator.knobs import KNOBS

    stack_dir = Path(tmp_path) / "dr-local"
    stack_dir.mkdir()
    (stack_dir / "cdk.tf.json").write_text(json.dumps(stacks["local"]), encoding="utf-8")

    def locate(env_name: str, outdir: Path) -> tuple[Path, dict[str, str]]:
        return stack_dir, {"TF_VAR_db_master_password": "unused-by-the-preflight"}

    KNOBS.lambda_concurrency_quota = 10  # a new account
    try:
        code = plan_review.main(["--env", "local", "--markdown", str(Path(tmp_path) / "review.md")], locate=locate)
    finally:
        KNOBS.lambda_concurrency_quota = 1000
    out = capsys.readouterr().out
    assert code == 3, out
    (refused,) = [line for line in out.splitlines() if "REFUSED" in line]
    assert "Lambda in us-east-1 has 10 of the account's 10 concurrent executions unreserved" in refused
    assert "drkit would reserve 8 more there" in refused and "monitor_reserved_concurrency" in refused
    assert "**Refused** before planning: Lambda in us-east-1" in (Path(tmp_path) / "review.md").read_text(encoding="utf-8")
