"""DRK011 (warning): in production, an ARC plan's manual approval is approved by a role that also starts the plan.

ARC: "Anyone who has access to the role defined in the execution block can approve or decline execution of the
step" (ARC developer guide, manual-approval-block). When that role is one the stack also lets start executions
(``arc-region-switch:StartPlanExecution``: by default the DR operations role), whoever starts an activation can
approve it: a pause for confirmation, not a second person. ``region_switch.approval_role_arn`` names another role.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from constructs_lib.policy.base import Finding, Level, StackView, references

PLAN_TYPE = "AWS::ARCRegionSwitch::Plan"
STARTS = frozenset({"arc-region-switch:StartPlanExecution", "arc-region-switch:*", "*"})


def _approval_roles(value: Any) -> Iterator[str]:
    """Every ``ExecutionApprovalConfig.ApprovalRole`` in a desired state."""
    if isinstance(value, dict):
        approval = value.get("ExecutionApprovalConfig")
        if isinstance(approval, dict) and isinstance(approval.get("ApprovalRole"), str):
            yield approval["ApprovalRole"]
        for item in value.values():
            yield from _approval_roles(item)
    elif isinstance(value, list):
        for item in value:
            yield from _approval_roles(item)


@dataclass(frozen=True)
class ApprovalSeparation:
    rule_id: str = "DRK011"
    explanation: str = "in production, an ARC Region switch plan's approval role is not a role that may also start the plan's executions"
    level: Level = Level.WARNING

    def starters(self, stack: StackView) -> dict[str, str]:
        """The stack's roles (resource name -> role name) whose inline policies allow StartPlanExecution."""
        starting_documents = {
            address.rsplit(".", 1)[-1]
            for address, body in stack.data("aws_iam_policy_document")
            for statement in body.get("statement") or []
            if statement.get("effect", "Allow") == "Allow" and STARTS.intersection(statement.get("actions") or [])
        }
        roles = dict(stack.resources("aws_iam_role"))
        found: dict[str, str] = {}
        for _, attachment in stack.resources("aws_iam_role_policy"):
            if references(attachment.get("policy"), "data.aws_iam_policy_document") & starting_documents:
                for name in references(attachment.get("role"), "aws_iam_role"):
                    found[name] = str(roles.get(f"aws_iam_role.{name}", {}).get("name", name))
        return found

    def check(self, stack: StackView) -> list[Finding]:
        if not stack.is_production:
            return []
        starters = self.starters(stack)
        findings = []
        for address, body in stack.resources("aws_cloudcontrolapi_resource"):
            if body.get("type_name") != PLAN_TYPE:
                continue
            try:
                document = json.loads(str(body.get("desired_state") or "{}"))
            except ValueError:
                continue
            for approver in sorted(set(_approval_roles(document))):
                same = [role for name, role in starters.items() if name in references(approver, "aws_iam_role") or approver.endswith(f":role/{role}")]
                if same:
                    findings.append(
                        Finding(
                            self.rule_id,
                            self.level,
                            address,
                            f"the manual approval is approved by {same[0]}, which also starts the plan's executions: whoever starts an "
                            "activation can approve it (a pause for confirmation, not a second person); set region_switch.approval_role_arn "
                            "to a role the starters cannot assume",
                        )
                    )
        return findings
