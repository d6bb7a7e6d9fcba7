"""Notifications' use cases: turn events into SMS sent through the provider adapter, follow
each sent SMS until the provider reports on it, and list what a number was sent.

Sending happens inside the inbox handler, before the handler's events are saved: a crash in
between redelivers the event and sends again with the same message id, whose `localid` the
provider does not send a second time. A provider outage raises, so the inbox retries with
back-off; on the last attempt the failure is recorded instead (MessageFailed). Running out
of credit (Kavenegar's 418) is retried the same way, and every time is an operator alarm.

Accepted is not delivered: an accepted message is recorded as sent, and `follow_deliveries`
(the service's timer) asks the provider about every sent message until its report is final
(MessageDelivered or MessageFailed with the reason), giving up after `give_up_after` by the
platform clock. Which messages wait is kept in a small index (pending.py)."""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, OperationalError

from services.notifications import templates
from services.notifications.delivery import (
    DeliveryReport,
    ProviderOutOfCredit,
    ProviderRejected,
    ProviderUnavailable,
    Receipt,
)
from services.notifications.domain import Contact, DeletedBusiness, Recipient
from services.notifications.notices import notices_for
from services.notifications.pending import SHARDS, Awaited, PendingDeliveries, pending_id, shard_of
from services.notifications.templates import SupportLine
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

# Kavenegar template names (approved in its panel) for each purpose of a verification code.
DEFAULT_CODE_TEMPLATES = {"signup": "signup-code", "password_reset": "password-reset-code"}
# A delivery report still missing this long after sending will not come (the provider keeps
# statuses for a day or so; operators' reports for less): the message is recorded as failed.
DEFAULT_GIVE_UP_AFTER = timedelta(hours=24)
# Saves that lose a race (another replica, the inbox) run again on fresh state this often.
CONFLICT_RETRIES = 30
T = TypeVar("T")


class SmsSender(Protocol):
    def send(self, receptor: str, message: str, message_id: str) -> Receipt: ...

    def lookup(self, receptor: str, template: str, token: str, message_id: str) -> Receipt: ...

    def delivery_reports(self, provider_message_ids: Iterable[str]) -> dict[str, DeliveryReport]: ...


@dataclass(frozen=True)
class CodeLookup:
    """A verification code goes by the provider's template (its text approved in advance), not
    as free text: the template's name and the code as its token."""

    template: str
    token: str


class NotificationsApplication(ServiceApplication):
    name = "notifications"  # type: ignore[misc]
    # Every send and every report writes to a shard of the index: snapshots keep them quick to load.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {PendingDeliveries: 100}  # type: ignore[misc]

    def __init__(self, *args: Any, sealing_private_key: str, sms: SmsSender,
                 code_templates: dict[str, str] | None = None, support: SupportLine | None = None,
                 give_up_after: timedelta = DEFAULT_GIVE_UP_AFTER, **kwargs: Any) -> None:
        self.sealing_private_key = sealing_private_key
        self.sms = sms
        self.code_templates = DEFAULT_CODE_TEMPLATES | (code_templates or {})
        self.support = support or SupportLine()
        self.give_up_after = give_up_after
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
        # What the person reads (the provider's template says the same); kept for the outbox listing.
        text = templates.verification_code(code, event.purpose, event.expires_at, event.locale)
        lookup = CodeLookup(self.code_templates[event.purpose], templates.latin_digits(code))
        self._send_sms(event.mobile, f"verification_code.{event.purpose}", text, cause, last_attempt, lookup)

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
        notices = notices_for(event, self.support)
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
        awaiting: list[Awaited] = []
        with self._numbers_held(contact.mobile.reveal() for _, _, contact in addressed):
            for index, notice, contact in addressed:
                e164 = contact.mobile.reveal()
                recipients[e164] = self._deliver(e164, notice.template, notice.text(contact.locale), cause,
                                                 last_attempt, message_key=f"{cause.causation_id}:sms:{index}",
                                                 awaiting=awaiting, recipient=recipients.get(e164),
                                                 text_subject=text_subject)
            self._watch(awaiting, cause)
            self.save_caused(*recipients.values(), cause=cause)

    def _send_sms(self, e164: str, template: str, text: str, cause: Cause, last_attempt: bool,
                  lookup: CodeLookup | None = None) -> None:
        awaiting: list[Awaited] = []
        with self._numbers_held([e164]):
            recipient = self._deliver(e164, template, text, cause, last_attempt,
                                      message_key=f"{cause.causation_id}:sms", awaiting=awaiting, lookup=lookup)
            self._watch(awaiting, cause)
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
                 awaiting: list[Awaited], recipient: Recipient | None = None, text_subject: str | None = None,
                 lookup: CodeLookup | None = None) -> Recipient:
        recipient = recipient or self._recipient(e164)
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

    # -- following delivery reports -------------------------------------------------------------
    def _watch(self, awaiting: list[Awaited], cause: Cause) -> None:
        """Put sent messages in the index, before their Recipient is saved: a crash in between
        leaves an entry the follow-up drops (the Recipient never says "sent"), never a sent
        message nobody follows. Its own transaction, retried on conflict, so two handlers for
        different numbers meeting on one shard cost a retry here, not a redelivery."""
        by_shard: dict[int, list[Awaited]] = {}
        for each in awaiting:
            by_shard.setdefault(shard_of(each.message_id), []).append(each)
        untracked = Cause(correlation_id=cause.correlation_id, causation_id=cause.causation_id)
        for shard, entries in sorted(by_shard.items()):
            def attempt(shard: int = shard, entries: list[Awaited] = entries) -> None:
                pending = self._pending(shard)
                for each in entries:
                    pending.watch(each)
                self.save_caused(pending, cause=untracked)

            self._retrying(attempt)

    def follow_deliveries(self) -> int:
        """Ask the provider about every message still waiting for its delivery report and record
        each final one; give up on those waiting longer than `give_up_after`. Returns how many
        outcomes this call recorded. Safe to run in every replica at once: the Recipient records
        one outcome per message, whoever asks."""
        now = self.clock.now()
        awaited = [each for shard in range(SHARDS) for each in self._pending(shard).awaited()]
        if not awaited:
            return 0
        try:
            reports = self.sms.delivery_reports(each.provider_message_id for each in awaited)
        except (ProviderUnavailable, ProviderRejected) as trouble:
            # No answer is no report: nobody is given up on for our provider's silence.
            log = get_logger().error if isinstance(trouble, ProviderRejected) else get_logger().warning
            log("notifications.sms_status_unavailable", awaited=len(awaited), reason=str(trouble))
            return 0
        settled = 0
        for each in awaited:
            report = reports.get(each.provider_message_id, DeliveryReport.pending())
            if report.final or now - each.sent_at >= self.give_up_after:  # else nothing can change yet
                settled += self._follow_up(each, report, now)
        return settled

    def _follow_up(self, awaited: Awaited, report: DeliveryReport, now: datetime) -> int:
        cause = Cause(correlation_id=awaited.correlation_id or f"sms-report:{awaited.message_id}",
                      causation_id=awaited.causation_id)

        def attempt() -> int:
            pending, recipient = self._pending(shard_of(awaited.message_id)), self._existing(awaited.recipient_id)
            message = recipient.message(awaited.message_id) if recipient is not None else None
            if recipient is None or message is None:
                # Its sending was never recorded (the handler failed for good, or is still at
                # work): nothing to settle; the entry goes once it is older than any report.
                done, outcome = now - awaited.sent_at >= self.give_up_after, False
            else:
                waiting = message.status == "sent"
                done = recipient.follow_up(awaited.message_id, report, now, self.give_up_after)
                outcome = done and waiting  # False when another replica recorded it first
            if done:
                pending.settle(awaited.message_id)
            self.save_caused(recipient, pending, cause=cause)
            if outcome and recipient is not None:
                self._log_outcome(recipient, awaited.message_id)
            return int(outcome)

        known = self._existing(awaited.recipient_id)
        # The number's lock, as its handlers take it: a report saved meanwhile would make a
        # handler's save conflict, and its redelivery ask the provider again.
        with self._numbers_held([known.mobile.reveal()] if known is not None else []):
            return self._retrying(attempt)

    @staticmethod
    def _log_outcome(recipient: Recipient, message_id: uuid.UUID) -> None:
        message = recipient.message(message_id)
        if message is not None and message.status == "failed":
            get_logger().warning("notifications.sms_not_delivered", message_id=str(message_id),
                                 template=message.template, reason=message.failure)

    def _pending(self, shard: int) -> PendingDeliveries:
        try:
            found: PendingDeliveries = self.repository.get(pending_id(shard))
        except AggregateNotFoundError:
            found = PendingDeliveries(shard)
        return found

    def _existing(self, recipient_id: uuid.UUID) -> Recipient | None:
        try:
            found: Recipient = self.repository.get(recipient_id)
        except AggregateNotFoundError:
            return None
        return found

    def _retrying(self, change: Callable[[], T]) -> T:
        for attempt in range(CONFLICT_RETRIES):
            try:
                return change()
            except (IntegrityError, OperationalError):
                # Another save came first: run the change again on fresh state, after a short
                # random pause so the losers do not collide again in lockstep.
                time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
        return change()  # the last try's conflict goes to the caller (the inbox, the timer)

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
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "settled_at": m.settled_at.isoformat() if m.settled_at else None,
        } for m in reversed(recipient.messages)]
