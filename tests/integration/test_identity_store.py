"""Identity on SQLite and PostgreSQL, built as the service builds it (build_application): the
wiring proof — a user's way from sign-up to a reset and the personal page, snapshots that
load, redeliveries the store refuses, and guesses made at once on a real database, each
counted. The rules themselves are tested in memory (tests/unit/identity/)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import eventlet
import pytest
from eventsourcing.application import project_aggregate

from services.identity.application import IdentityApplication
from services.identity.domain import MAX_WRONG_TRIES
from services.identity.service import build_application
from services.identity.translations import translate
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.sealing import development_keypair
from shared.kernel.store import AlreadyHandled
from shared.kernel.tokens import development_signing_keys, verify_access_token
from tests.support.identity import (
    CAUSE,
    E164,
    MOBILE,
    PASSWORD,
    T0,
    activated,
    deliver,
    last_code,
    later,
    member,
    page,
    purge,
)
from tests.support.rules import refused

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> Iterator[IdentityApplication]:
    application = build_application(settings_for("identity"))
    yield application
    application.close()


def opened(app: IdentityApplication, mobile: str = MOBILE) -> str:
    """The last code sent, opened with the development key notifications uses."""
    return last_code(app, mobile, development_keypair(app.settings.var_dir / "keys")[0])


def test_from_sign_up_to_a_reset_and_the_personal_page(app: IdentityApplication) -> None:
    user_id = app.register(MOBILE, PASSWORD, CAUSE, client_address="203.0.113.1").user_id
    app.verify(MOBILE, opened(app), CAUSE)
    tokens = app.sessions.login(MOBILE, PASSWORD, "203.0.113.1", CAUSE)
    public_key = development_signing_keys(app.settings.var_dir / "keys")[1]
    assert verify_access_token(public_key, tokens["access_token"], app.clock.now())["sub"] == str(user_id)
    tokens = app.sessions.refresh(tokens["refresh_token"], CAUSE)
    later(app, timedelta(minutes=2))
    app.send_code(MOBILE, "password_reset", "203.0.113.1", CAUSE)
    app.reset_password(MOBILE, opened(app), "N3w!password", CAUSE)
    refused("unauthorized", lambda: app.sessions.refresh(tokens["refresh_token"], CAUSE))
    app.sessions.login(MOBILE, "N3w!password", None, CAUSE)

    shop, name = uuid.uuid4(), "فروشگاه آفتاب"
    deliver(app, activated(shop, user_id, name, T0), T0)
    deliver(app, member(shop, user_id, name, "admin", ()), T0)
    assert page(app, user_id)["businesses"][0]["business_name"] == name
    deliver(app, purge(shop, T0 + timedelta(days=365), T0 + timedelta(days=460)), T0 + timedelta(days=460))
    assert page(app, user_id)["businesses"][0]["subscription_state"] == "deleted"
    stored = app.recorder.select_notifications(None, 10_000)
    assert not any(name.encode() in n.state for n in stored)  # AR-1: unreadable with its key gone
    published = [translate(app.mapper.to_domain_event(n)) for n in stored]
    assert [e.type for e in published if e is not None] == [
        "UserRegistered", "VerificationCodeIssued", "MobileVerified", "VerificationCodeIssued", "SessionsEnded",
        "PasswordChanged"]


def test_a_busy_user_is_loaded_from_a_snapshot_with_the_same_state(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    app.verify(MOBILE, opened(app), CAUSE)
    refresh_tokens = [app.sessions.login(MOBILE, PASSWORD, None, CAUSE)["refresh_token"] for _ in range(25)]
    user_id = app.user_id_for(E164)
    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(user_id))
    assert snapshots and snapshots[-1].originator_version % 20 == 0
    # State from the snapshot plus later events equals the state from every event.
    loaded = app.repository.get(user_id)
    replayed = project_aggregate(None, app.repository.event_store.get(user_id))
    assert loaded.version == replayed.version > snapshots[-1].originator_version
    assert loaded.sessions == replayed.sessions and len(loaded.sessions) == 25
    assert loaded.mobile.reveal() == E164
    app.sessions.refresh(refresh_tokens[0], CAUSE)  # a session recorded before the snapshot still works


def test_a_redelivered_event_changes_nothing(app: IdentityApplication) -> None:
    user = app.register(MOBILE, PASSWORD, CAUSE).user_id
    shop, event_id = uuid.uuid4(), uuid.uuid4()
    deliver(app, member(shop, user, "فروشگاه آفتاب", "admin", ()), T0, event_id)
    with pytest.raises(AlreadyHandled):
        deliver(app, member(shop, user, "فروشگاه آفتاب", "admin", ()), T0, event_id)


def test_a_concurrent_brute_force_records_every_guess(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    code = opened(app)
    guesses = [f"{(int(code) + k) % 10**6:06d}" for k in range(1, 41)]

    def guess(candidate: str) -> str:
        try:
            app.verify(MOBILE, candidate, CAUSE)
            return "verified"
        except DomainError as error:
            return error.code

    outcomes = list(eventlet.GreenPool(40).imap(guess, guesses))
    assert "verified" not in outcomes
    user = app.repository.get(app.user_id_for(E164))
    assert user.wrong_tries == MAX_WRONG_TRIES  # never more, whatever the concurrency
    assert outcomes.count("invalid_code") + outcomes.count("too_many_attempts") == 40


def test_parallel_wrong_guesses_each_count(app: IdentityApplication) -> None:
    """Guesses made at once all pass the lock check together; each failure is still recorded
    (re-read and saved again on a conflict), so they lock the pair and brake the address."""
    app.register(MOBILE, PASSWORD, CAUSE)
    app.verify(MOBILE, opened(app), CAUSE)

    def guess(i: int) -> str:
        try:
            app.sessions.login(MOBILE, f"Wr0ng!{i}", "203.0.113.9", CAUSE)
        except DomainError as refused_guess:
            return refused_guess.code
        return "ok"

    answers = list(eventlet.GreenPool(12).imap(guess, range(12)))
    assert set(answers) <= {"invalid_credentials", "account_locked"}, answers
    client = app.records.client("203.0.113.9")
    assert client is not None and len(client.login_failures) == answers.count("invalid_credentials")
    refused("account_locked", lambda: app.sessions.login(MOBILE, PASSWORD, "203.0.113.9", CAUSE))
