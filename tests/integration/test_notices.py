"""Notifications tells users about other services' events: the user's number and language
come from identity's UserRegistered; each notice is one SMS, sent once however often the
event arrives; an event about a user not yet known is retried, not dropped. A sent SMS is
"sent" until the follow-up reads its delivery report.

The rules are tested in memory (tests/unit/notifications/). Here: the same use cases on each
store (SQLite and PostgreSQL) with a recording stand-in for the provider, what needs a real
store (two replicas, concurrent handlers), and, from "over HTTP", the use cases against the
development provider (tools/dev_sms_provider.py), told to produce each of Kavenegar's failures."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import eventlet
import pytest
import requests
from structlog.testing import capture_logs

from services.notifications.application import NotificationsApplication
from services.notifications.delivery import DeliveryReport, ProviderOutOfCredit, ProviderUnavailable, Receipt
from services.notifications.kavenegar_codes import local_id_of
from services.notifications.sms import KavenegarClient
from services.notifications.translations import translate
from shared.events.base import IntegrationEvent
from shared.events.identity import UserRegisteredV1, VerificationCodeIssuedV1
from shared.events.notifications import MessageDeliveredV1, MessageFailedV1
from shared.kernel.config import Settings
from shared.kernel.sealing import development_keypair, seal
from shared.kernel.store import AlreadyHandled
from tests.support.notifications import deliver, envelope_at, lapsed, purge_of
from tests.support.processes import Platform, wait_until

SettingsFor = Callable[..., Settings]


class RecordingProvider:
    """A stand-in for the SMS provider (outside our boundary): it records what it was given
    and reports every message delivered."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []  # receptor, text (or template:token), message id

    def send(self, receptor: str, message: str, message_id: str) -> Receipt:
        self.sent.append((receptor, message, message_id))
        return Receipt(str(len(self.sent)), "queued")

    def lookup(self, receptor: str, template: str, token: str, message_id: str) -> Receipt:
        return self.send(receptor, f"{template}:{token}", message_id)

    def delivery_reports(self, provider_message_ids: Any) -> dict[str, DeliveryReport]:
        return {provider_id: DeliveryReport.arrived() for provider_id in provider_message_ids}


def notifications_app(settings_for: SettingsFor) -> NotificationsApplication:
    settings = settings_for("notifications")
    return NotificationsApplication(settings, sealing_private_key=development_keypair(settings.var_dir / "keys")[0],
                                    sms=RecordingProvider())


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
    assert [m["template"] for m in listed] == ["tenancy.tenant_lapsed"] and listed[0]["status"] == "sent"
    assert app.deliveries.follow() == 2  # the provider reports both delivered
    assert app.messages_to("09121234567")[0]["status"] == "delivered"
    assert app.deliveries.follow() == 0  # nothing waits any more


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
    assert [m["status"] for m in app.messages_to("09121234567")] == ["sent"] * 10
    assert app.deliveries.follow() == 10
    assert [m["status"] for m in app.messages_to("09121234567")] == ["delivered"] * 10


# -- over HTTP, against the development provider -------------------------------------------------
MOBILE, E164 = "09121234567", "+989121234567"


def http_app(settings_for: SettingsFor, platform: Platform, **options: Any) -> NotificationsApplication:
    settings = settings_for("notifications")
    client = KavenegarClient(platform.start_sms_provider(), api_key="test-key", sender="10004346", timeout=5)
    return NotificationsApplication(settings, sealing_private_key=development_keypair(settings.var_dir / "keys")[0],
                                    sms=client, **options)


def dev(platform: Platform, control: str, **body: Any) -> None:
    requests.post(f"{platform.sms_url}/_dev/{control}", json=body, timeout=5).raise_for_status()


def code_issued(app: NotificationsApplication, code: str = "042913") -> VerificationCodeIssuedV1:
    public = development_keypair(app.settings.var_dir / "keys")[1]
    return VerificationCodeIssuedV1(user_id=uuid.uuid4(), mobile=E164, purpose="signup",
                                    sealed_code=seal(public, code), expires_at="2026-12-05T10:00:00Z")


def published(app: NotificationsApplication) -> list[IntegrationEvent]:
    """What the relay would publish from this store."""
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    return [e for e in (translate(app.mapper.to_domain_event(n)) for n in notifications) if e is not None]


def test_over_http_a_code_goes_by_the_lookup_template_and_is_delivered_after_the_status_query(
        settings_for: SettingsFor, platform: Platform) -> None:
    app = http_app(settings_for, platform)
    deliver(app, code_issued(app))
    (received,) = platform.sms_sent_to(E164)
    assert (received["template"], received["tokens"], received["type"]) == ("signup-code", {"token": "042913"}, "sms")
    assert "۰۴۲۹۱۳" in received["message"].split("\n")[0]  # as the phone shows the panel's template
    assert received["localid"].isdigit() and received["status"] == 5  # sent to the operator, not yet delivered
    (listed,) = app.messages_to(MOBILE)
    assert listed["status"] == "sent" and listed["provider_message_id"] == str(received["messageid"])
    assert "حسابداری ابری" in listed["text"] and "۰۴۲۹۱۳" in listed["text"]  # our own words, for the outbox
    assert not any(isinstance(e, MessageDeliveredV1) for e in published(app))

    assert app.deliveries.follow() == 1
    assert platform.sms_sent_to(E164)[0]["status"] == 10
    (listed,) = app.messages_to(MOBILE)
    assert listed["status"] == "delivered" and listed["settled_at"] is not None
    (delivered,) = [e for e in published(app) if isinstance(e, MessageDeliveredV1)]
    assert delivered.template == "verification_code.signup"
    recorded = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=100)]
    (outcome,) = [e for e in recorded if type(e).__name__ == "MessageDelivered"]
    assert vars(outcome)["correlation_id"] == "corr"  # traced to the request that caused the SMS
    assert app.deliveries.follow() == 0


def test_over_http_undelivered_and_blocked_notices_fail_with_their_reasons(
        settings_for: SettingsFor, platform: Platform) -> None:
    app = http_app(settings_for, platform)
    off, blocking = uuid.uuid4(), uuid.uuid4()
    deliver(app, UserRegisteredV1(user_id=off, mobile=E164))
    deliver(app, UserRegisteredV1(user_id=blocking, mobile="+989351234567"))
    dev(platform, "delivery", receptor=E164, outcome="undelivered")
    dev(platform, "delivery", receptor="+989351234567", outcome="blocked")
    deliver(app, lapsed(off))
    deliver(app, lapsed(blocking))
    assert platform.sms_sent_to(E164)[0]["message"].startswith("اشتراک")  # a notice goes by sms/send
    assert app.deliveries.follow() == 2
    (phone_off,) = app.messages_to(MOBILE)
    (refusing,) = app.messages_to("09351234567")
    assert phone_off["status"] == refusing["status"] == "failed"
    assert phone_off["failure"] == "undelivered: phone off or out of reach (status 11)"
    assert refusing["failure"].startswith("blocked:") and "(status 14)" in refusing["failure"]
    failures = {e.reason for e in published(app) if isinstance(e, MessageFailedV1)}
    assert failures == {phone_off["failure"], refusing["failure"]}


def test_over_http_a_busy_provider_is_retried_and_the_message_sent_once(
        settings_for: SettingsFor, platform: Platform) -> None:
    app = http_app(settings_for, platform)
    event = code_issued(app)
    envelope = envelope_at(event, datetime.now(UTC))
    dev(platform, "refuse", status=409, sends=1)  # "server cannot answer, try later"
    with pytest.raises(ProviderUnavailable) as later:
        deliver(app, event, envelope=envelope)
    assert not isinstance(later.value, ProviderOutOfCredit) and "409" in str(later.value)
    assert platform.sms_sent_to(E164) == [] and app.messages_to(MOBILE) == []  # nothing recorded: the inbox retries
    deliver(app, event, envelope=envelope)  # the inbox's retry
    assert [m["requests"] for m in platform.sms_sent_to(E164)] == [1]
    assert [m["status"] for m in app.messages_to(MOBILE)] == ["sent"]


def test_over_http_no_credit_alarms_operators_then_fails_on_the_last_attempt(
        settings_for: SettingsFor, platform: Platform) -> None:
    app = http_app(settings_for, platform)
    event = code_issued(app)
    envelope = envelope_at(event, datetime.now(UTC))
    dev(platform, "refuse", status=418, sends=2)
    with capture_logs() as logs:
        with pytest.raises(ProviderOutOfCredit):
            deliver(app, event, envelope=envelope)
        deliver(app, event, envelope=envelope, last_attempt=True)
    alarms = [line for line in logs if line["event"] == "notifications.sms_credit_exhausted"]
    assert [(a["log_level"], a["last_attempt"]) for a in alarms] == [("error", False), ("error", True)]
    assert "042913" not in repr(logs)  # the code is in no log line
    (failed,) = app.messages_to(MOBILE)
    assert failed["status"] == "failed" and "credit" in failed["failure"] and "418" in failed["failure"]
    assert app.has_handled(envelope.event_id) and platform.sms_sent_to(E164) == []
    (event_out,) = [e for e in published(app) if isinstance(e, MessageFailedV1)]
    assert "credit" in event_out.reason and event_out.will_retry is False


def test_over_http_a_template_the_provider_does_not_know_fails_at_once(
        settings_for: SettingsFor, platform: Platform) -> None:
    app = http_app(settings_for, platform, code_templates={"signup": "never-approved"})
    envelope = deliver(app, code_issued(app))  # not retried: no retry makes the template exist
    (failed,) = app.messages_to(MOBILE)
    assert failed["status"] == "failed" and "status 424" in failed["failure"]
    assert app.has_handled(envelope.event_id) and platform.sms_sent_to(E164) == []


def test_over_http_a_send_repeated_after_a_crash_reaches_the_phone_once(
        settings_for: SettingsFor, platform: Platform) -> None:
    app = http_app(settings_for, platform)
    deliver(app, UserRegisteredV1(user_id=(user := uuid.uuid4()), mobile=E164))
    event = lapsed(user)
    envelope = envelope_at(event, datetime.now(UTC))
    save = app.save_caused
    crashed: list[bool] = []

    def crash_before_recording_the_send(*aggregates: Any, cause: Any) -> None:
        if not crashed and any(type(a).__name__ == "Recipient" for a in aggregates):
            crashed.append(True)
            raise RuntimeError("killed between the provider's answer and our save")
        save(*aggregates, cause=cause)

    app.save_caused = crash_before_recording_the_send  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        deliver(app, event, envelope=envelope)
    deliver(app, event, envelope=envelope)  # the redelivery sends again, with the same localid
    (received,) = platform.sms_sent_to(E164)
    assert received["requests"] == 2
    (listed,) = app.messages_to(MOBILE)
    assert received["localid"] == str(local_id_of(listed["message_id"]))
    assert listed["provider_message_id"] == str(received["messageid"])
    assert app.deliveries.follow() == 1 and app.messages_to(MOBILE)[0]["status"] == "delivered"


def test_over_http_a_message_without_a_report_fails_after_the_wait_and_not_before(
        settings_for: SettingsFor, platform: Platform) -> None:
    app = http_app(settings_for, platform)
    dev(platform, "delivery", receptor=E164, outcome="never")
    deliver(app, code_issued(app))
    assert app.deliveries.follow() == 0  # status 4: on its way
    reachable = app.deliveries.sms
    with socket_closed() as port:  # the provider cannot be asked: silence is not a report
        app.deliveries.sms = KavenegarClient(f"http://127.0.0.1:{port}", "k", "s", timeout=1)
        app.clock.set_offset(25 * 3600)
        assert app.deliveries.follow() == 0 and app.messages_to(MOBILE)[0]["status"] == "sent"
    app.deliveries.sms = reachable
    assert app.deliveries.follow() == 1
    (failed,) = app.messages_to(MOBILE)
    assert failed["status"] == "failed" and failed["failure"] == "no delivery report within 24 hours of sending"


def test_over_http_two_replicas_following_at_once_record_one_outcome(
        settings_for: SettingsFor, platform: Platform) -> None:
    app = http_app(settings_for, platform)
    for i in range(5):
        deliver(app, code_issued(app, code=f"10000{i}"))
    replica = http_app(settings_for, platform)  # another process of the service, or this one restarted
    pool = eventlet.GreenPool(4)
    settled = list(pool.imap(lambda each: each.deliveries.follow(), [app, replica, app, replica]))
    assert sum(settled) == 5
    assert [m["status"] for m in replica.messages_to(MOBILE)] == ["delivered"] * 5
    assert len([e for e in published(app) if isinstance(e, MessageDeliveredV1)]) == 5


class socket_closed:
    """A loopback port nobody listens on."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    def __exit__(self, *_: object) -> None:
        return None
