"""The list of patches and the function that applies them once."""

from __future__ import annotations

import importlib
from collections.abc import Callable

PATCHES: list[Callable[[], None]] = []
_APPLIED: list[str] = []
SERVICE_MODULES = (
    "rds", "awslambda", "route53", "eks", "ec2", "iam", "backup", "fis", "servicequotas", "arc_region_switch", "cloudcontrol", "cloudwatch",
    "rds_snapshots", "iam_quotas",
)  # fmt: skip


def patch(function: Callable[[], None]) -> Callable[[], None]:
    PATCHES.append(function)
    return function


def apply_all() -> list[str]:
    for module in SERVICE_MODULES:
        importlib.import_module(f"drkit_lab.emulator.patches.{module}")
    for function in PATCHES:
        name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"
        if name not in _APPLIED:
            function()
            _APPLIED.append(name)
    return list(_APPLIED)
