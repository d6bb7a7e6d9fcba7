"""The gateway: the one HTTP origin. Each route validates its body, makes one RPC to the
owning service and maps the answer; it holds no domain rules and no state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.gateway.http_edge import (
    Authenticator,
    Correlation,
    HttpError,
    call,
    client_address,
    endpoint,
    json_response,
    parse_body,
)
from services.gateway.openapi import openapi_document
from shared.events.base import Envelope
from shared.events.catalog import SERVICES
from shared.events.ops import ClockAdvancedV1
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
from shared.kernel.config import Settings
from shared.kernel.deadletters import DeadLetters
from shared.kernel.publisher import ConfirmedPublisher, Outgoing
from shared.kernel.tokens import development_signing_keys
from shared.kernel.topology import events_exchange

SETTINGS = Settings(service="gateway")
SERVICES_WITH_HEALTH = ("identity", "notifications")


def _public_key() -> str:
    return development_signing_keys(SETTINGS.var_dir / "keys")[1]


class GatewayService:
    name = "gateway"

    identity = RpcProxy("identity")
    notifications = RpcProxy("notifications")
    correlation_id: str = Correlation()
    claims = Authenticator(_public_key)

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
        return 200, call(self.identity, "verify", body.mobile, body.code)

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

    @http("GET", "/notifications/messages")
    @endpoint
    def messages(self, request: Request) -> tuple[int, Any]:
        # The development SMS outbox is open outside production; in production, support only.
        if SETTINGS.production:
            self.claims(request, role="support")
        mobile = request.args.get("to")
        if not mobile:
            raise HttpError("invalid_request", fields=[{"field": "to", "problem": "missing"}])
        return 200, {"messages": call(self.notifications, "messages_to", mobile)}

    @http("POST", "/ops/clock")
    @endpoint
    def advance_clock(self, request: Request) -> tuple[int, Any]:
        if SETTINGS.production:
            raise HttpError("not_found")
        body = parse_body(request, ClockAdvanceRequest)
        seconds = int(body.advance.total_seconds())
        if seconds <= 0:
            raise HttpError("invalid_request", fields=[{"field": "advance", "problem": "must_be_positive"}])
        event = ClockAdvancedV1(seconds=seconds)
        envelope = Envelope(event_id=uuid.uuid4(), type=event.type, version=event.version,
                            occurred_at=datetime.now(UTC), producer=event.producer, producer_position=0,
                            correlation_id=self.correlation_id, payload=event.model_dump(mode="json"))
        publisher = ConfirmedPublisher(SETTINGS)
        try:
            publisher.publish_batch([Outgoing(events_exchange(SETTINGS).name, envelope.routing_key,
                                              envelope.to_wire(), message_id=str(envelope.event_id))])
        finally:
            publisher.close()
        return 202, {"advanced_seconds": seconds, "event_id": str(envelope.event_id)}

    @http("GET", "/ops/dead-letters/<service>")
    @endpoint
    def dead_letters(self, request: Request, service: str) -> tuple[int, Any]:
        letters = self._dead_letters_of(request, service)
        return 200, {"service": service, "dead_letters": [vars(letter) for letter in letters.list()]}

    @http("POST", "/ops/dead-letters/<service>/replay")
    @endpoint
    def replay_dead_letters(self, request: Request, service: str) -> tuple[int, Any]:
        letters = self._dead_letters_of(request, service)
        body = parse_body(request, ReplayRequest)
        return 202, {"service": service, "replayed": letters.replay(None if body.all else body.message_id)}

    def _dead_letters_of(self, request: Request, service: str) -> DeadLetters:
        if SETTINGS.production:
            self.claims(request, role="support")
        if service not in SERVICES:
            raise HttpError("not_found")
        return DeadLetters(SETTINGS, service)

    @http("GET", "/health")
    def health(self, request: Request) -> Response:
        report: dict[str, Any] = {}
        healthy = True
        for service in SERVICES_WITH_HEALTH:
            try:
                with eventlet.Timeout(3):
                    report[service] = getattr(self, service).health()
            except eventlet.Timeout:
                report[service], healthy = {"status": "unreachable"}, False
        return json_response(200 if healthy else 503, {"status": "ok" if healthy else "degraded",
                                                      "services": report})

    @http("GET", "/openapi.json")
    def openapi(self, request: Request) -> Response:
        return json_response(200, openapi_document())


SERVICE = GatewayService
