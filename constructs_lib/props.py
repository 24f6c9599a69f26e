"""What the constructs' props share: a documented field, checks that name the field, the props tables.

Every field of a props dataclass carries its documentation, ``field(metadata={"doc": ...})``, next to
its default; ``"default"`` in the metadata says in words what a derived default is (``None`` meaning
"derived from the name", say). docs/constructs/<construct>.md shows each props class as a table
generated from the dataclass (``python -m constructs_lib.props`` rewrites them; a test keeps them equal).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import MISSING, Field, fields, is_dataclass
from pathlib import Path
from typing import Any

DOC = "doc"
DEFAULT = "default"


def check(condition: bool, field_name: str, message: str) -> None:
    """Raise ``ValueError("<field>: <message>")`` unless ``condition`` (messages name the value received)."""
    if not condition:
        raise ValueError(f"{field_name}: {message}")


def is_token(value: object) -> bool:
    """True for a value Terraform resolves later (a reference, a variable): it cannot be checked at synth."""
    if not isinstance(value, str):
        return False
    from cdktf import Token

    return bool(Token.is_unresolved(value))


def _default(item: Field[Any]) -> str:
    if DEFAULT in item.metadata:
        return str(item.metadata[DEFAULT])
    if item.default is not MISSING:
        value = item.default
    elif item.default_factory is not MISSING:
        value = item.default_factory()
    else:
        return "required"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value!r}`"


def props_table(cls: type[Any]) -> str:
    """The Markdown table of a props dataclass: prop, type, default, meaning."""
    if not is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    rows = ["| prop | type | default | meaning |", "| --- | --- | --- | --- |"]
    for item in fields(cls):
        doc = item.metadata.get(DOC)
        if doc is None:
            raise ValueError(f"{cls.__name__}.{item.name}: no documentation (field(metadata={{'doc': ...}}))")
        kind = str(item.type).replace("|", "\\|")
        rows.append(f"| `{item.name}` | `{kind}` | {_default(item)} | {doc} |")
    return "\n".join(rows)


MARKER = re.compile(r"<!-- props:(?P<module>[\w.]+):(?P<name>\w+):begin -->\n.*?<!-- props:(?P=module):(?P=name):end -->", re.S)


def render_page(text: str) -> str:
    """``text`` with every ``<!-- props:<module>:<Class>:begin/end -->`` block regenerated from the code."""
    import importlib

    def table(match: re.Match[str]) -> str:
        cls = getattr(importlib.import_module(match["module"]), match["name"])
        return f"<!-- props:{match['module']}:{match['name']}:begin -->\n{props_table(cls)}\n<!-- props:{match['module']}:{match['name']}:end -->"

    return MARKER.sub(table, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m constructs_lib.props", description="regenerate the props tables of construct pages")
    parser.add_argument("pages", nargs="+", type=Path, help="Markdown pages with props markers (docs/constructs/*.md)")
    args = parser.parse_args(argv)
    for page in args.pages:
        text = page.read_text(encoding="utf-8")
        rendered = render_page(text)
        if rendered != text:
            page.write_text(rendered, encoding="utf-8")
            sys.stdout.write(f"props tables rewritten: {page}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
