"""Notifications' aggregate: the messages addressed to one mobile number (NO-1). Number and
text are personal data, sealed under the recipient's subject key.

A message's life: queued → sent (the provider accepted it) → delivered or failed (its
delivery report, or our giving up on one). Failed also straight from queued: refused by the
provider, rate-limited, or still undeliverable after the retries."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from eventsourcing.domain import Aggregate, event

from services.notifications.delivery import DeliveryReport
from shared.kernel.subject_keys import Personal

# Against SMS pumping: at most this many messages to one number in an hour.
MESSAGES_PER_NUMBER_PER_HOUR = 10


@dataclass(frozen=True)
class Message:
    message_id: uuid.UUID
    template: str
    text: Personal
    queued_at: datetime
    status: str = "queued"  # queued | sent | delivered | failed
    provider_message_id: str | None = None
    failure: str | None = None
    sent_at: datetime | None = None
    settled_at: datetime | None = None  # when it was found delivered or failed


class Recipient(Aggregate):
    @event("Created")
    def __init__(self, recipient_id: uuid.UUID, mobile: Personal) -> None:
        self.mobile = mobile
        self.messages: list[Message] = []

    @staticmethod
    def create_id(recipient_id: uuid.UUID) -> uuid.UUID:
        return recipient_id

    def is_rate_limited(self, now: datetime) -> bool:
        recent = [m for m in self.messages if now - m.queued_at < timedelta(hours=1) and m.status != "failed"]
        return len(recent) >= MESSAGES_PER_NUMBER_PER_HOUR

    def message(self, message_id: uuid.UUID) -> Message | None:
        return next((m for m in self.messages if m.message_id == message_id), None)

    @event("MessageQueued")
    def queue_message(self, message_id: uuid.UUID, template: str, text: Personal, queued_at: datetime) -> None:
        self.messages.append(Message(message_id, template, text, queued_at))

    def mark_sent(self, message_id: uuid.UUID, provider_message_id: str, sent_at: datetime) -> None:
        """The provider took the message; whether it reached the phone is for its report to say."""
        self._sent(message_id=message_id, template=self._message(message_id).template,
                   provider_message_id=provider_message_id, sent_at=sent_at)

    @event("MessageSent")
    def _sent(self, message_id: uuid.UUID, template: str, provider_message_id: str, sent_at: datetime) -> None:
        self._update(message_id, lambda m: replace(m, status="sent", provider_message_id=provider_message_id,
                                                  sent_at=sent_at))

    def follow_up(self, message_id: uuid.UUID, report: DeliveryReport, now: datetime, give_up_after: timedelta) -> bool:
        """Apply a delivery report to a sent message; True once the message waits for none.

        Only a message still "sent" changes, so a report seen twice (two replicas asking, a
        retry after a conflict) records one outcome. A message not here (its sending was not
        recorded, or not yet) is not ours to settle: the caller decides how long to keep asking."""
        message = self.message(message_id)
        if message is None:
            return False
        if message.status != "sent":
            return True
        if report.final and report.delivered:
            self._delivered(message_id=message_id, template=message.template,
                            provider_message_id=message.provider_message_id or "", at=now)
        elif report.final:
            self.mark_failed(message_id, report.reason or "failed", at=now)
        elif message.sent_at is not None and now - message.sent_at >= give_up_after:
            self.mark_failed(message_id, f"no delivery report within {_hours(give_up_after)} of sending", at=now)
        else:
            return False
        return True

    @event("MessageDelivered")
    def _delivered(self, message_id: uuid.UUID, template: str, provider_message_id: str,
                   at: datetime | None = None) -> None:
        # Before delivery reports were followed (issue #14) this event was recorded at sending
        # and carried no time; such messages read as delivered, as they always did.
        self._update(message_id, lambda m: replace(m, status="delivered", provider_message_id=provider_message_id,
                                                  settled_at=at))

    def mark_failed(self, message_id: uuid.UUID, reason: str, at: datetime | None = None) -> None:
        self._failed(message_id=message_id, template=self._message(message_id).template, reason=reason[:500], at=at)

    @event("MessageFailed")
    def _failed(self, message_id: uuid.UUID, template: str, reason: str, at: datetime | None = None) -> None:
        self._update(message_id, lambda m: replace(m, status="failed", failure=reason, settled_at=at))

    def _message(self, message_id: uuid.UUID) -> Message:
        return next(m for m in self.messages if m.message_id == message_id)

    def _update(self, message_id: uuid.UUID, change: Callable[[Message], Message]) -> None:
        self.messages = [change(m) if m.message_id == message_id else m for m in self.messages]


def _hours(wait: timedelta) -> str:
    hours = wait.total_seconds() / 3600
    return f"{hours:g} hours" if hours != 1 else "1 hour"


class Contact(Aggregate):
    """How to reach one user: their mobile and language, learned from identity's
    UserRegistered. Other services' events name a user; this turns the name into a number."""

    @event("Learned")
    def __init__(self, user_id: uuid.UUID, mobile: Personal, locale: str) -> None:
        self.mobile = mobile
        self.locale = locale

    @staticmethod
    def create_id(user_id: uuid.UUID) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"contact:{user_id}")


class DeletedBusiness(Aggregate):
    """A business archival purged (AR-1), and when. A notice about it from before that moment,
    arriving late (a deletion reminder delayed by an outage), is not sent: it would be wrong
    news, and its text would name the business again under a new key."""

    @event("Recorded")
    def __init__(self, tenant_id: uuid.UUID, purged_at: datetime) -> None:
        self.purged_at = purged_at

    @staticmethod
    def create_id(tenant_id: uuid.UUID) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"deleted-business:{tenant_id}")

    def outdates(self, occurred_at: datetime) -> bool:
        return occurred_at < self.purged_at

    def purged_again(self, purged_at: datetime) -> None:
        """Restored (AR-3) and deleted once more."""
        if purged_at > self.purged_at:
            self._purged_again(purged_at=purged_at)

    @event("PurgedAgain")
    def _purged_again(self, purged_at: datetime) -> None:
        self.purged_at = purged_at
