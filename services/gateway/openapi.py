"""The gateway's OpenAPI 3.1 document, built from the route declarations the gateway serves
(services/gateway/routing.py), the shared request models and the error table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.gateway.routing import Route
from services.gateway.service import ROUTES
from shared.http.errors import ERRORS

__all__ = ["ROUTES", "openapi_document"]

ERROR_SCHEMA = {
    "type": "object", "required": ["error", "message"],
    "properties": {"error": {"type": "string"},
                   "message": {"type": "object", "properties": {"fa": {"type": "string"}, "en": {"type": "string"}}}},
}


# What parse_body refuses before a model sees the body (services/gateway/http_edge.py).
BODY_ERRORS = ("json_too_deep", "payload_too_large", "unsupported_media_type")


def openapi_document(routes: Sequence[Route] = ROUTES) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, summary, model, status, route_errors in routes:
        errors = (*route_errors, *BODY_ERRORS) if model is not None else route_errors
        operation: dict[str, Any] = {"summary": summary, "responses": {str(status): {"description": "OK"}}}
        if model is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": model.model_json_schema()}}}
        for code in errors:
            http_status = str(ERRORS[code][0])
            described = operation["responses"].setdefault(http_status, {
                "description": "", "content": {"application/json": {"schema": ERROR_SCHEMA}}})
            described["description"] = ", ".join(filter(None, [described["description"], code]))
        paths.setdefault(path.replace("<", "{").replace(">", "}"), {})[method.lower()] = operation
    return {"openapi": "3.1.0", "info": {"title": "Cloud accounting customer-lifecycle gateway",
                                         "version": "1"}, "paths": paths}
