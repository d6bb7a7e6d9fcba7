"""The User aggregate alone (ID-1 … ID-4): what registering, issuing and trying codes,
verifying, and sessions each leave behind, and every rule that refuses — no store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.identity.domain import (
    CODE_VALIDITY,
    DAILY_CODES_PER_NUMBER,
    MAX_WRONG_TRIES,
    RESEND_GAP,
    SESSION_LIFETIME,
    Session,
    User,
)
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal

T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def new_user(attempt: str = "a1", password_hash: str = "hash-1", locale: str = "fa") -> User:
    user_id = uuid.uuid4()
    return User(user_id=user_id, mobile=Personal(f"user:{user_id}", "+989121234567"), password_hash=password_hash,
                locale=locale, attempt_id=attempt)


def verified(at: datetime = T0) -> User:
    user = new_user()
    user.issue_code("signup", "code", "sealed", at)
    assert user.try_code("signup", "code", at) is None
    return user


def refusal(action: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()  # type: ignore[operator]
    return caught.value


def names(user: User) -> list[str]:
    return [type(e).__name__ for e in user.collect_events()]


def test_a_new_user_is_an_unverified_attempt_with_no_password_yet() -> None:
    user = new_user(attempt="a1", password_hash="hash-1", locale="en")
    assert user.id == user.user_id and not user.verified
    assert user.password_hash is None and user.attempt_password_hash == "hash-1" and user.attempt_id == "a1"
    assert user.locale == "en" and user.sessions == {} and user.codes_issued_at == []
    assert names(user) == ["Registered"]


def test_issuing_a_code_keeps_its_hash_purpose_attempt_and_expiry() -> None:
    user = new_user(attempt="a1")
    user.issue_code("signup", "code-hash", "sealed", T0)
    assert (user.code_hash, user.code_purpose, user.code_attempt_id) == ("code-hash", "signup", "a1")
    assert user.code_expires_at == T0 + CODE_VALIDITY and user.wrong_tries == 0
    [_, issued] = user.collect_events()
    # The relay addresses the SMS from this event alone.
    assert issued.mobile.reveal() == "+989121234567" and issued.locale == "fa"  # type: ignore[attr-defined]
    assert issued.sealed_code == "sealed" and issued.expires_at == T0 + CODE_VALIDITY  # type: ignore[attr-defined]


def test_a_reset_code_belongs_to_no_registration_attempt() -> None:
    user = verified()
    user.issue_code("password_reset", "reset-hash", "sealed", T0 + RESEND_GAP)
    assert user.code_purpose == "password_reset" and user.code_attempt_id == ""


def test_a_sign_up_code_for_a_verified_number_and_a_reset_for_an_unverified_one_are_refused() -> None:
    assert refusal(lambda: verified().issue_code("signup", "c", "s", T0 + RESEND_GAP)).code == "already_verified"
    unverified = new_user()
    assert refusal(lambda: unverified.issue_code("password_reset", "c", "s", T0)).code == "mobile_not_verified"


def test_a_code_within_a_minute_of_the_last_is_refused_with_the_wait() -> None:
    user = new_user()
    user.issue_code("signup", "c1", "s", T0)
    too_soon = refusal(lambda: user.issue_code("signup", "c2", "s", T0 + timedelta(seconds=20)))
    assert too_soon.code == "resend_too_soon" and too_soon.details["retry_after"] == 41
    user.issue_code("signup", "c2", "s", T0 + RESEND_GAP)
    assert user.code_hash == "c2"


def test_five_codes_a_day_then_support_and_the_day_rolls_on() -> None:
    user, now = new_user(), T0
    for _ in range(DAILY_CODES_PER_NUMBER):
        user.issue_code("signup", "c", "s", now)
        now += timedelta(hours=1)
    capped = refusal(lambda: user.issue_code("signup", "c", "s", now))
    assert capped.code == "too_many_codes" and capped.details["contact_support"] is True
    assert capped.details["retry_after"] == int((T0 + timedelta(days=1) - now).total_seconds())
    now = T0 + timedelta(days=1)  # the first code is a day old
    user.issue_code("signup", "c", "s", now)
    assert T0 not in user.codes_issued_at and len(user.codes_issued_at) == DAILY_CODES_PER_NUMBER


def test_no_code_or_a_code_of_another_purpose_is_a_wrong_code_not_counted() -> None:
    user = new_user()
    assert user.try_code("signup", "anything", T0) == "invalid_code"
    user.issue_code("signup", "code", "s", T0)
    assert user.try_code("password_reset", "code", T0) == "invalid_code"
    assert user.wrong_tries == 0 and not user.verified


def test_wrong_guesses_are_counted_up_to_the_limit_and_then_even_the_right_code_is_refused() -> None:
    user = new_user()
    user.issue_code("signup", "code", "s", T0)
    answers = [user.try_code("signup", "wrong", T0) for _ in range(MAX_WRONG_TRIES)]
    assert answers == ["invalid_code"] * (MAX_WRONG_TRIES - 1) + ["too_many_attempts"]
    assert user.try_code("signup", "code", T0) == "too_many_attempts"
    assert user.wrong_tries == MAX_WRONG_TRIES and not user.verified
    user.issue_code("signup", "code-2", "s", T0 + RESEND_GAP)  # a new code: fresh tries
    assert user.wrong_tries == 0 and user.try_code("signup", "code-2", T0 + RESEND_GAP) is None


def test_a_code_expires_after_seven_days_without_counting_a_try() -> None:
    user = new_user()
    user.issue_code("signup", "code", "s", T0)
    assert user.try_code("signup", "code", T0 + CODE_VALIDITY) == "code_expired"
    assert user.wrong_tries == 0 and not user.verified


def test_the_right_sign_up_code_verifies_and_is_gone() -> None:
    user = new_user(password_hash="hash-1")
    user.issue_code("signup", "code", "s", T0)
    user.collect_events()
    assert user.try_code("signup", "code", T0) is None
    assert user.verified and user.password_hash == "hash-1" and user.attempt_password_hash is None
    assert user.code_hash is None and user.code_purpose is None and user.code_attempt_id is None
    assert names(user) == ["MobileVerified"]
    assert user.try_code("signup", "code", T0) == "invalid_code"  # single use


def test_the_right_reset_code_is_used_once_and_changes_nothing_else() -> None:
    user = verified()
    user.issue_code("password_reset", "reset", "s", T0 + RESEND_GAP)
    user.collect_events()
    assert user.try_code("password_reset", "reset", T0 + RESEND_GAP) is None
    assert names(user) == ["CodeUsed"] and user.code_hash is None and user.password_hash == "hash-1"
    assert user.try_code("password_reset", "reset", T0 + RESEND_GAP) == "invalid_code"


def test_registering_again_is_refused_once_verified() -> None:
    user = verified()
    taken = refusal(lambda: user.register_again("a2", "h", "fa", "c", "s", T0 + RESEND_GAP))
    assert taken.code == "mobile_already_registered"


def test_a_session_needs_a_verified_number_and_lasts_thirty_days() -> None:
    assert refusal(lambda: new_user().start_session("s1", "r1", T0)).code == "mobile_not_verified"
    user = verified()
    user.start_session("s1", "r1", T0)
    assert user.sessions == {"s1": Session("r1", T0 + SESSION_LIFETIME)}


def test_a_refresh_rotates_the_token_and_keeps_the_expiry() -> None:
    user = verified()
    user.start_session("s1", "r1", T0)
    user.refresh_session("s1", "r1", "r2", T0 + timedelta(days=1))
    assert user.sessions["s1"] == Session("r2", T0 + SESSION_LIFETIME)


def test_an_unknown_or_expired_session_cannot_be_refreshed() -> None:
    user = verified()
    user.start_session("s1", "r1", T0)
    assert refusal(lambda: user.refresh_session("nope", "r1", "r2", T0)).code == "unauthorized"
    assert refusal(lambda: user.refresh_session("s1", "r1", "r2", T0 + SESSION_LIFETIME)).code == "unauthorized"
    assert "s1" in user.sessions  # a lapsed session is refused, not ended by an event


def test_a_rotated_away_token_ends_the_session() -> None:
    user = verified()
    user.start_session("s1", "r1", T0)
    user.refresh_session("s1", "r1", "r2", T0)
    user.collect_events()
    assert refusal(lambda: user.refresh_session("s1", "r1", "r3", T0)).code == "unauthorized"
    [ended] = user.collect_events()
    assert ended.session_ids == ["s1"] and ended.reason == "refresh_token_reused"  # type: ignore[attr-defined]
    assert user.sessions == {}


def test_logging_out_ends_that_session_only_and_an_unknown_one_writes_nothing() -> None:
    user = verified()
    user.start_session("s1", "r1", T0)
    user.start_session("s2", "r2", T0)
    user.collect_events()
    user.end_session("nope", T0)
    assert user.collect_events() == []
    user.end_session("s1", T0)
    [ended] = user.collect_events()
    assert ended.reason == "logout" and list(user.sessions) == ["s2"]  # type: ignore[attr-defined]


def test_a_password_change_without_live_sessions_tells_of_none() -> None:
    user = verified()
    user.collect_events()
    user.change_password("hash-2", T0)
    assert names(user) == ["PasswordChanged"] and user.password_hash == "hash-2"
