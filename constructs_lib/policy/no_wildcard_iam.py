"""DRK004: no IAM statement allows every action, or write actions on every resource."""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView, references

READ_PREFIXES = ("Describe", "Get", "List", "Read", "View", "Search", "Lookup", "Batch Get", "Select")
# Write actions AWS defines without resource types, so '*' is the only resource they take (Service
# Authorization Reference, Amazon CloudWatch Logs; the vended-logs examples of the CloudWatch Logs
# user guide grant them on "*"): FIS sets up an experiment's log delivery with them.
UNSCOPABLE_WRITES = frozenset({"logs:CreateLogDelivery", "logs:PutResourcePolicy"})
# Writes without resource types that a condition key scopes instead: allowed on '*' only with that condition.
# PutMetricData: "Use IAM condition keys to limit users to publishing metrics only in the CloudWatch namespaces
# that you specify" (CloudWatch User Guide, "Using condition keys to limit access to CloudWatch namespaces",
# whose example grants it on "*" with a StringEquals on cloudwatch:namespace).
CONDITION_SCOPED_WRITES = {"cloudwatch:PutMetricData": "cloudwatch:namespace"}


def scoped_by_condition(action: str, statement: dict[str, object]) -> bool:
    key = CONDITION_SCOPED_WRITES.get(action)
    conditions = statement.get("condition") or []
    return key is not None and isinstance(conditions, list) and any(isinstance(c, dict) and c.get("variable") == key for c in conditions)


def is_write(action: str) -> bool:
    verb = action.split(":", 1)[-1]
    return verb == "*" or not verb.startswith(READ_PREFIXES)


@dataclass(frozen=True)
class NoWildcardIam:
    rule_id: str = "DRK004"
    explanation: str = "no IAM statement with Action '*', nor Resource '*' on write actions (KMS key policies excepted: '*' is the key)"
    level: Level = Level.ERROR

    def check(self, stack: StackView) -> list[Finding]:
        key_policies: set[str] = set()
        for _, body in stack.resources("aws_kms_key"):
            key_policies |= references(body.get("policy"), "data.aws_iam_policy_document")
        findings = []
        for address, body in stack.data("aws_iam_policy_document"):
            if address.rsplit(".", 1)[-1] in key_policies:
                continue
            for statement in body.get("statement") or []:
                if statement.get("effect", "Allow") != "Allow":
                    continue
                actions = statement.get("actions") or []
                sid = statement.get("sid", "?")
                if "*" in actions:
                    findings.append(Finding(self.rule_id, self.level, address, f"statement {sid} allows every action"))
                if "*" in (statement.get("resources") or []):
                    writes = [a for a in actions if is_write(a) and a not in UNSCOPABLE_WRITES and not scoped_by_condition(a, statement)]
                    if writes:
                        findings.append(Finding(self.rule_id, self.level, address, f"statement {sid} allows {', '.join(writes)} on every resource"))
        return findings
