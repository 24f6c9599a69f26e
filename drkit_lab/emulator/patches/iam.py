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
and each must be allowed by the caller's policies (an explicit Deny wins). Every resource type the
reference marks *required* for the action (``sar_resource_types.json``) must be named: a request that
touches a resource of that type needs it allowed; one that touches none (a delete whose final snapshot
is skipped) still needs a statement naming that type. That last rule is a **conservative assumption**,
not documented IAM behaviour: the reference's "you must include an ARN or pattern for each required
resource type" is guidance for writing a policy, parliament enforces it statically (RESOURCE_MISMATCH),
and no AWS page says IAM refuses such a request, or that it does not (the table's "assumptions" note).
A policy that satisfies it satisfies both readings. An action with no resource model here, or not in
that table, is **denied**, with a message saying so: a new call cannot pass untested.
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

from drkit_lab.emulator.patches import sar
from drkit_lab.emulator.patches.registry import patch

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


def _source_engine(request: Request) -> tuple[str, str]:
    """(engine, major version) of a restore's source cluster, for the default groups the restore gets."""
    from moto.rds.models import rds_backends

    source = _param(request, "SourceDBClusterIdentifier")
    region = source.split(":")[3] if source.startswith("arn:") else request.region
    cluster = rds_backends[request.current_account][region].clusters.get(source.rsplit(":", 1)[-1])
    if cluster is None:
        return "aurora-postgresql", "*"  # the restore itself answers DBClusterNotFoundFault
    return str(cluster.engine), str(cluster.engine_version).split(".", 1)[0]


def _restore_resources(request: Request) -> list[str]:
    """RestoreDBClusterToPointInTime: the new cluster, the source cluster, the subnet group, the cluster
    parameter group and the option group (Service Authorization Reference, Amazon RDS: cluster*, cluster-pg*,
    og*, subgrp*). A group the request does not name is the engine's default one the new cluster gets
    (``default.aurora-postgresql16``, ``default:aurora-postgresql-16``)."""
    engine, major = _source_engine(request)
    account, region = request.current_account, request.region
    return [
        *_rds_arn(request, "cluster", "DBClusterIdentifier"),
        *_rds_arn(request, "cluster", "SourceDBClusterIdentifier"),
        *_rds_arn(request, "subgrp", "DBSubnetGroupName"),
        *(_rds_arn(request, "cluster-pg", "DBClusterParameterGroupName") or [f"arn:aws:rds:{region}:{account}:cluster-pg:default.{engine}{major}"]),
        *(_rds_arn(request, "og", "OptionGroupName") or [f"arn:aws:rds:{region}:{account}:og:default:{engine}-{major}"]),
    ]


def _final_snapshot(request: Request) -> list[str]:
    """The final snapshot a delete takes, unless skipped."""
    if _param(request, "SkipFinalSnapshot").lower() == "true":
        return []
    return _rds_arn(request, "cluster-snapshot", "FinalDBSnapshotIdentifier")


def _alarms(request: Request) -> list[str]:
    """DescribeAlarms by name: each alarm's ARN (scoping to ARNs is allowed for metric alarms: "You can't
    return information about composite alarms if your cloudwatch:DescribeAlarms permission has a narrower
    scope", CloudWatch API Reference); without names, every alarm."""
    names = request._get_param("AlarmNames") or []
    if isinstance(names, str):
        names = [names]
    if not names:
        return ["*"]
    return [f"arn:aws:cloudwatch:{request.region}:{request.current_account}:alarm:{name}" for name in names]


def _ssm_parameter(request: Request) -> list[str]:
    """An SSM parameter's ARN: ``parameter`` followed by its name (a name starting with '/' keeps it)."""
    name = _param(request, "Name")
    path = name if name.startswith("/") else f"/{name}"
    return [f"arn:aws:ssm:{request.region}:{request.current_account}:parameter{path}"]


# -- preserving and reconciling the point-of-failure snapshot (drkit/reconcile, functions/replication_monitor/preserve.py).
# Service Authorization Reference, Amazon RDS: DescribeDBClusterSnapshots takes ``cluster`` or ``cluster-snapshot`` (neither
# required: without either, the request is checked against ``*``); CopyDBClusterSnapshot ``cluster-snapshot*`` (the source and
# the copy); RestoreDBClusterFromSnapshot ``cluster*``, ``cluster-pg*``, ``og*``, ``subgrp*`` (the request's, or the defaults
# it gets: "If this argument is omitted, the default DB cluster parameter group for the specified engine is used"; "DB clusters
# are associated with a default option group") and the ``cluster-snapshot`` it restores (optional there, checked here:
# stricter); AWS Secrets Manager: GetSecretValue ``Secret*``. What each brings (``DEPENDENCIES``): tags given or copied need
# rds:AddTagsToResource on the new resource; the KMS key of an encrypted copy or restore (KmsKeyId, else the source's) needs
# kms:CreateGrant (for an AWS resource) and kms:DescribeKey ("To create an Aurora resource using a customer managed key, a user
# must have permissions to call the following operations on the customer managed key: kms:CreateGrant, kms:DescribeKey", Aurora
# User Guide, "AWS KMS key management"); a secret encrypted with a customer managed key needs kms:Decrypt on it, evaluated with
# ``kms:ViaService`` = ``secretsmanager.<region>.amazonaws.com`` (Secrets Manager User Guide, "Secret encryption and
# decryption"; AWS KMS Developer Guide, condition keys).
Check = tuple[str, str, dict[str, str]]
GRANT_FOR_RDS = {"kms:GrantIsForAWSResource": "true"}


def _account_region(request: Request) -> tuple[str, str]:
    return str(request.current_account), str(request.region)


def _snapshot_arn(request: Request, name: str) -> str:
    value = _param(request, name)
    account, region = _account_region(request)
    return value if value.startswith("arn:") else f"arn:aws:rds:{region}:{account}:cluster-snapshot:{value}"


def _snapshot(request: Request, name: str) -> Any:
    """The moto snapshot the request names (None when there is none: the API call will say so)."""
    from moto.rds.models import rds_backends

    account, region = _account_region(request)
    value = _param(request, name)
    identifier = value.split(":", 6)[6] if value.startswith("arn:") and value.count(":") >= 6 else value
    return rds_backends[account][region].cluster_snapshots.get(identifier) or rds_backends[account][region].cluster_snapshots.get(identifier.lower())


def _key_arn(request: Request, key: str) -> str:
    from moto.kms.models import kms_backends

    account, region = _account_region(request)
    key_region = key.split(":")[3] if key.startswith("arn:") else region
    try:
        return str(kms_backends[account][key_region].describe_key(key).arn)
    except Exception:
        return key


def _has_tags(request: Request) -> bool:
    """Whether a create request gives tags. moto 5.2 parses the query protocol's ``Tags.Tag.1.Key`` into ``Tags``
    (``_get_param("Tags.Tag.1.Key")`` answers None there): the parsed list, and the raw query string as well."""
    return bool(request._get_param("Tags")) or any(str(key).startswith("Tags.") for key in getattr(request, "querystring", {}) or {})


def _tagged(request: Request) -> bool:
    return _has_tags(request) or _param(request, "CopyTags").lower() == "true"


def _kms_for_rds(request: Request, key: str | None) -> list[Check]:
    if not key:
        return []
    arn = _key_arn(request, key)
    return [("kms:CreateGrant", arn, dict(GRANT_FOR_RDS)), ("kms:DescribeKey", arn, {})]


def _describe_snapshots(request: Request) -> list[str]:
    if _param(request, "DBClusterIdentifier"):
        return _rds_cluster(request, "DBClusterIdentifier")
    if _param(request, "DBClusterSnapshotIdentifier"):
        return [_snapshot_arn(request, "DBClusterSnapshotIdentifier")]
    return ["*"]


def _copy_resources(request: Request) -> list[str]:
    return [_snapshot_arn(request, "SourceDBClusterSnapshotIdentifier"), _snapshot_arn(request, "TargetDBClusterSnapshotIdentifier")]


def _copy_dependencies(request: Request) -> list[Check]:
    checks: list[Check] = []
    if _tagged(request):
        checks.append(("rds:AddTagsToResource", _snapshot_arn(request, "TargetDBClusterSnapshotIdentifier"), {}))
    source = _snapshot(request, "SourceDBClusterSnapshotIdentifier")
    key = _param(request, "KmsKeyId") or (getattr(source, "kms_key_id", None) if source is not None and source.encrypted else None)
    return checks + _kms_for_rds(request, key)


def _snapshot_engine(request: Request) -> tuple[str, str]:
    snapshot = _snapshot(request, "SnapshotIdentifier")
    engine = _param(request, "Engine") or str(getattr(snapshot, "engine", "") or "aurora-postgresql")
    version = _param(request, "EngineVersion") or str(getattr(snapshot, "engine_version", "") or "")
    return engine, version.split(".")[0]


def _snapshot_restore_resources(request: Request) -> list[str]:
    account, region = _account_region(request)
    engine, major = _snapshot_engine(request)
    parameter_group = _param(request, "DBClusterParameterGroupName") or f"default.{engine}{major}"
    option_group = _param(request, "OptionGroupName") or f"default:{engine}-{major}"  # the default's name is not documented
    subnet_group = _param(request, "DBSubnetGroupName") or "default"
    return [
        *_rds_arn(request, "cluster", "DBClusterIdentifier"),
        f"arn:aws:rds:{region}:{account}:cluster-pg:{parameter_group}",
        f"arn:aws:rds:{region}:{account}:og:{option_group}",
        f"arn:aws:rds:{region}:{account}:subgrp:{subnet_group}",
        _snapshot_arn(request, "SnapshotIdentifier"),
    ]


def _snapshot_restore_dependencies(request: Request) -> list[Check]:
    checks: list[Check] = []
    if _tagged(request):
        checks += [("rds:AddTagsToResource", arn, {}) for arn in _rds_arn(request, "cluster", "DBClusterIdentifier")]
    snapshot = _snapshot(request, "SnapshotIdentifier")
    key = _param(request, "KmsKeyId") or (getattr(snapshot, "kms_key_id", None) if snapshot is not None and snapshot.encrypted else None)
    return checks + _kms_for_rds(request, key)


def _secret(request: Request) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends

    account, region = _account_region(request)
    try:
        return secretsmanager_backends[account][region].secrets[_param(request, "SecretId")]
    except Exception:
        return None


def _secret_resources(request: Request) -> list[str]:
    secret = _secret(request)
    if secret is not None:
        return [str(secret.arn)]
    value = _param(request, "SecretId")
    account, region = _account_region(request)
    return [value if value.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{account}:secret:{value}"]


def _secret_key(request: Request) -> list[Check]:
    secret = _secret(request)
    key = getattr(secret, "kms_key_id", None) if secret is not None else None
    if not key or str(key).startswith("alias/aws/"):
        return []  # the AWS managed key: its key policy, not the caller's IAM policy, decides
    _, region = _account_region(request)
    return [("kms:Decrypt", _key_arn(request, str(key)), {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"})]


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
    ("lambda", "GetFunction"): ("lambda:GetFunction", _lambda_function),  # ARC's custom-action block reads the function first
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
    ("rds", "DeleteDBCluster"): ("rds:DeleteDBCluster", lambda r: [*_rds_arn(r, "cluster", "DBClusterIdentifier"), *_final_snapshot(r)]),
    # the failover automation (runbook function) and rearm (DR role): CloudWatch alarm, SSM parameter*
    ("monitoring", "DescribeAlarms"): ("cloudwatch:DescribeAlarms", _alarms),
    ("ssm", "GetParameter"): ("ssm:GetParameter", _ssm_parameter),
    ("ssm", "PutParameter"): ("ssm:PutParameter", _ssm_parameter),
    ("ssm", "DeleteParameter"): ("ssm:DeleteParameter", _ssm_parameter),
    # the point-of-failure snapshot: the monitor preserves it, the DR role reconciles from it (the runbook records the failover
    # with ssm:GetParameter/PutParameter above)
    ("rds", "DescribeDBClusterSnapshots"): ("rds:DescribeDBClusterSnapshots", _describe_snapshots),
    ("rds", "CopyDBClusterSnapshot"): ("rds:CopyDBClusterSnapshot", _copy_resources),
    ("rds", "RestoreDBClusterFromSnapshot"): ("rds:RestoreDBClusterFromSnapshot", _snapshot_restore_resources),
    ("secretsmanager", "GetSecretValue"): ("secretsmanager:GetSecretValue", _secret_resources),
}
# Actions a request needs besides its own: tags given on a create need rds:AddTagsToResource on the new
# resource; an encrypted restore with a customer key needs kms:CreateGrant and kms:DescribeKey on it
# (Amazon RDS user guide, "Overview of encrypting Amazon RDS resources": the caller's permissions create
# the grant RDS uses).
DEPENDENT_TAGGING = frozenset({"rds:RestoreDBClusterToPointInTime", "rds:CreateDBInstance"})
ALWAYS_ALLOWED = frozenset({("sts", "GetCallerIdentity")})  # "always allowed, even with an explicit Deny"
# Further checks an IAM action brings, with the request context each is evaluated in (see above): IAM action ->
# a function of the request returning (action, resource, context).
Dependency = Callable[[Request], list[Check]]
DEPENDENCIES: dict[str, Dependency] = {
    "rds:CopyDBClusterSnapshot": _copy_dependencies,
    "rds:RestoreDBClusterFromSnapshot": _snapshot_restore_dependencies,
    "secretsmanager:GetSecretValue": _secret_key,
}


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


def arn_like(value: str, pattern: str) -> bool:
    """``ArnLike``: "Case-sensitive matching of the ARN. Each of the six colon-delimited components of the ARN is
    checked separately and each can include multi-character match wildcards (*) or single-character match wildcards
    (?)" (IAM User Guide, "IAM JSON policy elements: Condition operators")."""
    values, patterns = value.split(":", 5), pattern.split(":", 5)
    if len(values) != 6 or len(patterns) != 6:
        return False
    for part, wanted in zip(values, patterns, strict=True):
        regex = re.escape(wanted).replace(r"\*", ".*").replace(r"\?", ".")
        if not re.fullmatch(regex, part):
            return False
    return True


def satisfied(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """Whether a ``Condition`` block holds in a request context. Only ``StringEquals``, ``Bool`` and ``ArnLike`` on
    keys the context carries are understood (any of a key's values matches); anything else does not hold (strict for
    an Allow)."""
    for operator, tests in condition.items():
        if operator not in ("StringEquals", "Bool", "ArnLike") or not isinstance(tests, dict):
            return False
        for key, wanted in tests.items():
            if key not in context:
                return False
            if operator == "ArnLike":
                if not any(arn_like(context[key], str(pattern)) for pattern in _listed(wanted)):
                    return False
                continue
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


def _names_type(documents: list[dict[str, Any]], action: str, service: str, region: str, account: str, rtype: str) -> bool:
    """Whether an Allow statement for ``action`` names a resource of ``rtype`` (a pattern that can match one)."""
    for document in documents:
        for statement in _statements(document):
            if statement.get("Effect") != "Allow" or "NotResource" in statement:
                continue
            if not _matches(_listed(statement.get("Action")), action):
                continue
            if any(sar.pattern_names_type(p, service, region, account, rtype) for p in _listed(statement.get("Resource", "*"))):
                return True
    return False


def trusts(trust_policy: dict[str, Any], principal_arn: str, account_id: str, external_id: str | None, context: dict[str, str] | None = None) -> bool:
    """Whether a role's trust policy lets ``principal_arn`` call sts:AssumeRole.

    A principal ``arn:aws:iam::<account>:root`` trusts every principal of that account (IAM User Guide,
    "Specifying a principal": "the account root ... delegates ... to the account"); a role ARN trusts that role's
    sessions: the role's ARN with its path (``role/aws-reserved/sso.amazonaws.com/<region>/<name>`` for IAM Identity
    Center's roles), which the caller's context gives as ``aws:PrincipalArn`` ("For IAM roles, the request context
    returns the ARN of the role", IAM User Guide, condition keys); without it, ``role/<name>`` from the session ARN.
    A ``Condition`` is evaluated against the request context (``satisfied``: StringEquals, Bool and ArnLike only,
    anything else does not hold): ``aws:PrincipalArn`` as above, ``sts:ExternalId`` as given, ``aws:PrincipalTag/<key>`` from the caller's user or
    role tags ("included in the request context if the principal is using an IAM user with attached tags ... or an
    IAM role with attached tags", IAM User Guide, condition keys), ``aws:MultiFactorAuthPresent`` only when the caller
    authenticated with MFA ("The key is only present when the user authenticates with short-term credentials.
    Long-term credentials, such as access keys, do not include this key", IAM User Guide, "Configuring MFA-protected
    API access"): an access key or a session without MFA never satisfies it.
    """
    request = dict(context or {})
    if external_id is not None:
        request["sts:ExternalId"] = external_id
    session = re.fullmatch(r"arn:aws:sts::(\d{12}):assumed-role/([^/]+)/.+", principal_arn)
    if "aws:PrincipalArn" not in request:
        request["aws:PrincipalArn"] = f"arn:aws:iam::{session.group(1)}:role/{session.group(2)}" if session else principal_arn
    identities = {principal_arn, "*", f"arn:aws:iam::{account_id}:root"}
    if session:
        identities.add(request["aws:PrincipalArn"])
    for statement in _statements(trust_policy):
        if statement.get("Effect") != "Allow" or not _matches(_listed(statement.get("Action")), "sts:AssumeRole"):
            continue
        principals = _listed((statement.get("Principal") or {}).get("AWS")) if isinstance(statement.get("Principal"), dict) else []
        if not any(p in identities for p in principals):
            continue
        condition = statement.get("Condition") or {}
        if condition and not satisfied(condition, request):
            continue
        return True
    return False


def principal_context(account_id: str, caller: Any) -> dict[str, str]:
    """The caller's request-context keys: ``aws:PrincipalArn``, the ARN of its IAM user or of the role a session belongs
    to, path included (moto's session ARN drops the role's path), and its principal tags (``aws:PrincipalTag/<key>``):
    an IAM user's tags, or the tags of the role a session belongs to."""
    backend = iam_backends[account_id]["aws"]
    context: dict[str, str] = {}
    try:
        if getattr(caller, "_owner_user_name", None):
            context["aws:PrincipalArn"] = backend.get_user(caller._owner_user_name).arn
            tags = backend.list_user_tags(caller._owner_user_name)
        elif getattr(caller, "_owner_role_name", None):
            context["aws:PrincipalArn"] = backend.get_role(caller._owner_role_name).arn
            tags = backend.list_role_tags(caller._owner_role_name, None, None)[0]
        else:
            tags = []
    except Exception:
        tags = []
    return context | {f"aws:PrincipalTag/{tag['Key']}": str(tag["Value"]) for tag in tags}


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


def issued_caller(headers: dict[str, str], account_id: str) -> Any | None:
    """The identity behind a request signed with credentials the emulator issued (None: the deployer)."""
    match = re.search(r"Credential=([^/]+)/", headers.get("Authorization", ""))
    if not match:
        return None
    try:
        return access_control.create_access_key(account_id=account_id, partition="aws", access_key_id=match.group(1), headers=headers)
    except access_control.CreateAccessKeyFailure:
        return None


def authorize_emulated(headers: dict[str, str], account_id: str, action: str | None, resources: list[str]) -> str | None:
    """IAM for the services the emulator serves itself (``drkit_lab/emulator/services.py``), as for moto's: only
    credentials it issued are checked, every resource must be allowed, and an action with no resource
    model (``action`` None) is denied. None when allowed, else the AccessDenied message."""
    caller = issued_caller(headers, account_id)
    if caller is None:
        return None
    if action is None:
        return f"User: {caller.arn} is not authorized: the drkit emulator has no resource model for this action"
    documents = _documents(caller.collect_policies())
    for resource in resources:
        verdict = decide(documents, action, resource)
        if verdict != "allow":
            why = "no identity-based policy allows it" if verdict == "implicit-deny" else "explicitly denied"
            return f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource} because {why}"
    return None


def trusts_service(trust_policy: dict[str, Any], service_principal: str) -> bool:
    """Whether a role's trust policy lets an AWS service (``arc-region-switch.amazonaws.com``) assume it. A
    condition is not understood here, so a statement with one does not count (strict)."""
    for statement in _statements(trust_policy):
        if statement.get("Effect") != "Allow" or not _matches(_listed(statement.get("Action")), "sts:AssumeRole") or statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        if isinstance(principal, dict) and service_principal in _listed(principal.get("Service")):
            return True
    return False


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
            why = "the drkit emulator has no resource model for this action (drkit_lab/emulator/patches/iam.py)"
            _deny(caller.arn, f"{service_name}:{api_action}", "*", why)
        iam_action, resources_of = model  # type: ignore[misc]
        documents = _documents(caller.collect_policies())
        checks = [(iam_action, r) for r in resources_of(self)]
        if iam_action == "sns:Publish":
            checks += [(kms_action, key) for key in _kms_resources(self, checks[0][1]) for kms_action in ("kms:GenerateDataKey", "kms:Decrypt")]
        if iam_action in DEPENDENT_TAGGING and _has_tags(self):
            checks.append(("rds:AddTagsToResource", checks[0][1]))
        if iam_action == "rds:RestoreDBClusterToPointInTime" and _param(self, "KmsKeyId"):
            checks += [(kms_action, _param(self, "KmsKeyId")) for kms_action in ("kms:CreateGrant", "kms:DescribeKey")]
        contexts: dict[tuple[str, str], dict[str, str]] = {}
        dependency = DEPENDENCIES.get(iam_action)
        for action, target, context in dependency(self) if dependency else []:
            checks.append((action, target))
            contexts[(action, target)] = context
        if iam_action == "rds:DeleteDBCluster" and len(checks) > 1:
            # A final snapshot needs rds:CreateDBClusterSnapshot on the cluster and the snapshot (AWS notice of
            # 2024-08-15 on DeleteDBCluster, quoted in aws-solutions/instance-scheduler-on-aws#572).
            checks += [("rds:CreateDBClusterSnapshot", target) for _, target in checks[:2]]
        _required_types_named(self, caller.arn, documents, iam_action, [r for a, r in checks if a == iam_action])
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
            context = principal_context(self.current_account, caller)
            if not trusts(trust, caller.arn, self.current_account, _param(self, "ExternalId") or None, context):
                why = "the role's trust policy does not trust the caller with this ARN, ExternalId, principal tags and authentication (MFA)"
                _deny(caller.arn, iam_action, role_arn, why)

    def _required_types_named(request: Request, caller_arn: str, documents: list[dict[str, Any]], action: str, touched: list[str]) -> None:
        """Every resource type the Service Authorization Reference requires for ``action`` is named: those the
        request touches are checked one by one above; for one it touches none of, a statement must name that type
        (the conservative assumption of the module docstring, parliament's static rule, not documented IAM behaviour)."""
        required = sar.required_types(action)
        if required is None:
            _deny(caller_arn, action, "*", "the drkit emulator has no Service Authorization Reference data for it (sar_resource_types.json)")
        service = action.split(":", 1)[0]
        for rtype in required or ():
            if any(sar.same_type(resource, rtype) for resource in touched):
                continue
            if not _names_type(documents, action, service, request.region, request.current_account, rtype):
                why = (
                    f"the Service Authorization Reference requires a {rtype} resource for it and no statement allowing it names one "
                    "(a conservative assumption of the emulator when the request touches none: sar_resource_types.json, assumptions)"
                )
                _deny(caller_arn, action, f"(any {rtype})", why)

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
