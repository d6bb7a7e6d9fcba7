"""Item 3 of issue #13, sessions that end, as somebody holding a copied access token would
try them: after the owner logged out, reset his password, or after the token's time.

Before the fix: after DELETE /identity/sessions the access token still opened /me, and a
token stayed valid past its lifetime when the platform clock was moved (the gateway read
the wall clock)."""

from __future__ import annotations

import requests

from tests.e2e.journey import Gateway, expect
from tests.security.callers import Account, call
from tests.support.processes import wait_until


def _refused_soon(account: Account, token: str, what: str) -> None:
    """The gateway learns an ended session by event: within seconds, never never."""
    wait_until(lambda: account.me(token).status_code == 401, timeout=30, interval=0.2, what=what)
    answer = account.me(token)
    assert answer.json()["error"] == "unauthorized" and answer.headers["Cache-Control"] == "no-store"


def test_logging_out_ends_the_access_token_too(gateway: Gateway) -> None:
    owner = Account(gateway)
    copied = owner.tokens["access_token"]  # what a shared computer or a stolen laptop keeps
    expect(owner.me(copied), 200, "the token works before logging out")
    expect(call(gateway, "DELETE", "/identity/sessions", {"refresh_token": owner.tokens["refresh_token"]},
                address=owner.address), 200, "logging out")
    _refused_soon(owner, copied, "the gateway to refuse the logged-out session's access token")
    memory = requests.get(f"{gateway.url}/health", timeout=30).json()["services"]["gateway"]
    assert memory["ended_sessions_remembered"] >= 1 and memory["clock_offset_seconds"] == gateway.clock_offset


def test_a_password_reset_ends_every_session_everywhere(gateway: Gateway) -> None:
    owner = Account(gateway)
    laptop = owner.tokens["access_token"]
    phone = owner.log_in()["access_token"]  # a second session
    gateway.advance_clock(61)
    expect(owner.post("/identity/password-resets", {"mobile": owner.mobile}), 202, "asking for a reset code")
    expect(owner.post("/identity/password-resets/confirm", {"mobile": owner.mobile,
                                                            "code": owner.person.code_from_sms(2),
                                                            "new_password": "N3w!secret"}), 200, "resetting")
    for token in (laptop, phone):
        _refused_soon(owner, token, "every session of the old password to end")
    fresh = owner.log_in("N3w!secret")["access_token"]
    expect(owner.me(fresh), 200, "the new password's session")


def test_a_reused_refresh_token_ends_the_session_and_its_access_token(gateway: Gateway) -> None:
    owner = Account(gateway)
    stolen = owner.tokens["refresh_token"]
    renewed = expect(owner.post("/identity/sessions/refresh", {"refresh_token": stolen}), 200, "the owner refreshes")
    expect(owner.me(renewed["access_token"]), 200, "the renewed token works")
    expect(owner.post("/identity/sessions/refresh", {"refresh_token": stolen}), 401, "the thief replays the old one")
    _refused_soon(owner, renewed["access_token"], "the session a stolen refresh token touched to end")


def test_an_access_token_expires_by_the_platform_clock(gateway: Gateway) -> None:
    owner = Account(gateway)
    token = owner.tokens["access_token"]
    assert owner.tokens["expires_in"] <= 900
    expect(owner.me(token), 200, "a fresh token")
    gateway.advance_clock(16 * 60)
    answer = owner.me(token)
    assert answer.status_code == 401 and answer.json()["error"] == "unauthorized", answer.text
