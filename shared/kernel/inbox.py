"""The inbox: a nameko entrypoint that consumes a service's work queue idempotently.

For each message it validates envelope and payload (pydantic), hands the handler an
``Inbound`` whose ``cause`` makes the application record the event id in the same
transaction as the handler's events (a duplicate is refused by the store), and settles it:

  handled or already handled  -> ack
  cannot be parsed            -> dead-letter queue at once, with the reason
  handler raised              -> a retry queue (back-off by TTL), then the dead-letter queue
  could not republish         -> requeue (the quorum queue's delivery limit is the backstop)

A message is acked only after its retry or dead-letter copy was confirmed by the broker,
so nothing is dropped and a bad message never blocks the ones behind it.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko.messaging import Consumer
from pydantic import ValidationError

from shared.events.base import Envelope, IntegrationEvent
from shared.events.catalog import UnknownEvent, parse_payload
from shared.kernel import metrics
from shared.kernel.config import Settings
from shared.kernel.conflicts import StripedLocks
from shared.kernel.degradation import DEGRADATION
from shared.kernel.draining import DrainingQueueConsumer
from shared.kernel.logging import get_logger
from shared.kernel.publisher import ConfirmedPublisher, Outgoing, PublishFailed
from shared.kernel.relay import STORE_UNAVAILABLE
from shared.kernel.store import AlreadyHandled, Cause
from shared.kernel.topology import dead_exchange, retry_queue_name, work_queue
from shared.kernel.tracing import HEADER, TRACING, Span

ATTEMPT_HEADER = "x-attempt"


@dataclass(frozen=True)
class Inbound:
    envelope: Envelope
    event: IntegrationEvent
    attempt: int
    # True when a failure now goes to the dead-letter queue: a handler may record the
    # failure as an outcome instead of raising.
    last_attempt: bool = False
    received_at: float = field(default_factory=time.perf_counter, compare=False)  # for the handling time
    # This delivery's span (shared/kernel/tracing.py): the handler's events continue from it.
    span: Span | None = field(default=None, compare=False, repr=False)

    @property
    def cause(self) -> Cause:
        return Cause(correlation_id=self.envelope.correlation_id,
                     causation_id=str(self.envelope.event_id),
                     inbox_event_id=self.envelope.event_id,
                     traceparent=str(self.span.context) if self.span else self.envelope.traceparent)


def settings_from_config(config: dict[str, Any], service: str) -> Settings:
    settings: Settings = config.get("PLATFORM_SETTINGS") or Settings(service=service)
    return settings


class InboxQueueConsumer(DrainingQueueConsumer):
    """The draining consumer (a graceful stop settles every message in flight first), plus:
    a body that cannot even be decoded goes to the provider's dead-letter path instead of
    raising inside the consumer loop."""

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            if isinstance(provider, Inbox):
                consumer.on_decode_error = provider.handle_undecodable
        return consumers


class Inbox(Consumer):
    queue_consumer = InboxQueueConsumer()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queue=None, requeue_on_error=False, **kwargs)
        self._publisher_lock = threading.Lock()
        self._publisher: ConfirmedPublisher | None = None
        self.settings: Settings | None = None
        self.in_flight = 0  # messages received and not yet acked, retried or dead-lettered

    def setup(self) -> None:
        self.settings = settings_from_config(self.container.config, self.container.service_name)
        # nameko must not redeclare it: the topology module owns its arguments and bindings.
        queue = work_queue(self.settings, self.container.service_name)
        queue.no_declare = True  # type: ignore[attr-defined]
        self.queue = queue
        self._publisher = ConfirmedPublisher(self.settings)
        self._log = get_logger(component="inbox")
        super().setup()

    def stop(self) -> None:
        """Graceful (SIGTERM): take no new message, then wait until every message in flight
        is settled — handled and acked, or handed to a retry or dead-letter queue — so that
        nothing is handed out again after the restart."""
        super().stop()  # cancels the consumer: the broker sends nothing more
        if self.in_flight:
            self._log.info("inbox.draining", in_flight=self.in_flight)
        while self.in_flight:
            eventlet.sleep(0.05)
        if self._publisher is not None:
            self._publisher.close()  # only now: a failing handler still needed it for its retry

    def handle_message(self, body: Any, message: Any) -> None:
        self.in_flight += 1
        spawned = False
        try:
            spawned = self._dispatch(body, message)
        finally:
            if not spawned:  # settled here, or never will be (the container is being killed)
                self.in_flight -= 1

    def _dispatch(self, body: Any, message: Any) -> bool:
        """True when a worker was spawned (it settles the message when it ends)."""
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))
        try:
            if not isinstance(body, dict):
                body = json.loads(body)
            envelope = Envelope.model_validate(body)
            event = parse_payload(envelope)
        except (ValidationError, UnknownEvent, ValueError, TypeError) as exc:
            self._settle_failure(message, attempt, f"invalid message: {_short(exc)}", retryable=False)
            return False
        assert self.settings is not None
        delivery = TRACING.delivery(envelope, self.container.service_name, attempt)
        inbound = Inbound(envelope, event, attempt, last_attempt=attempt > len(self.settings.retry_delays_ms),
                          span=delivery)
        self.container.spawn_worker(
            self, (inbound,), {},
            context_data={"correlation_id": envelope.correlation_id, "causation_id": str(envelope.event_id),
                          HEADER: str(delivery.context)},
            handle_result=lambda worker_ctx, result=None, exc_info=None: self._finish(
                message, inbound, result, exc_info),
        )
        return True

    def handle_undecodable(self, message: Any, exc: Exception) -> None:
        self._settle_failure(message, 1, f"invalid message: {_short(exc)}", retryable=False)

    def _finish(self, message: Any, inbound: Inbound, result: Any, exc_info: Any) -> tuple[Any, Any]:
        try:
            return self._settle(message, inbound, result, exc_info)
        finally:
            self.in_flight -= 1
            if inbound.span is not None:  # a duplicate is no failure
                failed = exc_info is not None and not isinstance(exc_info[1], AlreadyHandled)
                inbound.span.end(error=exc_info[1] if failed else None)

    def _settle(self, message: Any, inbound: Inbound, result: Any, exc_info: Any) -> tuple[Any, Any]:
        service, event_type = self.container.service_name, inbound.envelope.type
        metrics.inbox_handling(service, event_type, time.perf_counter() - inbound.received_at)
        if exc_info is None:
            # lag_ms: from the producer's append to handled here (the whole hop, relay included).
            lag_ms = (datetime.now(UTC) - inbound.envelope.occurred_at).total_seconds() * 1000
            metrics.inbox_settled(service, event_type, "handled", lag_seconds=lag_ms / 1000)
            self._log.info("inbox.handled", event_id=str(inbound.envelope.event_id), type=event_type,
                           correlation_id=inbound.envelope.correlation_id, lag_ms=round(lag_ms, 2))
            self.queue_consumer.ack_message(message)
            DEGRADATION.recovered("inbox")
        elif isinstance(exc_info[1], AlreadyHandled):
            metrics.inbox_settled(service, event_type, "duplicate")
            self._log.info("inbox.duplicate", event_id=str(inbound.envelope.event_id), type=event_type)
            self.queue_consumer.ack_message(message)
            exc_info = None
        else:
            if isinstance(exc_info[1], STORE_UNAVAILABLE):
                DEGRADATION.degraded("inbox", "store_failing")
            self._settle_failure(message, inbound.attempt, _short(exc_info[1]), retryable=True,
                                 event_type=event_type)
        return result, exc_info

    def _settle_failure(self, message: Any, attempt: int, reason: str, *, retryable: bool,
                        event_type: str = "unknown") -> None:
        assert self.settings is not None and self._publisher is not None
        service = self.container.service_name
        delays = self.settings.retry_delays_ms
        headers = dict(message.headers or {})
        headers.pop("x-death", None)
        # Every dead letter needs an identity operators can name; publishers other than our
        # relay may have sent none.
        message_id = str(message.properties.get("message_id") or uuid.uuid4())
        if retryable and attempt <= len(delays):
            delay = delays[attempt - 1]
            target = Outgoing("", retry_queue_name(self.settings, service, delay), {},
                              message_id=message_id,
                              headers=headers | {ATTEMPT_HEADER: attempt + 1, "x-last-error": reason})
            verdict, outcome = "inbox.retry_scheduled", "retried"
        else:
            target = Outgoing(dead_exchange(self.settings).name, service, {},
                              message_id=message_id,
                              headers=headers | {ATTEMPT_HEADER: attempt, "x-dead-reason": reason})
            verdict, outcome = "inbox.dead_lettered", "dead_lettered" if retryable else "invalid"
        try:
            with self._publisher_lock:
                self._publisher.publish_raw(target, message.body, message.content_type or "application/json")
        except PublishFailed as exc:
            DEGRADATION.degraded("inbox", "broker_unavailable")
            self._log.warning("inbox.settle_failed", error=str(exc))
            self.queue_consumer.requeue_message(message)
            return
        self._log.warning(verdict, attempt=attempt, reason=reason, routing_key=message.delivery_info.get("routing_key"))
        self.queue_consumer.ack_message(message)
        metrics.inbox_settled(service, event_type, outcome)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 500 else text[:497] + "..."


# One handling at a time per business in this process: the events of one business arrive
# together (a new business's PaymentSucceeded, TenantProvisioned, ModulesActivated,
# BusinessActivated, MemberAdded) and, handled by parallel workers, threw a quarter of all saves
# away as conflicts in the lifecycle bench (issue #16). Different businesses still run in parallel.
BUSINESSES = StripedLocks()


def inbox(handler: Callable[[Any, Inbound], None]) -> Any:
    """The inbox entrypoint, its handler holding its business's stripe (released before the
    message is settled)."""

    @functools.wraps(handler)
    def handle(service: Any, inbound: Inbound) -> None:
        tenant = inbound.envelope.tenant_id
        with BUSINESSES.held([tenant] if tenant is not None else []):
            handler(service, inbound)

    return Inbox.decorator(handle)
