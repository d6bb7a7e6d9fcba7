"""Notifications' use cases: turn events into messages, and list what a number was sent.

In this slice a queued message is what the development SMS provider shows; sending through
the provider adapter, delivery events and rate limits follow in the identity issue."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.notifications import templates
from services.notifications.domain import Recipient
from shared.events.identity import VerificationCodeIssuedV1
from shared.kernel.i18n import jalali_datetime
from shared.kernel.mobile import normalize_mobile
from shared.kernel.sealing import unseal
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_ids import stable_id
from shared.kernel.subject_keys import Personal


class NotificationsApplication(ServiceApplication):
    name = "notifications"  # type: ignore[misc]

    def __init__(self, *args: Any, sealing_private_key: str, **kwargs: Any) -> None:
        self.sealing_private_key = sealing_private_key
        super().__init__(*args, **kwargs)

    def _recipient(self, e164: str) -> Recipient:
        recipient_id = stable_id("recipient", e164, self.settings.subject_key_secret)
        try:
            recipient: Recipient = self.repository.get(recipient_id)
        except AggregateNotFoundError:
            recipient = Recipient(recipient_id=recipient_id, mobile=Personal(f"recipient:{recipient_id}", e164))
        return recipient

    def send_verification_code(self, event: VerificationCodeIssuedV1, cause: Cause) -> None:
        code = unseal(self.sealing_private_key, event.sealed_code)
        recipient = self._recipient(event.mobile)
        text = templates.verification_code(code, event.purpose, event.expires_at, event.locale)
        recipient.queue_message(
            message_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{cause.causation_id}:sms"),
            template=f"verification_code.{event.purpose}",
            text=Personal(f"recipient:{recipient.id}", text), queued_at=self.clock.now())
        self.save_caused(recipient, cause=cause)

    def messages_to(self, mobile: object) -> list[dict[str, Any]]:
        e164 = normalize_mobile(mobile)
        recipient_id = stable_id("recipient", e164, self.settings.subject_key_secret)
        try:
            recipient: Recipient = self.repository.get(recipient_id)
        except AggregateNotFoundError:
            return []
        return [{
            "message_id": str(m.message_id), "to": e164, "template": m.template, "text": m.text.reveal(),
            "queued_at": m.queued_at.isoformat(), "queued_at_jalali": jalali_datetime(m.queued_at),
        } for m in reversed(recipient.messages)]
