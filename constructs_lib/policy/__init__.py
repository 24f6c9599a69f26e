"""Project policy rules, one per module, applied to every stack by ``PolicyAspect``."""

from __future__ import annotations

from constructs_lib.policy.approval_separation import ApprovalSeparation
from constructs_lib.policy.backup_window import BackupOutsideDatabaseWindows
from constructs_lib.policy.base import Finding, Level, PolicyRule, StackView
from constructs_lib.policy.encryption_at_rest import EncryptionAtRest
from constructs_lib.policy.locked_backups import LockedBackups
from constructs_lib.policy.log_retention import LogRetention
from constructs_lib.policy.no_open_data_tier import NoOpenDataTier
from constructs_lib.policy.no_public_database import NoPublicDatabase
from constructs_lib.policy.no_wildcard_iam import NoWildcardIam
from constructs_lib.policy.production_protection import ProductionProtection
from constructs_lib.policy.single_nat import SingleNat
from constructs_lib.policy.tls_enforced import TlsEnforced

RULES: tuple[PolicyRule, ...] = (
    EncryptionAtRest(),
    NoPublicDatabase(),
    NoOpenDataTier(),
    NoWildcardIam(),
    LogRetention(),
    TlsEnforced(),
    ProductionProtection(),
    SingleNat(),
    LockedBackups(),
    BackupOutsideDatabaseWindows(),
    ApprovalSeparation(),
)


def evaluate(document: dict[str, object], rules: tuple[PolicyRule, ...] = RULES) -> list[Finding]:
    view = StackView(document)  # type: ignore[arg-type]
    return [finding for rule in rules for finding in rule.check(view)]


__all__ = ["RULES", "Finding", "Level", "PolicyRule", "StackView", "evaluate"]
