"""IAM for preserving and reconciling the point-of-failure snapshot: what each request touches, as AWS checks it.

Resource models (Service Authorization Reference, "Actions, resources, and condition keys for Amazon
RDS", AWS Secrets Manager, AWS Systems Manager; required resource types marked ``*`` there), added to
``iam.RESOURCE_MODEL``, and the checks each action brings (``iam.DEPENDENCIES``):

=============================  ==================================================================
rds:DescribeDBClusterSnapshots  ``cluster`` (DBClusterIdentifier) or ``cluster-snapshot``, both
                                optional: without either, the request is checked against ``*``
rds:CopyDBClusterSnapshot       ``cluster-snapshot*``: the source and the copy; tags given or copied
                                need rds:AddTagsToResource on the copy; its KMS key (KmsKeyId, else
                                the source's) needs kms:CreateGrant (for an AWS resource) and
                                kms:DescribeKey
rds:RestoreDBClusterFromSnapshot ``cluster*``, ``cluster-pg*``, ``og*``, ``subgrp*`` (the request's, or
                                the defaults it gets: "If this argument is omitted, the default DB
                                cluster parameter group for the specified engine is used"; "DB
                                clusters are associated with a default option group"), and the
                                ``cluster-snapshot`` it restores (optional in the reference, checked
                                here: stricter); tags and KMS as for a copy
secretsmanager:GetSecretValue   ``Secret*``; a secret encrypted with a customer managed key needs
                                kms:Decrypt on it, evaluated with ``kms:ViaService`` =
                                ``secretsmanager.<region>.amazonaws.com``
ssm:GetParameter, PutParameter  ``parameter*``
=============================  ==================================================================

KMS: "To create an Aurora resource using a customer managed key, a user must have permissions to call
the following operations on the customer managed key: kms:CreateGrant, kms:DescribeKey" (Aurora User
Guide, "AWS KMS key management"); "kms:GrantIsForAWSResource ... Allows principals to call CreateGrant
... only when an AWS service that is integrated with AWS KMS sends the request on the principal's
behalf" (AWS KMS Developer Guide, "Controlling access to grants"). Secrets Manager: to retrieve a secret
encrypted with a customer managed key, the caller needs kms:Decrypt on that key (Secrets Manager User
Guide, "Secret encryption and decryption"); ``kms:ViaService`` names the service that used the key on
the caller's behalf (AWS KMS Developer Guide, condition keys).
"""

from __future__ import annotations

from typing import Any

from tools.emulator.patches import iam

Request = iam.Request
Check = tuple[str, str, dict[str, str]]
GRANT_FOR_RDS = {"kms:GrantIsForAWSResource": "true"}


def _account_region(request: Request) -> tuple[str, str]:
    return str(request.current_account), str(request.region)


def _snapshot_arn(request: Request, name: str) -> str:
    value = iam._param(request, name)
    account, region = _account_region(request)
    return value if value.startswith("arn:") else f"arn:aws:rds:{region}:{account}:cluster-snapshot:{value}"


def _snapshot(request: Request, name: str) -> Any:
    """The moto snapshot the request names (None when there is none: the API call will say so)."""
    from moto.rds.models import rds_backends

    account, region = _account_region(request)
    value = iam._param(request, name)
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


def _tagged(request: Request) -> bool:
    return bool(request._get_param("Tags.Tag.1.Key") or request._get_param("Tags.member.1.Key") or iam._param(request, "CopyTags").lower() == "true")


def _kms_for_rds(request: Request, key: str | None) -> list[Check]:
    if not key:
        return []
    arn = _key_arn(request, key)
    return [("kms:CreateGrant", arn, dict(GRANT_FOR_RDS)), ("kms:DescribeKey", arn, {})]


def _describe_snapshots(request: Request) -> list[str]:
    if iam._param(request, "DBClusterIdentifier"):
        return iam._rds_cluster(request, "DBClusterIdentifier")
    if iam._param(request, "DBClusterSnapshotIdentifier"):
        return [_snapshot_arn(request, "DBClusterSnapshotIdentifier")]
    return ["*"]


def _copy_resources(request: Request) -> list[str]:
    return [_snapshot_arn(request, "SourceDBClusterSnapshotIdentifier"), _snapshot_arn(request, "TargetDBClusterSnapshotIdentifier")]


def _copy_dependencies(request: Request) -> list[Check]:
    checks: list[Check] = []
    if _tagged(request):
        checks.append(("rds:AddTagsToResource", _snapshot_arn(request, "TargetDBClusterSnapshotIdentifier"), {}))
    source = _snapshot(request, "SourceDBClusterSnapshotIdentifier")
    key = iam._param(request, "KmsKeyId") or (getattr(source, "kms_key_id", None) if source is not None and source.encrypted else None)
    return checks + _kms_for_rds(request, key)


def _engine_major(request: Request) -> tuple[str, str]:
    snapshot = _snapshot(request, "SnapshotIdentifier")
    engine = iam._param(request, "Engine") or str(getattr(snapshot, "engine", "") or "aurora-postgresql")
    version = iam._param(request, "EngineVersion") or str(getattr(snapshot, "engine_version", "") or "")
    return engine, version.split(".")[0]


def _restore_resources(request: Request) -> list[str]:
    account, region = _account_region(request)
    engine, major = _engine_major(request)
    parameter_group = iam._param(request, "DBClusterParameterGroupName") or f"default.{engine}{major}"
    option_group = iam._param(request, "OptionGroupName") or f"default:{engine}-{major}"  # the default's name is not documented
    subnet_group = iam._param(request, "DBSubnetGroupName") or "default"
    return [
        *iam._rds_arn(request, "cluster", "DBClusterIdentifier"),
        f"arn:aws:rds:{region}:{account}:cluster-pg:{parameter_group}",
        f"arn:aws:rds:{region}:{account}:og:{option_group}",
        f"arn:aws:rds:{region}:{account}:subgrp:{subnet_group}",
        _snapshot_arn(request, "SnapshotIdentifier"),
    ]


def _restore_dependencies(request: Request) -> list[Check]:
    checks: list[Check] = []
    if _tagged(request):
        checks += [("rds:AddTagsToResource", arn, {}) for arn in iam._rds_arn(request, "cluster", "DBClusterIdentifier")]
    snapshot = _snapshot(request, "SnapshotIdentifier")
    key = iam._param(request, "KmsKeyId") or (getattr(snapshot, "kms_key_id", None) if snapshot is not None and snapshot.encrypted else None)
    return checks + _kms_for_rds(request, key)


def _secret(request: Request) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends

    account, region = _account_region(request)
    try:
        return secretsmanager_backends[account][region].secrets[iam._param(request, "SecretId")]
    except Exception:
        return None


def _secret_resources(request: Request) -> list[str]:
    secret = _secret(request)
    if secret is not None:
        return [str(secret.arn)]
    value = iam._param(request, "SecretId")
    account, region = _account_region(request)
    return [value if value.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{account}:secret:{value}"]


def _secret_key(request: Request) -> list[Check]:
    secret = _secret(request)
    key = getattr(secret, "kms_key_id", None) if secret is not None else None
    if not key or str(key).startswith("alias/aws/"):
        return []  # the AWS managed key: its key policy, not the caller's IAM policy, decides
    _, region = _account_region(request)
    return [("kms:Decrypt", _key_arn(request, str(key)), {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"})]


def _parameter(request: Request) -> list[str]:
    account, region = _account_region(request)
    name = iam._param(request, "Name") or iam._param(request, "Path")
    return [f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"]


iam.RESOURCE_MODEL.update(
    {
        ("rds", "DescribeDBClusterSnapshots"): ("rds:DescribeDBClusterSnapshots", _describe_snapshots),
        ("rds", "CopyDBClusterSnapshot"): ("rds:CopyDBClusterSnapshot", _copy_resources),
        ("rds", "RestoreDBClusterFromSnapshot"): ("rds:RestoreDBClusterFromSnapshot", _restore_resources),
        ("secretsmanager", "GetSecretValue"): ("secretsmanager:GetSecretValue", _secret_resources),
        ("ssm", "GetParameter"): ("ssm:GetParameter", _parameter),
        ("ssm", "PutParameter"): ("ssm:PutParameter", _parameter),
    }
)
iam.DEPENDENCIES.setdefault("rds:CopyDBClusterSnapshot", []).append(_copy_dependencies)
iam.DEPENDENCIES.setdefault("rds:RestoreDBClusterFromSnapshot", []).append(_restore_dependencies)
iam.DEPENDENCIES.setdefault("secretsmanager:GetSecretValue", []).append(_secret_key)
