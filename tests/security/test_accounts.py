"""Item 1 of issue #13, the pre-registration hijack, as the attacker would run it: register
the victim's number first with the attacker's password and wait for the owner to verify.

Before the fix: the owner's sign-up answered 409 mobile_already_registered, his password
reset 403 mobile_not_verified, and verifying the code from his phone activated the
attacker's password (the attacker logged in, the owner could not)."""

from __future__ import annotations

from tests.e2e.journey import Gateway, Person, expect, refused
from tests.security.callers import ATTACKER_PASSWORD, PASSWORD, call, log_in, new_address, new_mobile


def _register(gateway: Gateway, mobile: str, password: str, address: str) -> dict[str, str]:
    return dict(expect(call(gateway, "POST", "/identity/registrations", {"mobile": mobile, "password": password},
                            address=address), 202, f"registering {mobile} from {address}"))


def test_a_stranger_who_registers_the_number_first_gets_nothing(gateway: Gateway) -> None:
    mobile, attacker, owner_at = new_mobile(), new_address(), new_address()
    owner = Person(gateway, mobile)
    _register(gateway, mobile, ATTACKER_PASSWORD, attacker)

    # The owner is not told the number is taken, and a reset answers like any reset.
    too_soon = call(gateway, "POST", "/identity/registrations", {"mobile": mobile, "password": PASSWORD},
                    address=owner_at)
    refused(too_soon, 429, "resend_too_soon", "a second attempt within the minute waits like a re-send")
    expect(call(gateway, "POST", "/identity/password-resets", {"mobile": mobile}, address=owner_at), 202,
           "a password reset for an unverified number")
    gateway.advance_clock(61)
    mine = _register(gateway, mobile, PASSWORD, owner_at)
    owner.registration_id = mine["registration_id"]

    # The owner's phone got the attacker's code first, then his own: only his own verifies his attempt.
    attackers_code, own_code = owner.code_from_sms(1), owner.code_from_sms(2)
    refused(owner.verify(attackers_code), 400, "invalid_code", "the superseded attempt's code")
    expect(owner.verify(own_code), 200, "the owner verifies with the code of his attempt")

    refused(log_in(gateway, mobile, ATTACKER_PASSWORD, attacker), 401, "invalid_credentials",
            "the attacker's password")
    assert log_in(gateway, mobile, PASSWORD, owner_at).status_code == 200
    refused(call(gateway, "POST", "/identity/registrations", {"mobile": mobile, "password": ATTACKER_PASSWORD},
                 address=attacker), 409, "mobile_already_registered", "a verified number is taken (ID-1)")


def test_an_attempt_after_the_owners_cannot_be_verified_by_the_owners_typing(gateway: Gateway) -> None:
    """The attacker registers just after the owner: the newest SMS on the owner's phone is the
    attacker's code, and typing it (on the owner's verification page) must not verify anything."""
    mobile, owner_at, attacker = new_mobile(), new_address(), new_address()
    owner = Person(gateway, mobile)
    owner.registration_id = _register(gateway, mobile, PASSWORD, owner_at)["registration_id"]
    gateway.advance_clock(61)
    theirs = _register(gateway, mobile, ATTACKER_PASSWORD, attacker)
    refused(owner.verify(owner.code_from_sms(2)), 400, "invalid_code", "the stranger's code on the owner's page")
    refused(call(gateway, "POST", "/identity/registrations/verify", {"mobile": mobile, "code": owner.code_from_sms(2)},
                 address=attacker), 422, "invalid_request", "verifying without naming the attempt")
    assert theirs["registration_id"] != owner.registration_id
    refused(log_in(gateway, mobile, ATTACKER_PASSWORD, attacker), 403, "mobile_not_verified", "nothing verified")
