"""A message's life on its Recipient (domain only): queued → sent → delivered or failed by its
delivery report, or failed when no report comes in time; one outcome however often the
follow-up looks. And the index of messages waiting for a report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.notifications.delivery import DeliveryReport
from services.notifications.domain import MESSAGES_PER_NUMBER_PER_HOUR, Contact, DeletedBusiness, Recipient
from services.notifications.pending import Awaited, PendingDeliveries, shard_of
from shared.kernel.subject_keys import Personal

SENT_AT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
WAIT = timedelta(hours=24)


def sent_message() -> tuple[Recipient, uuid.UUID]:
    recipient_id = uuid.uuid4()
    recipient = Recipient(recipient_id=recipient_id, mobile=Personal(f"recipient:{recipient_id}", "+989121234567"))
    message_id = uuid.uuid4()
    recipient.queue_message(message_id=message_id, template="tenancy.tenant_lapsed",
                            text=Personal(f"recipient:{recipient_id}", "متن"), queued_at=SENT_AT)
    recipient.mark_sent(message_id, "1000042", SENT_AT)
    recipient.collect_events()
    return recipient, message_id


def events_of(recipient: Recipient) -> list[str]:
    return [type(e).__name__ for e in recipient.collect_events()]


def test_accepted_by_the_provider_is_sent_not_delivered() -> None:
    recipient, message_id = sent_message()
    message = recipient.message(message_id)
    assert message is not None
    assert (message.status, message.provider_message_id, message.sent_at) == ("sent", "1000042", SENT_AT)


def test_a_pending_report_changes_nothing_until_the_wait_is_over() -> None:
    recipient, message_id = sent_message()
    assert not recipient.follow_up(message_id, DeliveryReport.pending(), SENT_AT + timedelta(hours=23), WAIT)
    assert events_of(recipient) == [] and recipient.messages[0].status == "sent"


def test_delivered_once_however_often_the_report_is_seen() -> None:
    recipient, message_id = sent_message()
    at = SENT_AT + timedelta(minutes=1)
    assert recipient.follow_up(message_id, DeliveryReport.arrived(), at, WAIT)
    assert events_of(recipient) == ["MessageDelivered"]
    assert recipient.follow_up(message_id, DeliveryReport.arrived(), at, WAIT)  # another replica, a retry
    assert recipient.follow_up(message_id, DeliveryReport.failed("late news"), at, WAIT)
    assert events_of(recipient) == []
    message = recipient.messages[0]
    assert (message.status, message.settled_at, message.failure) == ("delivered", at, None)


def test_an_undelivered_report_is_a_failure_with_its_reason() -> None:
    recipient, message_id = sent_message()
    reason = "undelivered: phone off or out of reach (status 11)"
    assert recipient.follow_up(message_id, DeliveryReport.failed(reason), SENT_AT + timedelta(minutes=5), WAIT)
    (failed,) = recipient.collect_events()
    assert type(failed).__name__ == "MessageFailed" and failed.reason == reason  # type: ignore[attr-defined]
    assert failed.template == "tenancy.tenant_lapsed"  # type: ignore[attr-defined]
    assert (recipient.messages[0].status, recipient.messages[0].failure) == ("failed", reason)


def test_no_report_in_time_is_a_failure() -> None:
    recipient, message_id = sent_message()
    assert recipient.follow_up(message_id, DeliveryReport.pending(), SENT_AT + WAIT, WAIT)
    assert events_of(recipient) == ["MessageFailed"]
    assert recipient.messages[0].failure == "no delivery report within 24 hours of sending"


def test_a_message_this_recipient_never_recorded_is_not_settled_here() -> None:
    recipient, _ = sent_message()
    assert not recipient.follow_up(uuid.uuid4(), DeliveryReport.arrived(), SENT_AT, WAIT)
    assert events_of(recipient) == []


def test_the_index_watches_a_message_once_and_forgets_it_once() -> None:
    message_id, recipient_id = uuid.uuid4(), uuid.uuid4()
    index = PendingDeliveries(shard_of(message_id))
    sent = Awaited(message_id, recipient_id, "1000042", SENT_AT, "req-42", "event-7")
    index.watch(sent)
    index.watch(sent)  # the handler ran again
    assert index.awaited() == [sent]  # the sending's correlation travels to its outcome
    index.settle(message_id)
    index.settle(message_id)
    assert index.awaited() == []
    assert [type(e).__name__ for e in index.collect_events()] == ["Started", "Watched", "Settled"]


def test_a_report_changes_only_a_message_that_was_sent() -> None:
    recipient, _ = sent_message()
    queued = uuid.uuid4()
    recipient.queue_message(message_id=queued, template="t", text=Personal("s", "x"), queued_at=SENT_AT)
    recipient.collect_events()
    assert recipient.follow_up(queued, DeliveryReport.arrived(), SENT_AT, WAIT)  # nothing of it to wait for
    assert events_of(recipient) == [] and recipient.messages[1].status == "queued"


def test_a_failure_keeps_its_reason_short_and_its_template() -> None:
    recipient, message_id = sent_message()
    recipient.mark_failed(message_id, "x" * 800, at=SENT_AT)
    (failed,) = recipient.collect_events()
    assert len(failed.reason) == 500 and failed.template == "tenancy.tenant_lapsed"  # type: ignore[attr-defined]
    assert recipient.messages[0].failure == "x" * 500


def test_the_wait_is_told_in_hours() -> None:
    recipient, message_id = sent_message()
    assert recipient.follow_up(message_id, DeliveryReport.pending(), SENT_AT + timedelta(hours=1), timedelta(hours=1))
    assert recipient.messages[0].failure == "no delivery report within 1 hour of sending"
    other, sent = sent_message()
    assert other.follow_up(sent, DeliveryReport.pending(), SENT_AT + timedelta(hours=2), timedelta(minutes=90))
    assert other.messages[0].failure == "no delivery report within 1.5 hours of sending"


def test_a_number_is_rate_limited_by_the_messages_of_the_last_hour_that_did_not_fail() -> None:
    recipient, _ = sent_message()
    for _ in range(MESSAGES_PER_NUMBER_PER_HOUR - 1):
        recipient.queue_message(message_id=uuid.uuid4(), template="t", text=Personal("s", "x"), queued_at=SENT_AT)
    assert recipient.is_rate_limited(SENT_AT + timedelta(minutes=59))
    assert not recipient.is_rate_limited(SENT_AT + timedelta(hours=1))  # an hour later the window is empty
    recipient.mark_failed(recipient.messages[-1].message_id, "refused", at=SENT_AT)
    assert not recipient.is_rate_limited(SENT_AT + timedelta(minutes=59))  # failed ones do not count


def test_each_message_is_found_by_its_id_and_the_rest_stay_unchanged() -> None:
    recipient, first = sent_message()
    second = uuid.uuid4()
    recipient.queue_message(message_id=second, template="t2", text=Personal("s", "y"), queued_at=SENT_AT)
    recipient.mark_sent(second, "2000", SENT_AT)
    recipient.follow_up(second, DeliveryReport.arrived(), SENT_AT, WAIT)
    assert [m.status for m in recipient.messages] == ["sent", "delivered"]
    assert recipient.message(first) is recipient.messages[0] and recipient.message(uuid.uuid4()) is None


def test_a_contact_is_found_by_its_user() -> None:
    user = uuid.uuid4()
    contact = Contact(user_id=user, mobile=Personal(f"user:{user}", "+989121234567"), locale="en")
    assert contact.id == Contact.create_id(user) != Contact.create_id(uuid.uuid4())
    assert (contact.mobile.reveal(), contact.locale) == ("+989121234567", "en")


def test_a_deleted_business_outdates_what_happened_before_its_purge() -> None:
    tenant = uuid.uuid4()
    deleted = DeletedBusiness(tenant_id=tenant, purged_at=SENT_AT)
    assert deleted.id == DeletedBusiness.create_id(tenant)
    assert deleted.outdates(SENT_AT - timedelta(seconds=1)) and not deleted.outdates(SENT_AT)


def test_a_business_purged_again_moves_its_moment_only_forward() -> None:
    deleted = DeletedBusiness(tenant_id=uuid.uuid4(), purged_at=SENT_AT)
    deleted.collect_events()
    deleted.purged_again(SENT_AT)  # the same purge again
    deleted.purged_again(SENT_AT - timedelta(days=1))
    assert deleted.collect_events() == [] and deleted.purged_at == SENT_AT
    later = SENT_AT + timedelta(days=200)
    deleted.purged_again(later)  # restored, then deleted once more
    assert [type(e).__name__ for e in deleted.collect_events()] == ["PurgedAgain"] and deleted.purged_at == later
