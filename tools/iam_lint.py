"""An independent IAM linter on every policy of every synthesized stack: parliament.

checkov reads the synthesized Terraform; it does not know which resource types an action needs. The
Service Authorization Reference does ("Required resources are indicated in the table with an asterisk
(*). If you limit resource access with the Resource element in an IAM policy, you must include an ARN
or pattern for each required resource type", SAR, "Actions, resources, and condition keys"), and so
does parliament (duo-labs/parliament, pinned in ``tools/checkov-requirements.txt``; its
``iam_definition.json`` is a copy of the SAR), which flags a statement that grants an action on none
of the resources of a required type (``RESOURCE_MISMATCH``), unknown actions, conditions an action
does not take, malformed documents.

Every policy of the stacks is a ``data "aws_iam_policy_document"`` whose values hold Terraform
references (``${aws_sns_topic.x.arn}``, ``${data.aws_caller_identity.caller.account_id}``). parliament
needs ARNs: each reference is replaced by a well-formed value of its own service and resource type
(``REFERENCE_FORMATS``: an ARN built from the referenced resource's region and name, an account id, a
zone or health-check id). A reference of a type not listed there fails the scan, so a new kind of
reference is added deliberately rather than linted as garbage.

parliament runs in the scan's virtualenv (``.venv-checkov``: it needs boto3, which checkov pins), as a
worker process (``python -m tools.iam_lint --worker``) reading the documents as JSON on stdin. Accepted
findings are in ``tools/iam_lint_suppressions.py``, each with its reason.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCAN_PYTHON = PROJECT_DIR / ".venv-checkov" / "bin" / "python"
PLACEHOLDER_ACCOUNT = "123456789012"  # when the stack names no account (a dev stack); any 12 digits lint alike
_REFERENCE = re.compile(r"\$\{([^{}]+)\}")

# Terraform reference (type, attribute) -> a value of the right service and resource type, from the
# referenced resource's region, account and body. ARN formats: the SAR's resource types of each service.
REFERENCE_FORMATS: dict[tuple[str, str], str] = {
    ("aws_sns_topic", "arn"): "arn:aws:sns:{region}:{account}:{name}",
    ("aws_kms_key", "arn"): "arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ("aws_ssm_parameter", "arn"): "arn:aws:ssm:{region}:{account}:parameter/{name_without_slash}",
    ("aws_cloudwatch_log_group", "arn"): "arn:aws:logs:{region}:{account}:log-group:{name}",
    ("aws_cloudwatch_metric_alarm", "arn"): "arn:aws:cloudwatch:{region}:{account}:alarm:{alarm_name}",
    ("aws_iam_role", "arn"): "arn:aws:iam::{account}:role/{name}",
    ("aws_lambda_function", "arn"): "arn:aws:lambda:{region}:{account}:function:{function_name}",
    ("aws_rds_cluster", "arn"): "arn:aws:rds:{region}:{account}:cluster:{cluster_identifier}",
    ("aws_rds_global_cluster", "arn"): "arn:aws:rds::{account}:global-cluster:{global_cluster_identifier}",
    ("aws_route53_zone", "zone_id"): "Z0123456789ABCDEFGHIJ",
    ("aws_route53_health_check", "id"): "abcdef12-3456-7890-abcd-ef1234567890",
    ("aws_caller_identity", "account_id"): "{account}",
    ("aws_subnet", "id"): "subnet-0123456789abcdef0",
    ("aws_security_group", "id"): "sg-0123456789abcdef0",
}


class UnresolvedReference(ValueError):
    """A reference the linter cannot turn into a well-formed value: add its format above."""


@dataclass(frozen=True)
class Document:
    stack: str
    address: str  # data.aws_iam_policy_document.<name>
    policy: dict[str, Any]


@dataclass(frozen=True)
class Finding:
    stack: str
    address: str
    issue: str
    severity: str
    detail: str


@dataclass
class StackLint:
    name: str
    documents: int = 0
    failed: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, Any]] = field(default_factory=list)


def _regions(stack: dict[str, Any]) -> dict[str, str]:
    """Provider reference (``aws.primary``) -> region."""
    regions = {}
    for provider in stack.get("provider", {}).get("aws", []):
        alias = provider.get("alias")
        regions[f"aws.{alias}" if alias else "aws"] = provider.get("region", "us-east-1")
    return regions


def _account(stack: dict[str, Any]) -> str:
    for provider in stack.get("provider", {}).get("aws", []):
        allowed = provider.get("allowed_account_ids") or []
        if allowed:
            return str(allowed[0])
    return PLACEHOLDER_ACCOUNT


def resolve(value: str, stack: dict[str, Any], region: str, known: Mapping[str, str] | None = None) -> str:
    """``value`` with every Terraform reference replaced by a well-formed value of its type (or by the
    value ``known`` gives the reference, ``aws_kms_key.<name>.arn`` -> an ARN, for a deployed stack)."""
    regions, account = _regions(stack), _account(stack)

    def replace(match: re.Match[str]) -> str:
        if known and match.group(1) in known:
            return known[match.group(1)]
        parts = match.group(1).split(".")
        if parts[0] == "data":
            kind, name, attribute = parts[1], parts[2], parts[3] if len(parts) > 3 else ""
            body = stack.get("data", {}).get(kind, {}).get(name)
        else:
            kind, name, attribute = parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""
            body = stack.get("resource", {}).get(kind, {}).get(name)
        template = REFERENCE_FORMATS.get((kind, attribute))
        if template is None or body is None:
            raise UnresolvedReference(f"${{{match.group(1)}}}: no linter format for {kind}.{attribute} (tools/iam_lint.py REFERENCE_FORMATS)")
        where = regions.get(str(body.get("provider", "aws")), region)
        fields = {"region": where, "account": account}
        for key in re.findall(r"\{(\w+)\}", template):
            if key in fields:
                continue
            raw = body.get(key.removesuffix("_without_slash"))
            if not isinstance(raw, str):
                raise UnresolvedReference(f"${{{match.group(1)}}}: the resource has no {key} for its linter format")
            text = resolve(raw, stack, where, known)
            fields[key] = text.lstrip("/") if key.endswith("_without_slash") else text
        return template.format(**fields)

    return _REFERENCE.sub(replace, value)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _one_or_many(values: list[str]) -> str | list[str]:
    """As the provider renders a list of one (``aws_iam_policy_document``: a single value is a string)."""
    return values[0] if len(values) == 1 else values


def policy_json(document: dict[str, Any], stack: dict[str, Any], known: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The IAM JSON Terraform's ``aws_iam_policy_document`` renders, references resolved (see ``resolve``)."""
    region = _regions(stack).get(str(document.get("provider", "aws")), "us-east-1")

    def res(values: list[Any]) -> list[str]:
        return [resolve(str(v), stack, region, known) for v in values]

    statements = []
    for block in document.get("statement", []):
        statement: dict[str, Any] = {"Effect": block.get("effect", "Allow")}
        if block.get("sid"):
            statement["Sid"] = block["sid"]
        for key, name in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"), ("not_resources", "NotResource")):
            if key in block:
                statement[name] = _one_or_many(res(_listed(block[key])))
        for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            if key in block:
                principal: dict[str, list[str]] = {}
                for entry in block[key]:
                    principal.setdefault(entry["type"], []).extend(res(_listed(entry["identifiers"])))
                statement[name] = {kind: _one_or_many(ids) for kind, ids in principal.items()}
        if "condition" in block:
            condition: dict[str, dict[str, list[str]]] = {}
            for entry in block["condition"]:
                condition.setdefault(entry["test"], {}).setdefault(entry["variable"], []).extend(res(_listed(entry["values"])))
            statement["Condition"] = {test: {k: _one_or_many(v) for k, v in keys.items()} for test, keys in condition.items()}
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _trust_policies(stack: dict[str, Any]) -> dict[str, str]:
    """Policy document name -> name of the role whose trust policy it is."""
    found = {}
    for name, body in stack.get("resource", {}).get("aws_iam_role", {}).items():
        match = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}", str(body.get("assume_role_policy", "")))
        if match:
            found[match.group(1)] = name
    return found


def as_trust_policy(policy: dict[str, Any], role_arn: str) -> dict[str, Any]:
    """A trust policy linted as what it is: statements about one resource, the role.

    A role's trust policy is a resource-based policy without a ``Resource`` element (IAM User Guide,
    "IAM JSON policy elements: Resource": in a role trust policy the resource is the role itself);
    sts:AssumeRole's resource type is ``role`` (Service Authorization Reference, AWS STS). parliament
    reads every policy as an identity policy, so the linter names that resource explicitly, and still
    checks the actions, principals and conditions."""
    statements = [s if "Resource" in s or "NotResource" in s else {**s, "Resource": role_arn} for s in policy["Statement"]]
    return {**policy, "Statement": statements}


def documents(stack_name: str, stack: dict[str, Any]) -> list[Document]:
    """Every policy document of a synthesized stack (each ``data "aws_iam_policy_document"``), a trust policy
    as the policy of its role. A key policy keeps its ``Resource: "*"``, which in a key policy means the key."""
    found = []
    trusts = _trust_policies(stack)
    for name, body in sorted(stack.get("data", {}).get("aws_iam_policy_document", {}).items()):
        policy = policy_json(body, stack)
        if name in trusts:
            policy = as_trust_policy(policy, resolve(f"${{aws_iam_role.{trusts[name]}.arn}}", stack, "us-east-1"))
        found.append(Document(stack_name, f"data.aws_iam_policy_document.{name}", policy))
    inline = [(rtype, name) for rtype, items in stack.get("resource", {}).items() for name, body in items.items()
              if any(k.endswith("policy") and isinstance(v, str) and v.lstrip().startswith("{") for k, v in body.items())]  # fmt: skip
    if inline:  # every policy goes through a policy document today; a literal JSON policy would escape the lint
        raise UnresolvedReference(f"{stack_name}: literal policy JSON in {inline}: write it as an aws_iam_policy_document")
    return found


def lint(docs: list[Document]) -> list[Finding]:
    """parliament (and ``RESOURCE_TYPE_NOT_TAKEN``) on every document, in the scan's virtualenv."""
    if not docs:
        return []
    if not SCAN_PYTHON.is_file():
        raise RuntimeError(f"{SCAN_PYTHON} is missing; run `make install`")
    payload = json.dumps([{"stack": d.stack, "address": d.address, "policy": d.policy} for d in docs])
    completed = subprocess.run(
        [str(SCAN_PYTHON), "-m", "tools.iam_lint", "--worker"], input=payload, capture_output=True, text=True, cwd=PROJECT_DIR, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"parliament failed: {completed.stderr.strip()[-800:]}")
    return [Finding(**f) for f in json.loads(completed.stdout)]


def lint_stacks(stack_dirs: list[Path], production: dict[str, bool]) -> list[StackLint]:
    """Every policy document of every stack, linted in one worker; findings classified per stack."""
    from tools.iam_lint_suppressions import matching

    found: dict[str, list[Document]] = {}
    for stack_dir in stack_dirs:
        found[stack_dir.name] = documents(stack_dir.name, json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8")))
    findings = lint([d for docs in found.values() for d in docs])
    results = []
    for name, docs in found.items():
        result = StackLint(name=name, documents=len(docs))
        for finding in (f for f in findings if f.stack == name):
            suppression = matching(finding, production.get(name, False))
            if suppression is None:
                result.failed.append(finding)
            else:
                result.suppressed.append((finding, suppression))
        results.append(result)
    return results


def _resource_types_not_taken(statement: dict[str, Any]) -> list[str]:
    """Inside ``.venv-checkov``: each resource of an Allow statement that is of no type any of its actions takes.

    parliament checks the other direction (an action none of whose required types the statement names,
    ``RESOURCE_MISMATCH``); a resource no action can apply to is as wrong, and would pass."""
    from parliament import expand_action, is_arn_strictly_valid
    from parliament.statement import get_arn_format, get_privilege_info

    if statement.get("Effect") != "Allow" or "NotAction" in statement or "NotResource" in statement:
        return []
    actions = [a for action in _listed(statement.get("Action")) for a in expand_action(action, raise_exceptions=False)]
    formats = []
    for action in actions:
        info = get_privilege_info(action["service"], action["action"])
        for entry in info["resource_types"]:
            if entry["resource_type"]:
                formats.append((entry["resource_type"].rstrip("*"), get_arn_format(entry["resource_type"], info["service_resources"])))
    return [
        f"{resource} is of no resource type that {', '.join(sorted({a['service'] + ':' + a['action'] for a in actions}))} takes"
        for resource in _listed(statement.get("Resource", []))
        if resource != "*" and actions and not any(is_arn_strictly_valid(rtype, arn_format, resource) for rtype, arn_format in formats)
    ]


def _worker() -> int:
    """Inside ``.venv-checkov``: parliament on the documents read from stdin; findings as JSON on stdout."""
    import parliament

    findings = []
    for item in json.load(sys.stdin):
        found = [(f.issue, f.detail) for f in parliament.analyze_policy_string(json.dumps(item["policy"])).findings]
        found += [("RESOURCE_TYPE_NOT_TAKEN", detail) for s in item["policy"]["Statement"] for detail in _resource_types_not_taken(s)]
        for issue, raw in found:
            detail = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True, default=str)
            severity = str(parliament.config.get(issue, {}).get("severity", "MEDIUM"))
            findings.append({"stack": item["stack"], "address": item["address"], "issue": issue, "severity": severity, "detail": detail})
    json.dump(findings, sys.stdout)
    return 0


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    sys.exit(_worker())
