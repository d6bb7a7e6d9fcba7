"""Item 2 of issue #13, lock-out by strangers, as the attacker would run it: type wrong
passwords for somebody else's number until the platform locks the door.

Before the fix: five wrong passwords from anyone locked the owner out everywhere (423
account_locked from his own address too), and after the lock ended a single wrong try locked
him again for longer."""

from __future__ import annotations

from tests.e2e.journey import Gateway, expect, refused
from tests.security.callers import PASSWORD, Account, call, log_in, new_address, new_mobile

WRONG = "Wr0ng!guess"


def _fail(gateway: Gateway, mobile: str, address: str, times: int) -> list[int]:
    return [log_in(gateway, mobile, WRONG, address).status_code for _ in range(times)]


def test_a_strangers_failures_lock_only_the_stranger(gateway: Gateway) -> None:
    owner, stranger = Account(gateway), new_address()
    assert _fail(gateway, owner.mobile, stranger, 5) == [401] * 5
    locked = refused(log_in(gateway, owner.mobile, PASSWORD, stranger), 423, "account_locked",
                     "the stranger's address is locked for this number, even with the right password")
    assert locked["retry_after"] >= 1
    owner.log_in()  # the owner, at his own address, is not locked out


def test_after_a_lock_ends_one_wrong_try_does_not_lock_again_and_success_resets_the_growth(gateway: Gateway) -> None:
    owner = Account(gateway)
    assert _fail(gateway, owner.mobile, owner.address, 5) == [401] * 5
    first = refused(log_in(gateway, owner.mobile, PASSWORD, owner.address), 423, "account_locked", "the first lock")
    assert first["retry_after"] <= 61
    gateway.advance_clock(first["retry_after"] + 1)

    # One typo after the lock: a wrong password, not a longer lock.
    refused(log_in(gateway, owner.mobile, WRONG, owner.address), 401, "invalid_credentials", "one wrong try")
    owner.log_in()  # and the right password still opens
    # The success cleared the growing lock: five more failures lock for the first minute again.
    assert _fail(gateway, owner.mobile, owner.address, 5) == [401] * 5
    again = refused(log_in(gateway, owner.mobile, PASSWORD, owner.address), 423, "account_locked", "a fresh lock")
    assert again["retry_after"] <= 61


def test_a_password_reset_ends_the_lock(gateway: Gateway) -> None:
    owner = Account(gateway)
    assert _fail(gateway, owner.mobile, owner.address, 5) == [401] * 5
    refused(log_in(gateway, owner.mobile, PASSWORD, owner.address), 423, "account_locked", "locked")
    gateway.advance_clock(61)  # the SMS re-send gap since the sign-up code
    expect(owner.post("/identity/password-resets", {"mobile": owner.mobile}), 202, "asking for a reset code")
    code = owner.person.code_from_sms(2)
    expect(owner.post("/identity/password-resets/confirm",
                      {"mobile": owner.mobile, "code": code, "new_password": "N3w!secret"}), 200, "resetting")
    owner.log_in("N3w!secret")  # the earlier lock (it had 60 s left before the clock moved) is gone


def test_known_and_unknown_numbers_are_answered_alike(gateway: Gateway) -> None:
    owner, stranger = Account(gateway), new_address()
    unknown = new_mobile()
    for mobile in (owner.mobile, unknown):
        assert _fail(gateway, mobile, stranger, 5) == [401] * 5
    known_lock = log_in(gateway, owner.mobile, WRONG, stranger)
    unknown_lock = log_in(gateway, unknown, WRONG, stranger)
    assert (known_lock.status_code, known_lock.json()["error"]) == (unknown_lock.status_code,
                                                                    unknown_lock.json()["error"]) == (423,
                                                                                                      "account_locked")
    reset = [call(gateway, "POST", "/identity/password-resets", {"mobile": m}, address=new_address())
             for m in (owner.mobile, unknown)]
    assert [r.status_code for r in reset] == [202, 202] and reset[0].json() == reset[1].json()


def test_one_address_guessing_across_many_numbers_meets_the_per_address_brake(gateway: Gateway) -> None:
    guesser = new_address()
    answers = [log_in(gateway, new_mobile(), WRONG, guesser).status_code for _ in range(31)]
    assert answers[:30] == [401] * 30 and answers[30] == 429, answers
    refused(log_in(gateway, new_mobile(), WRONG, guesser), 429, "too_many_requests", "the address is braked")
