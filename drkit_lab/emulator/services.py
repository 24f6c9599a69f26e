"""Services the emulator serves itself, where moto has none: Cloud Control API and ARC Region switch.

moto's server picks a backend from the SigV4 credential scope of each request; a service it does not know
falls through to S3. :func:`serve` registers a handler for a signing name, and the emulator's dispatcher
(patched once, by the first registration) answers those requests before moto sees them. Both services
speak awsJson1_0 (botocore's ``cloudcontrol`` and ``arc-region-switch`` models: ``POST /``,
``X-Amz-Target: <targetPrefix>.<Operation>``, ``application/x-amz-json-1.0``); botocore chooses that protocol
for Region switch too, whose model also lists rpc-v2-cbor.

The control middleware in front (``control.py``) still journals these requests and fails those signed for a
region that is down, as for every other service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/aws4_request")
CONTENT_TYPE = "application/x-amz-json-1.0"


@dataclass(frozen=True)
class JsonRequest:
    region: str  # the region the request was signed for
    operation: str  # from X-Amz-Target
    body: dict[str, Any]
    headers: dict[str, str]  # canonical names (X-Amz-Security-Token, Authorization)
    account: str = DEFAULT_ACCOUNT_ID  # the emulator is one account


class ServiceError(Exception):
    """An error answer: ``code`` is the exception shape's name in the service's model."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


Handler = Callable[[JsonRequest], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}
_ROUTED: list[bool] = []


def serve(signing_name: str, handler: Handler) -> None:
    """Answer every request signed for ``signing_name`` with ``handler`` (idempotent)."""
    _HANDLERS[signing_name] = handler
    if not _ROUTED:
        _route()
        _ROUTED.append(True)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {"-".join(part.capitalize() for part in key[5:].split("_")): str(value) for key, value in environ.items() if key.startswith("HTTP_")}
    if "CONTENT_TYPE" in environ:
        headers["Content-Type"] = str(environ["CONTENT_TYPE"])
    return headers


def answer(handler: Handler, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    status, document = 200, {}
    try:
        if not target or scope is None:
            raise ServiceError("UnknownOperationException", "the drkit emulator expects a signed awsJson1_0 request with an X-Amz-Target header")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise ServiceError("SerializationException", "the request body is not JSON") from None
        request = JsonRequest(region=scope.group("region"), operation=target.rsplit(".", 1)[-1], body=body, headers=_headers(environ))
        document = handler(request)
    except ServiceError as error:
        status, document = error.status, {"__type": error.code, "message": error.message, "Message": error.message}
    payload = json.dumps(document, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 503: "Service Unavailable"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(payload)))])
    return [payload]


def _route() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.__call__

    def dispatch(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        handler = _HANDLERS.get(scope.group("service")) if scope else None
        if handler is not None:
            return answer(handler, environ, start_response)
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]
