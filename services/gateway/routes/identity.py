"""Sign-up, codes, recovery, sessions and the personal page (ID-1 … ID-5): identity's routes."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request

from services.gateway.http_edge import call, client_address
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Body, route
from shared.http.models import (
    CodeRequest,
    LoginRequest,
    PasswordResetConfirmation,
    PasswordResetRequest,
    RefreshRequest,
    RegistrationRequest,
    VerificationRequest,
)

_BODY = ("invalid_json", "invalid_request")


class IdentityRoutes(GatewayBase):
    identity = RpcProxy("identity")

    @route("POST", "/identity/registrations", "Sign up with a mobile number and password (ID-1, ID-3)",
           body=RegistrationRequest, answers=202,
           errors=(*_BODY, "invalid_mobile", "weak_password", "mobile_already_registered", "service_unavailable"))
    def register(self, request: Request, body: Body[RegistrationRequest]) -> Any:
        given = body()
        return call(self.identity, "register", given.mobile, given.password, locale=given.locale,
                    client_address=client_address(request, self.settings.trust_forwarded_for))

    @route("POST", "/identity/registrations/verify", "Confirm the mobile number with the SMS code (ID-2)",
           body=VerificationRequest,
           errors=(*_BODY, "invalid_mobile", "invalid_code", "code_expired", "too_many_attempts",
                   "service_unavailable"))
    def verify(self, request: Request, body: Body[VerificationRequest]) -> Any:
        given = body()
        return call(self.identity, "verify", given.mobile, given.code, registration_id=given.registration_id)

    @route("POST", "/identity/verification-codes", "Send the code again (throttled; 429 with retry_after)",
           body=CodeRequest, answers=202,
           errors=(*_BODY, "invalid_mobile", "already_verified", "mobile_not_verified", "resend_too_soon",
                   "too_many_codes", "too_many_requests"))
    def send_code(self, request: Request, body: Body[CodeRequest]) -> Any:
        given = body()
        return call(self.identity, "send_code", given.mobile, given.purpose,
                    client_address(request, self.settings.trust_forwarded_for))

    @route("POST", "/identity/password-resets", "Forgot password: send a reset code (ID-4)",
           body=PasswordResetRequest, answers=202,
           errors=(*_BODY, "invalid_mobile", "mobile_not_verified", "resend_too_soon", "too_many_codes",
                   "too_many_requests"))
    def request_password_reset(self, request: Request, body: Body[PasswordResetRequest]) -> Any:
        return call(self.identity, "send_code", body().mobile, "password_reset",
                    client_address(request, self.settings.trust_forwarded_for))

    @route("POST", "/identity/password-resets/confirm", "Set a new password with the reset code (ID-4)",
           body=PasswordResetConfirmation,
           errors=(*_BODY, "invalid_mobile", "weak_password", "invalid_code", "code_expired", "too_many_attempts"))
    def confirm_password_reset(self, request: Request, body: Body[PasswordResetConfirmation]) -> Any:
        given = body()
        return call(self.identity, "reset_password", given.mobile, given.code, given.new_password)

    @route("POST", "/identity/sessions", "Log in: access token (15 min) and rotating refresh token",
           body=LoginRequest,
           errors=(*_BODY, "invalid_mobile", "invalid_credentials", "mobile_not_verified", "account_locked",
                   "too_many_requests"))
    def login(self, request: Request, body: Body[LoginRequest]) -> Any:
        given = body()
        return call(self.identity, "login", given.mobile, given.password,
                    client_address(request, self.settings.trust_forwarded_for))

    @route("POST", "/identity/sessions/refresh",
           "Swap a refresh token for new tokens (a reused one ends the session)",
           body=RefreshRequest, errors=(*_BODY, "unauthorized"))
    def refresh(self, request: Request, body: Body[RefreshRequest]) -> Any:
        return call(self.identity, "refresh", body().refresh_token)

    @route("DELETE", "/identity/sessions", "Log out: the refresh token's session ends",
           body=RefreshRequest, errors=(*_BODY, "unauthorized"))
    def logout(self, request: Request, body: Body[RefreshRequest]) -> Any:
        return call(self.identity, "logout", body().refresh_token)

    @route("GET", "/me", "The personal page: the user, each business with role, permissions, subscription "
           "state, deletion date and whether reports can be taken (ID-5, TE-3, AR-2); needs a Bearer token",
           errors=("unauthorized", "service_unavailable"))
    def personal_page(self, request: Request) -> Any:
        return call(self.identity, "personal_page", self.claims(request)["sub"])
