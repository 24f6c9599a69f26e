"""The two published models of an ARC Region switch plan, and the way between them.

* The CloudFormation resource schema of ``AWS::ARCRegionSwitch::Plan`` (PascalCase; the copy drkit ships in
  ``constructs_lib/data``): what Cloud Control accepts as a desired state.
* botocore's ``arc-region-switch`` service model (camelCase): what the Region switch API takes and returns.

:func:`to_api` turns a schema-shaped document into the API's shape, member by member through the botocore
shape (a map's keys are data and stay as they are), and fails on a member the API does not have. The
validators report every problem at once: :func:`schema_problems` (JSON Schema, as the provider's plan-time
check and Cloud Control do) and :func:`api_problems` (botocore's own parameter validation, plus the
enums, patterns and length limits botocore leaves to the service).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from constructs_lib.region_switch_spec import schema

SERVICE = "arc-region-switch"


@cache
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(SERVICE)


def shape(name: str) -> Any:
    """A shape of the Region switch model (``CreatePlanRequest``, ``Plan`` ...)."""
    model = service_model()
    if name.endswith("Request") and name[: -len("Request")] in model.operation_names:
        return model.operation_model(name[: -len("Request")]).input_shape
    return model.shape_for(name)


class ModelMismatch(ValueError):
    """A member of the schema-shaped document that the API model does not have."""


def to_api(value: Any, target: Any, path: str = "") -> Any:
    """``value`` (CloudFormation names) in the API's names, following botocore ``target``."""
    kind = target.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise ModelMismatch(f"{path or '.'}: expected an object for {target.name}")
        members = {name.lower(): name for name in target.members}
        converted = {}
        for key, item in value.items():
            member = members.get(str(key).lower())
            if member is None:
                raise ModelMismatch(f"{path}.{key}: {target.name} has no member {key!r} (members: {', '.join(target.members)})")
            converted[member] = to_api(item, target.members[member], f"{path}.{member}")
        return converted
    if kind == "list":
        return [to_api(item, target.member, f"{path}[{index}]") for index, item in enumerate(value)]
    if kind == "map":
        return {key: to_api(item, target.value, f"{path}.{key}") for key, item in value.items()}
    return value


def api_problems(params: Mapping[str, Any], target: Any) -> list[str]:
    """Everything botocore's model says is wrong with ``params`` for ``target``: required members, types and
    minimums (its ParamValidator), and the enums, patterns and maximums it does not check on the client."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(dict(params), target)
    problems = [line.strip() for line in report.generate_report().splitlines() if line.strip()] if report.has_errors() else []
    return problems + _limits(params, target, "")


def _limits(value: Any, target: Any, path: str) -> list[str]:
    problems: list[str] = []
    meta = target.metadata
    kind = target.type_name
    if kind == "structure" and isinstance(value, Mapping):
        for key, item in value.items():
            if key in target.members:
                problems += _limits(item, target.members[key], f"{path}.{key}")
        return problems
    if kind == "list" and isinstance(value, list):
        problems += _size(len(value), meta, path, "items")
        for index, item in enumerate(value):
            problems += _limits(item, target.member, f"{path}[{index}]")
        return problems
    if kind == "map" and isinstance(value, Mapping):
        problems += _size(len(value), meta, path, "entries")
        for key, item in value.items():
            problems += _limits(key, target.key, f"{path} key {key!r}")
            problems += _limits(item, target.value, f"{path}.{key}")
        return problems
    if kind == "string" and isinstance(value, str):
        if target.enum and value not in target.enum:
            problems.append(f"{path}: {value!r} is not one of {', '.join(target.enum)}")
        pattern = _pattern(meta.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            problems.append(f"{path}: {value!r} does not match {meta['pattern']}")
        problems += _size(len(value), meta, path, "characters")
    if kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        if "min" in meta and value < meta["min"]:
            problems.append(f"{path}: {value} is less than {meta['min']}")
        if "max" in meta and value > meta["max"]:
            problems.append(f"{path}: {value} is more than {meta['max']}")
    return problems


def _size(size: int, meta: Mapping[str, Any], path: str, unit: str) -> list[str]:
    if "min" in meta and size < meta["min"]:
        return [f"{path}: {size} {unit}, at least {meta['min']}"]
    if "max" in meta and size > meta["max"]:
        return [f"{path}: {size} {unit}, at most {meta['max']}"]
    return []


@cache
def _pattern(text: str | None) -> re.Pattern[str] | None:
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error:  # a construct Python's re lacks (\p{L}): the service checks it
        return None


def schema_problems(document: Mapping[str, Any]) -> list[str]:
    """Every violation of the CloudFormation schema (JSON Schema draft 7, as the registry declares)."""
    from jsonschema import Draft7Validator

    validator = Draft7Validator(_validatable())
    return sorted(f"{'/'.join(map(str, error.absolute_path)) or '.'}: {error.message}" for error in validator.iter_errors(dict(document)))


@cache
def _validatable() -> dict[str, Any]:
    """The schema with its maps' ``patternProperties`` key ``""`` written ``".*"``: both match every key, but
    python-jsonschema joins the patterns and skips an empty result, calling every key of such a map "additional"
    (the registry writes ``""``; the provider's Go validator, after its own sanitizing, reads it as match-all)."""

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: ({(k or ".*"): rewrite(v) for k, v in value.items()} if key == "patternProperties" else rewrite(value))
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    result: dict[str, Any] = rewrite(schema())
    return result


def read_only_removed(model: Mapping[str, Any]) -> dict[str, Any]:
    """The model without the schema's read-only properties (what a desired state may contain)."""
    read_only = {pointer.rsplit("/", 1)[-1] for pointer in schema().get("readOnlyProperties", [])}
    return {key: value for key, value in model.items() if key not in read_only}
