"""An environment re-pointed at the emulator (`LOCAL_ENV=<name>`): its DR role trusts the drill's operator."""

from __future__ import annotations

from drkit_lab.deploy_local import local_config
from drkit_lab.drill import OPERATOR_USER


def test_production_re_pointed_trusts_the_drill_operator_with_its_principal_tags() -> None:
    """Production's trusted principals live in AWS; on the emulator the drill's operator (an IAM user, tagged as the
    trust policy requires) stands in for them, and MFA, which no access key carries, is not required."""
    (env,) = local_config("production", "http://127.0.0.1:4566").values()
    operations = env["dr_operations"]
    assert operations["trusted_principals"] == [f"arn:aws:iam::123456789012:user/{OPERATOR_USER}"]
    assert operations["principal_tags"] == {"drkit-dr-operator": "production"} and "require_mfa" not in operations
    assert env["environment"] == "local" and env["account_id"] == "123456789012"
