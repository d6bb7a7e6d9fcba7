"""Driving tenancy: in one process (an application in memory or on a test store, fed the
integration events it consumes, read back through its translations), and across real
processes (publishing the events of services not running — billing's payment, archival's
facts — and reading what tenancy published from the work queue of a stopped consumer)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from kombu import Connection

from services.tenancy import policies
from services.tenancy.application import TenancyApplication
from services.tenancy.translations import translate
from shared.events import billing, identity
from shared.events.base import Envelope, IntegrationEvent
from shared.kernel.clock import PlatformClock
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound
from shared.kernel.publisher import ConfirmedPublisher, Outgoing
from shared.kernel.store import Cause
from shared.kernel.tokens import development_signing_keys, issue_access_token
from shared.kernel.topology import events_exchange, work_queue_name
from tests.support.memory import in_memory
from tests.support.processes import Platform

CAUSE = Cause("test")


# -- in one process ------------------------------------------------------------------------
def memory_app(clock: PlatformClock | None = None, **collaborators: Any) -> TenancyApplication:
    return in_memory(TenancyApplication, "tenancy", clock=clock, **collaborators)


def deliver(app: TenancyApplication, event: IntegrationEvent, event_id: uuid.UUID | None = None) -> None:
    envelope = Envelope(event_id=event_id or uuid.uuid4(), type=event.type, version=1, occurred_at=datetime.now(UTC),
                        producer=event.producer, producer_position=1, correlation_id="t",
                        payload=event.model_dump(mode="json"))
    policies.handle(app, app.directory, app.subscription, Inbound(envelope, event, attempt=1))


def register(app: TenancyApplication, i: int) -> uuid.UUID:
    """A user registered in identity with the number +98912<i, 7 digits>."""
    user_id = uuid.uuid4()
    deliver(app, identity.UserRegisteredV1(user_id=user_id, mobile=f"+98912{i:07d}"))
    return user_id


def payment(tenant: uuid.UUID, payer: uuid.UUID, kind: str = "new", start: datetime | None = None,
            days: int = 365, **extra: Any) -> billing.PaymentSucceededV1:
    start = start or datetime.now(UTC) - timedelta(days=1)
    values: dict[str, Any] = dict(
        payment_id=uuid.uuid4(), order_id=uuid.uuid4(), invoice_id=uuid.uuid4(), tenant_id=tenant,
        payer_user_id=payer, kind=kind, business_name="فروشگاه آفتاب", business_type="trading",
        products=("accounting",), period_start=start, period_end=start + timedelta(days=days),
        amount_rials=10_000_000, vat_rials=900_000, gateway="zarinpal", gateway_reference="R1")
    values.update(extra)
    return billing.PaymentSucceededV1(**values)


def published(app: TenancyApplication) -> list[IntegrationEvent]:
    """What the relay would publish: every stored event, through tenancy's translations."""
    out = []
    for notification in app.recorder.select_notifications(start=1, limit=10_000):
        integration = translate(app.mapper.to_domain_event(notification))
        if integration is not None:
            out.append(integration)
    return out



# -- across processes ----------------------------------------------------------------------


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


class Client:
    """The gateway as a test calls it: tokens signed with the development key for any user id."""

    def __init__(self, url: str, platform: Platform) -> None:
        self.url = url
        self.private_key = development_signing_keys(platform.settings.var_dir / "keys")[0]

    def token(self, user_id: str, roles: tuple[str, ...] = ("customer",)) -> dict[str, str]:
        # Valid for longer than the test moves the platform clock (the gateway dates tokens by it).
        token = issue_access_token(self.private_key, user_id, list(roles), datetime.now(UTC), ttl=timedelta(days=400))
        return {"Authorization": f"Bearer {token}"}

    def ask(self, method: str, path: str, user_id: str | None = None, body: Any = None,
            roles: tuple[str, ...] = ("customer",)) -> requests.Response:
        headers = self.token(user_id, roles) if user_id else {}
        return requests.request(method, f"{self.url}{path}", json=body, headers=headers, timeout=30)

    def sign_up(self, mobile: str) -> str:
        answer = self.ask("POST", "/identity/registrations", body={"mobile": mobile, "password": "Str0ng!pass"})
        assert answer.status_code == 202, answer.text
        return str(answer.json()["user_id"])
