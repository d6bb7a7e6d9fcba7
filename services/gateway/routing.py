"""One declaration per route: its method, path, summary, request model, success status and the
error codes it can answer. ``@route`` keeps the declaration on the handler and applies nameko's
``http`` entrypoint to it, so the route served and the route documented (openapi.py) are one.

A handler answering JSON returns its body; the declared status goes with it, and an HttpError
(or a bug) becomes the error table's answer. A route with a request model hands the handler
``body``: a call that reads and validates the body with that model, made where the handler
chooses (most check the caller's token first). ``own_response=True`` is for handlers that
build their own werkzeug Response (files, redirects, the portal's pages)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial, wraps
from typing import Any, NamedTuple, TypeAlias, TypeVar

from nameko.web.handlers import HttpRequestHandler, http
from pydantic import BaseModel
from werkzeug.wrappers import Request, Response

from services.gateway.http_edge import HttpError, answer, parse_body
from shared.http.errors import error_body
from shared.kernel import metrics
from shared.kernel.logging import get_logger

Model = TypeVar("Model", bound=BaseModel)
Body: TypeAlias = Callable[[], Model]  # Body[OrderRequest]: reads the request's body as one
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
DECLARATION = "gateway_route"  # the attribute a routed handler carries its declaration in


class Route(NamedTuple):
    method: str
    path: str  # werkzeug's form: /billing/orders/<order_id>
    summary: str
    body: type[BaseModel] | None
    answers: int
    errors: tuple[str, ...]


class RouteDeclarationError(TypeError):
    """A route served without a declaration, unlike its declaration, or twice."""


def route(method: str, path: str, summary: str, *, body: type[BaseModel] | None = None, answers: int = 200,
          errors: Iterable[str] = (), own_response: bool = False) -> Callable[[Callable[..., Any]], Any]:
    declared = Route(method, path, summary, body, answers, tuple(errors))
    if method not in METHODS or not path.startswith("/"):
        raise RouteDeclarationError(f"not a route: {method} {path}")
    if own_response and body is not None:
        raise RouteDeclarationError(f"{method} {path}: a handler with its own response reads its own body")

    def decorate(handler: Callable[..., Any]) -> Any:
        served = _measured(handler if own_response else _answering(handler, declared), declared)
        setattr(served, DECLARATION, declared)
        return http(method, path)(served)

    return decorate


def _answering(handler: Callable[..., Any], declared: Route) -> Callable[..., Response]:
    @wraps(handler)
    def wrapper(self: Any, request: Request, **path: Any) -> Response:
        correlation = self.correlation_id
        try:
            if declared.body is not None:
                path["body"] = partial(parse_body, request, declared.body, self.settings.max_body_bytes)
            status, content = declared.answers, handler(self, request, **path)
        except HttpError as error:
            status, content = error_body(error.code, error.details)
        except Exception:  # noqa: BLE001 - the client gets a clean 500; the log gets the trace
            get_logger().exception("gateway.unhandled", path=request.path)
            status, content = error_body("internal_error")
        return answer(status, content, correlation)

    return wrapper


def _measured(served: Callable[..., Response], declared: Route) -> Callable[..., Response]:
    """Counts the request by its route template (never the path: ids would make a series each)."""
    @wraps(served)
    def wrapper(self: Any, request: Request, **path: Any) -> Response:
        started, status = time.perf_counter(), 500  # what nameko answers to an exception escaping
        try:
            response = served(self, request, **path)
            status = response.status_code
            return response
        finally:
            metrics.gateway_request(declared.path, declared.method, status, time.perf_counter() - started)

    return wrapper


def declaration(attribute: Any) -> Route | None:
    found = getattr(attribute, DECLARATION, None)
    return found if isinstance(found, Route) else None


def routes_of(service: type) -> list[Route]:
    """The routes ``service`` serves, in the order its classes declare them (the composed
    service's bases first to last). Refuses an ``http`` entrypoint without a declaration, one
    that differs from its declaration, and a method and path declared twice."""
    found: list[Route] = []
    names: set[str] = set()
    for klass in service.__mro__:
        for name, attribute in vars(klass).items():
            if name in names:
                continue  # overridden: the subclass's attribute is the one served
            names.add(name)
            served = [(entry.method, entry.url) for entry in getattr(attribute, "nameko_entrypoints", ())
                      if isinstance(entry, HttpRequestHandler)]
            declared = declaration(attribute)
            if declared is None and served:
                raise RouteDeclarationError(f"{klass.__name__}.{name} serves {served} without @route")
            if declared is not None and served != [(declared.method, declared.path)]:
                raise RouteDeclarationError(f"{klass.__name__}.{name} is declared as {declared.method} "
                                            f"{declared.path} but serves {served}")
            if declared is not None:
                found.append(declared)
    keys = [(found_route.method, found_route.path) for found_route in found]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise RouteDeclarationError(f"{service.__name__} declares {twice} more than once")
    return found
