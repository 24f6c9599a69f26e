"""IAM: enforced for the credentials the emulator issued, with resource ARNs, as AWS enforces it.

moto does not enforce IAM by default; switched on (``INITIAL_NO_AUTH_ACTION_COUNT``) it checks
every request, including the deployer's fake keys, and it matches each policy ``Resource`` against
``"*"`` (so a statement scoped to ARNs never applies), ignores that a trust policy naming the
account root trusts every principal of the account, and does not check the KMS key of an
encrypted topic.

The emulator instead treats requests signed with keys moto did not issue as the deployer (an
administrator: Terraform) and enforces IAM for keys it issued (IAM users' access keys, assumed-role
sessions): the drill's operator. For every action the runbook and the operator use, the resources
the request touches are computed from the request as the Service Authorization Reference lists them,
and each must be allowed by the caller's policies (an explicit Deny wins). An action with no
resource model here is **denied**, with a message saying so: a new call cannot pass untested.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from moto.core import authorization
from moto.iam import access_control
from moto.iam.models import Policy, iam_backends

from tools.emulator.patches.registry import patch

Request = Any  # a moto BaseResponse in the middle of dispatching
ResourceModel = Callable[[Request], list[str]]


def _param(request: Request, name: str) -> str:
    value = request._get_param(name)
    if value is None and isinstance(getattr(request, "body", None), (bytes, str)) and request.body:
        try:
            value = json.loads(request.body).get(name)
        except (ValueError, AttributeError):
            value = None
    return str(value or "")


def _rds_cluster(request: Request, name: str) -> list[str]:
    value = _param(request, name)
    if not value:
        return ["*"]
    return [value if value.startswith("arn:") else f"arn:aws:rds:{request.region}:{request.current_account}:cluster:{value}"]


def _rds_global(request: Request) -> list[str]:
    value = _param(request, "GlobalClusterIdentifier")
    if not value:
        return ["*"]
    return [value if value.startswith("arn:") else f"arn:aws:rds::{request.current_account}:global-cluster:{value}"]


def _path_tail(request: Request, marker: str) -> str:
    path = unquote(request.path)
    match = re.search(rf"/{marker}/([^/]+)", path)
    return match.group(1) if match else ""


def _lambda_function(request: Request) -> list[str]:
    name = _path_tail(request, "functions")
    if name.startswith("arn:"):
        return [name]
    return [f"arn:aws:lambda:{request.region}:{request.current_account}:function:{name}"]


def _sns_topic(request: Request) -> list[str]:
    return [_param(request, "TopicArn") or "*"]


def _everything(request: Request) -> list[str]:
    return ["*"]


def _rds_arn(request: Request, kind: str, name: str) -> list[str]:
    value = _param(request, name)
    if not value:
        return []
    return [value if value.startswith("arn:") else f"arn:aws:rds:{request.region}:{request.current_account}:{kind}:{value}"]


def _restore_resources(request: Request) -> list[str]:
    """RestoreDBClusterToPointInTime: the new cluster, the source cluster, the subnet group and the
    cluster parameter group (Service Authorization Reference, Amazon RDS: cluster*, cluster-pg, subgrp)."""
    return [
        *_rds_arn(request, "cluster", "DBClusterIdentifier"),
        *_rds_arn(request, "cluster", "SourceDBClusterIdentifier"),
        *_rds_arn(request, "subgrp", "DBSubnetGroupName"),
        *_rds_arn(request, "cluster-pg", "DBClusterParameterGroupName"),
    ]


# (service, API action) -> (IAM action, the resources the request touches). Sources: AWS Service
# Authorization Reference, "Actions defined by" Amazon RDS, CloudWatch, SNS, Route 53, Lambda,
# STS, EKS (resource types marked required).
RESOURCE_MODEL: dict[tuple[str, str], tuple[str, ResourceModel]] = {
    ("rds", "DescribeGlobalClusters"): ("rds:DescribeGlobalClusters", _rds_global),
    ("rds", "DescribeDBClusters"): ("rds:DescribeDBClusters", lambda r: _rds_cluster(r, "DBClusterIdentifier")),
    ("rds", "SwitchoverGlobalCluster"): ("rds:SwitchoverGlobalCluster", lambda r: [*_rds_global(r), *_rds_cluster(r, "TargetDbClusterIdentifier")]),
    ("rds", "FailoverGlobalCluster"): ("rds:FailoverGlobalCluster", lambda r: [*_rds_global(r), *_rds_cluster(r, "TargetDbClusterIdentifier")]),
    ("monitoring", "GetMetricData"): ("cloudwatch:GetMetricData", _everything),  # no resource-level permissions
    ("sns", "Publish"): ("sns:Publish", _sns_topic),
    ("route53", "ListHostedZonesByName"): ("route53:ListHostedZonesByName", _everything),
    ("route53", "ListResourceRecordSets"): (
        "route53:ListResourceRecordSets",
        lambda r: [f"arn:aws:route53:::hostedzone/{_path_tail(r, 'hostedzone')}"],
    ),
    ("route53", "GetHealthCheckStatus"): (
        "route53:GetHealthCheckStatus",
        lambda r: [f"arn:aws:route53:::healthcheck/{_path_tail(r, 'healthcheck')}"],
    ),
    ("lambda", "Invoke"): ("lambda:InvokeFunction", _lambda_function),
    ("eks", "DescribeCluster"): (
        "eks:DescribeCluster",
        lambda r: [f"arn:aws:eks:{r.region}:{r.current_account}:cluster/{_path_tail(r, 'clusters')}"],
    ),
    ("sts", "AssumeRole"): ("sts:AssumeRole", lambda r: [_param(r, "RoleArn") or "*"]),
    ("rds", "RestoreDBClusterToPointInTime"): ("rds:RestoreDBClusterToPointInTime", _restore_resources),
    ("rds", "CreateDBInstance"): (
        "rds:CreateDBInstance",
        lambda r: [*_rds_arn(r, "db", "DBInstanceIdentifier"), *_rds_arn(r, "cluster", "DBClusterIdentifier")],
    ),
    ("rds", "DescribeDBInstances"): ("rds:DescribeDBInstances", lambda r: _rds_arn(r, "db", "DBInstanceIdentifier") or ["*"]),
    ("rds", "DeleteDBInstance"): ("rds:DeleteDBInstance", lambda r: _rds_arn(r, "db", "DBInstanceIdentifier")),
    ("rds", "DeleteDBCluster"): ("rds:DeleteDBCluster", lambda r: _rds_arn(r, "cluster", "DBClusterIdentifier")),
}
# Actions a request needs besides its own: tags given on a create need rds:AddTagsToResource on the new
# resource; an encrypted restore with a customer key needs kms:CreateGrant and kms:DescribeKey on it
# (Amazon RDS user guide, "Overview of encrypting Amazon RDS resources": the caller's permissions create
# the grant RDS uses).
DEPENDENT_TAGGING = frozenset({"rds:RestoreDBClusterToPointInTime", "rds:CreateDBInstance"})
ALWAYS_ALLOWED = frozenset({("sts", "GetCallerIdentity")})  # "always allowed, even with an explicit Deny"
# Further checks an IAM action brings, with the request context each is evaluated in: IAM action ->
# functions of the request returning (action, resource, context) (registered by ``iam_recovery``).
Dependency = Callable[[Request], list[tuple[str, str, dict[str, str]]]]
DEPENDENCIES: dict[str, list[Dependency]] = {}


def _documents(policies: list[Any]) -> list[dict[str, Any]]:
    documents = []
    for policy in policies:
        if isinstance(policy, Policy):
            version = next(v for v in policy.versions if v.is_default)
            text = version.document
        elif isinstance(policy, str):
            text = policy
        else:
            text = policy["policy_document"]
        documents.append(json.loads(unquote(text)) if isinstance(text, str) else text)
    return documents


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def _matches(patterns: list[str], value: str) -> bool:
    """IAM's wildcards: "You can use wildcard characters (* and ?) within any ARN segment" (IAM User Guide,
    "IAM JSON policy elements: Resource"): ``?`` is one character (Secrets Manager ARNs end in six random
    ones, ``-??????``); ``[`` has no special meaning."""
    return any(fnmatch.fnmatchcase(value, pattern.replace("[", "[[]")) for pattern in patterns)


def satisfied(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """Whether a ``Condition`` block holds in a request context. Only ``StringEquals`` and ``Bool`` on
    keys the context carries are understood; anything else does not hold (strict for an Allow)."""
    for operator, tests in condition.items():
        if operator not in ("StringEquals", "Bool") or not isinstance(tests, dict):
            return False
        for key, wanted in tests.items():
            if key not in context:
                return False
            values = [str(v).lower() for v in _listed(wanted)] if operator == "Bool" else _listed(wanted)
            actual = context[key].lower() if operator == "Bool" else context[key]
            if actual not in values:
                return False
    return True


def decide(documents: list[dict[str, Any]], action: str, resource: str, context: dict[str, str] | None = None) -> str:
    """``allow``, ``deny`` (explicit) or ``implicit-deny`` for one action on one resource.

    A ``Condition`` block is evaluated against ``context`` (see ``satisfied``): an Allow whose
    condition does not hold (or is not understood) does not apply; a Deny with a condition always
    applies (strict).
    """
    allowed = False
    for document in documents:
        for statement in _statements(document):
            actions = _listed(statement.get("Action"))
            if "NotAction" in statement:
                if _matches(_listed(statement["NotAction"]), action):
                    continue
            elif not _matches(actions, action):
                continue
            if "NotResource" in statement:
                if _matches(_listed(statement["NotResource"]), resource):
                    continue
            elif not _matches(_listed(statement.get("Resource", "*")), resource):
                continue
            condition = statement.get("Condition")
            if statement.get("Effect") == "Deny":
                return "deny"
            if not condition or satisfied(condition, context or {}):
                allowed = True
    return "allow" if allowed else "implicit-deny"


def trusts(trust_policy: dict[str, Any], principal_arn: str, account_id: str, external_id: str | None) -> bool:
    """Whether a role's trust policy lets ``principal_arn`` call sts:AssumeRole.

    A principal ``arn:aws:iam::<account>:root`` trusts every principal of that account (IAM User
    Guide, "Specifying a principal": "the account root ... delegates ... to the account"); the only
    condition understood is ``StringEquals sts:ExternalId`` (anything else does not apply: strict).
    """
    for statement in _statements(trust_policy):
        if statement.get("Effect") != "Allow" or not _matches(_listed(statement.get("Action")), "sts:AssumeRole"):
            continue
        principals = _listed((statement.get("Principal") or {}).get("AWS")) if isinstance(statement.get("Principal"), dict) else []
        if not any(p in {principal_arn, "*", f"arn:aws:iam::{account_id}:root"} for p in principals):
            continue
        condition = statement.get("Condition") or {}
        if set(condition) - {"StringEquals"} or set(condition.get("StringEquals", {})) - {"sts:ExternalId"}:
            continue
        wanted = condition.get("StringEquals", {}).get("sts:ExternalId")
        if wanted is not None and external_id not in _listed(wanted):
            continue
        return True
    return False


def _kms_resources(request: Request, topic_arn: str) -> list[str]:
    """The KMS key of an encrypted topic: publishers need kms:GenerateDataKey* and kms:Decrypt on it
    (SNS developer guide, "Encryption at rest": "the publisher must have kms:GenerateDataKey* and
    kms:Decrypt permissions for the KMS key")."""
    from moto.kms.models import kms_backends
    from moto.sns.models import sns_backends

    region = topic_arn.split(":")[3] if topic_arn.count(":") >= 5 else request.region
    try:
        topic = sns_backends[request.current_account][region].get_topic(topic_arn)
    except Exception:
        return []
    key_id = getattr(topic, "kms_master_key_id", None)
    if not key_id:
        return []
    try:
        key = kms_backends[request.current_account][region].describe_key(key_id)
    except Exception:
        return [key_id]
    return [key.arn]


@patch
def enforce_issued_credentials() -> None:
    original = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Request, iam_request_cls: type, resource: str = "*") -> None:
        headers = self.headers
        authorization_header = headers.get("Authorization", "")
        match = re.search(r"Credential=([^/]+)/", authorization_header)
        if not match:
            return
        try:
            caller = access_control.create_access_key(
                account_id=self.current_account, partition="aws", access_key_id=match.group(1), headers=dict(headers)
            )
        except access_control.CreateAccessKeyFailure:
            return  # not a key the emulator issued: the deployer, an administrator
        service = match and re.search(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/", authorization_header)
        service_name = service.group(1) if service else ""
        api_action = self._get_action()
        if (service_name, api_action) in ALWAYS_ALLOWED:
            return
        model = RESOURCE_MODEL.get((service_name, api_action))
        if model is None:
            why = "the drkit emulator has no resource model for this action (tools/emulator/patches/iam.py)"
            _deny(caller.arn, f"{service_name}:{api_action}", "*", why)
        iam_action, resources_of = model  # type: ignore[misc]
        documents = _documents(caller.collect_policies())
        checks = [(iam_action, r) for r in resources_of(self)]
        if iam_action == "sns:Publish":
            checks += [(kms_action, key) for key in _kms_resources(self, checks[0][1]) for kms_action in ("kms:GenerateDataKey", "kms:Decrypt")]
        if iam_action in DEPENDENT_TAGGING and (self._get_param("Tags.Tag.1.Key") or self._get_param("Tags.member.1.Key")):
            checks.append(("rds:AddTagsToResource", checks[0][1]))
        if iam_action == "rds:RestoreDBClusterToPointInTime" and _param(self, "KmsKeyId"):
            checks += [(kms_action, _param(self, "KmsKeyId")) for kms_action in ("kms:CreateGrant", "kms:DescribeKey")]
        contexts: dict[tuple[str, str], dict[str, str]] = {}
        for dependency in DEPENDENCIES.get(iam_action, []):
            for action, target, context in dependency(self):
                checks.append((action, target))
                contexts[(action, target)] = context
        for action, target in checks:
            # The grant RDS asks for on the caller's behalf is for an AWS resource (AWS KMS developer
            # guide, condition keys: "kms:GrantIsForAWSResource ... true when an integrated AWS service
            # calls CreateGrant on the user's behalf").
            context = {"kms:GrantIsForAWSResource": "true"} if action == "kms:CreateGrant" and iam_action != "kms:CreateGrant" else {}
            context = contexts.get((action, target), context)
            verdict = decide(documents, action, target, context)
            if verdict != "allow":
                _deny(caller.arn, action, target, "no identity-based policy allows it" if verdict == "implicit-deny" else "explicitly denied")
        if iam_action == "sts:AssumeRole":
            role_arn = checks[0][1]
            try:
                role = iam_backends[self.current_account]["aws"].get_role_by_arn(role_arn)
            except Exception:
                _deny(caller.arn, iam_action, role_arn, "no such role")
            trust = json.loads(unquote(role.assume_role_policy_document))
            if not trusts(trust, caller.arn, self.current_account, _param(self, "ExternalId") or None):
                _deny(caller.arn, iam_action, role_arn, "the role's trust policy does not trust the caller with this ExternalId")

    def _deny(caller_arn: str, action: str, resource: str, why: str) -> None:
        from moto.core.exceptions import AccessDeniedError

        raise AccessDeniedError(user_arn=caller_arn, action=f"{action} on resource: {resource} because {why}")

    def authorize_in_the_protocol(self: Request, iam_request_cls: type, resource: str = "*") -> None:
        """A denial in the request's protocol: services of the AWS JSON protocols (``X-Amz-Target``: SSM,
        Secrets Manager, KMS ...) answer ``{"__type": "AccessDeniedException", "message": ...}``, which SDKs
        parse; moto answers them in XML, which an SDK reports as a bare HTTP 403 without the message."""
        from moto.core.exceptions import AccessDeniedError, JsonRESTError

        try:
            authorize(self, iam_request_cls, resource)
        except AccessDeniedError as error:
            if not self.headers.get("X-Amz-Target"):
                raise
            raise JsonRESTError("AccessDeniedException", error.message) from None

    authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize_in_the_protocol  # type: ignore[method-assign]
    _ = original
