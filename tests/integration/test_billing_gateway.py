"""Billing through the gateway, as a web client and a browser see it: real gateway, identity,
notifications and billing processes, the payment sandbox, the real broker (BI-1 … BI-4, NO-1,
X-2, X-3). Each sandbox outcome, the outdated invoice, idempotency keys, 50 concurrent
callbacks, tampered amounts and unknown ids, and the clock moved past 72 hours."""

from __future__ import annotations

import uuid

import eventlet
import pytest
import requests

from tests.support.billing import HTTP_ORDER as ORDER
from tests.support.billing import Client
from tests.support.network import free_port
from tests.support.processes import Platform, wait_until


def browser_pays(redirect_url: str, outcome: str, **form: str) -> requests.Response | None:
    """The customer's browser: submit the sandbox's page, follow the 303 to our callback."""
    at_bank = requests.post(redirect_url, data={"outcome": outcome, **form}, allow_redirects=False, timeout=10)
    if at_bank.status_code == 202:
        return None  # timeout: the callback never comes
    assert at_bank.status_code == 303, at_bank.text
    return requests.get(at_bank.headers["Location"], allow_redirects=False, timeout=30)


@pytest.fixture
def gateway(platform: Platform) -> str:
    address = f"127.0.0.1:{free_port()}"
    platform.start("identity")
    platform.start("notifications")
    # The reconciler asks about a payment 3 s after it started: sooner, it could find a cancel at
    # the bank before the customer's browser is back and record it as declined (as in production,
    # where it waits 10 minutes, the returning customer's callback decides first).
    platform.start("billing", PUBLIC_BASE_URL=f"http://{address}", BILLING_RECONCILE_SECONDS="0.3",
                   PAYMENT_INQUIRY_AFTER_SECONDS="3", REFUND_RETRY_BASE_SECONDS="1")
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return f"http://{address}"


# The long flows run on SQLite here (the application tests cover both stores); the race runs on both.
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_order_invoice_and_every_sandbox_outcome(gateway: str, platform: Platform) -> None:
    customer = Client(gateway, platform)
    catalog = requests.get(f"{gateway}/billing/catalog", timeout=10).json()
    assert catalog["vat_percent"] == 10 and catalog["periods_months"] == [6, 12]

    # Idempotency-Key: the same body → the same answer; another body → 422.
    placed = customer.send("POST", "/billing/orders", ORDER, **{"Idempotency-Key": "k1"})
    assert placed.status_code == 201 and placed.json()["invoice"]["total_rials"] == 110_000_000
    assert customer.send("POST", "/billing/orders", ORDER, **{"Idempotency-Key": "k1"}).json() == placed.json()
    reused = customer.send("POST", "/billing/orders", ORDER | {"period_months": 6}, **{"Idempotency-Key": "k1"})
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    order_id = placed.json()["order_id"]

    # BI-1: a changed order cannot be paid until its invoice is calculated again.
    assert customer.send("PUT", f"/billing/orders/{order_id}", ORDER | {"period_months": 6}).status_code == 200
    outdated = customer.send("POST", f"/billing/orders/{order_id}/payments")
    assert outdated.status_code == 409 and outdated.json()["error"] == "invoice_outdated"
    assert "دوباره محاسبه" in outdated.json()["message"]["fa"] and "calculate the invoice again" in \
        outdated.json()["message"]["en"]
    recalculated = customer.send("POST", f"/billing/orders/{order_id}/invoice")
    assert recalculated.json()["invoice"]["total_rials"] == 66_000_000
    started = customer.send("POST", f"/billing/orders/{order_id}/payments", **{"Idempotency-Key": "p1"})
    assert started.status_code == 201
    assert customer.send("POST", f"/billing/orders/{order_id}/payments",
                         **{"Idempotency-Key": "p1"}).json() == started.json()
    page = requests.get(started.json()["redirect_url"], timeout=10)
    assert page.headers["Content-Type"].startswith("text/html") and "outcome" in page.text

    # success: the browser lands on the portal's result page; the payment is verified.
    landed = browser_pays(started.json()["redirect_url"], "success")
    assert landed is not None and landed.status_code == 303
    assert landed.headers["Location"] == f"/#/payments/{started.json()['payment_id']}"
    assert customer.payment(started.json()["payment_id"])["state"] == "succeeded"

    cancelled = customer.order_and_pay()
    browser_pays(cancelled["redirect_url"], "cancel")
    view = customer.payment(cancelled["payment_id"])
    assert view["state"] == "failed" and view["reason"] == "cancelled_by_customer" and not view["money_taken"]

    captured = customer.order_and_pay()
    back = browser_pays(captured["redirect_url"], "captured_then_fail")
    assert back is not None
    view = customer.payment(captured["payment_id"])
    assert view["state"] in ("refund_scheduled", "refunded") and view["refund"]["deadline"]["jalali_fa"]
    wait_until(lambda: customer.payment(captured["payment_id"])["state"] == "refunded", what="the refund")

    timed_out = customer.order_and_pay()
    assert browser_pays(timed_out["redirect_url"], "timeout", settle_after="1") is None
    wait_until(lambda: customer.payment(timed_out["payment_id"])["state"] == "succeeded",
               what="the reconciler to settle the timeout")

    # NO-1: the customer was told each step by SMS.
    wanted = {"billing.payment_succeeded", "billing.payment_failed", "billing.refund_scheduled",
              "billing.refund_completed"}
    wait_until(lambda: wanted <= set(customer.sms_templates())
               and customer.sms_templates().count("billing.payment_succeeded") == 2, what="the SMS notices")


def test_fifty_callbacks_tampering_and_strangers(gateway: str, platform: Platform) -> None:
    customer, stranger = Client(gateway, platform), Client(gateway, platform)
    started = customer.order_and_pay()
    at_bank = requests.post(started["redirect_url"], data={"outcome": "success"}, allow_redirects=False, timeout=10)
    callback = at_bank.headers["Location"]

    def hit(_: int) -> int:
        return requests.get(callback, headers={"Accept": "application/json"}, timeout=30).status_code

    assert set(eventlet.GreenPool(50).imap(hit, range(50))) == {200}
    assert customer.payment(started["payment_id"])["state"] == "succeeded"
    wait_until(lambda: "billing.payment_succeeded" in customer.sms_templates(), what="the success SMS")
    eventlet.sleep(1)  # had a second PaymentSucceeded been published, its SMS would be here by now
    assert customer.sms_templates().count("billing.payment_succeeded") == 1

    # A tampered amount is captured but never granted: refunded.
    tampered = customer.order_and_pay()
    browser_pays(tampered["redirect_url"], "success", paid_amount="1000")
    assert customer.payment(tampered["payment_id"])["reason"] == "amount_mismatch"

    # Unknown ids and other people's payments are not found; no token, no payment view.
    nobody = uuid.uuid4()
    unknown = requests.get(f"{gateway}/billing/payments/{nobody}/callback?Authority=A1&Status=OK",
                           headers={"Accept": "application/json"}, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    # A browser is never shown JSON by the bank's redirect: the portal's page says "not found".
    browser = requests.get(f"{gateway}/billing/payments/{nobody}/callback?Authority=A1&Status=OK",
                           allow_redirects=False, timeout=10)
    assert browser.status_code == 303 and browser.headers["Location"] == f"/#/payments/{nobody}"
    assert stranger.send("GET", f"/billing/payments/{started['payment_id']}").status_code == 404
    assert requests.get(f"{gateway}/billing/payments/{started['payment_id']}", timeout=10).status_code == 401
    assert stranger.send("POST", "/billing/educational-applications/x/approve").status_code == 403


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_after_72_hours_no_captured_failure_is_left_unrefunded(gateway: str, platform: Platform) -> None:
    customer = Client(gateway, platform)
    sandbox = platform.payment_sandbox_url
    requests.post(f"{sandbox}/_dev/refund-outage", json={"seconds": 600}, timeout=5)
    failed = [customer.order_and_pay() for _ in range(3)]
    for payment in failed:
        browser_pays(payment["redirect_url"], "captured_then_fail")
    assert {customer.payment(p["payment_id"])["state"] for p in failed} == {"refund_scheduled"}

    def advance(duration: str, seconds: int) -> None:
        assert requests.post(f"{gateway}/ops/clock", json={"advance": duration}, timeout=10).status_code == 202
        wait_until(lambda: platform.call("billing", "health")["clock_offset_seconds"] >= seconds
                   and requests.get(f"{gateway}/health", timeout=10).json()["services"]["gateway"][
                       "clock_offset_seconds"] >= seconds, what="billing and the gateway to take the moved clock")
        customer.clock_offset = seconds

    advance("PT61H", 61 * 3600)  # within 12 hours of the deadline, the refunds still failing
    wait_until(lambda: all(customer.payment(p["payment_id"])["refund"]["operator_alert"] for p in failed),
               what="the operator alert")
    wait_until(lambda: platform.log_text("billing").count('"billing.refund_alert"') == 3,
               what="one alert per refund in billing's log")
    requests.post(f"{sandbox}/_dev/refund-outage", json={"seconds": 0}, timeout=5)
    wait_until(lambda: all(customer.payment(p["payment_id"])["state"] == "refunded" for p in failed),
               what="the refunds after the outage")
    advance("PT12H", 73 * 3600)
    for payment in failed:
        refund = customer.payment(payment["payment_id"])["refund"]
        assert refund["refunded_at"]["iso"] <= refund["deadline"]["iso"]
    transactions = requests.get(f"{sandbox}/_dev/transactions", timeout=10).json()["data"]
    assert not [t for t in transactions if t["captured"] and t["status"] == "PAID" and not t["refunded"]]
