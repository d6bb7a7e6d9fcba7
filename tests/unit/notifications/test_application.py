"""Notifications' use cases in memory, with a fake provider: a notice reaches the user's
number in their language once; a code goes by the provider's template; what the provider
answers (refused, later, no credit) decides between recording a failure and a retry; the
follow-up records each delivery report once; a purged business is forgotten."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from services.notifications.application import NotificationsApplication
from services.notifications.delivery import DeliveryReport, ProviderOutOfCredit, ProviderRejected, ProviderUnavailable
from services.notifications.domain import MESSAGES_PER_NUMBER_PER_HOUR
from services.notifications.pending import SHARDS, Awaited, PendingDeliveries, shard_of
from shared.events.identity import UserRegisteredV1, VerificationCodeIssuedV1
from shared.events.tenancy import MemberAddedV1
from shared.kernel.sealing import seal
from shared.kernel.store import AlreadyHandled, Cause
from tests.support.memory import counted_inserts, counted_reads
from tests.support.notifications import (
    FakeSms,
    deliver,
    development_keypair_for_tests,
    envelope_at,
    lapsed,
    notifications_in_memory,
    purge_of,
)

E164, MOBILE = "+989121234567", "09121234567"
KEYS = development_keypair_for_tests()


@pytest.fixture
def sms() -> FakeSms:
    return FakeSms()


@pytest.fixture
def app(sms: FakeSms) -> NotificationsApplication:
    return notifications_in_memory(sms, private_key=KEYS[0])


def code_issued(code: str = "042913", purpose: str = "signup") -> VerificationCodeIssuedV1:
    return VerificationCodeIssuedV1(user_id=uuid.uuid4(), mobile=E164, purpose=purpose,  # type: ignore[arg-type]
                                    sealed_code=seal(KEYS[1], code), expires_at="2026-12-05T10:00:00Z")


def known_user(app: NotificationsApplication, mobile: str = E164, locale: str = "fa") -> uuid.UUID:
    user = uuid.uuid4()
    deliver(app, UserRegisteredV1(user_id=user, mobile=mobile, locale=locale))  # type: ignore[arg-type]
    return user


def test_a_notice_reaches_the_users_number_in_their_language_once(app: NotificationsApplication, sms: FakeSms) -> None:
    persian_user, english_user = known_user(app), known_user(app, "+989351234567", "en")
    envelope = deliver(app, lapsed(persian_user))
    with pytest.raises(AlreadyHandled):
        deliver(app, lapsed(persian_user), envelope=envelope)  # a redelivery sends nothing
    deliver(app, lapsed(english_user))
    assert [receptor for receptor, *_ in sms.sent] == [E164, "+989351234567"]
    assert "فروشگاه نمونه" in sms.sent[0][1] and "۱۴۰۵/۰۹/۱۰" in sms.sent[0][1]
    assert "ended on 1405/09/10" in sms.sent[1][1]
    listed = app.messages_to(MOBILE)
    assert [m["template"] for m in listed] == ["tenancy.tenant_lapsed"] and listed[0]["status"] == "sent"
    assert app.deliveries.follow() == 2  # the provider reports both delivered
    assert app.messages_to(MOBILE)[0]["status"] == "delivered"
    assert app.deliveries.follow() == 0  # nothing waits any more


def test_a_code_goes_by_the_providers_template_once(app: NotificationsApplication, sms: FakeSms) -> None:
    event = code_issued()
    envelope = deliver(app, event)
    with pytest.raises(AlreadyHandled):
        deliver(app, event, envelope=envelope)
    (sent,) = sms.sent
    assert sent[:2] == (E164, "signup-code:042913")
    assert sent[2] == str(uuid.uuid5(uuid.NAMESPACE_URL, f"{envelope.event_id}:sms"))  # the provider's localid
    (listed,) = app.messages_to(MOBILE)
    assert listed["template"] == "verification_code.signup" and "۰۴۲۹۱۳" in listed["text"].split("\n")[0]


def test_a_configured_template_names_the_code_of_each_purpose(sms: FakeSms) -> None:
    app = notifications_in_memory(sms, private_key=KEYS[0], code_templates={"password_reset": "reset-v2"})
    deliver(app, code_issued("111222", "password_reset"))
    deliver(app, code_issued("333444", "signup"))
    assert [text for _, text, _ in sms.sent] == ["reset-v2:111222", "signup-code:333444"]


def test_a_notice_for_a_user_not_known_yet_is_retried_then_given_up_on_the_last_attempt(
        app: NotificationsApplication, sms: FakeSms) -> None:
    event = lapsed(uuid.uuid4())
    with pytest.raises(LookupError):
        deliver(app, event)
    envelope = deliver(app, event, last_attempt=True)
    assert app.has_handled(envelope.event_id) and sms.sent == []


def test_events_without_notices_are_only_marked_handled(app: NotificationsApplication, sms: FakeSms) -> None:
    user = uuid.uuid4()
    first = deliver(app, UserRegisteredV1(user_id=user, mobile=E164))
    again = deliver(app, UserRegisteredV1(user_id=user, mobile=E164))  # another event id, same user
    assert app.has_handled(first.event_id) and app.has_handled(again.event_id)
    assert sms.sent == []


def member_added(user: uuid.UUID, added_by: uuid.UUID | None) -> MemberAddedV1:
    return MemberAddedV1(tenant_id=uuid.uuid4(), business_name="فروشگاه نمونه", user_id=user, role="member",
                         permissions=["reports.view"], added_by_user_id=added_by)


def test_an_event_that_tells_nobody_is_settled_without_touching_the_store(
        app: NotificationsApplication, sms: FakeSms, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: the admin seated at activation hears of the payment instead — that MemberAdded
    costs no read and no write (nor does its duplicate); a member added by someone is told."""
    user = known_user(app)
    reads = counted_reads(app, monkeypatch)
    asked: list[uuid.UUID] = []
    monkeypatch.setattr(app, "has_handled", lambda event_id: asked.append(event_id) or False)
    seated = deliver(app, member_added(user, added_by=None))
    deliver(app, member_added(user, added_by=None), envelope=seated)  # its duplicate: nothing either
    assert (sum(reads.values()), asked, sms.sent) == (0, [], [])
    monkeypatch.undo()
    assert not app.has_handled(seated.event_id)
    invited = deliver(app, member_added(user, added_by=uuid.uuid4()))
    assert app.has_handled(invited.event_id) and len(sms.sent) == 1 and "افزوده شدید" in sms.sent[0][1]


def test_a_refusal_for_good_is_recorded_as_failed_at_once(app: NotificationsApplication, sms: FakeSms) -> None:
    sms.refuse_with.append(ProviderRejected("provider status 424: unknown template"))
    envelope = deliver(app, code_issued())  # not retried: no retry changes the answer
    (failed,) = app.messages_to(MOBILE)
    assert failed["status"] == "failed" and "status 424" in failed["failure"]
    assert app.has_handled(envelope.event_id) and app.deliveries.follow() == 0


def test_an_outage_is_retried_and_the_message_sent_once(app: NotificationsApplication, sms: FakeSms) -> None:
    sms.refuse_with.append(ProviderUnavailable("provider status 409: later"))
    event = code_issued()
    envelope = envelope_at(event)
    with pytest.raises(ProviderUnavailable):
        deliver(app, event, envelope=envelope)
    assert app.messages_to(MOBILE) == [] and not app.has_handled(envelope.event_id)  # the inbox retries
    deliver(app, event, envelope=envelope)
    assert len(sms.sent) == 1 and [m["status"] for m in app.messages_to(MOBILE)] == ["sent"]


def test_an_outage_on_the_last_attempt_is_a_failure(app: NotificationsApplication, sms: FakeSms) -> None:
    sms.refuse_with.append(ProviderUnavailable("ConnectTimeout"))
    deliver(app, code_issued(), last_attempt=True)
    (failed,) = app.messages_to(MOBILE)
    assert (failed["status"], failed["failure"]) == ("failed", "provider unavailable: ConnectTimeout")


def test_no_credit_is_retried_then_failed_on_the_last_attempt(app: NotificationsApplication, sms: FakeSms) -> None:
    sms.refuse_with.extend([ProviderOutOfCredit("no SMS credit left (status 418)")] * 2)
    event = code_issued()
    envelope = envelope_at(event)
    with pytest.raises(ProviderOutOfCredit):
        deliver(app, event, envelope=envelope)
    deliver(app, event, envelope=envelope, last_attempt=True)
    (failed,) = app.messages_to(MOBILE)
    assert failed["status"] == "failed" and "credit" in failed["failure"] and sms.sent == []


def test_an_undelivered_report_is_recorded_once_with_its_reason(app: NotificationsApplication, sms: FakeSms) -> None:
    deliver(app, code_issued())
    reason = "undelivered: phone off or out of reach (status 11)"
    sms.reports = {"p1": DeliveryReport.failed(reason)}
    assert app.deliveries.follow() == 1
    assert app.deliveries.follow() == 0 and len(sms.asked) == 1  # settled: nobody asks again
    (failed,) = app.messages_to(MOBILE)
    assert (failed["status"], failed["failure"]) == ("failed", reason) and failed["settled_at"] is not None


def test_a_pending_report_waits_and_no_report_in_time_is_a_failure(app: NotificationsApplication, sms: FakeSms) -> None:
    deliver(app, code_issued())
    sms.reports = {}
    assert app.deliveries.follow() == 0 and app.messages_to(MOBILE)[0]["status"] == "sent"
    app.clock.set_offset(25 * 3600)
    assert app.deliveries.follow() == 1
    assert app.messages_to(MOBILE)[0]["failure"] == "no delivery report within 24 hours of sending"


def test_a_silent_provider_settles_nothing_even_after_the_wait(app: NotificationsApplication, sms: FakeSms) -> None:
    deliver(app, code_issued())
    sms.report_failure = ProviderUnavailable("ReadTimeout")
    app.clock.set_offset(25 * 3600)
    assert app.deliveries.follow() == 0 and app.messages_to(MOBILE)[0]["status"] == "sent"
    sms.report_failure, sms.reports = None, {}
    assert app.deliveries.follow() == 1 and app.messages_to(MOBILE)[0]["status"] == "failed"


def test_the_wait_for_a_report_is_configurable(sms: FakeSms) -> None:
    app = notifications_in_memory(sms, private_key=KEYS[0], give_up_after=timedelta(hours=1))
    deliver(app, code_issued())
    sms.reports = {}
    app.clock.set_offset(3600)
    assert app.deliveries.follow() == 1
    assert app.messages_to(MOBILE)[0]["failure"] == "no delivery report within 1 hour of sending"


def test_a_number_gets_at_most_its_hourly_share_of_messages(app: NotificationsApplication, sms: FakeSms) -> None:
    for _ in range(MESSAGES_PER_NUMBER_PER_HOUR + 1):
        deliver(app, code_issued())
    assert len(sms.sent) == MESSAGES_PER_NUMBER_PER_HOUR
    newest = app.messages_to(MOBILE)[0]
    assert newest["status"] == "failed" and newest["failure"].startswith("rate_limited")


def test_after_the_purge_the_texts_about_the_business_are_unreadable_and_the_rest_stay(
        app: NotificationsApplication) -> None:
    user = known_user(app)
    shop, other = lapsed(user), lapsed(user).model_copy(update={"tenant_id": uuid.uuid4(), "business_name": "کارگاه"})
    deliver(app, shop)
    deliver(app, other)
    purged = purge_of(shop)
    envelope = deliver(app, purged)
    texts = sorted(m["text"] for m in app.messages_to(MOBILE))
    assert len(texts) == 2 and app.has_handled(envelope.event_id)  # that a message went, and when, stays
    assert texts[0] == "[erased]" and "کارگاه" in texts[1]  # only the purged business's text is gone
    with pytest.raises(AlreadyHandled):
        deliver(app, purged, envelope=envelope)


def test_a_notice_from_before_the_deletion_arriving_after_it_is_not_sent(
        app: NotificationsApplication, sms: FakeSms) -> None:
    user = known_user(app)
    shop = lapsed(user)
    purged = purge_of(shop)
    deliver(app, purged)
    late = deliver(app, shop, envelope=envelope_at(shop, purged.purged_at - timedelta(days=1)))
    assert app.has_handled(late.event_id) and sms.sent == []
    assert app.messages_to(MOBILE) == []  # nor was the name stored again
    # After a restore the business is news again: what happens from then on is told.
    deliver(app, shop, envelope=envelope_at(shop, purged.purged_at + timedelta(days=1)))
    assert len(sms.sent) == 1
    deliver(app, purged)  # the same purge once more (another copy): nothing changes
    again = purge_of(shop).model_copy(update={"purged_at": purged.purged_at + timedelta(days=200)})
    deliver(app, again)  # restored, then deleted a second time
    deliver(app, shop, envelope=envelope_at(shop, purged.purged_at + timedelta(days=100)))
    assert len(sms.sent) == 1


def test_an_sms_without_a_delivery_report_five_minutes_after_sending_counts_as_undelivered(
        app: NotificationsApplication, sms: FakeSms) -> None:
    deliver(app, code_issued())
    sms.reports = {}  # the provider has no report yet
    app.clock.set_offset(4 * 60)
    assert app.deliveries.follow() == 0 and app.deliveries.undelivered() == 0
    app.clock.set_offset(5 * 60)
    assert app.deliveries.undelivered() == 1
    sms.reports = None  # now it reports every message delivered
    assert app.deliveries.follow() == 1 and app.deliveries.undelivered() == 0


def test_a_delivery_report_is_recorded_from_one_read_of_its_recipient(app: NotificationsApplication,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: the Recipient read to take its number's lock is the one the report is recorded
    on (a lost race reads it again); two reads before."""
    deliver(app, code_issued())
    recipient_id = app.records.recipient_id(E164)
    reads = counted_reads(app, monkeypatch)
    assert app.deliveries.follow() == 1
    assert reads[recipient_id] == 1
    assert app.messages_to(MOBILE)[0]["status"] == "delivered"


def test_a_report_and_a_send_on_one_shard_wait_for_each_other_instead_of_conflicting(
        app: NotificationsApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: a delivery report and another number's send meet on one shard of the pending
    index: the send waits for the report's save, so neither save is thrown away (in a group commit
    a conflict would send the whole batch alone)."""
    deliver(app, code_issued())
    [sent] = [each for shard in range(SHARDS) for each in app.records.pending(shard).awaited()]
    shard = shard_of(sent.message_id)
    other = Awaited(next(m for m in iter(uuid.uuid4, None) if shard_of(m) == shard), uuid.uuid4(), "p-other",
                    app.clock.now(), "another-send")
    reads: list[str] = []
    pending = app.records.pending

    def slow_pending(of: int) -> PendingDeliveries:
        found = pending(of)
        if of == shard and threading.current_thread().name in ("report", "send"):
            reads.append(threading.current_thread().name)
            time.sleep(0.05)  # a busy worker between its read and its save
        return found

    monkeypatch.setattr(app.records, "pending", slow_pending)
    report = threading.Thread(target=app.deliveries.follow, name="report")
    def watch_other() -> None:
        with app.deliveries.watching([other]) as shards:
            app.save_caused(*shards, cause=Cause("another-send"))

    send = threading.Thread(target=watch_other, name="send")
    report.start()
    time.sleep(0.01)  # the report has read every shard and asked the provider; now the send comes
    send.start()
    report.join()
    send.join()
    assert sorted(reads) == ["report", "report", "send"]  # the report's pass and its follow-up; no retry
    assert [each.message_id for each in pending(shard).awaited()] == [other.message_id]


def test_a_sent_message_and_its_place_in_the_index_are_saved_in_one_transaction(
        app: NotificationsApplication, sms: FakeSms, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: the handler's save carries the sent message, the index entry that follows it and
    the event's tracking row (two transactions before); a save that fails leaves neither."""
    user = known_user(app)
    inserts = counted_inserts(app, monkeypatch)
    envelope = deliver(app, lapsed(user))
    assert len(inserts) == 1 and app.has_handled(envelope.event_id)
    assert [each.provider_message_id for shard in range(SHARDS) for each in app.records.pending(shard).awaited()] \
        == ["p1"]

    def refused(stored_events: Any, **kwargs: Any) -> Any:
        raise IntegrityError("another replica saved first")

    monkeypatch.setattr(app.recorder, "insert_events", refused)
    with pytest.raises(IntegrityError):
        deliver(app, lapsed(user))
    assert len([each for shard in range(SHARDS) for each in app.records.pending(shard).awaited()]) == 1
