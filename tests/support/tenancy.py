"""Driving tenancy across real processes: publishing the events of services not running
(billing's payment, archival's facts) and reading what tenancy published, from the work
queue of a consumer that is not running (archival), where its events wait."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kombu import Connection

from shared.events import billing
from shared.events.base import Envelope, IntegrationEvent
from shared.kernel.config import Settings
from shared.kernel.publisher import ConfirmedPublisher, Outgoing
from shared.kernel.topology import events_exchange, work_queue_name


def publish(settings: Settings, event: IntegrationEvent, event_id: uuid.UUID | None = None) -> uuid.UUID:
    envelope = Envelope(event_id=event_id or uuid.uuid4(), type=event.type, version=event.version,
                        occurred_at=datetime.now(UTC), producer=event.producer, producer_position=0,
                        correlation_id=f"test-{uuid.uuid4().hex[:8]}",
                        tenant_id=getattr(event, "tenant_id", None), payload=event.model_dump(mode="json"))
    publisher = ConfirmedPublisher(settings)
    try:
        publisher.publish_batch([Outgoing(events_exchange(settings).name, envelope.routing_key, envelope.to_wire(),
                                          message_id=str(envelope.event_id))])
    finally:
        publisher.close()
    return envelope.event_id


def new_business_paid(tenant: uuid.UUID, payer: uuid.UUID, ends_in: timedelta = timedelta(days=365),
                      **extra: Any) -> billing.PaymentSucceededV1:
    start = datetime.now(UTC) - timedelta(minutes=1)
    values: dict[str, Any] = dict(
        payment_id=uuid.uuid4(), order_id=uuid.uuid4(), invoice_id=uuid.uuid4(), tenant_id=tenant,
        payer_user_id=payer, kind="new", business_name="فروشگاه آفتاب", business_type="trading",
        products=("accounting",), period_start=start, period_end=datetime.now(UTC) + ends_in,
        amount_rials=10_000_000, vat_rials=900_000, gateway="zarinpal", gateway_reference="R1")
    return billing.PaymentSucceededV1(**(values | extra))


def drain(settings: Settings, consumer: str) -> list[dict[str, Any]]:
    """Every message waiting in a (stopped) consumer's work queue, taken off it."""
    bodies = []
    with Connection(settings.amqp_uri) as conn:
        channel = conn.default_channel
        while (message := channel.basic_get(work_queue_name(settings, consumer), no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies
