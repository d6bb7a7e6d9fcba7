"""Registration, verification codes and recovery as use cases, in memory (ID-1 … ID-4):
validity, tries, single use, purpose, replacement, re-send throttling, the per-address cap,
and what reaches the notification log."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.identity.application import IdentityApplication, normalize_code
from services.identity.domain import DAILY_CODES_PER_NUMBER, MAX_WRONG_TRIES
from services.identity.translations import translate
from tests.support.identity import CAUSE, E164, MOBILE, PASSWORD, identity_in_memory, last_code, later
from tests.support.rules import refused


@pytest.fixture
def app() -> IdentityApplication:
    return identity_in_memory(codes_per_address_hour=3)


def test_the_right_code_verifies_once_in_persian_digits_too(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    code = last_code(app)
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert app.verify(MOBILE, persian, CAUSE) == app.user_id_for(E164)
    refused("invalid_code", lambda: app.verify(MOBILE, code, CAUSE))  # single use


def test_wrong_tries_are_bounded_per_code(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    code = last_code(app)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(MAX_WRONG_TRIES - 1):
        refused("invalid_code", lambda: app.verify(MOBILE, wrong, CAUSE))
    refused("too_many_attempts", lambda: app.verify(MOBILE, wrong, CAUSE))
    refused("too_many_attempts", lambda: app.verify(MOBILE, code, CAUSE))  # even the right one now
    later(app, timedelta(minutes=2))
    app.send_code(MOBILE, "signup", None, CAUSE)  # a new code replaces the old, with fresh tries
    app.verify(MOBILE, last_code(app), CAUSE)


def test_an_old_code_after_a_resend_and_a_code_of_the_other_purpose_are_refused(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    old = last_code(app)
    later(app, timedelta(minutes=2))
    app.send_code(MOBILE, "signup", None, CAUSE)
    new = last_code(app)
    if new != old:  # one in a million they coincide
        refused("invalid_code", lambda: app.verify(MOBILE, old, CAUSE))
    refused("invalid_code", lambda: app.verify(MOBILE, new, CAUSE, purpose="password_reset"))
    app.verify(MOBILE, new, CAUSE)


def test_a_code_is_valid_for_seven_days(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    app.register("09121234568", PASSWORD, CAUSE)
    later(app, timedelta(days=7) - timedelta(seconds=5))
    app.verify("09121234568", last_code(app, "09121234568"), CAUSE)
    later(app, timedelta(seconds=10))
    refused("code_expired", lambda: app.verify(MOBILE, last_code(app), CAUSE))


def test_resending_is_throttled_then_capped_with_a_pointer_to_support(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
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
        app.register(f"0912000000{i}", PASSWORD, CAUSE, client_address="203.0.113.9")
    refused("too_many_requests", lambda: app.register("09120000009", PASSWORD, CAUSE,
                                                      client_address="203.0.113.9"))
    assert app.records.user("+989120000009") is None  # refused: nothing half done
    app.register("09120000009", PASSWORD, CAUSE, client_address="198.51.100.7")
    refused("too_many_requests", lambda: app.send_code("09120000001", "signup", "203.0.113.9", CAUSE))


def test_the_address_cap_is_per_clock_hour(app: IdentityApplication) -> None:
    later(app, timedelta(seconds=3600 - app.clock.now().minute * 60 - app.clock.now().second))  # an hour's start
    for i in range(3):
        app.register(f"0912000000{i}", PASSWORD, CAUSE, client_address="203.0.113.9")
    capped = refused("too_many_requests", lambda: app.register("09120000009", PASSWORD, CAUSE,
                                                               client_address="203.0.113.9"))
    assert capped.details["contact_support"] is True and 1 <= capped.details["retry_after"] <= 3601
    later(app, timedelta(hours=1))
    app.register("09120000009", PASSWORD, CAUSE, client_address="203.0.113.9")  # a new hour, a new count


def test_unknown_numbers_are_answered_like_known_ones(app: IdentityApplication) -> None:
    app.send_code("09129999999", "signup", None, CAUSE)  # no error, no SMS, nothing told
    refused("invalid_code", lambda: app.verify("09129999999", "123456", CAUSE))
    assert app.records.user("+989129999999") is None


def test_an_unknown_purpose_is_refused(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    refused("invalid_purpose", lambda: app.send_code(MOBILE, "login", None, CAUSE))


def test_a_weak_password_is_refused_before_anything_is_recorded(app: IdentityApplication) -> None:
    weak = refused("weak_password", lambda: app.register(MOBILE, "password", CAUSE, client_address="203.0.113.9"))
    assert "needs_uppercase" in weak.details["rules"]
    client = app.records.client("203.0.113.9")
    assert app.records.user(E164) is None and client is not None and client.requests == []  # nothing counted


def test_a_verified_number_cannot_register_again(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    app.verify(MOBILE, last_code(app), CAUSE)
    refused("mobile_already_registered", lambda: app.register(MOBILE, "Oth3r!pass", CAUSE))
    refused("already_verified", lambda: app.send_code(MOBILE, "signup", None, CAUSE))


def test_password_recovery(app: IdentityApplication) -> None:
    user_id = app.register(MOBILE, PASSWORD, CAUSE).user_id
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


def test_a_reset_sent_too_soon_is_answered_like_one_that_went(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    app.verify(MOBILE, last_code(app), CAUSE)
    signup_code = last_code(app)
    app.send_code(MOBILE, "password_reset", None, CAUSE)  # within the re-send gap: nothing sent, nothing told
    assert last_code(app) == signup_code
    refused("invalid_code", lambda: app.reset_password("09129999999", "123456", "N3w!password", CAUSE))


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "", " ", "١٢٣٤٥٦٧", None, 123456, "1" * 30])
def test_malformed_codes_are_wrong_codes(app: IdentityApplication, code: object) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    refused("invalid_code", lambda: app.verify(MOBILE, code, CAUSE))
    assert app.repository.get(app.user_id_for(E164)).wrong_tries == 0


def test_every_change_of_identity_reaches_the_notification_log(app: IdentityApplication) -> None:
    app.register(MOBILE, PASSWORD, CAUSE)
    app.verify(MOBILE, last_code(app), CAUSE)
    later(app, timedelta(minutes=2))
    app.send_code(MOBILE, "password_reset", None, CAUSE)
    app.reset_password(MOBILE, last_code(app), "N3w!password", CAUSE)
    published = [translate(app.mapper.to_domain_event(n)) for n in app.recorder.select_notifications(1, 100)]
    assert [e.type for e in published if e is not None] == [
        "UserRegistered", "VerificationCodeIssued", "MobileVerified", "VerificationCodeIssued", "PasswordChanged"]
    assert uuid.UUID(str(published[0].user_id))  # type: ignore[union-attr]


def test_a_registration_is_hashed_through_the_given_hashing() -> None:
    """The edge runs argon2 on another thread; the application only hands it the work."""
    calls: list[str] = []

    def hashing(function: object, *args: object) -> object:
        calls.append(getattr(function, "__name__", ""))
        return function(*args)  # type: ignore[operator]

    app = identity_in_memory(hashing=hashing)
    app.register(MOBILE, PASSWORD, CAUSE)
    assert calls == ["hash"]


@pytest.mark.parametrize(("typed", "code"), [("123456", "123456"), ("۱۲۳ ۴۵۶", "123456"), ("١٢٣٤٥٦", "123456"),
                                             (" 012345 ", "012345")])
def test_codes_are_read_in_any_digits_with_spaces_ignored(typed: str, code: str) -> None:
    assert normalize_code(typed) == code
