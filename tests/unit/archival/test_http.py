"""Archival's HTTP surface: every error it can answer is documented in Persian and English
with its status, and every route is in the OpenAPI document (AR-1 … AR-5, X-3)."""

from __future__ import annotations

from services.gateway.openapi import openapi_document
from services.gateway.routes.archival import ROUTES
from shared.http.errors import ERRORS, error_body


def test_restore_refusals_explain_themselves_in_both_languages() -> None:
    for code, status in (("no_backup_retained", 409), ("not_deleted", 409), ("tenant_deleted", 410),
                         ("invalid_opening_balances", 422), ("file_too_large", 413)):
        answered, body = error_body(code, {"problems": []} if code == "invalid_opening_balances" else {})
        assert answered == status and body["error"] == code
        assert body["message"]["fa"] and body["message"]["en"] and body["message"]["fa"] != body["message"]["en"]


def test_every_archival_route_and_error_is_documented() -> None:
    paths = openapi_document()["paths"]
    for method, path, _summary, _model, status, errors in ROUTES:
        operation = paths[path.replace("<", "{").replace(">", "}")][method.lower()]
        assert str(status) in operation["responses"]
        assert all(code in ERRORS for code in errors)
    assert "xlsx" in str(paths["/archival/tenants/{tenant_id}/exports"]["post"]["requestBody"])
