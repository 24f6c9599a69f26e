"""Resource addresses are users' state: every address 0.5 synthesized still exists.

``tests/fixtures/addresses-0.5.json`` lists, per stack, every resource address of the 0.5 release: the
test environments (``fixtures/``, tests/fixtures/environments.json) and the shipped ones (``shipped/``,
cdktf.json). A new resource is fine; an address that disappears is a rename, and a rename is a state
migration (``terraform state mv``, or a ``moved`` block) that must be written in docs/UPGRADE-<version>.md,
never a refactoring that happens to pass the other tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PROJECT_DIR

BASELINE = json.loads((PROJECT_DIR / "tests" / "fixtures" / "addresses-0.5.json").read_text(encoding="utf-8"))


def addresses(document: dict[str, Any]) -> set[str]:
    return {f"{rtype}.{name}" for rtype, items in (document.get("resource") or {}).items() for name in items}


@pytest.mark.parametrize("key", sorted(BASELINE))
def test_every_address_of_0_5_still_exists(key: str, synth_dir: Path, shipped_dir: Path) -> None:
    source, stack = key.split("/")
    outdir = synth_dir if source == "fixtures" else shipped_dir
    document = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8"))
    gone = sorted(set(BASELINE[key]) - addresses(document))
    assert gone == [], f"{key}: {len(gone)} address(es) of 0.5 are gone (a rename moves users' state: write the migration): {gone[:10]}"
