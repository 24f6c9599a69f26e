"""IAM as the emulator enforces it for credentials it issued: actions, resource ARNs, trust, KMS of topics."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from drkit_lab.emulator.patches.iam import decide, trusts
from tests.emulator.conftest import global_with_members

pytestmark = pytest.mark.emulator
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dr"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(
    ("statements", "action", "resource", "verdict"),
    [
        ([{"Effect": "Allow", "Action": "rds:DescribeDBClusters", "Resource": "arn:aws:rds:us-east-1:1:cluster:a"}], "rds:DescribeDBClusters", "arn:aws:rds:us-east-1:1:cluster:a", "allow"),
        ([{"Effect": "Allow", "Action": "rds:DescribeDBClusters", "Resource": "arn:aws:rds:us-east-1:1:cluster:a"}], "rds:DescribeDBClusters", "arn:aws:rds:us-east-1:1:cluster:b", "implicit-deny"),
        ([{"Effect": "Allow", "Action": "rds:Describe*", "Resource": "*"}], "rds:DescribeDBClusters", "arn:aws:rds:us-east-1:1:cluster:b", "allow"),
        ([{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "rds:*", "Resource": "*"}], "rds:DescribeDBClusters", "x", "deny"),
        ([{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}], "sns:Publish", "t", "implicit-deny"),
        ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], "sns:Publish", "t", "allow"),
    ],
)  # fmt: skip
def test_policy_decisions(statements: list[dict[str, Any]], action: str, resource: str, verdict: str) -> None:
    assert decide([policy(*statements)], action, resource) == verdict


def test_a_conditional_allow_applies_only_when_its_condition_holds_in_the_request_context() -> None:
    grant = policy({"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": "k", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})
    assert decide([grant], "kms:CreateGrant", "k", {"kms:GrantIsForAWSResource": "true"}) == "allow"  # RDS asks on the caller's behalf
    assert decide([grant], "kms:CreateGrant", "k", {"kms:GrantIsForAWSResource": "false"}) == "implicit-deny"
    assert decide([grant], "kms:CreateGrant", "k") == "implicit-deny"  # the caller itself: no such key in the context
    unknown = policy({"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": "k", "Condition": {"StringLike": {"kms:ViaService": "rds.*"}}})
    assert decide([unknown], "kms:CreateGrant", "k", {"kms:GrantIsForAWSResource": "true"}) == "implicit-deny"  # not understood: strict


def test_trust_of_the_account_root_means_every_principal_of_the_account_with_the_external_id() -> None:
    trust = policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Condition": {"StringEquals": {"sts:ExternalId": "e1"}}}
    )  # fmt: skip
    user = f"arn:aws:iam::{ACCOUNT}:user/operator"
    assert trusts(trust, user, ACCOUNT, "e1")
    assert not trusts(trust, user, ACCOUNT, "wrong") and not trusts(trust, user, ACCOUNT, None)
    assert not trusts(trust, "arn:aws:iam::999999999999:user/x", "999999999999", "e1")


@pytest.fixture
def operator(aws: Any) -> Any:
    """Credentials of role ``dr`` (describe one cluster, publish to one encrypted topic), assumed with ExternalId e1."""
    primary, _ = global_with_members(aws)
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    topic = aws("sns").create_topic(Name="alerts", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    iam = aws("iam")
    trust = policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Condition": {"StringEquals": {"sts:ExternalId": "e1"}}}
    )  # fmt: skip
    iam.create_role(RoleName="dr", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="dr",
        PolicyName="p",
        PolicyDocument=json.dumps(
            policy(
                {"Effect": "Allow", "Action": "rds:DescribeDBClusters", "Resource": primary},
                {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic},
            )
        ),
    )
    iam.create_user(UserName="operator")
    iam.put_user_policy(
        UserName="operator", PolicyName="a", PolicyDocument=json.dumps(policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}))
    )
    access = iam.create_access_key(UserName="operator")["AccessKey"]
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=access["AccessKeyId"], aws_secret_access_key=access["SecretAccessKey"])
    with pytest.raises(ClientError, match=r"AccessDenied.*ExternalId"):
        sts.assume_role(RoleArn=ROLE, RoleSessionName="s1", ExternalId="wrong")
    credentials = sts.assume_role(RoleArn=ROLE, RoleSessionName="s1", ExternalId="e1")["Credentials"]

    def client(service: str, region: str = "us-east-1") -> Any:
        return boto3.client(
            service,
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    return {"client": client, "primary": primary, "topic": topic, "key": key, "aws": aws}


def test_the_role_can_do_exactly_what_its_policy_names(operator: Any) -> None:
    client = operator["client"]
    assert client("rds").describe_db_clusters(DBClusterIdentifier=operator["primary"])["DBClusters"]
    with pytest.raises(ClientError, match=r"AccessDenied.*rds:DescribeDBClusters on resource: arn:aws:rds:us-west-2"):
        client("rds", "us-west-2").describe_db_clusters(DBClusterIdentifier="c-us-west-2")
    with pytest.raises(ClientError, match=r"AccessDenied.*sns:ListTopics.*no resource model"):
        client("sns").list_topics()  # what the old runbook CLI called: the role never granted it
    assert client("sts").get_caller_identity()["Arn"].endswith(":assumed-role/dr/s1")  # always allowed


def test_publishing_to_an_encrypted_topic_needs_the_key_too(operator: Any) -> None:
    client = operator["client"]
    with pytest.raises(ClientError, match=r"AccessDenied.*kms:GenerateDataKey on resource: arn:aws:kms"):
        client("sns").publish(TopicArn=operator["topic"], Message="audit")
    operator["aws"]("iam").put_role_policy(
        RoleName="dr",
        PolicyName="kms",
        PolicyDocument=json.dumps(policy({"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": operator["key"]})),
    )
    assert client("sns").publish(TopicArn=operator["topic"], Message="audit")["MessageId"]


def test_the_deployer_is_an_administrator(aws: Any) -> None:
    """Keys the emulator did not issue (Terraform's) are not restricted, as an admin is not on AWS."""
    assert aws("sns").list_topics()["Topics"] == []


def test_every_action_the_emulator_models_has_the_reference_s_required_resource_types_as_data() -> None:
    """The emulator checks every resource type the Service Authorization Reference requires; an action modeled
    without that data would pass unchecked, so each one has it (drkit_lab/emulator/patches/sar_resource_types.json)."""
    from drkit_lab.emulator.patches.iam import RESOURCE_MODEL
    from drkit_lab.emulator.patches.sar import required_types, resource_type, table

    assert [action for action, _ in RESOURCE_MODEL.values() if required_types(action) is None] == []
    assert table()["source"].startswith("AWS Service Authorization Reference") and table()["checked_on"]
    assert required_types("rds:RestoreDBClusterToPointInTime") == ("cluster", "cluster-pg", "og", "subgrp")
    assert [resource_type(a) for a in ("arn:aws:rds:us-east-1:1:og:default:aurora-postgresql-16", "arn:aws:sns:us-east-1:1:alerts",
                                       "arn:aws:route53:::hostedzone/Z1", "arn:aws:iam::1:role/dr", "*")] == ["og", "topic", "hostedzone", "role", None]  # fmt: skip


def test_a_trust_that_names_a_role_trusts_its_sessions_and_checks_mfa_and_principal_tags() -> None:
    trust = policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/oncall"},
                    "Condition": {"StringEquals": {"sts:ExternalId": "e1", "aws:PrincipalTag/dr-operator": "prod"},
                                  "Bool": {"aws:MultiFactorAuthPresent": "true"}}})  # fmt: skip
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/oncall/alice"
    tagged = {"aws:PrincipalTag/dr-operator": "prod"}
    assert trusts(trust, session, ACCOUNT, "e1", {**tagged, "aws:MultiFactorAuthPresent": "true"})
    assert not trusts(trust, session, ACCOUNT, "e1", tagged)  # no MFA in the context: long-term keys never carry it
    assert not trusts(trust, session, ACCOUNT, "e1", {"aws:PrincipalTag/dr-operator": "dev", "aws:MultiFactorAuthPresent": "true"})
    assert not trusts(trust, f"arn:aws:sts::{ACCOUNT}:assumed-role/other/alice", ACCOUNT, "e1", {**tagged, "aws:MultiFactorAuthPresent": "true"})


@pytest.mark.parametrize(("condition", "user_tags", "allowed"), [
    ({"StringEquals": {"aws:PrincipalTag/drkit-dr-operator": "local"}}, [], False),
    ({"StringEquals": {"aws:PrincipalTag/drkit-dr-operator": "local"}}, [{"Key": "drkit-dr-operator", "Value": "other"}], False),
    ({"StringEquals": {"aws:PrincipalTag/drkit-dr-operator": "local"}}, [{"Key": "drkit-dr-operator", "Value": "local"}], True),
    ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, [{"Key": "drkit-dr-operator", "Value": "local"}], False),
])  # fmt: skip
def test_the_emulator_refuses_an_assume_role_that_misses_the_trust_conditions(
    aws: Any, condition: dict[str, Any], user_tags: list[Any], allowed: bool
) -> None:
    """The account root plus an ExternalId lets anyone in the account who may assume roles become the DR role; the trust
    conditions on the principal (its tags, MFA) are enforced: an IAM user's access key carries its tags, never MFA."""
    iam = aws("iam")
    trust = policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/operator"},
                    "Condition": {**condition, "StringEquals": {**condition.get("StringEquals", {}), "sts:ExternalId": "e1"}}})  # fmt: skip
    iam.create_role(RoleName="dr", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_user(UserName="operator", Tags=user_tags)
    iam.put_user_policy(
        UserName="operator", PolicyName="a", PolicyDocument=json.dumps(policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}))
    )
    access = iam.create_access_key(UserName="operator")["AccessKey"]
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=access["AccessKeyId"], aws_secret_access_key=access["SecretAccessKey"])
    if allowed:
        assert sts.assume_role(RoleArn=ROLE, RoleSessionName="s1", ExternalId="e1")["Credentials"]["SessionToken"]
    else:
        with pytest.raises(ClientError, match=r"AccessDenied.*trust policy does not trust the caller"):
            sts.assume_role(RoleArn=ROLE, RoleSessionName="s1", ExternalId="e1")


def test_the_automations_reads_and_latch_are_checked_against_their_arns(aws: Any) -> None:
    """DescribeAlarms by alarm ARN, the latch parameter by parameter ARN: what the runbook role and rearm use."""
    iam = aws("iam")
    trust = policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}})
    iam.create_role(RoleName="auto", AssumeRolePolicyDocument=json.dumps(trust))
    alarm = f"arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:lost-in-us-east-1"
    latch = f"arn:aws:ssm:us-west-2:{ACCOUNT}:parameter/drkit/t/failover/automation-latch"
    iam.put_role_policy(
        RoleName="auto",
        PolicyName="p",
        PolicyDocument=json.dumps(
            policy(
                {"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": alarm},
                {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"], "Resource": latch},
            )
        ),
    )
    credentials = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/auto", RoleSessionName="s1")["Credentials"]

    def client(service: str) -> Any:
        return boto3.client(
            service,
            region_name="us-west-2",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    assert client("cloudwatch").describe_alarms(AlarmNames=["lost-in-us-east-1"])["MetricAlarms"] == []
    with pytest.raises(ClientError, match=r"AccessDenied.*cloudwatch:DescribeAlarms on resource: arn:aws:cloudwatch:us-west-2:\d+:alarm:other"):
        client("cloudwatch").describe_alarms(AlarmNames=["other"])
    with pytest.raises(ClientError, match=r"AccessDenied.*cloudwatch:DescribeAlarms on resource: \*"):
        client("cloudwatch").describe_alarms()
    ssm = client("ssm")
    ssm.put_parameter(Name="/drkit/t/failover/automation-latch", Value="{}", Type="String", Overwrite=False)
    assert ssm.get_parameter(Name="/drkit/t/failover/automation-latch")["Parameter"]["Value"] == "{}"
    ssm.delete_parameter(Name="/drkit/t/failover/automation-latch")
    with pytest.raises(ClientError, match=r"AccessDenied.*ssm:PutParameter on resource: arn:aws:ssm:us-west-2:\d+:parameter/drkit/t/other"):
        ssm.put_parameter(Name="/drkit/t/other", Value="x", Type="String")


SSO_PATH = "/aws-reserved/sso.amazonaws.com/us-east-1/"
SSO_PATTERN = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_DROperators_*"


def pattern_trust(*patterns: str) -> dict[str, Any]:
    """The account as principal only with ``ArnLike aws:PrincipalArn`` (what ``trusted_principal_patterns`` synthesizes)."""
    return policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Condition": {"StringEquals": {"sts:ExternalId": "e1"}, "ArnLike": {"aws:PrincipalArn": list(patterns)}}})  # fmt: skip


def test_arn_like_on_the_principal_arn_admits_only_roles_the_pattern_names() -> None:
    """ArnLike compares each of an ARN's six parts with ``*`` and ``?`` wildcards (IAM User Guide, condition operators);
    ``aws:PrincipalArn`` of a role session is the role's ARN, path included (IAM User Guide, condition keys)."""
    trust = pattern_trust(SSO_PATTERN)
    role = f"arn:aws:iam::{ACCOUNT}:role{SSO_PATH}AWSReservedSSO_DROperators_0123456789abcdef"
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_DROperators_0123456789abcdef/alice"
    assert trusts(trust, session, ACCOUNT, "e1", {"aws:PrincipalArn": role})
    assert not trusts(trust, session, ACCOUNT, "wrong", {"aws:PrincipalArn": role})
    other = f"arn:aws:iam::{ACCOUNT}:role{SSO_PATH}AWSReservedSSO_ReadOnly_0123456789abcdef"
    assert not trusts(
        trust, f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/bob", ACCOUNT, "e1", {"aws:PrincipalArn": other}
    )
    assert not trusts(trust, f"arn:aws:iam::{ACCOUNT}:user/AWSReservedSSO_DROperators_x", ACCOUNT, "e1")  # a user, not that role
    # The account part is compared too: a role of that name in another account is not the account's.
    assert not trusts(pattern_trust(SSO_PATTERN.replace(ACCOUNT, "999999999999")), session, ACCOUNT, "e1", {"aws:PrincipalArn": role})


def assume_as(aws: Any, sts: Any, role_arn: str, **extra: Any) -> Any:
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="alice", **extra)["Credentials"]
    return boto3.client("sts", region_name="us-east-1", aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])  # fmt: skip


@pytest.mark.parametrize(("permission_set", "trusted"), [("DROperators", True), ("ReadOnly", False)])
def test_a_session_of_an_identity_center_role_assumes_the_dr_role_only_through_the_pattern(aws: Any, permission_set: str, trusted: bool) -> None:
    """End to end on the emulator: a human's session of an IAM Identity Center role (a generated name under the
    ``aws-reserved/sso.amazonaws.com`` path) assumes the DR role trusted by ``trusted_principal_patterns``; a session of
    another permission set's role is refused."""
    iam = aws("iam")
    anyone = policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    iam.create_user(UserName="human")
    iam.put_user_policy(UserName="human", PolicyName="a", PolicyDocument=json.dumps(anyone))
    sso = iam.create_role(RoleName=f"AWSReservedSSO_{permission_set}_0123456789abcdef", Path=SSO_PATH,
                          AssumeRolePolicyDocument=json.dumps(policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                      "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/human"}})))["Role"]  # fmt: skip
    iam.put_role_policy(RoleName=sso["RoleName"], PolicyName="a", PolicyDocument=json.dumps(anyone))
    iam.create_role(RoleName="dr", AssumeRolePolicyDocument=json.dumps(pattern_trust(SSO_PATTERN)))
    access = iam.create_access_key(UserName="human")["AccessKey"]
    human = boto3.client("sts", region_name="us-east-1", aws_access_key_id=access["AccessKeyId"], aws_secret_access_key=access["SecretAccessKey"])
    session = assume_as(aws, human, sso["Arn"])
    if trusted:
        assert session.assume_role(RoleArn=ROLE, RoleSessionName="alice", ExternalId="e1")["Credentials"]["SessionToken"]
    else:
        with pytest.raises(ClientError, match=r"AccessDenied.*trust policy does not trust the caller"):
            session.assume_role(RoleArn=ROLE, RoleSessionName="alice", ExternalId="e1")
    with pytest.raises(ClientError, match=r"AccessDenied.*trust policy does not trust the caller"):
        human.assume_role(RoleArn=ROLE, RoleSessionName="alice", ExternalId="e1")  # the user itself matches no pattern


def test_a_trust_naming_a_role_with_a_path_trusts_that_roles_sessions(aws: Any) -> None:
    """A role's ARN keeps its path (``role/aws-reserved/sso.amazonaws.com/.../<name>``); a trust that names it trusts its
    sessions, and one that names ``role/<name>`` without the path names another role."""
    iam = aws("iam")
    anyone = policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    iam.create_user(UserName="human")
    iam.put_user_policy(UserName="human", PolicyName="a", PolicyDocument=json.dumps(anyone))
    oncall = iam.create_role(RoleName="oncall", Path="/teams/dr/", AssumeRolePolicyDocument=json.dumps(
        policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/human"}})))["Role"]  # fmt: skip
    iam.put_role_policy(RoleName="oncall", PolicyName="a", PolicyDocument=json.dumps(anyone))
    for name, principal in (("dr", oncall["Arn"]), ("dr-pathless", f"arn:aws:iam::{ACCOUNT}:role/oncall")):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(
            policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": principal}, "Condition": {"StringEquals": {"sts:ExternalId": "e1"}}})))  # fmt: skip
    access = iam.create_access_key(UserName="human")["AccessKey"]
    session = assume_as(aws, boto3.client("sts", region_name="us-east-1", aws_access_key_id=access["AccessKeyId"],
                                          aws_secret_access_key=access["SecretAccessKey"]), oncall["Arn"])  # fmt: skip
    assert oncall["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/teams/dr/oncall"
    assert session.assume_role(RoleArn=ROLE, RoleSessionName="alice", ExternalId="e1")["Credentials"]["SessionToken"]
    with pytest.raises(ClientError, match=r"AccessDenied.*trust policy does not trust the caller"):
        session.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/dr-pathless", RoleSessionName="alice", ExternalId="e1")
