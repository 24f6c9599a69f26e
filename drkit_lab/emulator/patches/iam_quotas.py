"""IAM: the size quotas of policies, which a role with many statements meets on AWS and never on moto."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from moto.iam import models as iam_models
from moto.iam.exceptions import LimitExceededException

from drkit_lab.emulator.patches.registry import patch

# IAM User Guide, "IAM and AWS STS quotas": "Role policy size: You can add as many inline policies as you want to an
# IAM role, but the total aggregate policy size (the sum size of all inline policies) per role cannot exceed 10,240
# characters."; "Managed policy size: 6,144 characters"; "IAM doesn't count white space when calculating the size of a
# policy against these quotas."
ROLE_INLINE_MAX = 10_240
MANAGED_MAX = 6_144


def size(document: str) -> int:
    return len("".join(unquote(document).split()))


@patch
def policy_size_quotas() -> None:
    """AWS refuses an inline role policy that makes the role's inline policies exceed 10,240 characters, and a managed
    policy (or version) over 6,144 (white space not counted), with LimitExceeded. moto accepts any size, so a policy
    that grows with the regions deploys here and fails on AWS."""
    original_put = iam_models.IAMBackend.put_role_policy
    original_create = iam_models.IAMBackend.create_policy
    original_version = iam_models.IAMBackend.create_policy_version

    def put_role_policy(self: iam_models.IAMBackend, role_name: str, policy_name: str, policy_json: str) -> None:
        role = self.get_role(role_name)
        total = size(policy_json) + sum(size(text) for name, text in role.policies.items() if name != policy_name)
        if total > ROLE_INLINE_MAX:
            raise LimitExceededException(f"Maximum policy size of {ROLE_INLINE_MAX} bytes exceeded for role {role_name} ({total} with {policy_name})")
        original_put(self, role_name, policy_name, policy_json)

    def create_policy(self: iam_models.IAMBackend, description: str, path: str, policy_document: str, policy_name: str, tags: Any) -> Any:
        if size(policy_document) > MANAGED_MAX:
            raise LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_MAX} ({policy_name}: {size(policy_document)})")
        return original_create(self, description, path, policy_document, policy_name, tags)

    def create_policy_version(self: iam_models.IAMBackend, policy_arn: str, policy_document: str, set_as_default: bool) -> Any:
        if size(policy_document) > MANAGED_MAX:
            raise LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_MAX} ({policy_arn}: {size(policy_document)})")
        return original_version(self, policy_arn, policy_document, set_as_default)

    iam_models.IAMBackend.put_role_policy = put_role_policy  # type: ignore[method-assign]
    iam_models.IAMBackend.create_policy = create_policy  # type: ignore[method-assign]
    iam_models.IAMBackend.create_policy_version = create_policy_version  # type: ignore[method-assign]
