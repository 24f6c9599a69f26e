"""The emulator's HTTP handler: an answer leaves in one write, and "100 Continue" is not held back."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from drkit_lab.emulator.server import _request_handler

pytestmark = pytest.mark.emulator
BODY = b"x" * 2000


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    received = environ["wsgi.input"].read(length) if length else b""
    payload = BODY if not received else b"received " + received
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
    return [payload]


def serve(handler: type[WSGIRequestHandler]) -> Iterator[BaseWSGIServer]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)


def writes_of_one_answer(handler: type[WSGIRequestHandler], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the server's socket writes while it answers one GET."""
    sends: list[int] = []
    for name in ("send", "sendall"):
        original = getattr(socket.socket, name)

        def counting(self: socket.socket, data: bytes, *args: Any, _original: Any = original) -> Any:
            try:
                ours = self.getsockname()[1] == port
            except OSError:
                ours = False
            if ours:
                sends.append(len(data))
            return _original(self, data, *args)

        monkeypatch.setattr(socket.socket, name, counting)
    for server in serve(handler):
        port = server.server_port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: emulator\r\n\r\n")
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(BODY)
    return sends


def test_an_answer_leaves_in_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """One write: a Go client can then not parse the headers, close up and lose the body that follows."""
    writes = writes_of_one_answer(_request_handler(), monkeypatch)
    assert len(writes) == 1 and writes[0] > len(BODY)


def test_werkzeugs_own_handler_writes_the_headers_and_the_body_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the handler above changes (if werkzeug ever coalesces its writes itself, this test says so)."""
    writes = writes_of_one_answer(WSGIRequestHandler, monkeypatch)
    assert len(writes) >= 2 and writes[-1] == len(BODY)


def test_a_client_that_expects_100_continue_gets_it_before_it_sends_the_body() -> None:
    """aws-sdk-go-v2 sends ``Expect: 100-continue`` on S3 uploads over 2 MB (Terraform's state): the
    interim answer must not wait in the buffer for the final one."""
    for server in serve(_request_handler()):
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as client:
            client.sendall(b"PUT /state HTTP/1.1\r\nHost: emulator\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            interim = client.recv(65536)
            assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
            client.sendall(b"hello")
            answer = interim[len(b"HTTP/1.1 100 Continue\r\n\r\n") :]
            while chunk := client.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"received hello")
