"""Notifications' use cases: turn events into SMS sent through the provider adapter, remember
whom to tell, forget a purged business, and list what a number was sent. Following each
sent SMS until the provider reports on it is its own group (following.py), composed here.

Sending happens inside the inbox handler, before the handler's events are saved: a crash in
between redelivers the event and sends again with the same message id, whose `localid` the
provider does not send a second time. A provider outage raises, so the inbox retries with
back-off; on the last attempt the failure is recorded instead (MessageFailed). Running out
of credit (Kavenegar's 418) is retried the same way, and every time is an operator alarm."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from services.notifications import templates
from services.notifications.delivery import ProviderOutOfCredit, ProviderRejected, ProviderUnavailable, SmsSender
from services.notifications.domain import Contact, DeletedBusiness, Recipient
from services.notifications.following import DEFAULT_GIVE_UP_AFTER, DeliveryFollowing
from services.notifications.notices import Notice, notices_for
from services.notifications.pending import Awaited, PendingDeliveries
from services.notifications.records import Records
from services.notifications.templates import SupportLine
from shared.events.archival import TenantDataPurgedV1
from shared.events.base import IntegrationEvent
from shared.events.identity import UserRegisteredV1, VerificationCodeIssuedV1
from shared.events.tenancy import MemberInvitedV1
from shared.kernel.clock import PlatformClock
from shared.kernel.config import Settings
from shared.kernel.i18n import jalali_datetime
from shared.kernel.logging import get_logger
from shared.kernel.mobile import normalize_mobile
from shared.kernel.sealing import unseal
from shared.kernel.store import Cause, ServiceApplication, check_written_once
from shared.kernel.subject_keys import Personal, SubjectKeys, business_subject

# Kavenegar template names (approved in its panel) for each purpose of a verification code.
DEFAULT_CODE_TEMPLATES = {"signup": "signup-code", "password_reset": "password-reset-code"}


@dataclass(frozen=True)
class CodeLookup:
    """A verification code goes by the provider's template (its text approved in advance), not
    as free text: the template's name and the code as its token."""

    template: str
    token: str


class NotificationsApplication(ServiceApplication):
    name = "notifications"
    # Every send and every report writes to a shard of the index: snapshots keep them quick to load.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {PendingDeliveries: 100}
    # A contact is read for every notice to a user; it never changes once learned.
    written_once = check_written_once(Contact)

    def __init__(self, settings: Settings, *, sealing_private_key: str, sms: SmsSender,
                 code_templates: dict[str, str] | None = None, support: SupportLine | None = None,
                 give_up_after: timedelta = DEFAULT_GIVE_UP_AFTER, keys: SubjectKeys | None = None,
                 clock: PlatformClock | None = None, env: dict[str, str] | None = None,
                 portal_url: str = "http://127.0.0.1:8000") -> None:
        self.sealing_private_key = sealing_private_key
        self.portal_url = portal_url
        self.sms = sms
        self.code_templates = DEFAULT_CODE_TEMPLATES | (code_templates or {})
        self.support = support or SupportLine()
        super().__init__(settings, keys=keys, clock=clock, env=env)
        self.records = Records(self)
        self.deliveries = DeliveryFollowing(self, self.records, sms, give_up_after)

    def send_verification_code(self, event: VerificationCodeIssuedV1, cause: Cause, last_attempt: bool) -> None:
        code = unseal(self.sealing_private_key, event.sealed_code)
        # What the person reads (the provider's template says the same); kept for the outbox listing.
        text = templates.verification_code(code, event.purpose, event.expires_at, event.locale)
        lookup = CodeLookup(self.code_templates[event.purpose], templates.latin_digits(code))
        self._send_sms(event.mobile, f"verification_code.{event.purpose}", text, cause, last_attempt, lookup)

    def send_invitation(self, event: MemberInvitedV1, occurred_at: datetime, cause: Cause,
                        last_attempt: bool) -> None:
        """To the invited number itself: its owner may have no account (no contact) yet."""
        if self._deleted_since(event.tenant_id, occurred_at):
            self.save_caused(cause=cause)
            return
        self._send_sms(event.mobile, "tenancy.member_invited", templates.invitation(event, self.portal_url), cause,
                       last_attempt, text_subject=business_subject(event.tenant_id))

    def remember_contact(self, event: UserRegisteredV1, cause: Cause) -> None:
        if self.records.contact(event.user_id) is not None:
            self.save_caused(cause=cause)  # known already (a second sign-up event): only mark it handled
            return
        contact = Contact(user_id=event.user_id, mobile=Personal(f"user:{event.user_id}", event.mobile),
                          locale=event.locale)
        self.save_caused(contact, cause=cause)

    def send_notices(self, event: IntegrationEvent, occurred_at: datetime, cause: Cause, last_attempt: bool) -> None:
        """Every notice the event produces (services/notifications/notices/), one SMS each."""
        notices = notices_for(event, self.support)
        tenant_id = getattr(event, "tenant_id", None)
        # Only an event that tells someone something costs the look-up of a deletion.
        if notices and tenant_id is not None and self._deleted_since(tenant_id, occurred_at):
            get_logger().info("notifications.business_deleted_since", tenant_id=str(tenant_id), type=event.type)
            notices = []
        addressed: list[tuple[int, Notice, Contact]] = []
        for index, notice in enumerate(notices):
            contact = self.records.contact(notice.user_id)
            if contact is not None:
                addressed.append((index, notice, contact))
                continue
            # The user's UserRegistered has not arrived yet (events from two producers are
            # not ordered): retry; on the last attempt say so in the log and go on.
            if not last_attempt:
                raise LookupError(f"no contact for user {notice.user_id} yet")
            get_logger().warning("notifications.unknown_user", user_id=str(notice.user_id),
                                 template=notice.template)
        # A text about a business names it: sealed under the business's key, which archival's purge
        # destroys (AR-1); any other text under its recipient's.
        text_subject = business_subject(tenant_id) if tenant_id is not None else None
        recipients: dict[str, Recipient] = {}  # one aggregate per number, however many notices it gets
        awaiting: list[Awaited] = []
        with self.records.numbers_held(contact.mobile.reveal() for _, _, contact in addressed):
            for index, notice, contact in addressed:
                e164 = contact.mobile.reveal()
                recipients[e164] = self._deliver(e164, notice.template, notice.text(contact.locale), cause,
                                                 last_attempt, message_key=f"{cause.causation_id}:sms:{index}",
                                                 awaiting=awaiting, recipient=recipients.get(e164),
                                                 text_subject=text_subject)
            with self.deliveries.watching(awaiting) as shards:
                self.save_caused(*recipients.values(), *shards, cause=cause)

    def _send_sms(self, e164: str, template: str, text: str, cause: Cause, last_attempt: bool,
                  lookup: CodeLookup | None = None, text_subject: str | None = None) -> None:
        awaiting: list[Awaited] = []
        with self.records.numbers_held([e164]):
            recipient = self._deliver(e164, template, text, cause, last_attempt,
                                      message_key=f"{cause.causation_id}:sms", awaiting=awaiting, lookup=lookup,
                                      text_subject=text_subject)
            with self.deliveries.watching(awaiting) as shards:
                self.save_caused(recipient, *shards, cause=cause)

    def _deliver(self, e164: str, template: str, text: str, cause: Cause, last_attempt: bool, message_key: str,
                 awaiting: list[Awaited], recipient: Recipient | None = None, text_subject: str | None = None,
                 lookup: CodeLookup | None = None) -> Recipient:
        recipient = recipient or self.records.recipient(e164)
        message_id = uuid.uuid5(uuid.NAMESPACE_URL, message_key)
        now = self.clock.now()
        limited = recipient.is_rate_limited(now)
        recipient.queue_message(message_id=message_id, template=template,
                                text=Personal(text_subject or f"recipient:{recipient.id}", text), queued_at=now)
        if limited:
            recipient.mark_failed(message_id, "rate_limited: too many messages to this number in an hour", at=now)
            return recipient
        try:
            if lookup is not None:
                receipt = self.sms.lookup(e164, lookup.template, lookup.token, str(message_id))
            else:
                receipt = self.sms.send(e164, text, str(message_id))
        except ProviderRejected as rejected:
            recipient.mark_failed(message_id, str(rejected), at=now)
        except ProviderOutOfCredit as no_credit:
            # Operators must top the account up: say so loudly on every attempt, not only the last.
            get_logger().error("notifications.sms_credit_exhausted", message_id=str(message_id), template=template,
                               last_attempt=last_attempt, reason=str(no_credit))
            if not last_attempt:
                raise  # the inbox retries after a back-off: credit topped up meanwhile sends it
            recipient.mark_failed(message_id, str(no_credit), at=now)
        except ProviderUnavailable as outage:
            if not last_attempt:
                raise  # the inbox retries after a back-off; other messages flow meanwhile
            recipient.mark_failed(message_id, f"provider unavailable: {outage}", at=now)
        else:
            recipient.mark_sent(message_id, receipt.provider_message_id, now)
            awaiting.append(Awaited(message_id, recipient.id, receipt.provider_message_id, now,
                                    cause.correlation_id, cause.causation_id))
        return recipient

    def forget_business(self, purged: TenantDataPurgedV1, cause: Cause) -> None:
        """AR-1: every text sent about the business becomes unreadable with its data; the record
        that a message went to the number, and when, stays."""
        # The key goes first: a crash after the save would leave it for good (the redelivery is skipped).
        self.keys.forget(business_subject(purged.tenant_id))
        deleted = self.records.deleted_business(purged.tenant_id)
        if deleted is None:
            deleted = DeletedBusiness(tenant_id=purged.tenant_id, purged_at=purged.purged_at)
        else:
            deleted.purged_again(purged.purged_at)
        self.save_caused(deleted, cause=cause)

    def _deleted_since(self, tenant_id: uuid.UUID, occurred_at: datetime) -> bool:
        deleted = self.records.deleted_business(tenant_id)
        return deleted is not None and deleted.outdates(occurred_at)

    def messages_to(self, mobile: object) -> list[dict[str, Any]]:
        e164 = normalize_mobile(mobile)
        recipient = self.records.existing(self.records.recipient_id(e164))
        if recipient is None:
            return []
        return [{
            "message_id": str(m.message_id), "to": e164, "template": m.template, "text": m.text.reveal(),
            "status": m.status, "provider_message_id": m.provider_message_id, "failure": m.failure,
            "queued_at": m.queued_at.isoformat(), "queued_at_jalali": jalali_datetime(m.queued_at),
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "settled_at": m.settled_at.isoformat() if m.settled_at else None,
        } for m in reversed(recipient.messages)]
