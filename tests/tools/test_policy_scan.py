"""The checkov gate: unsuppressed findings fail, suppressions are resource-scoped, production is stricter."""

from __future__ import annotations

from tools.checkov_suppressions import SUPPRESSIONS
from tools.policy_scan import classify, matching


def report(*findings: tuple[str, str]) -> dict[str, object]:
    return {"summary": {"passed": 7}, "results": {"failed_checks": [{"check_id": c, "resource": r, "check_name": "n"} for c, r in findings]}}


def test_unlisted_finding_fails() -> None:
    result = classify("dr-dev", report(("CKV_AWS_20", "resource.bucket_1234")))
    assert result.passed == 7 and result.failed == [("CKV_AWS_20", "resource.bucket_1234", "n")]


def test_suppression_is_scoped_to_its_resources() -> None:
    assert matching("CKV_AWS_111", "data.primary_key_policy_DDD99111", production=True) is not None
    assert matching("CKV_AWS_111", "data.primary_monitor_permissions_0A1B2C3D", production=True) is None


def test_production_gets_no_environment_excuses() -> None:
    finding = ("CKV_AWS_139", "resource.database_primary_cluster_78065EAD")
    assert classify("dr-dev", report(finding), production=False).failed == []
    assert classify("dr-production", report(finding), production=True).failed != []


def test_every_suppression_has_a_reason_and_a_narrow_pattern() -> None:
    for suppression in SUPPRESSIONS:
        assert len(suppression.reason) > 30, suppression
        assert suppression.resources not in {"*", "**"}, suppression
