"""The settings reference, rendered from the model: docs/configuration.md's table is this output, checked by a test.

``python -m constructs_lib.config.reference`` prints the Markdown table; the section of docs/configuration.md
between the ``settings:begin`` and ``settings:end`` markers must equal it (``tests/unit/test_docs.py``).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, get_type_hints

from constructs_lib.config.model import SECTION, SPEC, EnvironmentConfig, Spec


def setting_rows(cls: type[Any] = EnvironmentConfig, prefix: str = "") -> list[tuple[str, str, str]]:
    """(JSON key, default, meaning) of every setting of ``cls`` and its sections, in model order."""
    rows: list[tuple[str, str, str]] = []
    hints = get_type_hints(cls)
    for item in fields(cls):
        if SECTION in item.metadata:
            rows.extend(setting_rows(hints[item.name], f"{prefix}{item.name}."))
            continue
        spec: Spec | None = item.metadata.get(SPEC)
        if spec is None:
            continue
        keys = spec.keys or (item.name,)
        rows.append((" / ".join(f"`{prefix}{key}`" for key in keys), spec.describe_default(), spec.doc))
    return rows


def settings_table() -> str:
    lines = ["| setting | default | meaning |", "| --- | --- | --- |"]
    lines += [f"| {key} | {default} | {doc} |" for key, default, doc in setting_rows()]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    sys.stdout.write(settings_table() + "\n")
