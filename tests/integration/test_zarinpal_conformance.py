"""Billing against the payment sandbox as Zarinpal documents itself (issue #14; the table in
docs/providers.md): verification's receipt kept, money the order no longer takes reversed
without verifying, refunds past the reverse window through the GraphQL API by the
transaction's session id, and a refund the gateway refuses for good put before an operator
— over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.zarinpal import GatewayUnavailable, RefundRefused, ZarinpalClient
from shared.events import billing as contracts
from shared.kernel.config import Settings
from tests.support.billing import (
    CAUSE,
    MERCHANT,
    NEW_ORDER,
    billing_app,
    callback,
    late_success,
    pay_at_sandbox,
    published,
    sandbox_server,
    start,
)
from tests.support.provisioning_orders import inbound

SettingsFor = Callable[..., Settings]


@pytest.fixture
def sandbox() -> Iterator[str]:
    with sandbox_server() as url:
        yield url


@pytest.fixture
def app(settings_for: SettingsFor, sandbox: str) -> BillingApplication:
    return billing_app(settings_for("billing"), sandbox)


def faults(sandbox: str, **chosen: Any) -> None:
    requests.post(f"{sandbox}/_dev/faults", json=chosen, timeout=5).raise_for_status()


def calls(sandbox: str, method: str, authority: str | None = None) -> list[dict[str, Any]]:
    """The sandbox's calls of one method (about one authority); the sandbox outlives a test."""
    return [r for r in requests.get(f"{sandbox}/_dev/requests", timeout=5).json()["data"]
            if r["method"] == method and (authority is None or r["body"].get("authority") == authority)]


def refund_calls(sandbox: str, session_ids: set[str]) -> list[dict[str, Any]]:
    return [c for c in calls(sandbox, "graphql") if "AddRefund" in c["body"]["query"]
            and c["body"]["variables"]["session_id"] in session_ids]


def session_of(sandbox: str, authority: str) -> str:
    (tx,) = [t for t in requests.get(f"{sandbox}/_dev/transactions", timeout=5).json()["data"]
             if t["authority"] == authority]
    return str(tx["session_id"])


def test_verification_keeps_the_banks_receipt(app: BillingApplication) -> None:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] == "succeeded"
    bank = settled["bank"]
    assert bank["ref_id"] and bank["card_pan"] == "502229******5995" and bank["fee"] > 0, bank
    assert "card_hash" not in bank  # kept for reconciliation, not shown


def test_money_the_order_no_longer_takes_is_reversed_without_verifying(app: BillingApplication,
                                                                     sandbox: str) -> None:
    customer, order_id, started = start(app)
    back = pay_at_sandbox(started["redirect_url"], "success")
    assert back is not None
    # While the customer was at the bank, the order changed (BI-1): this payment pays for nothing.
    app.change_order(customer, order_id, NEW_ORDER | {"period_months": 6}, CAUSE)
    settled = app.settlement.payment_callback(started["payment_id"], back[0], back[1], CAUSE)
    assert settled["state"] == "refunded" and settled["reason"] == "order_changed", settled
    assert settled["refund"]["refund_reference"] == "reversed"
    assert calls(sandbox, "verify", back[0]) == [] and len(calls(sandbox, "reverse", back[0])) == 1
    kinds = [type(e) for e in published(app, started["payment_id"])]
    assert kinds == [contracts.PaymentFailedV1, contracts.RefundScheduledV1, contracts.RefundCompletedV1]


def test_after_the_reverse_window_the_refund_api_gets_the_session_id(app: BillingApplication,
                                                                     sandbox: str) -> None:
    payment_id = late_success(app)
    faults(sandbox, reverse_window_seconds=0)
    app.settlement.reconcile(CAUSE)  # verifies the late money (ref_id kept), reverse refused (-63), AddRefund
    view = app.payment(None, payment_id)
    assert view["state"] == "refunded" and view["refund"]["refund_reference"].startswith("refund-38"), view
    assert view["bank"]["ref_id"]
    authority = app.repository.get(uuid.UUID(payment_id)).authority
    (refund_call,) = refund_calls(sandbox, {session_of(sandbox, authority), authority})
    assert refund_call["body"]["variables"]["session_id"].isdigit()  # the session id, never the authority
    assert refund_call["body"]["variables"]["amount"] == view["amount_rials"]
    assert app.settlement.reconcile(CAUSE)["refunded"] == 0


def test_a_refund_lost_on_the_way_back_is_not_asked_for_twice(sandbox: str) -> None:
    client = ZarinpalClient(sandbox, MERCHANT, access_token="t", timeout=5, retries=0,
                            graphql_url=f"{sandbox}/api/v4/graphql/", terminal_id="sandbox")
    authority, redirect = client.request(150_000, "http://portal.test/cb", "a test", "order-1")
    assert pay_at_sandbox(redirect, "success") is not None
    verdict = client.verify(authority, 150_000)
    assert verdict.paid and verdict.card_hash and verdict.fee is not None
    faults(sandbox, reverse_window_seconds=0)  # half an hour later: only the refund API gives it back
    first = client.refund(authority, verdict.ref_id, 150_000, "first")
    again = client.refund(authority, verdict.ref_id, 150_000, "after a lost answer")
    assert first == again and first.startswith("refund-")
    assert len(refund_calls(sandbox, {session_of(sandbox, authority)})) == 1
    assert client.inquiry(authority) == "VERIFIED"  # a refund is not a reverse: inquiry does not show it


def _never_verified(app: BillingApplication) -> str:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "captured_then_fail")
    assert settled["state"] == "refund_scheduled", settled
    return str(settled["payment_id"])


@pytest.mark.parametrize("payment, fault, error", [
    (_never_verified, {}, "no transaction number"),
    (late_success, {"refund_refused": True}, "AddRefund refused"),
])
def test_a_refund_refused_for_good_is_blocked_for_an_operator_and_replay_retries_it(
        app: BillingApplication, sandbox: str, payment: Callable[[BillingApplication], str], fault: dict[str, Any],
        error: str) -> None:
    faults(sandbox, reverse_window_seconds=0, **fault)
    payment_id = payment(app)
    app.settlement.reconcile(CAUSE)
    blocked = app.payment(None, payment_id)
    assert blocked["state"] == "refund_blocked" and error in blocked["refund"]["last_error"], blocked
    assert app.settlement.refund_health()["refunds_blocked"] == 1
    assert app.settlement.blocked_refunds == [uuid.UUID(payment_id)]
    letter = app.settlement.blocked_refund_letter(uuid.UUID(payment_id))
    assert letter is not None and letter.type == "RefundBlocked"
    assert app.settlement.reconcile(CAUSE)["refunded"] == 0  # blocked: no retries until an operator acts
    assert isinstance(published(app, payment_id)[-1], contracts.RefundBlockedV1)

    # The operator fixes the cause and replays the dead letter: billing tries the refund again.
    faults(sandbox)
    policies.handle(app, app, inbound(contracts.RefundBlockedV1.model_validate(letter.payload)))
    assert app.payment(None, payment_id)["state"] == "refunded"
    assert app.settlement.refund_health()["refunds_blocked"] == 0


def test_verify_codes_that_say_nothing_about_the_payment_are_asked_again(app: BillingApplication,
                                                                        sandbox: str) -> None:
    _, _, started = start(app)
    back = pay_at_sandbox(started["redirect_url"], "success")
    assert back is not None
    for code in (-12, -10):  # too many attempts; our terminal misconfigured
        faults(sandbox, verify_code=code)
        assert app.settlement.payment_callback(started["payment_id"], back[0], back[1], CAUSE)["state"] == "pending"
    faults(sandbox)
    assert app.settlement.payment_callback(started["payment_id"], back[0], back[1], CAUSE)["state"] == "succeeded"


def test_the_client_reads_every_documented_refusal(sandbox: str) -> None:
    client = ZarinpalClient(sandbox, MERCHANT, access_token="t", timeout=5, retries=0,
                            graphql_url=f"{sandbox}/api/v4/graphql/", terminal_id="sandbox")
    authority, redirect = client.request(150_000, "http://portal.test/cb", "a test", "order-2")
    assert client.verify(authority, 150_000).code == -51  # not paid yet
    assert not client.verify(authority, 150_000).captured
    assert pay_at_sandbox(redirect, "success") is not None
    assert client.verify(authority, 100_000).code == -50  # an amount that is not the one paid
    faults(sandbox, reverse_ip_registered=False)
    assert client.reverse(authority) is False  # -62: the server's address is not registered
    faults(sandbox, reverse_window_seconds=0)
    assert client.reverse(authority) is False  # -63: past 30 minutes
    faults(sandbox)
    assert client.reverse(authority) is True
    assert client.reverse(authority) is False  # -61: nothing left to reverse
    paid, redirect = client.request(150_000, "http://portal.test/cb", "another test", "order-3")
    assert pay_at_sandbox(redirect, "success") is not None
    ref_id = client.verify(paid, 150_000).ref_id
    faults(sandbox, reverse_window_seconds=0)
    with pytest.raises(RefundRefused, match="20000"):
        client.refund(paid, ref_id, 15_000, "too small")
    with pytest.raises(RefundRefused, match="no transaction"):
        client.refund(paid, "999", 150_000, "a reference the bank never gave")
    anonymous = ZarinpalClient(sandbox, MERCHANT, access_token="", graphql_url=f"{sandbox}/api/v4/graphql/",
                               terminal_id="sandbox", retries=0)
    with pytest.raises(RefundRefused, match="access token"):
        anonymous.refund(paid, ref_id, 150_000, "without the token")
    nowhere = ZarinpalClient(sandbox, MERCHANT, access_token="t", graphql_url="http://127.0.0.1:9/graphql/",
                             terminal_id="sandbox", retries=0, timeout=2)
    with pytest.raises(GatewayUnavailable):
        nowhere.refund(paid, ref_id, 150_000, "the API unreachable")
