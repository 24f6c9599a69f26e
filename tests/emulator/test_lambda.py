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
