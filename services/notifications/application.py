"""Notifications' use cases: turn events into SMS sent through the provider adapter, and
list what a number was sent.

Sending happens inside the inbox handler, before the handler's events are saved: a crash in
between redelivers the event and sends again with the same message id, which the provider
refuses to send twice (localid). A provider outage raises, so the inbox retries with
back-off; on the last attempt the failure is recorded instead (MessageFailed)."""

from __future__ import annotations

import contextlib
import threading
import uuid
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.application import AggregateNotFoundError

from services.notifications import templates
from services.notifications.domain import Contact, DeletedBusiness, Recipient
from services.notifications.notices import notices_for
from services.notifications.sms import ProviderRejected, ProviderUnavailable, Receipt
from shared.events.archival import TenantDataPurgedV1
from shared.events.base import IntegrationEvent
from shared.events.identity import UserRegisteredV1, VerificationCodeIssuedV1
from shared.kernel.i18n import jalali_datetime
from shared.kernel.logging import get_logger
from shared.kernel.mobile import normalize_mobile
from shared.kernel.sealing import unseal
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_ids import stable_id
from shared.kernel.subject_keys import Personal, business_subject


class SmsSender(Protocol):
    def send(self, receptor: str, message: str, local_id: str) -> Receipt: ...


class NotificationsApplication(ServiceApplication):
    name = "notifications"  # type: ignore[misc]

    def __init__(self, *args: Any, sealing_private_key: str, sms: SmsSender, **kwargs: Any) -> None:
        self.sealing_private_key = sealing_private_key
        self.sms = sms
        self._number_locks = [threading.Lock() for _ in range(64)]
        super().__init__(*args, **kwargs)

    def _recipient(self, e164: str) -> Recipient:
        recipient_id = stable_id("recipient", e164, self.settings.subject_key_secret)
        try:
            recipient: Recipient = self.repository.get(recipient_id)
        except AggregateNotFoundError:
            recipient = Recipient(recipient_id=recipient_id, mobile=Personal(f"recipient:{recipient_id}", e164))
        return recipient

    def send_verification_code(self, event: VerificationCodeIssuedV1, cause: Cause, last_attempt: bool) -> None:
        code = unseal(self.sealing_private_key, event.sealed_code)
        text = templates.verification_code(code, event.purpose, event.expires_at, event.locale)
        self._send_sms(event.mobile, f"verification_code.{event.purpose}", text, cause, last_attempt)

    def remember_contact(self, event: UserRegisteredV1, cause: Cause) -> None:
        contact_id = Contact.create_id(event.user_id)
        try:
            self.repository.get(contact_id)
            self.save_caused(cause=cause)  # known already (a second sign-up event): only mark it handled
        except AggregateNotFoundError:
            contact = Contact(user_id=event.user_id, mobile=Personal(f"user:{event.user_id}", event.mobile),
                              locale=event.locale)
            self.save_caused(contact, cause=cause)

    def send_notices(self, event: IntegrationEvent, occurred_at: datetime, cause: Cause, last_attempt: bool) -> None:
        """Every notice the event produces (services/notifications/notices/), one SMS each."""
        notices = notices_for(event)
        tenant_id = getattr(event, "tenant_id", None)
        # Only an event that tells someone something costs the look-up of a deletion.
        if notices and tenant_id is not None and self._deleted_since(tenant_id, occurred_at):
            get_logger().info("notifications.business_deleted_since", tenant_id=str(tenant_id), type=event.type)
            notices = []
        addressed: list[tuple[int, Any, Contact]] = []
        for index, notice in enumerate(notices):
            try:
                addressed.append((index, notice, self.repository.get(Contact.create_id(notice.user_id))))
            except AggregateNotFoundError:
                # The user's UserRegistered has not arrived yet (events from two producers are
                # not ordered): retry; on the last attempt say so in the log and go on.
                if not last_attempt:
                    raise LookupError(f"no contact for user {notice.user_id} yet") from None
                get_logger().warning("notifications.unknown_user", user_id=str(notice.user_id),
                                     template=notice.template)
        # A text about a business names it: sealed under the business's key, which archival's purge
        # destroys (AR-1); any other text under its recipient's.
        text_subject = business_subject(tenant_id) if tenant_id is not None else None
        recipients: dict[str, Recipient] = {}  # one aggregate per number, however many notices it gets
        with self._numbers_held(contact.mobile.reveal() for _, _, contact in addressed):
            for index, notice, contact in addressed:
                e164 = contact.mobile.reveal()
                recipients[e164] = self._deliver(e164, notice.template, notice.text(contact.locale), cause,
                                                 last_attempt, message_key=f"{cause.causation_id}:sms:{index}",
                                                 recipient=recipients.get(e164), text_subject=text_subject)
            self.save_caused(*recipients.values(), cause=cause)

    def _send_sms(self, e164: str, template: str, text: str, cause: Cause, last_attempt: bool) -> None:
        with self._numbers_held([e164]):
            recipient = self._deliver(e164, template, text, cause, last_attempt,
                                      message_key=f"{cause.causation_id}:sms")
            self.save_caused(recipient, cause=cause)

    @contextlib.contextmanager
    def _numbers_held(self, numbers: Iterable[str]) -> Iterator[None]:
        """One handler at a time per number in this process: two events for one number no longer
        race on its Recipient, where the loser's retry asked the provider again (refused by
        localid, but a wasted call). Striped locks taken in order: no unbounded dict, no deadlock."""
        stripes = sorted({zlib.crc32(n.encode()) % len(self._number_locks) for n in numbers})
        with contextlib.ExitStack() as held:
            for stripe in stripes:
                held.enter_context(self._number_locks[stripe])
            yield

    def _deliver(self, e164: str, template: str, text: str, cause: Cause, last_attempt: bool, message_key: str,
                 recipient: Recipient | None = None, text_subject: str | None = None) -> Recipient:
        recipient = recipient or self._recipient(e164)
        message_id = uuid.uuid5(uuid.NAMESPACE_URL, message_key)
        now = self.clock.now()
        limited = recipient.is_rate_limited(now)
        recipient.queue_message(message_id=message_id, template=template,
                                text=Personal(text_subject or f"recipient:{recipient.id}", text), queued_at=now)
        if limited:
            recipient.mark_failed(message_id, "rate_limited: too many messages to this number in an hour")
        else:
            try:
                receipt = self.sms.send(e164, text, str(message_id))
                recipient.mark_delivered(message_id, receipt.provider_message_id)
            except ProviderRejected as rejected:
                recipient.mark_failed(message_id, str(rejected))
            except ProviderUnavailable as outage:
                if not last_attempt:
                    raise  # the inbox retries after a back-off; other messages flow meanwhile
                recipient.mark_failed(message_id, f"provider unavailable: {outage}")
        return recipient

    def forget_business(self, purged: TenantDataPurgedV1, cause: Cause) -> None:
        """AR-1: every text sent about the business becomes unreadable with its data; the record
        that a message went to the number, and when, stays."""
        # The key goes first: a crash after the save would leave it for good (the redelivery is skipped).
        self.keys.forget(business_subject(purged.tenant_id))
        deleted = self._deleted_business(purged.tenant_id)
        if deleted is None:
            deleted = DeletedBusiness(tenant_id=purged.tenant_id, purged_at=purged.purged_at)
        else:
            deleted.purged_again(purged.purged_at)
        self.save_caused(deleted, cause=cause)

    def _deleted_business(self, tenant_id: uuid.UUID) -> DeletedBusiness | None:
        try:
            found: DeletedBusiness = self.repository.get(DeletedBusiness.create_id(tenant_id))
        except AggregateNotFoundError:
            return None
        return found

    def _deleted_since(self, tenant_id: uuid.UUID, occurred_at: datetime) -> bool:
        deleted = self._deleted_business(tenant_id)
        return deleted is not None and deleted.outdates(occurred_at)

    def messages_to(self, mobile: object) -> list[dict[str, Any]]:
        e164 = normalize_mobile(mobile)
        recipient_id = stable_id("recipient", e164, self.settings.subject_key_secret)
        try:
            recipient: Recipient = self.repository.get(recipient_id)
        except AggregateNotFoundError:
            return []
        return [{
            "message_id": str(m.message_id), "to": e164, "template": m.template, "text": m.text.reveal(),
            "status": m.status, "provider_message_id": m.provider_message_id, "failure": m.failure,
            "queued_at": m.queued_at.isoformat(), "queued_at_jalali": jalali_datetime(m.queued_at),
        } for m in reversed(recipient.messages)]
