"""Identity's rules where they live (issue #13): registration attempts that reserve nothing,
the login throttle per (number, address), the per-address counts, and sessions that end — the
aggregates alone, no store and no broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.identity.domain import (
    ADDRESS_FAILURE_WINDOW,
    FIRST_LOCK,
    LONGEST_LOCK,
    RESEND_GAP,
    ClientAddress,
    LoginThrottle,
    User,
    address_window,
)
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal

T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def _attempt(password: str, attempt: str, code: str, at: datetime = T0) -> User:
    user_id = uuid.uuid4()
    user = User(user_id=user_id, mobile=Personal(f"user:{user_id}", "+989121234567"), password_hash=password,
                locale="fa", attempt_id=attempt)
    user.issue_code("signup", code, "sealed", at)
    return user


def _code(user: User, code: str, attempt: str | None, at: datetime) -> str | None:
    return user.try_code("signup", code, at, attempt_id=attempt)


def test_an_unverified_number_has_no_password_and_a_later_attempt_supersedes_it() -> None:
    user = _attempt("attacker-hash", "a1", "code-1")
    assert user.password_hash is None  # nothing is reserved before a code is entered
    user.check_can_register()
    with pytest.raises(DomainError) as too_soon:
        user.register_again("a2", "owner-hash", "fa", "code-2", "sealed", T0 + timedelta(seconds=10))
    assert too_soon.value.code == "resend_too_soon"
    user.register_again("a2", "owner-hash", "en", "code-2", "sealed", T0 + RESEND_GAP)
    later = T0 + RESEND_GAP + timedelta(seconds=1)
    assert _code(user, "code-1", "a1", later) == "invalid_code"  # the superseded attempt's code is gone
    assert _code(user, "code-2", "a2", later) is None
    assert user.verified and user.password_hash == "owner-hash" and user.locale == "en"
    with pytest.raises(DomainError) as taken:
        user.check_can_register()
    assert taken.value.code == "mobile_already_registered"


def test_a_code_verifies_only_the_attempt_it_was_sent_for() -> None:
    user = _attempt("owner-hash", "owner", "code-1")
    user.register_again("stranger", "stranger-hash", "fa", "code-2", "sealed", T0 + RESEND_GAP)
    later = T0 + RESEND_GAP
    # The owner types the newest code (the stranger's) on his own page, which names his attempt.
    assert _code(user, "code-2", "owner", later) == "invalid_code"
    assert not user.verified and user.password_hash is None
    assert user.wrong_tries == 1  # counted like any wrong guess: guessing stays bounded


def test_a_password_change_ends_every_session() -> None:
    user = _attempt("hash", "a", "code")
    assert _code(user, "code", "a", T0) is None
    user.start_session("s1", "r1", T0)
    user.start_session("s2", "r2", T0)
    user.change_password("new-hash", T0 + timedelta(hours=1))
    ended = [e for e in user.collect_events() if type(e).__name__ == "SessionsEnded"]
    assert user.sessions == {} and ended[-1].session_ids == ["s1", "s2"] and ended[-1].reason == "password_changed"
    assert user.password_changed_at == T0 + timedelta(hours=1)


def _throttle() -> LoginThrottle:
    return LoginThrottle(throttle_id=uuid.uuid4())


def _locked_for(throttle: LoginThrottle, now: datetime, changed_at: datetime | None = None) -> int | None:
    try:
        throttle.check(now, changed_at)
    except DomainError as locked:
        return int(locked.details["retry_after"])
    return None


def test_five_failures_lock_the_pair_for_a_minute_then_twice_as_long() -> None:
    throttle, now = _throttle(), T0
    for _ in range(4):
        throttle.record_failure(now, None)
    assert _locked_for(throttle, now) is None
    throttle.record_failure(now, None)
    assert 60 <= (_locked_for(throttle, now) or 0) <= 61
    now += FIRST_LOCK
    assert _locked_for(throttle, now) is None
    throttle.record_failure(now, None)  # one typo after the lock: not locked again
    assert _locked_for(throttle, now) is None
    for _ in range(4):
        throttle.record_failure(now, None)
    assert 120 <= (_locked_for(throttle, now) or 0) <= 121  # the second lock of the pair: twice as long


def test_locks_stop_growing_at_a_day_and_a_success_starts_them_afresh() -> None:
    throttle, now = _throttle(), T0
    for _ in range(15):  # fifteen locks in a row
        for _ in range(5):
            throttle.record_failure(now, None)
        now += LONGEST_LOCK
    for _ in range(5):
        throttle.record_failure(now, None)
    assert _locked_for(throttle, now) == int(LONGEST_LOCK.total_seconds()) + 1
    now += LONGEST_LOCK
    throttle.succeed()
    assert throttle.clear
    for _ in range(5):
        throttle.record_failure(now, None)
    assert 60 <= (_locked_for(throttle, now) or 0) <= 61


def test_a_password_change_outdates_the_lock() -> None:
    throttle = _throttle()
    for _ in range(5):
        throttle.record_failure(T0, None)
    changed_at = T0 + timedelta(seconds=5)
    assert _locked_for(throttle, T0 + timedelta(seconds=10)) is not None
    assert _locked_for(throttle, T0 + timedelta(seconds=10), changed_at) is None
    throttle.record_failure(T0 + timedelta(seconds=10), changed_at)  # counting starts again after the reset
    assert throttle.failures == 1 and throttle.locks == 0


def _replayed(user: User) -> User:
    rebuilt: Any = None
    for stored in user.collect_events():
        rebuilt = stored.mutate(rebuilt)
    return rebuilt  # type: ignore[no-any-return]


def test_users_written_before_issue_13_still_load_and_their_resets_still_end_sessions() -> None:
    user = _attempt("hash", "a", "code")
    assert _code(user, "code", "a", T0) is None
    user.start_session("s1", "r1", T0)
    user.start_session("s2", "r2", T0)
    user._session_revoked(session_id="s1", reason="logout")  # the pre-#13 logout event
    user._login_failed(failures=1, locked_until=None)  # the pre-#13 failure event
    user._password_changed(password_hash="new-hash")  # a pre-#13 reset: no SessionsEnded before it
    rebuilt = _replayed(user)
    assert rebuilt.sessions == {} and rebuilt.password_hash == "new-hash"
    assert rebuilt.password_changed_at is None and rebuilt.code_attempt_id is None


def test_a_reset_tells_of_live_sessions_only_in_bounded_events() -> None:
    user = _attempt("hash", "a", "code")
    assert _code(user, "code", "a", T0) is None
    for i in range(User.SESSIONS_PER_EVENT + 5):
        user.start_session(f"s{i}", "r", T0)
    user.start_session("old", "r", T0 - timedelta(days=40))  # expired long ago
    user.collect_events()
    user.change_password("new", T0 + timedelta(hours=1))
    ended = [e for e in user.collect_events() if type(e).__name__ == "SessionsEnded"]
    assert [len(e.session_ids) for e in ended] == [User.SESSIONS_PER_EVENT, 5]
    assert "old" not in {sid for e in ended for sid in e.session_ids} and user.sessions == {}


def test_a_failure_recorded_during_a_lock_keeps_the_lock() -> None:
    """Parallel guesses pass the check together; the ones recorded after the lock must not lift it."""
    throttle = _throttle()
    for _ in range(5):
        throttle.record_failure(T0, None)
    throttle.record_failure(T0 + timedelta(seconds=1), None)
    assert _locked_for(throttle, T0 + timedelta(seconds=2)) is not None


def test_a_new_throttle_is_clear_and_a_success_on_it_writes_nothing() -> None:
    throttle = _throttle()
    throttle.collect_events()
    assert throttle.clear and _locked_for(throttle, T0) is None
    throttle.succeed()
    assert throttle.collect_events() == []


def test_a_success_clears_failures_below_the_lock() -> None:
    throttle = _throttle()
    for _ in range(3):
        throttle.record_failure(T0, None)
    assert not throttle.clear and throttle.failures == 3 and throttle.last_failure_at == T0
    throttle.succeed()
    assert throttle.clear and [type(e).__name__ for e in throttle.collect_events()][-1] == "Cleared"


def _address(now: datetime = T0) -> ClientAddress:
    _, ends_at = address_window(now)
    return ClientAddress(address_id=uuid.uuid4(), window_ends_at=ends_at)


def test_an_address_window_is_its_clock_hour() -> None:
    label, ends_at = address_window(datetime(2026, 12, 4, 10, 59, 59, tzinfo=UTC))
    assert label == "2026-12-04T10" and ends_at == datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    assert address_window(datetime(2026, 12, 4, 11, 0, tzinfo=UTC))[0] == "2026-12-04T11"


def test_an_address_may_ask_for_so_many_codes_an_hour() -> None:
    client = _address()
    for minute in range(3):
        client.request_code(T0 + timedelta(minutes=minute), limit=3)
    capped = None
    try:
        client.request_code(T0 + timedelta(minutes=20), limit=3)
    except DomainError as refused:
        capped = refused
    assert capped is not None and capped.code == "too_many_requests" and capped.details["contact_support"] is True
    assert capped.details["retry_after"] == 40 * 60 + 1  # until the hour ends
    assert len(client.requests) == 3  # the refused request is not counted


def test_an_address_is_braked_after_thirty_failed_logins_in_fifteen_minutes() -> None:
    client = _address()
    for second in range(30):
        client.record_login_failure(T0 + timedelta(seconds=second))
    client.check_logins_allowed(T0 + timedelta(seconds=30), limit=31)
    braked = None
    try:
        client.check_logins_allowed(T0 + timedelta(minutes=5), limit=30)
    except DomainError as refused:
        braked = refused
    assert braked is not None and braked.code == "too_many_requests"
    assert braked.details["retry_after"] == int((ADDRESS_FAILURE_WINDOW - timedelta(minutes=5)).total_seconds()) + 1
    client.check_logins_allowed(T0 + ADDRESS_FAILURE_WINDOW + timedelta(seconds=30), limit=30)  # the oldest aged out
