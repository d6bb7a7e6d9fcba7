"""The kernel's store on SQLite and PostgreSQL alike: causal metadata, inbox de-duplication
in the same transaction as the effects, crypto-shredding, and the store deciding duplicates."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import eventlet
import pytest
from eventsourcing.persistence import IntegrityError

from services.identity.application import IdentityApplication
from services.notifications import policies
from services.notifications.application import NotificationsApplication
from services.notifications.sms import Receipt
from shared.events.base import Envelope
from shared.events.identity import VerificationCodeIssuedV1
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.inbox import Inbound
from shared.kernel.sealing import development_keypair, seal
from shared.kernel.store import AlreadyHandled, Cause

SettingsFor = Callable[..., Settings]


def identity_app(settings_for: SettingsFor) -> IdentityApplication:
    settings = settings_for("identity")
    return IdentityApplication(settings, sealing_public_key=development_keypair(settings.var_dir / "keys")[1])


class RecordingSms:
    """A stand-in for the SMS provider (outside our boundary): it records what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, receptor: str, message: str, local_id: str) -> Receipt:
        self.sent.append((receptor, message, local_id))
        return Receipt(str(len(self.sent)), "queued")

    def lookup(self, receptor: str, template: str, token: str, message_id: str) -> Receipt:
        return self.send(receptor, f"{template}:{token}", message_id)


def notifications_app(settings_for: SettingsFor) -> NotificationsApplication:
    settings = settings_for("notifications")
    return NotificationsApplication(settings, sealing_private_key=development_keypair(settings.var_dir / "keys")[0],
                                    sms=RecordingSms())


def test_registration_events_carry_the_requests_correlation_id(settings_for: SettingsFor) -> None:
    app = identity_app(settings_for)
    user_id = app.register("09121234567", "Str0ng!pass", Cause("req-42")).user_id
    notifications = app.recorder.select_notifications(start=1, limit=10)
    events = [app.mapper.to_domain_event(n) for n in notifications]
    assert [type(e).__name__ for e in events] == ["Registered", "VerificationCodeIssued"]
    assert all(vars(e)["correlation_id"] == "req-42" for e in events)
    assert events[0].originator_id == user_id


def test_second_registration_of_an_unverified_number_waits_for_the_resend_gap(settings_for: SettingsFor) -> None:
    app = identity_app(settings_for)
    app.register("09121234567", "Str0ng!pass", Cause("a"))
    with pytest.raises(DomainError) as refused:
        app.register("+98 912 123 4567", "Other0ne!pass", Cause("b"))
    assert refused.value.code == "resend_too_soon"  # an unverified number is not taken (issue #13)
    assert len(app.recorder.select_notifications(start=1, limit=10)) == 2  # and nothing was recorded


def test_fifty_concurrent_registrations_of_one_number_make_one_account(settings_for: SettingsFor) -> None:
    app = identity_app(settings_for)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        try:
            app.register("09350000001", "Str0ng!pass", Cause(f"c{i}"))
            outcomes.append("created")
        except DomainError as error:
            outcomes.append(error.code)

    pool = eventlet.GreenPool(50)
    for i in range(50):
        pool.spawn_n(attempt, i)
    pool.waitall()
    assert outcomes.count("created") == 1
    assert outcomes.count("resend_too_soon") == 49  # each later attempt would send a code within the gap
    registered = [n for n in app.recorder.select_notifications(start=1, limit=200) if n.topic.endswith("Registered")]
    assert len(registered) == 1


def test_an_inbox_event_is_recorded_with_its_effect_and_a_duplicate_changes_nothing(
        settings_for: SettingsFor) -> None:
    app = notifications_app(settings_for)
    public = development_keypair(app.settings.var_dir / "keys")[1]
    event = VerificationCodeIssuedV1(user_id=uuid.uuid4(), mobile="+989121234567", purpose="signup",
                                     sealed_code=seal(public, "123456"), expires_at="2026-12-05T10:00:00Z")
    envelope = Envelope(event_id=uuid.uuid4(), type=event.type, version=1, occurred_at=datetime.now(UTC),
                        producer="identity", producer_position=7, correlation_id="corr",
                        payload=event.model_dump(mode="json"))
    inbound = Inbound(envelope, event, attempt=1)
    policies.handle(app, app, inbound)
    assert app.has_handled(envelope.event_id)
    with pytest.raises(AlreadyHandled):
        policies.handle(app, app, inbound)
    with pytest.raises(AlreadyHandled):  # even straight to the use case, the store refuses it
        app.send_verification_code(event, inbound.cause, last_attempt=False)
    assert [sent[2] for sent in app.sms.sent][:1] == [str(uuid.uuid5(uuid.NAMESPACE_URL, f"{envelope.event_id}:sms"))]  # type: ignore[attr-defined]
    messages = app.messages_to("09121234567")
    assert len(messages) == 1
    assert "۱۲۳۴۵۶" in messages[0]["text"]


def test_a_version_conflict_is_not_mistaken_for_a_duplicate(settings_for: SettingsFor) -> None:
    app = identity_app(settings_for)
    user_id = app.register("09121234567", "Str0ng!pass", Cause("a")).user_id
    app.clock.set_offset(120)  # past the re-send gap
    stale = app.repository.get(user_id)
    fresh = app.repository.get(user_id)
    fresh.issue_code("signup", "h1", "s1", app.clock.now())
    app.save_caused(fresh, cause=Cause("b"))
    stale.issue_code("signup", "h2", "s2", app.clock.now())
    with pytest.raises(IntegrityError):
        app.save_caused(stale, cause=Cause("c", inbox_event_id=uuid.uuid4()))


def test_forgetting_a_subject_makes_its_personal_data_unreadable(settings_for: SettingsFor) -> None:
    app = identity_app(settings_for)
    user_id = app.register("09121234567", "Str0ng!pass", Cause("a")).user_id
    raw = b"".join(n.state for n in app.recorder.select_notifications(start=1, limit=10))
    assert b"9121234567" not in raw  # sealed at rest
    assert app.repository.get(user_id).mobile.value == "+989121234567"
    app.keys.forget(f"user:{user_id}")
    reopened = identity_app(settings_for)  # a fresh process: no cached key
    assert reopened.repository.get(user_id).mobile.forgotten


def test_clock_offset_survives_a_restart(settings_for: SettingsFor) -> None:
    app = identity_app(settings_for)
    app.advance_clock(3600, Cause("ops", inbox_event_id=uuid.uuid4()))
    app.advance_clock(60, Cause("ops", inbox_event_id=uuid.uuid4()))
    assert app.clock.offset_seconds == 3660
    assert identity_app(settings_for).clock.offset_seconds == 3660


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_processes_opening_one_fresh_key_vault_at_once_all_get_it(settings_for: SettingsFor) -> None:
    # Provisioning and archival share the backup vault and start together (so do replicas):
    # PostgreSQL's CREATE … IF NOT EXISTS alone let the loser of that race die at start.
    from shared.tenant_books import backup_keys_for

    settings = settings_for("provisioning")
    vaults = list(eventlet.GreenPool(12).imap(lambda _: backup_keys_for(settings), range(12)))
    key = vaults[0].key_for("backup:x", create=True)
    assert key is not None and all(vault.key_for("backup:x", create=False) == key for vault in vaults)
