"""drkit's configuration: readers, the model (every setting with its default) and the loader."""

from constructs_lib.config.loader import environments_document, load_settings, parse_environment, parse_environments
from constructs_lib.config.model import (
    LOCAL_ENVIRONMENT,
    PRODUCTION_ENVIRONMENTS,
    AlertSettings,
    AppClusterSettings,
    CapacityType,
    DatabaseSettings,
    DnsSettings,
    DrOperationsSettings,
    EngineSelection,
    EnvironmentConfig,
    FailoverSettings,
    NatGateways,
    NetworkSettings,
    Settings,
    is_production,
)
from constructs_lib.config.readers import ConfigError

__all__ = [
    "LOCAL_ENVIRONMENT",
    "PRODUCTION_ENVIRONMENTS",
    "AlertSettings",
    "AppClusterSettings",
    "CapacityType",
    "ConfigError",
    "DatabaseSettings",
    "DnsSettings",
    "DrOperationsSettings",
    "EngineSelection",
    "EnvironmentConfig",
    "FailoverSettings",
    "NatGateways",
    "NetworkSettings",
    "Settings",
    "environments_document",
    "is_production",
    "load_settings",
    "parse_environment",
    "parse_environments",
]
