"""Verification codes and recovery on SQLite and PostgreSQL (ID-2, ID-4): validity, tries,
single use, purpose, replacement, re-send throttling, the per-address cap."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import eventlet
import pytest

from services.identity.application import IdentityApplication
from services.identity.domain import DAILY_CODES_PER_NUMBER, MAX_WRONG_TRIES, User
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.mobile import normalize_mobile
from shared.kernel.sealing import development_keypair, unseal
from shared.kernel.store import Cause

SettingsFor = Callable[..., Settings]
MOBILE = "09121234567"
CAUSE = Cause("test")


@pytest.fixture
def app(settings_for: SettingsFor) -> IdentityApplication:
    settings = settings_for("identity")
    return IdentityApplication(settings, sealing_public_key=development_keypair(settings.var_dir / "keys")[1],
                               codes_per_address_hour=3)


def last_code(app: IdentityApplication, mobile: str = MOBILE) -> str:
    """The code as notifications would open it: from the last sealed code in the user's stream."""
    user_id = app.user_id_for(normalize_mobile(mobile))
    issued = [e for e in app.repository.event_store.get(user_id) if isinstance(e, User.VerificationCodeIssued)]
    private_key = development_keypair(app.settings.var_dir / "keys")[0]
    return unseal(private_key, issued[-1].sealed_code)


def later(app: IdentityApplication, delta: timedelta) -> None:
    app.clock.set_offset(app.clock.offset_seconds + int(delta.total_seconds()))


def refused(code: str, action: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code, caught.value.details
    return caught.value


def test_the_right_code_verifies_once_in_persian_digits_too(app: IdentityApplication) -> None:
    app.register(MOBILE, "Str0ng!pass", CAUSE)
    code = last_code(app)
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert app.verify(MOBILE, persian, CAUSE) == app.user_id_for("+989121234567")
    refused("invalid_code", lambda: app.verify(MOBILE, code, CAUSE))  # single use


def test_wrong_tries_are_bounded_per_code(app: IdentityApplication) -> None:
    app.register(MOBILE, "Str0ng!pass", CAUSE)
    code = last_code(app)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(MAX_WRONG_TRIES - 1):
        refused("invalid_code", lambda: app.verify(MOBILE, wrong, CAUSE))
    refused("too_many_attempts", lambda: app.verify(MOBILE, wrong, CAUSE))
    refused("too_many_attempts", lambda: app.verify(MOBILE, code, CAUSE))  # even the right one now
    later(app, timedelta(minutes=2))
    app.send_code(MOBILE, "signup", None, CAUSE)  # a new code replaces the old, with fresh tries
    app.verify(MOBILE, last_code(app), CAUSE)


def test_a_concurrent_brute_force_records_every_guess(app: IdentityApplication) -> None:
    app.register(MOBILE, "Str0ng!pass", CAUSE)
    code = last_code(app)
    guesses = [f"{(int(code) + k) % 10**6:06d}" for k in range(1, 41)]

    def guess(candidate: str) -> str:
        try:
            app.verify(MOBILE, candidate, CAUSE)
            return "verified"
        except DomainError as error:
            return error.code

    outcomes = list(eventlet.GreenPool(40).imap(guess, guesses))
    assert "verified" not in outcomes
    user = app.repository.get(app.user_id_for("+989121234567"))
    assert user.wrong_tries == MAX_WRONG_TRIES  # never more, whatever the concurrency
    assert outcomes.count("invalid_code") + outcomes.count("too_many_attempts") == 40


def test_an_old_code_after_a_resend_and_a_code_of_the_other_purpose_are_refused(app: IdentityApplication) -> None:
    app.register(MOBILE, "Str0ng!pass", CAUSE)
    old = last_code(app)
    later(app, timedelta(minutes=2))
    app.send_code(MOBILE, "signup", None, CAUSE)
    new = last_code(app)
    if new != old:  # one in a million they coincide
        refused("invalid_code", lambda: app.verify(MOBILE, old, CAUSE))
    refused("invalid_code", lambda: app.verify(MOBILE, new, CAUSE, purpose="password_reset"))
    app.verify(MOBILE, new, CAUSE)


def test_a_code_is_valid_for_seven_days(app: IdentityApplication, settings_for: SettingsFor) -> None:
    app.register(MOBILE, "Str0ng!pass", CAUSE)
    app.register("09121234568", "Str0ng!pass", CAUSE)
    later(app, timedelta(days=7) - timedelta(seconds=5))
    app.verify("09121234568", last_code(app, "09121234568"), CAUSE)
    later(app, timedelta(seconds=10))
    refused("code_expired", lambda: app.verify(MOBILE, last_code(app), CAUSE))


def test_resending_is_throttled_then_capped_with_a_pointer_to_support(app: IdentityApplication) -> None:
    app.register(MOBILE, "Str0ng!pass", CAUSE)
    too_soon = refused("resend_too_soon", lambda: app.send_code(MOBILE, "signup", None, CAUSE))
    assert 1 <= too_soon.details["retry_after"] <= 61
    for _ in range(DAILY_CODES_PER_NUMBER - 1):
        later(app, timedelta(minutes=2))
        app.send_code(MOBILE, "signup", None, CAUSE)
    later(app, timedelta(minutes=2))
    capped = refused("too_many_codes", lambda: app.send_code(MOBILE, "signup", None, CAUSE))
    assert capped.details["contact_support"] is True and capped.details["retry_after"] > 3600
    later(app, timedelta(days=1))
    app.send_code(MOBILE, "signup", None, CAUSE)


def test_one_client_address_is_capped_across_numbers(app: IdentityApplication) -> None:
    for i in range(3):
        app.register(f"0912000000{i}", "Str0ng!pass", CAUSE, client_address="203.0.113.9")
    refused("too_many_requests", lambda: app.register("09120000009", "Str0ng!pass", CAUSE,
                                                      client_address="203.0.113.9"))
    assert app._user("+989120000009") is None  # refused: nothing half done
    app.register("09120000009", "Str0ng!pass", CAUSE, client_address="198.51.100.7")
    refused("too_many_requests", lambda: app.send_code("09120000001", "signup", "203.0.113.9", CAUSE))


def test_unknown_numbers_are_answered_like_known_ones(app: IdentityApplication) -> None:
    app.send_code("09129999999", "signup", None, CAUSE)  # no error, no SMS, nothing told
    refused("invalid_code", lambda: app.verify("09129999999", "123456", CAUSE))


def test_password_recovery(app: IdentityApplication) -> None:
    user_id = app.register(MOBILE, "Str0ng!pass", CAUSE).user_id
    signup_code = last_code(app)
    app.send_code(MOBILE, "password_reset", None, CAUSE)  # answered like any reset, and nothing sent
    assert last_code(app) == signup_code
    app.verify(MOBILE, signup_code, CAUSE)
    later(app, timedelta(minutes=2))
    app.send_code(MOBILE, "password_reset", None, CAUSE)
    code = last_code(app)
    before = app.repository.get(user_id).password_hash
    refused("weak_password", lambda: app.reset_password(MOBILE, code, "weak", CAUSE))
    refused("invalid_code", lambda: app.reset_password(MOBILE, "000000" if code != "000000" else "111111",
                                                       "N3w!password", CAUSE))
    app.reset_password(MOBILE, code, "N3w!password", CAUSE)  # the weak try did not spend the code
    assert app.repository.get(user_id).password_hash != before
    refused("invalid_code", lambda: app.reset_password(MOBILE, code, "An0ther!pass", CAUSE))


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "", " ", "١٢٣٤٥٦٧", None, 123456, "1" * 30])
def test_malformed_codes_are_wrong_codes(app: IdentityApplication, code: object) -> None:
    app.register(MOBILE, "Str0ng!pass", CAUSE)
    refused("invalid_code", lambda: app.verify(MOBILE, code, CAUSE))
    assert app.repository.get(app.user_id_for("+989121234567")).wrong_tries == 0


def test_every_change_of_identity_reaches_the_notification_log(app: IdentityApplication) -> None:
    from services.identity.translations import translate

    app.register(MOBILE, "Str0ng!pass", CAUSE)
    app.verify(MOBILE, last_code(app), CAUSE)
    later(app, timedelta(minutes=2))
    app.send_code(MOBILE, "password_reset", None, CAUSE)
    app.reset_password(MOBILE, last_code(app), "N3w!password", CAUSE)
    published = [translate(app.mapper.to_domain_event(n)) for n in app.recorder.select_notifications(1, 100)]
    assert [e.type for e in published if e is not None] == [
        "UserRegistered", "VerificationCodeIssued", "MobileVerified", "VerificationCodeIssued", "PasswordChanged"]
    assert uuid.UUID(str(published[0].user_id))  # type: ignore[union-attr]

