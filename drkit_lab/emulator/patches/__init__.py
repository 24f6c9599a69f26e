"""Emulator fidelity patches, one module per AWS service: where moto differs from AWS, make moto
behave like AWS. The stack is never weakened for the emulator.

Each patch names the AWS behaviour it mirrors (and the source), is applied to the moto server
process only (``drkit_lab.emulator.server``), and has a test in ``tests/emulator/``. ``apply_all()``
is idempotent.
"""

from drkit_lab.emulator.patches.registry import PATCHES, apply_all, patch

__all__ = ["PATCHES", "apply_all", "patch"]
