"""Sign-up, codes, recovery, sessions and the personal page (ID-1 … ID-5): identity's routes."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Request

from services.gateway.http_edge import call, client_address, endpoint, parse_body
from services.gateway.routes.base import GatewayBase, Route
from shared.http.models import (
    CodeRequest,
    LoginRequest,
    PasswordResetConfirmation,
    PasswordResetRequest,
    RefreshRequest,
    RegistrationRequest,
    VerificationRequest,
)

ROUTES: list[Route] = [
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
]


class IdentityRoutes(GatewayBase):
    identity = RpcProxy("identity")

    @http("POST", "/identity/registrations")
    @endpoint
    def register(self, request: Request) -> tuple[int, Any]:
        body = parse_body(request, RegistrationRequest)
        return 202, call(self.identity, "register", body.mobile, body.password, locale=body.locale,
                         client_address=client_address(request))

    @http("POST", "/identity/registrations/verify")
    @endpoint
    def verify(self, request: Request) -> tuple[int, Any]:
        body = parse_body(request, VerificationRequest)
        return 200, call(self.identity, "verify", body.mobile, body.code, registration_id=body.registration_id)

    @http("POST", "/identity/verification-codes")
    @endpoint
    def send_code(self, request: Request) -> tuple[int, Any]:
        body = parse_body(request, CodeRequest)
        return 202, call(self.identity, "send_code", body.mobile, body.purpose, client_address(request))

    @http("POST", "/identity/password-resets")
    @endpoint
    def request_password_reset(self, request: Request) -> tuple[int, Any]:
        body = parse_body(request, PasswordResetRequest)
        return 202, call(self.identity, "send_code", body.mobile, "password_reset", client_address(request))

    @http("POST", "/identity/password-resets/confirm")
    @endpoint
    def confirm_password_reset(self, request: Request) -> tuple[int, Any]:
        body = parse_body(request, PasswordResetConfirmation)
        return 200, call(self.identity, "reset_password", body.mobile, body.code, body.new_password)

    @http("POST", "/identity/sessions")
    @endpoint
    def login(self, request: Request) -> tuple[int, Any]:
        body = parse_body(request, LoginRequest)
        return 200, call(self.identity, "login", body.mobile, body.password, client_address(request))

    @http("POST", "/identity/sessions/refresh")
    @endpoint
    def refresh(self, request: Request) -> tuple[int, Any]:
        body = parse_body(request, RefreshRequest)
        return 200, call(self.identity, "refresh", body.refresh_token)

    @http("DELETE", "/identity/sessions")
    @endpoint
    def logout(self, request: Request) -> tuple[int, Any]:
        body = parse_body(request, RefreshRequest)
        return 200, call(self.identity, "logout", body.refresh_token)

    @http("GET", "/me")
    @endpoint
    def personal_page(self, request: Request) -> tuple[int, Any]:
        claims = self.claims(request)
        return 200, call(self.identity, "personal_page", claims["sub"])
