"""The gateway's OpenAPI 3.1 document, built from the shared request models and the error
table. tests/unit/test_gateway_openapi.py checks every @http route is described here."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.http.errors import ERRORS
from shared.http.models import (
    ClockAdvanceRequest,
    CodeRequest,
    LoginRequest,
    PasswordResetConfirmation,
    PasswordResetRequest,
    RefreshRequest,
    RegistrationRequest,
    ReplayRequest,
    VerificationRequest,
)

# (method, path, summary, request model, success status, error codes)
ROUTES: list[tuple[str, str, str, type[BaseModel] | None, int, tuple[str, ...]]] = [
    ("POST", "/identity/registrations", "Sign up with a mobile number and password (ID-1, ID-3)",
     RegistrationRequest, 202, ("invalid_json", "invalid_request", "invalid_mobile", "weak_password",
                                "mobile_already_registered", "service_unavailable")),
    ("POST", "/identity/registrations/verify", "Confirm the mobile number with the SMS code (ID-2)",
     VerificationRequest, 200, ("invalid_json", "invalid_request", "invalid_mobile", "invalid_code",
                                "code_expired", "too_many_attempts", "service_unavailable")),
    ("POST", "/identity/verification-codes", "Send the code again (throttled; 429 with retry_after)",
     CodeRequest, 202, ("invalid_json", "invalid_request", "invalid_mobile", "already_verified",
                        "mobile_not_verified", "resend_too_soon", "too_many_codes", "too_many_requests")),
    ("POST", "/identity/password-resets", "Forgot password: send a reset code (ID-4)",
     PasswordResetRequest, 202, ("invalid_json", "invalid_request", "invalid_mobile", "mobile_not_verified",
                                 "resend_too_soon", "too_many_codes", "too_many_requests")),
    ("POST", "/identity/password-resets/confirm", "Set a new password with the reset code (ID-4)",
     PasswordResetConfirmation, 200, ("invalid_json", "invalid_request", "invalid_mobile", "weak_password",
                                      "invalid_code", "code_expired", "too_many_attempts")),
    ("POST", "/identity/sessions", "Log in: access token (15 min) and rotating refresh token",
     LoginRequest, 200, ("invalid_json", "invalid_request", "invalid_mobile", "invalid_credentials",
                         "mobile_not_verified", "account_locked", "too_many_requests")),
    ("POST", "/identity/sessions/refresh", "Swap a refresh token for new tokens (a reused one ends the session)",
     RefreshRequest, 200, ("invalid_json", "invalid_request", "unauthorized")),
    ("DELETE", "/identity/sessions", "Log out: the refresh token's session ends",
     RefreshRequest, 200, ("invalid_json", "invalid_request", "unauthorized")),
    ("GET", "/me", "The personal page: the user, each business with role, permissions, subscription state, "
     "deletion date and whether reports can be taken (ID-5, TE-3, AR-2); needs a Bearer token",
     None, 200, ("unauthorized", "service_unavailable")),
    ("GET", "/notifications/messages", "Messages sent to a number (support; open in development)",
     None, 200, ("invalid_request", "invalid_mobile", "unauthorized", "forbidden", "service_unavailable")),
    ("POST", "/ops/clock", "Move the platform clock forward (non-production)",
     ClockAdvanceRequest, 202, ("invalid_json", "invalid_request", "not_found")),
    ("GET", "/ops/dead-letters/<service>", "A service's dead letters with their reasons (support)",
     None, 200, ("not_found", "unauthorized", "forbidden")),
    ("POST", "/ops/dead-letters/<service>/replay", "Replay one or all dead letters of a service (support)",
     ReplayRequest, 202, ("invalid_json", "invalid_request", "not_found", "unauthorized", "forbidden")),
    ("GET", "/health", "Liveness of the gateway and the services behind it", None, 200, ()),
    ("GET", "/openapi.json", "This document", None, 200, ()),
]

ERROR_SCHEMA = {
    "type": "object", "required": ["error", "message"],
    "properties": {"error": {"type": "string"},
                   "message": {"type": "object", "properties": {"fa": {"type": "string"}, "en": {"type": "string"}}}},
}


def openapi_document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, summary, model, status, errors in ROUTES:
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
