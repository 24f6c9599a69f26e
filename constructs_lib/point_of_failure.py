"""What preserving and reconciling the point-of-failure snapshot may touch: the IAM grants, as plain data.

After an unplanned failover (``FailoverGlobalCluster`` with ``AllowDataLoss``) Aurora attempts a
snapshot of the old primary's volume when its region is healthy again (Aurora User Guide, "Using
switchover or failover in Amazon Aurora Global Database"). Three principals act on it:

* the **runbook** (its Lambda role and the DR role) records the failover (:func:`record_grants`);
* the **replication monitor** of each region copies its own region's snapshot to a manual one and
  watches for the snapshot that never comes (:func:`monitor_grants`);
* the **DR role** runs ``drkit runbook reconcile``: preserves if the monitor has not,
  restores the copy beside the database, reads the master credentials, discards the restore
  (:func:`reconcile_grants`).

Each grant is an action and the resource types the Service Authorization Reference lists for it
(required ones marked ``*`` there): rds:DescribeDBClusterSnapshots (``cluster``, ``cluster-snapshot``,
neither required: called with the DBClusterIdentifier of a member, so scoped to the members);
rds:CopyDBClusterSnapshot (``cluster-snapshot*``: the source and the copy); rds:RestoreDBClusterFromSnapshot
(``cluster*``, ``cluster-pg*``, ``og*``, ``subgrp*``, and the snapshot); the restored instance, its tags, the
keys and the discard are the point-in-time restore's grants (``dr_operations.restore_grants``); KMS for an encrypted
copy or restore, "kms:CreateGrant, kms:DescribeKey" (Aurora User Guide, "AWS KMS key management"),
CreateGrant only when RDS asks on the caller's behalf (``kms:GrantIsForAWSResource``, AWS KMS Developer
Guide, "Controlling access to grants"); secretsmanager:GetSecretValue (``Secret*``) and kms:Decrypt of
the secret's key only through Secrets Manager (``kms:ViaService``); ssm:GetParameter / PutParameter
(``parameter*``). No write is granted on ``*`` (policy rule DRK004).

The constructs turn each :class:`Grant` into a policy statement; ``tests/emulator`` builds a role from
the same grants and shows every one of them needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs_lib.naming import RESTORE_MARK, Names

GRANT_FOR_AWS_RESOURCE = ("Bool", "kms:GrantIsForAWSResource", ("true",))


@dataclass(frozen=True, kw_only=True)
class Grant:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (test, variable, values)

    def statement(self) -> dict[str, Any]:
        """The IAM policy statement (JSON)."""
        document: dict[str, Any] = {"Sid": self.sid, "Effect": "Allow", "Action": list(self.actions), "Resource": list(self.resources)}
        if self.condition:
            conditions: dict[str, dict[str, list[str]]] = {}
            for test, variable, values in self.condition:
                conditions.setdefault(test, {})[variable] = list(values)
            document["Condition"] = conditions
        return document


@dataclass(frozen=True, kw_only=True)
class RegionScope:
    """One member region: its cluster is ``names.cluster_id(region)``, its customer managed key ``kms_key_arn``."""

    region: str
    kms_key_arn: str


def _rds(account: str, region: str, kind: str, name: str) -> str:
    return f"arn:aws:rds:{region}:{account}:{kind}:{name}"


def _system_snapshots(names: Names, account: str, region: str) -> str:
    return _rds(account, region, "cluster-snapshot", f"{names.point_of_failure_snapshot_prefix(region)}*")


def _copies(names: Names, account: str, region: str) -> str:
    return _rds(account, region, "cluster-snapshot", f"{names.preserved_snapshot_prefix(region)}*")


def _restores(names: Names, account: str, region: str, kind: str) -> str:
    return names.rds_arn(account, region, kind, f"{RESTORE_MARK}*")


def record_grants(names: Names, account: str) -> tuple[Grant, ...]:
    """The runbook records a failover that allowed data loss in the target region's parameter (read, then write)."""
    return (Grant(sid="RecordLossyFailover", actions=("ssm:GetParameter", "ssm:PutParameter"), resources=(_records_everywhere(names, account),)),)


def _keep_snapshot_grants(names: Names, account: str, scopes: tuple[RegionScope, ...], members: tuple[str, ...]) -> tuple[Grant, ...]:
    """Keep the point-of-failure snapshots of ``scopes``' regions: find them by any of ``members``' clusters, copy
    them to manual snapshots encrypted with the region's key, tag the copies."""
    keys = tuple(s.kms_key_arn for s in scopes)
    return (
        Grant(
            sid="FindPointOfFailureSnapshots",
            actions=("rds:DescribeDBClusterSnapshots",),
            resources=tuple(names.cluster_arn(account, r) for r in members),
        ),
        Grant(
            sid="PreservePointOfFailureSnapshot",
            actions=("rds:CopyDBClusterSnapshot",),
            resources=tuple(arn for s in scopes for arn in (_system_snapshots(names, account, s.region), _copies(names, account, s.region))),
        ),
        Grant(sid="TagPreservedCopies", actions=("rds:AddTagsToResource",), resources=tuple(_copies(names, account, s.region) for s in scopes)),
        Grant(sid="EncryptPreservedCopies", actions=("kms:CreateGrant",), resources=keys, condition=(GRANT_FOR_AWS_RESOURCE,)),
        Grant(sid="DescribeCopyKey", actions=("kms:DescribeKey",), resources=keys),
    )


def monitor_grants(names: Names, account: str, scope: RegionScope, regions: tuple[str, ...]) -> tuple[Grant, ...]:
    """The monitor of ``scope.region``: copy that region's point-of-failure snapshots, read the failover records,
    look for the snapshot of any member that was the writer (``regions``: every member).

    (It reads the old primary's cluster with the DescribeDBClusters it already has on every member.)"""
    return (
        *_keep_snapshot_grants(names, account, (scope,), regions),
        Grant(sid="ReadLossyFailovers", actions=("ssm:GetParameter",), resources=(_records_everywhere(names, account),)),
    )


def plan_step_grants(names: Names, account: str, scopes: tuple[RegionScope, ...]) -> tuple[Grant, ...]:
    """The runbook functions' role, for an ARC plan's post-recovery step (``functions/failover/arc.py``,
    ``preserve_snapshot``): what the monitor of each region may do to keep its snapshot (:func:`monitor_grants`), for
    every member region at once (one role serves every region's function). It reads the member with the
    DescribeGlobalClusters/DescribeDBClusters it has already, and the failover records with :func:`record_grants`."""
    return _keep_snapshot_grants(names, account, scopes, tuple(s.region for s in scopes))


def reconcile_grants(names: Names, account: str, scopes: tuple[RegionScope, ...]) -> tuple[Grant, ...]:
    """What the DR role's ``reconcile`` needs beyond the point-in-time restore's grants (``dr_operations.restore_grants``:
    the instance of a restore, its tags, waiting for it, the keys, discarding it), in every member region (the old primary
    may be any of them): list the members' snapshots, keep the point-of-failure snapshot, restore its copy into a
    ``*-restore-*`` cluster, tag the copy, read the failover records and the master credentials. With the restore's, one
    data-recovery set (``DrOperationsConstruct``), kept in managed policies; the runbook's reads of the global cluster and
    its members are the role's own."""
    regions = tuple(s.region for s in scopes)
    keys = tuple(s.kms_key_arn for s in scopes)
    copies = tuple(_copies(names, account, r) for r in regions)
    return (
        Grant(
            sid="ReconcileFindSnapshots",
            actions=("rds:DescribeDBClusterSnapshots",),
            resources=tuple(names.cluster_arn(account, r) for r in regions),
        ),
        Grant(
            sid="ReconcilePreserve",
            actions=("rds:CopyDBClusterSnapshot",),
            resources=(*(_system_snapshots(names, account, r) for r in regions), *copies),
        ),
        Grant(sid="ReconcileTagCopies", actions=("rds:AddTagsToResource",), resources=copies),
        # Service Authorization Reference, RestoreDBClusterFromSnapshot: cluster*, cluster-pg*, og*, subgrp* (and the
        # snapshot); the restore names the member's subnet and cluster parameter groups, its option group is the engine's
        # default (as a point-in-time restore's).
        Grant(
            sid="ReconcileRestoreCopies",
            actions=("rds:RestoreDBClusterFromSnapshot",),
            resources=(
                *copies,
                *(_restores(names, account, r, "cluster") for r in regions),
                *(names.rds_arn(account, r, kind) for r in regions for kind in ("subgrp", "cluster-pg")),
                *(f"arn:aws:rds:{r}:{account}:og:default:aurora-postgresql-*" for r in regions),
            ),
        ),
        Grant(sid="ReconcileReadLossyFailovers", actions=("ssm:GetParameter",), resources=(_records_everywhere(names, account),)),
        Grant(
            sid="ReconcileCredentials",
            actions=("secretsmanager:GetSecretValue",),
            resources=tuple(names.master_secret_arns(account, r) for r in regions),
        ),
        Grant(
            sid="ReconcileCredentialsKey",
            actions=("kms:Decrypt",),
            resources=keys,
            condition=(("StringEquals", "kms:ViaService", tuple(f"secretsmanager.{r}.amazonaws.com" for r in regions)),),
        ),
    )


def _records_everywhere(names: Names, account: str) -> str:
    """The failover record has the same name in every region: one ARN with the region left open."""
    return f"arn:aws:ssm:*:{account}:parameter{names.lossy_failover_parameter}"


# IAM and AWS STS quotas (IAM User Guide): "Role policy size: You can add as many inline policies as you want to an IAM
# role, but the total aggregate policy size (the sum size of all inline policies) per role cannot exceed 10,240
# characters."; "Managed policy size: 6,144 characters"; "Managed policies attached to an IAM role: 10" (the default,
# adjustable; the budget here); "IAM doesn't count white space when calculating the size of a policy against these
# quotas." An unresolved Terraform reference (``${...}``) is counted as what it resolves to: the account's 12 digits,
# or else the longest value here, a KMS key's ARN (a health check's ID, a topic's ARN are shorter). Terraform renders a
# one-element list as a string: the documents IAM stores are no larger than these.
ROLE_INLINE_MAX = 10_240
MANAGED_POLICY_MAX = 6_144
MANAGED_POLICIES_PER_ROLE = 10
_KEY_ARN = "arn:aws:kms:ap-southeast-1:123456789012:key/12345678-1234-1234-1234-123456789012"


def policy_size(grants: tuple[Grant, ...]) -> int:
    import json
    import re

    document = json.dumps({"Version": "2012-10-17", "Statement": [g.statement() for g in grants]}, separators=(",", ":"))
    return len(re.sub(r"\$\{[^}]*\}", lambda m: "123456789012" if "account_id" in m.group(0) else _KEY_ARN, document))


def managed_policies(grants: tuple[Grant, ...], limit: int = MANAGED_POLICY_MAX) -> list[tuple[Grant, ...]]:
    """``grants`` packed in order into as few policies as fit ``limit``; a grant too large alone is split by resources."""
    pieces: list[Grant] = []
    for grant in grants:
        if policy_size((grant,)) <= limit:
            pieces.append(grant)
            continue
        part: list[str] = []
        for resource in grant.resources:
            candidate = Grant(sid=f"{grant.sid}{len(pieces)}", actions=grant.actions, resources=(*part, resource), condition=grant.condition)
            if part and policy_size((candidate,)) > limit:
                pieces.append(Grant(sid=f"{grant.sid}{len(pieces)}", actions=grant.actions, resources=tuple(part), condition=grant.condition))
                part = []
            part.append(resource)
        pieces.append(Grant(sid=f"{grant.sid}{len(pieces)}", actions=grant.actions, resources=tuple(part), condition=grant.condition))
    policies: list[list[Grant]] = [[]]
    for piece in pieces:
        if policies[-1] and policy_size((*policies[-1], piece)) > limit:
            policies.append([])
        policies[-1].append(piece)
    return [tuple(policy) for policy in policies if policy]


def inline_and_managed(grants: tuple[Grant, ...], inline_limit: int = ROLE_INLINE_MAX) -> tuple[int, list[tuple[Grant, ...]]]:
    """How many of ``grants`` (in order) stay in the role's inline policy, and the rest packed into managed policies.

    Everything stays inline while it fits (small environments keep the one inline policy they always had); past IAM's
    10,240 characters, the longest prefix that fits stays and the statements after it move to managed policies."""
    cut = len(grants)
    while cut and policy_size(grants[:cut]) > inline_limit:
        cut -= 1
    return cut, managed_policies(grants[cut:]) if grants[cut:] else []


def without_duplicates(first: tuple[Grant, ...], then: tuple[Grant, ...]) -> tuple[Grant, ...]:
    """``first``, then the grants of ``then`` that ``first`` does not already give (same actions, resources and condition):
    one coherent set where two features grant the same thing (a restore's keys and a reconciliation's)."""
    given = {(g.actions, g.resources, g.condition) for g in first}
    return (*first, *(g for g in then if (g.actions, g.resources, g.condition) not in given))
