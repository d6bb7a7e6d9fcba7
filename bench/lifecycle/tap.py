"""The bench's tap on the events exchange: a queue of its own, bound to the public events an
onboarding ends with, consumed in a green thread of the bench process (no polling load on the
services). Each event is filed under its correlation id, with the time it reached the bench
and the producer's own `occurred_at`."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import eventlet
from amqp.exceptions import AMQPError
from kombu import Consumer, Queue, binding
from kombu.exceptions import OperationalError

from bench.lifecycle.env import LifecycleEnv
from shared.kernel.topology import events_exchange

# routing key → what it tells the bench
BINDINGS = ("billing.PaymentSucceeded.*", "provisioning.TenantProvisioned.*", "tenancy.BusinessActivated.*",
            "tenancy.MemberAdded.*", "notifications.MessageDelivered.*", "notifications.MessageFailed.*")
# An onboarding is complete once all three of these were seen.
COMPLETE = ("tenant_provisioned", "admin_seated", "sms_ready")
SMS_TEMPLATES = {"billing.payment_succeeded": "sms_payment", "provisioning.tenant_provisioned": "sms_ready"}


def milestone(event_type: str, payload: dict[str, Any]) -> str | None:
    """The step of an onboarding an event marks (None: not one the bench times)."""
    if event_type == "PaymentSucceeded":
        return "payment_succeeded"
    if event_type == "TenantProvisioned":
        return "tenant_provisioned"
    if event_type == "BusinessActivated":
        return "business_activated"
    if event_type == "MemberAdded":  # the payer seated as admin at activation (PR-3)
        if payload.get("role") == "admin" and payload.get("added_by_user_id") is None:
            return "admin_seated"
        return None
    if event_type == "MessageDelivered":
        return SMS_TEMPLATES.get(str(payload.get("template")))
    if event_type == "MessageFailed":
        return "sms_failed"
    return None


@dataclass
class Seen:
    received: float  # time.time() when the bench got it
    occurred: float  # the producer's occurred_at (the same machine's clock)
    event_id: str


@dataclass
class Tap:
    env: LifecycleEnv
    prefix: str  # only correlation ids that start with it are the bench's
    by_correlation: dict[str, dict[str, Seen]] = field(default_factory=lambda: defaultdict(dict))
    duplicates: int = 0
    others: int = 0
    received: int = 0
    reconnects: list[str] = field(default_factory=list)
    _running: bool = True
    _thread: Any = None

    def declare(self) -> None:
        exchange = events_exchange(self.env.settings("bench"))
        queue = self._queue(exchange)
        with self.env.connection() as conn:
            queue(conn.default_channel).declare()

    def _queue(self, exchange: Any) -> Queue:
        # Durable (a broker restart by another run on this machine must not lose it), classic: the
        # bench's own reader should cost the broker as little as it can.
        return Queue(self.env.tap_queue, durable=True, auto_delete=False,
                     bindings=[binding(exchange, routing_key=key) for key in BINDINGS])

    def start(self) -> None:
        self.declare()
        self._thread = eventlet.spawn(self._consume)

    def stop(self) -> None:
        self._running = False
        thread, self._thread = self._thread, None
        if thread is not None:
            try:
                thread.wait()
            except Exception as exc:  # the tap's failure must not keep the platform from stopping
                self.reconnects.append(f"stopped by {type(exc).__name__}: {exc}"[:200])

    def _consume(self) -> None:
        """Consume until stopped; a lost connection (the broker restarted) is opened again."""
        while self._running:
            try:
                self._consume_once()
            except (OSError, AMQPError, OperationalError) as exc:
                self.reconnects.append(f"{datetime.now(UTC):%H:%M:%S} {type(exc).__name__}: {exc}"[:200])
                eventlet.sleep(1.0)

    def _consume_once(self) -> None:
        exchange = events_exchange(self.env.settings("bench"))
        with self.env.connection() as conn:
            queue = self._queue(exchange)
            queue(conn.default_channel).declare()
            with Consumer(conn.channel(), [queue], no_ack=False, callbacks=[self._on_message], accept=["json"],
                          prefetch_count=200):
                while self._running:
                    try:
                        conn.drain_events(timeout=0.5)
                    except TimeoutError:
                        continue

    def _on_message(self, body: Any, message: Any) -> None:
        now = time.time()
        message.ack()  # acked, not no_ack: an event in flight when the connection dies is delivered again
        self.received += 1
        correlation = str(body.get("correlation_id", ""))
        step = milestone(str(body.get("type")), body.get("payload") or {})
        if step is None or not correlation.startswith(self.prefix):
            self.others += 1
            return
        steps = self.by_correlation[correlation]
        if step in steps:
            self.duplicates += 1
            return
        occurred = datetime.fromisoformat(str(body["occurred_at"])).timestamp()
        steps[step] = Seen(now, occurred, str(body.get("event_id")))

    def complete(self, correlation: str) -> bool:
        steps = self.by_correlation.get(correlation, {})
        return all(step in steps for step in COMPLETE)
