"""Billing's and archival's events as provisioning receives them, for provisioning's tests
(billing and archival are built in parallel; these envelopes are what they will publish)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.events.archival import PurgedDataset, RestoreCompletedV1, TenantDataPurgedV1
from shared.events.base import Envelope, IntegrationEvent
from shared.events.billing import EducationalLicenceGrantedV1, PaymentSucceededV1
from shared.kernel.inbox import Inbound

START = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
END = START + timedelta(days=365)


def payment(tenant_id: uuid.UUID | None = None, business_type: str = "trading",
            products: tuple[str, ...] = ("accounting",), kind: str = "new", payer: uuid.UUID | None = None,
            period_end: datetime = END, **extra: Any) -> PaymentSucceededV1:
    return PaymentSucceededV1(
        payment_id=uuid.uuid4(), order_id=uuid.uuid4(), invoice_id=uuid.uuid4(), tenant_id=tenant_id or uuid.uuid4(),
        payer_user_id=payer or uuid.uuid4(), kind=kind, business_name="شرکت بازرگانی آفتاب پارس",
        business_type=business_type, products=products, period_start=START, period_end=period_end,
        amount_rials=1_090_000_000, vat_rials=90_000_000, gateway="sandbox", gateway_reference="RRN-1", **extra)


def licence(tenant_id: uuid.UUID | None = None) -> EducationalLicenceGrantedV1:
    return EducationalLicenceGrantedV1(
        application_id=uuid.uuid4(), tenant_id=tenant_id or uuid.uuid4(), applicant_user_id=uuid.uuid4(),
        institution_name="دانشگاه نمونه", licence_number="EDU-1405/17", period_start=START, period_end=END,
        approved_by_user_id=uuid.uuid4())


def purged(tenant_id: uuid.UUID) -> TenantDataPurgedV1:
    return TenantDataPurgedV1(tenant_id=tenant_id, lapsed_at=END, purged_at=END + timedelta(days=91),
                              datasets=(PurgedDataset(kind="ledgers", records=1),), backups_retained_until=None)


def restored(tenant_id: uuid.UUID, admin: uuid.UUID, backup_id: uuid.UUID) -> RestoreCompletedV1:
    return RestoreCompletedV1(
        restore_id=uuid.uuid4(), tenant_id=tenant_id, backup_id=backup_id, backup_taken_at=START,
        requested_by_user_id=admin, business_name="شرکت بازرگانی آفتاب پارس", business_type="trading",
        admin_user_id=admin, products=("accounting",), fee_rials=50_000_000, restored_at=END + timedelta(days=100))


def envelope(event: IntegrationEvent, event_id: uuid.UUID | None = None) -> Envelope:
    return Envelope(event_id=event_id or uuid.uuid4(), type=event.type, version=event.version,
                    occurred_at=datetime.now(UTC), producer=event.producer, producer_position=1,
                    correlation_id="provisioning-test", tenant_id=getattr(event, "tenant_id", None),
                    payload=event.model_dump(mode="json"))


def inbound(event: IntegrationEvent, event_id: uuid.UUID | None = None) -> Inbound:
    return Inbound(envelope(event, event_id), event, attempt=1)


class Listener:
    """A queue on the platform's events exchange: what provisioning published, read by a test.
    It survives its connection (a reset connection is opened again) and is deleted on close."""

    def __init__(self, settings: Any, *routing_keys: str) -> None:
        from kombu import Connection, Queue, binding

        from shared.kernel.topology import events_exchange

        self.settings = settings
        self.conn = Connection(settings.amqp_uri)
        exchange = events_exchange(settings)
        self.queue = Queue(f"{settings.namespace}.test-listener.{uuid.uuid4().hex[:8]}", durable=False,
                           auto_delete=False, bindings=[binding(exchange, routing_key=key) for key in routing_keys])
        self.queue(self.conn.default_channel).declare()
        self.seen: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        from kombu import Connection

        for _ in range(3):
            try:
                bound = self.queue(self.conn.default_channel)
                while (message := bound.get(no_ack=True)) is not None:
                    self.seen.append(message.payload if isinstance(message.payload, dict) else message.decode())
                break
            except OSError:  # the broker reset the connection: the queue and its messages are still there
                self.conn.release()
                self.conn = Connection(self.settings.amqp_uri)
        return self.seen

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [body for body in self.drain() if body["type"] == event_type]

    def close(self) -> None:
        import contextlib

        with contextlib.suppress(Exception):
            self.queue(self.conn.default_channel).delete()
        self.conn.release()


def publish(settings: Any, *envelopes: Envelope) -> None:
    from tests.support.broker import confirmed_publisher

    with confirmed_publisher(settings) as publish:
        for each in envelopes:
            publish(each.to_wire(), each.routing_key, message_id=str(each.event_id))
