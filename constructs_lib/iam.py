"""Small IAM building blocks shared by the constructs."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from constructs_lib.point_of_failure import Grant

# X-Ray has no resource-level permissions; the AWS-managed policy keeps "*" out of our statements.
XRAY_WRITE_POLICY = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"


def service_trust(scope: Construct, construct_id: str, provider: AwsProvider, service: str) -> DataAwsIamPolicyDocument:
    """The trust policy of a role that one AWS service assumes (``lambda.amazonaws.com``, ...)."""
    return DataAwsIamPolicyDocument(
        scope,
        construct_id,
        provider=provider,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                actions=["sts:AssumeRole"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])],
            )
        ],
    )


def grant_statements(grants: tuple[Grant, ...]) -> list[DataAwsIamPolicyDocumentStatement]:
    """Policy statements from grants kept as plain data (``constructs_lib.point_of_failure``)."""
    return [
        DataAwsIamPolicyDocumentStatement(
            sid=grant.sid,
            actions=list(grant.actions),
            resources=list(grant.resources),
            condition=[
                DataAwsIamPolicyDocumentStatementCondition(test=test, variable=variable, values=list(values))
                for test, variable, values in grant.condition
            ]
            or None,
        )
        for grant in grants
    ]


def as_grant(statement: DataAwsIamPolicyDocumentStatement) -> Grant:
    """A statement of ours (Allow, actions on resources, conditions) as plain data, to be measured and packed."""
    if statement.principals or statement.not_actions or statement.not_resources or statement.effect not in (None, "Allow"):
        raise ValueError(f"{statement.sid}: only Allow statements of actions on resources are packed")
    conditions = statement.condition or []
    return Grant(
        sid=statement.sid or "",
        actions=tuple(statement.actions or ()),
        resources=tuple(statement.resources or ()),
        condition=tuple((c.test, c.variable, tuple(c.values)) for c in conditions),  # type: ignore[union-attr]
    )
