"""The gateway's plumbing: request parsing, correlation ids and trace context, authentication,
and turning a service's answer (or its silence) into an HTTP response through the error table."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.web.handlers import HttpRequestHandler
from pydantic import BaseModel, ValidationError
from werkzeug.wrappers import Request, Response

from services.gateway.broker_alarm import BROKER_ALARM
from services.gateway.memory import GatewayMemory
from shared.http.errors import ERRORS
from shared.http.text import HIDDEN_TEXT
from shared.kernel.logging import bind_correlation, bind_trace, get_logger
from shared.kernel.tokens import InvalidToken, verify_access_token
from shared.kernel.tracing import HEADER, TRACING, Span, TraceParent, parse

RPC_TIMEOUT_SECONDS = 10
RPC_RECONNECT_SECONDS = 5  # how long a call waits for an unreachable broker or service to come back
RETRY_AFTER_SECONDS = 5
# What the RPC proxy raises when it could not deliver the request (no connection to the broker,
# no instance of the service): asking again is safe. Other transport errors may come after the
# broker took the request, so they are answered 503 at once, never asked twice.
UNDELIVERED = (ConnectionRefusedError, KombuOperationalError, UnknownService)
UNREACHABLE = (OSError, AmqpConnectionError)
_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
Model = TypeVar("Model", bound=BaseModel)
MAX_JSON_DEPTH = 32
# Every answer: no content sniffing, and nothing kept by a browser's or proxy's cache (tokens,
# personal data and payments are all answered here).
API_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


class HttpError(Exception):
    def __init__(self, code: str, **details: Any) -> None:
        self.code, self.details = code, details
        super().__init__(code)


def json_response(status: int, body: Any, correlation_id: str | None = None) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        mimetype="application/json; charset=utf-8", headers=API_HEADERS)
    if correlation_id:
        response.headers["X-Correlation-Id"] = correlation_id
    return response


def check_size(request: Request, max_bytes: int) -> None:
    """Refuse a body larger than allowed from its Content-Length, before reading a byte of it."""
    if (request.content_length or 0) > max_bytes:
        raise HttpError("payload_too_large", max_bytes=max_bytes)


def parse_body(request: Request, model: type[Model], max_bytes: int) -> Model:
    """The JSON body as ``model``: application/json only (a form or text/plain is what a
    browser can send cross-site without asking), at most ``max_bytes`` long (the setting
    GATEWAY_MAX_BODY_BYTES) and MAX_JSON_DEPTH levels deep."""
    check_size(request, max_bytes)
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:  # a chunked body has no Content-Length to refuse early
        raise HttpError("payload_too_large", max_bytes=max_bytes)
    if raw and request.mimetype != "application/json":
        raise HttpError("unsupported_media_type", expected="application/json")
    try:
        data = json.loads(raw or b"{}")
    except RecursionError:
        raise HttpError("json_too_deep", max_depth=MAX_JSON_DEPTH) from None
    except (ValueError, UnicodeDecodeError):
        raise HttpError("invalid_json") from None
    if not isinstance(data, dict):
        raise HttpError("invalid_json")
    if _depth(data) > MAX_JSON_DEPTH:
        raise HttpError("json_too_deep", max_depth=MAX_JSON_DEPTH)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Never echo input values back: one of them may be a password.
        fields = [{"field": ".".join(str(p) for p in err["loc"]), "problem": err["type"]} for err in exc.errors()]
        named = [err for err in exc.errors() if err["type"] in ERRORS]  # a model's own error code (iran_ids)
        if named:
            raise HttpError(named[0]["type"], field=".".join(str(p) for p in named[0]["loc"])) from None
        hidden = [err for err in exc.errors() if err["type"] == HIDDEN_TEXT]
        if hidden:
            raise HttpError("invalid_text", field=fields[exc.errors().index(hidden[0])]["field"],
                            characters=(hidden[0].get("ctx") or {}).get("found", [])) from None
        raise HttpError("invalid_request", fields=fields) from None


def _depth(value: Any) -> int:
    """How deeply containers nest in a parsed JSON value (iterative: no recursion to exhaust)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, level = pending.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                pending.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def client_address(request: Request, trust_forwarded_for: bool) -> str:
    """The caller's address: the connection's peer, or behind the Ingress (TRUST_FORWARDED_FOR=1,
    services/gateway/settings.py) the last X-Forwarded-For hop, the one the Ingress itself saw."""
    forwarded = request.headers.get("X-Forwarded-For", "") if trust_forwarded_for else ""
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return (hops[-1] if hops else request.remote_addr or "unknown")[:100]


class Correlation(DependencyProvider):
    """Takes X-Correlation-Id from the request (or makes one) and puts it in the worker's
    context, from where nameko carries it on every RPC to the services."""

    def get_dependency(self, worker_ctx: Any) -> str:
        # Runs before the other providers' get_dependency, so RPC proxies already see it.
        request = worker_ctx.args[0] if worker_ctx.args else None
        given = request.headers.get("X-Correlation-Id", "") if isinstance(request, Request) else ""
        correlation = given if _CORRELATION.match(given) else str(uuid.uuid4())
        worker_ctx.data["correlation_id"] = correlation
        bind_correlation(correlation)
        return correlation


class RequestTrace(DependencyProvider):
    """Continues the caller's W3C ``traceparent`` header (one that is not valid is ignored: a
    new trace) in a span for the request, and puts it in the worker's context, from where
    nameko carries it on every RPC (shared/kernel/tracing.py). Logs get the parsed trace id."""

    def __init__(self) -> None:
        self.spans: WeakKeyDictionary[Any, Span] = WeakKeyDictionary()

    def get_dependency(self, worker_ctx: Any) -> TraceParent | None:
        request = worker_ctx.args[0] if worker_ctx.args else None
        if not isinstance(request, Request) or not isinstance(worker_ctx.entrypoint, HttpRequestHandler):
            return None  # a timer or a stream consumer: no request to continue
        route = worker_ctx.entrypoint.url  # the declared path, not the ids in it
        span = TRACING.start(f"{request.method} {route}", parse(request.headers.get(HEADER)), "server",
                             {"http.request.method": request.method, "http.route": route})
        self.spans[worker_ctx] = span
        worker_ctx.data[HEADER] = str(span.context)
        bind_trace(span.context.trace_id)
        return span.context

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        span = self.spans.pop(worker_ctx, None)
        if span is not None:
            status = getattr(result, "status_code", None)
            span.end(error=exc_info[1] if exc_info else ("server error" if (status or 0) >= 500 else None),
                     attributes={"http.response.status_code": status} if status else None)


class Authenticator(DependencyProvider):
    """Checks the Bearer token: identity's signature, expiry by the platform clock, and a
    session that has not ended (the gateway's memory of SessionsEnded, services/gateway/memory.py)."""

    def __init__(self, public_key_loader: Callable[[], str]) -> None:
        self.loader = public_key_loader
        self.public_key = ""
        self.memory = GatewayMemory()

    def setup(self) -> None:
        self.public_key = self.loader()

    def get_dependency(self, worker_ctx: Any) -> Claims:
        return Claims(self.public_key, self.memory)


class Claims:
    def __init__(self, public_key: str, memory: GatewayMemory) -> None:
        self.public_key, self.memory = public_key, memory

    def __call__(self, request: Request, *, role: str | None = None) -> dict[str, Any]:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise HttpError("unauthorized")
        try:
            found = verify_access_token(self.public_key, header[7:], self.memory.clock.now())
        except InvalidToken:
            raise HttpError("unauthorized") from None
        if self.memory.has_ended(found.get("sid")):
            raise HttpError("unauthorized")  # logged out, password reset or a stolen refresh token
        if role is not None and role not in found.get("roles", []):
            raise HttpError("forbidden")
        return found


def call(proxy: RpcProxy, method: str, *args: Any, **kwargs: Any) -> Any:
    """One RPC, bounded in time; a service's DomainError answer becomes an HttpError. A broker
    or service it cannot reach (a broker restart, a service with no instance) is asked again for
    a few seconds, then answered 503 with Retry-After — never a 500 (issue #20)."""
    if BROKER_ALARM.blocked:  # the request would wait out its timeout in a blocked socket
        raise HttpError("service_unavailable", retry_after=RETRY_AFTER_SECONDS)
    deadline, delay = time.monotonic() + RPC_RECONNECT_SECONDS, 0.25
    while True:
        try:
            with eventlet.Timeout(RPC_TIMEOUT_SECONDS):
                answer = getattr(proxy, method)(*args, **kwargs)
            break
        except eventlet.Timeout:
            raise HttpError("service_unavailable", retry_after=RETRY_AFTER_SECONDS) from None
        except UNDELIVERED as exc:
            if time.monotonic() + delay > deadline:
                get_logger().warning("gateway.service_unreachable", method=method, error=str(exc)[:200])
                raise HttpError("service_unavailable", retry_after=RETRY_AFTER_SECONDS) from None
            eventlet.sleep(delay)
            delay *= 2
        except UNREACHABLE as exc:
            get_logger().warning("gateway.service_unreachable", method=method, error=str(exc)[:200])
            raise HttpError("service_unavailable", retry_after=RETRY_AFTER_SECONDS) from None
    if isinstance(answer, dict) and "error" in answer:
        raise HttpError(answer["error"], **answer.get("details", {}))
    return answer["ok"] if isinstance(answer, dict) and "ok" in answer else answer


def answer(status: int, body: Any, correlation_id: str | None = None) -> Response:
    """A JSON answer with the headers its status calls for (every route's, the callback's too)."""
    response = json_response(status, body, correlation_id)
    if status == 413:
        response.headers["Connection"] = "close"  # the rest of that body is never read
    if isinstance(body, dict) and "retry_after" in body:
        response.headers["Retry-After"] = str(body["retry_after"])
    return response
