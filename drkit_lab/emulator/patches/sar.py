"""The Service Authorization Reference's required resource types, as data (``sar_resource_types.json``).

"Required resources are indicated in the table with an asterisk (*). If you limit resource access with
the Resource element in an IAM policy, you must include an ARN or pattern for each required resource
type" (AWS Service Authorization Reference). The emulator's IAM enforcement reads this table for every
action the runbook and the operator use (``drkit_lab/emulator/patches/iam.py``); the stack tests read it to
check the DR role. No moto import here: tests load it in milliseconds.
"""

from __future__ import annotations

import fnmatch
import json
from functools import cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("sar_resource_types.json")


@cache
def table() -> dict[str, Any]:
    return dict(json.loads(TABLE.read_text(encoding="utf-8")))


def required_types(action: str) -> tuple[str, ...] | None:
    """The resource types ``action`` requires; None when the table does not know the action."""
    found = table()["required_resource_types"].get(action)
    return None if found is None else tuple(found)


def same_type(arn: str, rtype: str) -> bool:
    """Whether ``arn`` is of the reference's resource type ``rtype`` (compared without case: the reference names Secrets
    Manager's ``Secret``, its ARNs say ``secret``)."""
    found = resource_type(arn)
    return found is not None and found.lower() == rtype.lower()


def resource_type(arn: str) -> str | None:
    """The SAR resource type an ARN names (``cluster-snapshot``, ``hostedzone``, ``topic``); None for ``*``."""
    parts = arn.split(":", 5)
    if arn == "*" or len(parts) < 6:
        return None
    service, resource = parts[2], parts[5]
    if service == "sns":
        return "topic"  # arn:aws:sns:<region>:<account>:<topic name>
    for separator in (":", "/"):
        if separator in resource:
            return resource.split(separator, 1)[0]
    return resource


def pattern_names_type(pattern: str, service: str, region: str, account: str, rtype: str) -> bool:
    """Whether a policy ``Resource`` pattern can name a resource of ``rtype`` of ``service`` in that region and account."""
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    _, _, p_service, p_region, p_account, p_resource = parts
    regional = p_region == "" or fnmatch.fnmatchcase(region, p_region)  # "": a global resource (global-cluster, hostedzone, role)
    if not (fnmatch.fnmatchcase(service, p_service) and regional and (p_account == "" or fnmatch.fnmatchcase(account, p_account))):
        return False
    if p_resource == "*":
        return True
    head, rtype = p_resource.split("*", 1)[0].lower(), rtype.lower()  # the reference's ``Secret`` is ARNs' ``secret``
    return head.startswith((f"{rtype}:", f"{rtype}/")) or f"{rtype}:".startswith(head) or f"{rtype}/".startswith(head)
