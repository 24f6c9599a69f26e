"""The local lab: the emulator, the PostgreSQL data plane, the local game day, ``make deploy-local``.

Rehearsal machinery of this repository, not shipped in the distribution. It depends on the product
(``drkit``, ``constructs_lib``, ``functions``); the product never imports it.
"""
