"""Operators and development: the platform clock, dead letters, health, the OpenAPI document."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko.exceptions import UnknownService
from werkzeug.wrappers import Request, Response

from services.gateway.broker_alarm import BROKER_ALARM
from services.gateway.http_edge import HttpError, json_response
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Body, route
from shared.events.base import Envelope
from shared.events.catalog import SERVICES
from shared.events.ops import ClockAdvancedV1
from shared.http.models import ClockAdvanceRequest, ReplayRequest
from shared.kernel import metrics
from shared.kernel.deadletters import DeadLetters
from shared.kernel.degradation import DEGRADATION
from shared.kernel.publisher import ConfirmedPublisher, Outgoing
from shared.kernel.topology import events_exchange


class OpsRoutes(GatewayBase):
    @route("POST", "/ops/clock", "Move the platform clock forward (non-production)", body=ClockAdvanceRequest,
           answers=202, errors=("invalid_json", "invalid_request", "not_found"))
    def advance_clock(self, request: Request, body: Body[ClockAdvanceRequest]) -> Any:
        if self.settings.production:
            raise HttpError("not_found")
        seconds = int(body().advance.total_seconds())
        if seconds <= 0:
            raise HttpError("invalid_request", fields=[{"field": "advance", "problem": "must_be_positive"}])
        event = ClockAdvancedV1(seconds=seconds)
        envelope = Envelope(event_id=uuid.uuid4(), type=event.type, version=event.version,
                            occurred_at=datetime.now(UTC), producer=event.producer, producer_position=0,
                            correlation_id=self.correlation_id, payload=event.model_dump(mode="json"))
        publisher = ConfirmedPublisher(self.settings.platform)
        try:
            publisher.publish_batch([Outgoing(events_exchange(self.settings.platform).name, envelope.routing_key,
                                              envelope.to_wire(), message_id=str(envelope.event_id))])
        finally:
            publisher.close()
        return {"advanced_seconds": seconds, "event_id": str(envelope.event_id)}

    @route("GET", "/ops/dead-letters/<service>", "A service's dead letters with their reasons (support)",
           errors=("not_found", "unauthorized", "forbidden"))
    def dead_letters(self, request: Request, service: str) -> Any:
        letters = self._dead_letters_of(request, service)
        return {"service": service, "dead_letters": [vars(letter) for letter in letters.list()]}

    @route("POST", "/ops/dead-letters/<service>/replay", "Replay one or all dead letters of a service (support)",
           body=ReplayRequest, answers=202,
           errors=("invalid_json", "invalid_request", "not_found", "unauthorized", "forbidden"))
    def replay_dead_letters(self, request: Request, service: str, body: Body[ReplayRequest]) -> Any:
        letters = self._dead_letters_of(request, service)
        given = body()
        return {"service": service, "replayed": letters.replay(None if given.all else given.message_id)}

    def _dead_letters_of(self, request: Request, service: str) -> DeadLetters:
        if self.settings.production:
            self.claims(request, role="support")
        if service not in SERVICES:
            raise HttpError("not_found")
        return DeadLetters(self.settings.platform, service)

    @route("GET", "/health", "Liveness of the gateway and the services behind it", own_response=True)
    def health(self, request: Request) -> Response:
        # Every service whose routes the gateway serves, asked at once: one slow service
        # costs three seconds, not three per service.
        services = [service for service in SERVICES if hasattr(self, service)]

        def ask(service: str) -> Any:
            if BROKER_ALARM.blocked:  # the question could not leave: RabbitMQ blocks publishers
                return {"status": "unreachable", "reason": "broker_blocks_publishers"}
            try:
                with eventlet.Timeout(3):
                    return getattr(self, service).health()
            except (eventlet.Timeout, UnknownService):  # slow, or not running at all (no queue to route to)
                return {"status": "unreachable"}

        report = dict(zip(services, eventlet.GreenPool(len(services) or 1).imap(ask, services), strict=True))
        report["gateway"] = self.claims.memory.health() | {"missed_callbacks": len(self.missed_callbacks),
                                                           "degraded": DEGRADATION.figure(),
                                                           "metrics_url": metrics.url()}
        healthy = (all(answer.get("status") != "unreachable" for answer in report.values())
                   and BROKER_ALARM.blocked is None)
        return json_response(200 if healthy else 503, {"status": "ok" if healthy else "degraded",
                                                      "services": report})

    @route("GET", "/openapi.json", "This document", own_response=True)
    def openapi(self, request: Request) -> Response:
        from services.gateway.openapi import openapi_document  # it reads the composed service's routes

        return json_response(200, openapi_document())
