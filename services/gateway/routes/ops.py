"""Operators and development: the platform clock, dead letters, health, the OpenAPI document."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko.exceptions import UnknownService
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.gateway.http_edge import HttpError, endpoint, json_response, parse_body
from services.gateway.routes.base import SETTINGS, GatewayBase, Route
from shared.events.base import Envelope
from shared.events.catalog import SERVICES
from shared.events.ops import ClockAdvancedV1
from shared.http.models import ClockAdvanceRequest, ReplayRequest
from shared.kernel.deadletters import DeadLetters
from shared.kernel.publisher import ConfirmedPublisher, Outgoing
from shared.kernel.topology import events_exchange

ROUTES: list[Route] = [
    ("POST", "/ops/clock", "Move the platform clock forward (non-production)",
     ClockAdvanceRequest, 202, ("invalid_json", "invalid_request", "not_found")),
    ("GET", "/ops/dead-letters/<service>", "A service's dead letters with their reasons (support)",
     None, 200, ("not_found", "unauthorized", "forbidden")),
    ("POST", "/ops/dead-letters/<service>/replay", "Replay one or all dead letters of a service (support)",
     ReplayRequest, 202, ("invalid_json", "invalid_request", "not_found", "unauthorized", "forbidden")),
    ("GET", "/health", "Liveness of the gateway and the services behind it", None, 200, ()),
    ("GET", "/openapi.json", "This document", None, 200, ()),
]


class OpsRoutes(GatewayBase):
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
        # Every service whose routes the gateway serves, asked at once: one slow service
        # costs three seconds, not three per service.
        services = [service for service in SERVICES if hasattr(self, service)]

        def ask(service: str) -> Any:
            try:
                with eventlet.Timeout(3):
                    return getattr(self, service).health()
            except (eventlet.Timeout, UnknownService):  # slow, or not running at all (no queue to route to)
                return {"status": "unreachable"}

        report = dict(zip(services, eventlet.GreenPool(len(services) or 1).imap(ask, services), strict=True))
        report["gateway"] = self.claims.memory.health() | {"missed_callbacks": len(self.missed_callbacks)}
        healthy = all(answer.get("status") != "unreachable" for answer in report.values())
        return json_response(200 if healthy else 503, {"status": "ok" if healthy else "degraded",
                                                      "services": report})

    @http("GET", "/openapi.json")
    def openapi(self, request: Request) -> Response:
        from services.gateway.openapi import openapi_document  # the table of every routes module

        return json_response(200, openapi_document())
