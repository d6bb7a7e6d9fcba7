"""The gateway's plumbing: request parsing, correlation ids, authentication, and turning a
service's answer (or its silence) into an HTTP response through the error table."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

import eventlet
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from pydantic import BaseModel, ValidationError
from werkzeug.wrappers import Request, Response

from shared.http.errors import error_body
from shared.kernel.logging import bind_correlation, get_logger
from shared.kernel.tokens import InvalidToken, verify_access_token

RPC_TIMEOUT_SECONDS = 10
_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
Model = TypeVar("Model", bound=BaseModel)


class HttpError(Exception):
    def __init__(self, code: str, **details: Any) -> None:
        self.code, self.details = code, details
        super().__init__(code)


def json_response(status: int, body: Any, correlation_id: str | None = None) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        mimetype="application/json; charset=utf-8")
    if correlation_id:
        response.headers["X-Correlation-Id"] = correlation_id
    return response


def parse_body(request: Request, model: type[Model]) -> Model:
    try:
        data = json.loads(request.get_data(cache=True) or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise HttpError("invalid_json") from None
    if not isinstance(data, dict):
        raise HttpError("invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Never echo input values back: one of them may be a password.
        fields = [{"field": ".".join(str(p) for p in err["loc"]), "problem": err["type"]} for err in exc.errors()]
        raise HttpError("invalid_request", fields=fields) from None


# Only behind a proxy we run (the Ingress) is X-Forwarded-For ours; exposed directly, a client
# could write it and slip past the per-address caps.
TRUST_FORWARDED_FOR = os.environ.get("TRUST_FORWARDED_FOR", "0") in ("1", "true", "yes")


def client_address(request: Request) -> str:
    """The caller's address: the connection's peer, or behind the Ingress (TRUST_FORWARDED_FOR=1)
    the last X-Forwarded-For hop, the one the Ingress itself saw."""
    forwarded = request.headers.get("X-Forwarded-For", "") if TRUST_FORWARDED_FOR else ""
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return (hops[-1] if hops else request.remote_addr or "unknown")[:100]


class Correlation(DependencyProvider):  # type: ignore[misc]
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


class Authenticator(DependencyProvider):  # type: ignore[misc]
    def __init__(self, public_key_loader: Callable[[], str]) -> None:
        self.loader = public_key_loader
        self.public_key = ""

    def setup(self) -> None:
        self.public_key = self.loader()

    def get_dependency(self, worker_ctx: Any) -> Callable[..., dict[str, Any]]:
        def claims(request: Request, *, role: str | None = None) -> dict[str, Any]:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                raise HttpError("unauthorized")
            try:
                found = verify_access_token(self.public_key, header[7:], datetime.now(UTC))
            except InvalidToken:
                raise HttpError("unauthorized") from None
            if role is not None and role not in found.get("roles", []):
                raise HttpError("forbidden")
            return found
        return claims


def call(proxy: RpcProxy, method: str, *args: Any, **kwargs: Any) -> Any:
    """One RPC, bounded in time; a service's DomainError answer becomes an HttpError."""
    try:
        with eventlet.Timeout(RPC_TIMEOUT_SECONDS):
            answer = getattr(proxy, method)(*args, **kwargs)
    except eventlet.Timeout:
        raise HttpError("service_unavailable") from None
    if isinstance(answer, dict) and "error" in answer:
        raise HttpError(answer["error"], **answer.get("details", {}))
    return answer["ok"] if isinstance(answer, dict) and "ok" in answer else answer


def endpoint(handler: Callable[..., tuple[int, Any]]) -> Callable[..., Response]:
    """Wraps an @http handler: errors become table answers, nothing escapes as a 500 page."""

    @wraps(handler)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        correlation = self.correlation_id
        try:
            status, body = handler(self, request, *args, **kwargs)
        except HttpError as error:
            status, body = error_body(error.code, error.details)
        except Exception:  # noqa: BLE001 - the client gets a clean 500; the log gets the trace
            get_logger().exception("gateway.unhandled", path=request.path)
            status, body = error_body("internal_error")
        response = json_response(status, body, correlation)
        if isinstance(body, dict) and "retry_after" in body:
            response.headers["Retry-After"] = str(body["retry_after"])
        return response

    return wrapper
