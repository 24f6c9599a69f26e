"""Reusable constructs of drkit. Importing the package prepares jsii (see ``_bootstrap``)."""

from constructs_lib.speedups import bootstrap

bootstrap()
