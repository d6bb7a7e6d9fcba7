"""Notifications tells users about other services' events: the user's number and language
come from identity's UserRegistered; each notice is one SMS, sent once however often the
event arrives; an event about a user not yet known is retried, not dropped."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import eventlet
import pytest

from services.notifications import policies
from services.notifications.application import NotificationsApplication
from shared.events.archival import TenantDataPurgedV1
from shared.events.base import Envelope, IntegrationEvent
from shared.events.identity import UserRegisteredV1
from shared.events.tenancy import TenantLapsedV1
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound
from shared.kernel.store import AlreadyHandled
from tests.integration.test_event_store import notifications_app
from tests.support.processes import wait_until

SettingsFor = Callable[..., Settings]


def deliver(app: NotificationsApplication, event: IntegrationEvent, *, last_attempt: bool = False,
            envelope: Envelope | None = None) -> Envelope:
    envelope = envelope or Envelope(event_id=uuid.uuid4(), type=event.type, version=1, occurred_at=datetime.now(UTC),
                                    producer=event.producer, producer_position=1, correlation_id="corr",
                                    payload=event.model_dump(mode="json"))
    policies.handle(app, Inbound(envelope, event, attempt=1, last_attempt=last_attempt))
    return envelope


def envelope_at(event: IntegrationEvent, occurred_at: datetime) -> Envelope:
    return Envelope(event_id=uuid.uuid4(), type=event.type, version=1, occurred_at=occurred_at,
                    producer=event.producer, producer_position=1, correlation_id="corr",
                    payload=event.model_dump(mode="json"))


def lapsed(user_id: uuid.UUID) -> TenantLapsedV1:
    return TenantLapsedV1(tenant_id=uuid.uuid4(), business_name="فروشگاه نمونه", admin_user_id=user_id,
                          lapsed_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))


def purge_of(lapse: TenantLapsedV1) -> TenantDataPurgedV1:
    return TenantDataPurgedV1.model_validate({
        "tenant_id": str(lapse.tenant_id), "lapsed_at": lapse.lapsed_at.isoformat(),
        "purged_at": datetime(2027, 3, 1, tzinfo=UTC).isoformat(),
        "datasets": [{"kind": "personal_data_keys", "records": 1}], "backups_retained_until": None})


@pytest.fixture
def app(settings_for: SettingsFor) -> NotificationsApplication:
    return notifications_app(settings_for)


def test_a_notice_reaches_the_users_number_in_their_language_once(app: NotificationsApplication) -> None:
    persian_user, english_user = uuid.uuid4(), uuid.uuid4()
    deliver(app, UserRegisteredV1(user_id=persian_user, mobile="+989121234567"))
    deliver(app, UserRegisteredV1(user_id=english_user, mobile="+989351234567", locale="en"))
    envelope = deliver(app, lapsed(persian_user))
    with pytest.raises(AlreadyHandled):
        deliver(app, lapsed(persian_user), envelope=envelope)  # a redelivery sends nothing
    deliver(app, lapsed(english_user))
    sent = app.sms.sent  # type: ignore[attr-defined]
    assert [receptor for receptor, *_ in sent] == ["+989121234567", "+989351234567"]
    assert "فروشگاه نمونه" in sent[0][1] and "۱۴۰۵/۰۹/۱۰" in sent[0][1]
    assert "ended on 1405/09/10" in sent[1][1]
    listed = app.messages_to("09121234567")
    assert [m["template"] for m in listed] == ["tenancy.tenant_lapsed"] and listed[0]["status"] == "delivered"


def test_a_notice_for_a_user_not_known_yet_is_retried_then_given_up_on_the_last_attempt(
        app: NotificationsApplication) -> None:
    stranger = uuid.uuid4()
    event = lapsed(stranger)
    with pytest.raises(LookupError):
        envelope = deliver(app, event)
    envelope = Envelope(event_id=uuid.uuid4(), type=event.type, version=1, occurred_at=datetime.now(UTC),
                        producer=event.producer, producer_position=1, correlation_id="corr",
                        payload=event.model_dump(mode="json"))
    deliver(app, event, last_attempt=True, envelope=envelope)
    assert app.has_handled(envelope.event_id) and app.sms.sent == []  # type: ignore[attr-defined]


def test_events_without_notices_are_only_marked_handled(app: NotificationsApplication) -> None:
    user = uuid.uuid4()
    first = deliver(app, UserRegisteredV1(user_id=user, mobile="+989121234567"))
    again = deliver(app, UserRegisteredV1(user_id=user, mobile="+989121234567"))  # another event id, same user
    assert app.has_handled(first.event_id) and app.has_handled(again.event_id)
    assert app.sms.sent == []  # type: ignore[attr-defined]


def test_after_the_purge_the_texts_about_the_business_are_unreadable_and_the_rest_stay(
        app: NotificationsApplication) -> None:
    user = uuid.uuid4()
    deliver(app, UserRegisteredV1(user_id=user, mobile="+989121234567"))
    shop, other = lapsed(user), lapsed(user).model_copy(update={"tenant_id": uuid.uuid4(), "business_name": "کارگاه"})
    deliver(app, shop)
    deliver(app, other)
    purged = purge_of(shop)
    envelope = deliver(app, purged)
    texts = sorted(m["text"] for m in app.messages_to("09121234567"))
    assert len(texts) == 2 and app.has_handled(envelope.event_id)  # that a message went, and when, stays
    assert texts[0] == "[erased]" and "کارگاه" in texts[1]  # only the purged business's text is gone
    with pytest.raises(AlreadyHandled):
        deliver(app, purged, envelope=envelope)


def test_a_replica_drops_what_it_had_decrypted_once_another_replica_purged_the_business(
        app: NotificationsApplication, settings_for: SettingsFor) -> None:
    replica = notifications_app(settings_for)  # another process of the service: its own caches
    user = uuid.uuid4()
    deliver(app, UserRegisteredV1(user_id=user, mobile="+989121234567"))
    shop = lapsed(user)
    deliver(app, shop)
    assert "فروشگاه نمونه" in replica.messages_to("09121234567")[0]["text"]  # key and aggregate now cached
    deliver(app, purge_of(shop))
    wait_until(lambda: replica.messages_to("09121234567")[0]["text"] == "[erased]",
               timeout=3 * replica.keys.recheck_seconds, interval=0.2, what="the replica to learn of the purge")
    assert replica.keys.key_for(f"business:{shop.tenant_id}", create=False) is None


def test_a_notice_from_before_the_deletion_arriving_after_it_is_not_sent(app: NotificationsApplication) -> None:
    user = uuid.uuid4()
    deliver(app, UserRegisteredV1(user_id=user, mobile="+989121234567"))
    shop = lapsed(user)
    purged = purge_of(shop)
    deliver(app, purged)
    late = deliver(app, shop, envelope=envelope_at(shop, purged.purged_at - timedelta(days=1)))
    assert app.has_handled(late.event_id) and app.sms.sent == []  # type: ignore[attr-defined]
    assert app.messages_to("09121234567") == []  # nor was the name stored again
    # After a restore the business is news again: what happens from then on is told.
    deliver(app, shop, envelope=envelope_at(shop, purged.purged_at + timedelta(days=1)))
    assert len(app.sms.sent) == 1  # type: ignore[attr-defined]
    deliver(app, purged)  # the same purge once more (another copy): nothing changes
    again = purge_of(shop).model_copy(update={"purged_at": purged.purged_at + timedelta(days=200)})
    deliver(app, again)  # restored, then deleted a second time
    deliver(app, shop, envelope=envelope_at(shop, purged.purged_at + timedelta(days=100)))
    assert len(app.sms.sent) == 1  # type: ignore[attr-defined]


def test_notices_to_one_number_at_once_ask_the_provider_once_each(app: NotificationsApplication) -> None:
    user = uuid.uuid4()
    deliver(app, UserRegisteredV1(user_id=user, mobile="+989121234567"))
    recording = app.sms
    record = recording.send

    def send_like_a_provider(receptor: str, message: str, local_id: str) -> Any:
        eventlet.sleep(0.02)  # a round trip: the other handlers run meanwhile
        return record(receptor, message, local_id)

    recording.send = send_like_a_provider  # type: ignore[method-assign]
    lost: list[Exception] = []

    def handle_one() -> None:
        try:
            deliver(app, lapsed(user))
        except Exception as race:  # what the inbox would retry, asking the provider again
            lost.append(race)

    pool = eventlet.GreenPool(10)
    for _ in range(10):
        pool.spawn_n(handle_one)
    pool.waitall()
    assert lost == []
    sent = recording.sent  # type: ignore[attr-defined]
    assert len(sent) == 10 and len({local_id for *_, local_id in sent}) == 10
    assert [m["status"] for m in app.messages_to("09121234567")] == ["delivered"] * 10
