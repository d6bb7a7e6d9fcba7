"""Notifications built in memory, with a fake SMS provider, and the events its tests deliver."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from services.notifications import policies
from services.notifications.application import NotificationsApplication
from services.notifications.delivery import DeliveryReport, Receipt
from shared.events.archival import TenantDataPurgedV1
from shared.events.base import Envelope, IntegrationEvent
from shared.events.tenancy import TenantLapsedV1
from shared.kernel.clock import PlatformClock
from shared.kernel.inbox import Inbound
from tests.support.memory import in_memory


class FakeSms:
    """The SMS provider (outside our boundary), as notifications' SmsSender: records what it
    was given, answers with what a test sets (`refuse_with`), reports what a test sets
    (`reports`; delivered for every message by default)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []  # receptor, text (or template:token), message id
        self.refuse_with: list[Exception] = []  # raised by the next sends, one each
        self.reports: dict[str, DeliveryReport] | None = None
        self.report_failure: Exception | None = None
        self.asked: list[list[str]] = []

    def send(self, receptor: str, message: str, message_id: str) -> Receipt:
        if self.refuse_with:
            raise self.refuse_with.pop(0)
        self.sent.append((receptor, message, message_id))
        return Receipt(f"p{len(self.sent)}", "queued")

    def lookup(self, receptor: str, template: str, token: str, message_id: str) -> Receipt:
        return self.send(receptor, f"{template}:{token}", message_id)

    def delivery_reports(self, provider_message_ids: Iterable[str]) -> dict[str, DeliveryReport]:
        wanted = list(provider_message_ids)
        self.asked.append(wanted)
        if self.report_failure is not None:
            raise self.report_failure
        if self.reports is not None:
            return {each: self.reports[each] for each in wanted if each in self.reports}
        return {each: DeliveryReport.arrived() for each in wanted}


def notifications_in_memory(sms: FakeSms | None = None, clock: PlatformClock | None = None,
                            private_key: str | None = None, **options: Any) -> NotificationsApplication:
    private_key = private_key or development_keypair_for_tests()[0]
    return in_memory(NotificationsApplication, "notifications", clock=clock, sealing_private_key=private_key,
                     sms=sms or FakeSms(), **options)


def development_keypair_for_tests() -> tuple[str, str]:
    """A sealing key pair (private, public; base64) made in memory: identity seals codes with
    the public key, notifications opens them with the private one."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode(), base64.b64encode(public).decode()


def envelope_at(event: IntegrationEvent, occurred_at: datetime | None = None) -> Envelope:
    return Envelope(event_id=uuid.uuid4(), type=event.type, version=1, occurred_at=occurred_at or datetime.now(UTC),
                    producer=event.producer, producer_position=1, correlation_id="corr",
                    payload=event.model_dump(mode="json"))


def deliver(app: NotificationsApplication, event: IntegrationEvent, *, last_attempt: bool = False,
            envelope: Envelope | None = None) -> Envelope:
    envelope = envelope or envelope_at(event)
    policies.handle(app, app, Inbound(envelope, event, attempt=1, last_attempt=last_attempt))
    return envelope


def lapsed(user_id: uuid.UUID) -> TenantLapsedV1:
    return TenantLapsedV1(tenant_id=uuid.uuid4(), business_name="فروشگاه نمونه", admin_user_id=user_id,
                          lapsed_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))


def purge_of(lapse: TenantLapsedV1) -> TenantDataPurgedV1:
    return TenantDataPurgedV1.model_validate({
        "tenant_id": str(lapse.tenant_id), "lapsed_at": lapse.lapsed_at.isoformat(),
        "purged_at": datetime(2027, 3, 1, tzinfo=UTC).isoformat(),
        "datasets": [{"kind": "personal_data_keys", "records": 1}], "backups_retained_until": None})
