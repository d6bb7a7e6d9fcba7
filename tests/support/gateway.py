"""Requests for the gateway's unit tests: werkzeug requests built in memory (no server, no
socket), and the settings a route reads."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from services.gateway.settings import GatewaySettings
from shared.kernel.config import Settings


def settings(**changes: Any) -> GatewaySettings:
    return GatewaySettings(platform=Settings(service="gateway"), **changes)


def request(method: str = "POST", path: str = "/", *, body: Any = None, raw: bytes | None = None,
            content_type: str = "application/json", headers: dict[str, str] | None = None,
            remote_addr: str | None = "203.0.113.7") -> Request:
    """A request as nameko hands it to a handler; ``body`` is sent as JSON, ``raw`` as it is."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    environ = EnvironBuilder(method=method, path=path, data=data, headers=list((headers or {}).items()),
                             content_type=content_type if data is not None else None,
                             environ_base={"REMOTE_ADDR": remote_addr} if remote_addr else None).get_environ()
    if remote_addr is None:
        environ.pop("REMOTE_ADDR", None)
    return Request(environ)


def chunked(raw: bytes) -> Request:
    """A JSON body without a Content-Length (chunked transfer): its size is known only by reading."""
    built = request(raw=raw)
    built.environ.pop("CONTENT_LENGTH", None)
    built.environ["wsgi.input_terminated"] = True  # what the WSGI server says of a chunked body
    return Request(built.environ)


def answered(response: Response) -> tuple[int, Any]:
    return response.status_code, json.loads(response.get_data())
