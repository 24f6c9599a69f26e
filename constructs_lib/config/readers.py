"""Typed readers for configuration values: each knows the setting's path and words one-line errors.

A reader is ``parse(value, path) -> typed value``; it raises :class:`ConfigError` naming the
setting and the value received, e.g.
``dev.lag_alarm_threshold_seconds: must be greater than 0 and at most 3600, got 0``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from constructs_lib.regions import KNOWN_REGIONS

T = TypeVar("T")
Parser = Callable[[object, str], T]


class ConfigError(ValueError):
    """A configuration problem, worded as one line that names the setting and the value."""


def show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def child_path(path: str, key: str) -> str:
    if not _PLAIN_KEY.fullmatch(key):  # empty, spaces, unicode...: quote it so the path stays readable
        return f"{path}[{key!r}]" if path else repr(key)
    return f"{path}.{key}" if path else key


class Section:
    """An object-shaped setting whose keys are consumed one by one; leftovers are errors."""

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected an object, got {show(raw)}")
        self.raw: dict[str, object] = raw
        self.path = path
        self._seen: set[str] = set()

    def child(self, key: str) -> str:
        return child_path(self.path, key)

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def get(self, key: str, parse: Parser[T], default: T) -> T:
        self._seen.add(key)
        if key not in self.raw or self.raw[key] is None:
            return default
        return parse(self.raw[key], self.child(key))

    def section(self, key: str) -> Section:
        self._seen.add(key)
        return Section(self.raw.get(key) or {}, self.child(key))

    def finish(self) -> None:
        unknown = sorted(set(self.raw) - self._seen, key=str)
        if unknown:
            known = ", ".join(sorted(self._seen))
            raise ConfigError(f"{self.child(str(unknown[0]))}: unknown setting (known here: {known})")


def as_int(low: int, high: int) -> Parser[int]:
    def parse(value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected a whole number, got {show(value)}")
        if not low <= value <= high:
            raise ConfigError(f"{path}: must be between {low} and {high}, got {show(value)}")
        return value

    return parse


def as_positive_number(high: float) -> Parser[float]:
    def parse(value: object, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {show(value)}")
        if not 0 < value <= high:
            raise ConfigError(f"{path}: must be greater than 0 and at most {high:g}, got {show(value)}")
        return float(value)

    return parse


def as_bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: expected true or false, got {show(value)}")
    return value


def as_str(pattern: str, meaning: str) -> Parser[str]:
    compiled = re.compile(pattern)

    def parse(value: object, path: str) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ConfigError(f"{path}: expected {meaning}, got {show(value)}")
        return value

    return parse


def as_list(item: Parser[T], *, max_items: int = 100, min_items: int = 0) -> Parser[tuple[T, ...]]:
    def parse(value: object, path: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise ConfigError(f"{path}: expected a list, got {show(value)}")
        if len(value) > max_items:
            raise ConfigError(f"{path}: at most {max_items} entries, got {len(value)}")
        if len(value) < min_items:
            raise ConfigError(f"{path}: at least {min_items} entries, got {len(value)}")
        return tuple(item(entry, f"{path}[{index}]") for index, entry in enumerate(value))

    return parse


def as_string_map(key: Parser[str], value: Parser[str], *, max_items: int = 50) -> Parser[dict[str, str]]:
    """An object of string keys to string values, each read by its reader."""

    def parse(raw: object, path: str) -> dict[str, str]:
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected an object, got {show(raw)}")
        if len(raw) > max_items:
            raise ConfigError(f"{path}: at most {max_items} entries, got {len(raw)}")
        return {key(k, f"{child_path(path, str(k))} (key)"): value(v, child_path(path, str(k))) for k, v in raw.items()}

    return parse


def as_region(value: object, path: str) -> str:
    if not isinstance(value, str) or value not in KNOWN_REGIONS:
        raise ConfigError(f"{path}: unknown AWS region {show(value)}")
    return value


def as_vpc_cidr(value: object, path: str) -> ipaddress.IPv4Network:
    if not isinstance(value, str):
        raise ConfigError(f"{path}: expected an IPv4 CIDR such as '10.0.0.0/16', got {show(value)}")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ConfigError(f"{path}: {show(value)} is not a valid IPv4 CIDR (for example '10.0.0.0/16')") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ConfigError(f"{path}: {show(value)} is not an IPv4 CIDR; VPC primary CIDRs are IPv4")
    if not 16 <= network.prefixlen <= 20:
        raise ConfigError(
            f"{path}: {show(value)} must have a prefix between /16 and /20 (AWS allows /16 at most; /20 leaves room for 9 subnets in 3 tiers)"
        )
    if not network.is_private:
        raise ConfigError(f"{path}: {show(value)} is not a private (RFC 1918) range")
    return network


def as_any_cidr(value: object, path: str) -> str:
    if isinstance(value, str):
        try:
            return str(ipaddress.ip_network(value, strict=True))
        except ValueError:
            pass
    raise ConfigError(f"{path}: expected a CIDR such as '203.0.113.0/24', got {show(value)}")


def as_enum(enum_type: type[Enum]) -> Parser[Any]:
    def parse(value: object, path: str) -> Any:
        choices = [member.value for member in enum_type]
        if value not in choices:
            raise ConfigError(f"{path}: expected one of {', '.join(map(str, choices))}, got {show(value)}")
        return enum_type(value)

    return parse


NAME = as_str(r"[a-z][a-z0-9-]{0,19}", "a lower-case name of 1-20 letters, digits or '-'")
TAG_TEXT = as_str(r"[\w .:/=+@-]{1,256}", "tag text of 1-256 letters, digits, spaces or _.:/=+-@")
# S3 bucket names: 3-63 chars, lower case, digits, dots, hyphens, start/end alphanumeric.
BUCKET = as_str(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name (3-63 lower-case characters)")
URL = as_str(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?/?", "an http(s) URL such as 'http://127.0.0.1:4566'")
EMAIL = as_str(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", "an e-mail address")
HTTPS_URL = as_str(r"https://\S+", "an https:// URL")
IAM_PRINCIPAL = as_str(
    r"arn:aws:iam::\d{12}:(root|role/[\w+=,.@/-]{1,512}|user/[\w+=,.@/-]{1,512})",
    "an IAM principal ARN (arn:aws:iam::<account>:root, :role/<name> or :user/<name>)",
)


def as_principal_arn_pattern(value: object, path: str) -> str:
    """An ``ArnLike`` pattern of IAM roles or users of one account (``*`` and ``?`` in the name only), for the
    condition ``aws:PrincipalArn`` with the account as principal; not one that matches every role or user of the
    account, which would trust the account again."""
    meaning = "an ARN pattern of IAM roles or users of one account (arn:aws:iam::<account>:role/<pattern> or :user/<pattern>, * and ? in the name)"
    match = re.fullmatch(r"arn:aws:iam::\d{12}:(role|user)/([\w+=,.@/*?-]{1,512})", value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f"{path}: expected {meaning}, got {show(value)}")
    if re.fullmatch(r"[*?/]*", match.group(2)):
        raise ConfigError(f"{path}: {show(value)} matches every {match.group(1)} of the account: name the operators' roles or users")
    return str(value)


IAM_TAG_KEY = as_str(r"[\w .:/=+@-]{1,128}", "an IAM tag key of 1-128 letters, digits, spaces or _.:/=+-@")
IAM_TAG_VALUE = as_str(r"[\w .:/=+@-]{0,256}", "an IAM tag value of 0-256 letters, digits, spaces or _.:/=+-@")
IAM_ROLE = as_str(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,512}", "an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
EXTERNAL_ID = as_str(r"[\w+=,.@:/-]{2,1224}", "an ExternalId of 2-1224 characters [\\w+=,.@:/-]")
INSTANCE_CLASS = as_str(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS instance class such as 'db.r6g.large'")
EC2_TYPE = as_str(r"[a-z][a-z0-9-]*\.[a-z0-9]+", "an EC2 instance type such as 'm6i.large'")
K8S_VERSION = as_str(r"1\.(2[89]|3[0-9])", "a Kubernetes minor version between 1.28 and 1.39, such as '1.33'")
ZONE_NAME = as_str(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", "a DNS zone name such as 'dr.internal'")
AZ_ID = as_str(r"[a-z]{2,4}[0-9]-az[0-9]{1,2}", "an availability zone ID such as 'use1-az1'")
ACCOUNT_ID = as_str(r"\d{12}", "a 12-digit AWS account ID")
CRON = as_str(r"cron\(\S+ \S+ \S+ \S+ \S+ \S+\)", "an AWS Backup schedule of six cron fields, such as 'cron(0 3 * * ? *)'")
ENGINE_VERSION = as_str(r"\d{1,2}\.\d{1,2}(\.\d{1,2})?", "a version such as '16.6'")
SQL_NAME = as_str(r"[A-Za-z_][A-Za-z0-9_$]{0,62}", "a PostgreSQL name (letters, digits, _ or $; at most 63)")
TABLE_NAME = as_str(
    r"([A-Za-z_][A-Za-z0-9_$]{0,62}\.)?[A-Za-z_][A-Za-z0-9_$]{0,62}", "a table name, optionally schema-qualified, such as 'public.payments'"
)
