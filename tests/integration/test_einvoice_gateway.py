"""Official invoices through the running platform (issue #19): the gateway, identity,
notifications and billing processes, the payment sandbox and the taxpayer system's sandbox
over HTTP. A business customer orders with its buyer identity (Persian digits), pays, and
its invoice is registered and accepted; support refunds the payment and the cancelling
invoice (ابطال) is accepted; a wrong national id is refused in Persian and English."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.billing import HTTP_ORDER, Client
from tests.support.network import free_port
from tests.support.processes import Platform, wait_until

BUYER = {"kind": "legal", "legal_id": "۱۰۳۸۰۲۸۴۷۹۰", "economic_code": "10380284790", "postal_code": "۱۹۶۸۶۵۳۱۱۱"}


@pytest.fixture
def gateway(platform: Platform) -> str:
    address = f"127.0.0.1:{free_port()}"
    platform.start("identity")
    platform.start("notifications")
    platform.start("billing", PUBLIC_BASE_URL=f"http://{address}", BILLING_RECONCILE_SECONDS="0.3",
                   PAYMENT_INQUIRY_AFTER_SECONDS="3", MOADIAN_RETRY_BASE_SECONDS="0.5",
                   MOADIAN_ASK_AFTER_SECONDS="0.5")
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return f"http://{address}"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_paid_order_is_registered_and_its_refund_cancels_it(gateway: str, platform: Platform) -> None:
    customer = Client(gateway, platform)
    wrong = customer.send("POST", "/billing/orders", HTTP_ORDER | {"buyer": BUYER | {"legal_id": "10380284791"}})
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_legal_id"
    assert "شناسهٔ ملی" in wrong.json()["message"]["fa"] and "national id" in wrong.json()["message"]["en"]

    order = customer.send("POST", "/billing/orders", HTTP_ORDER | {"buyer": BUYER})
    assert order.status_code == 201, order.text
    assert order.json()["buyer"]["legal_id"] == "10380284790"
    started = customer.send("POST", f"/billing/orders/{order.json()['order_id']}/payments").json()
    at_bank = requests.post(started["redirect_url"], data={"outcome": "success"}, allow_redirects=False, timeout=10)
    requests.get(at_bank.headers["Location"], allow_redirects=False, timeout=30)
    payment_id = started["payment_id"]

    def official() -> dict[str, Any]:
        return dict(customer.payment(payment_id).get("official_invoice") or {})

    wait_until(lambda: official().get("state") == "accepted", timeout=60, what="the invoice accepted")
    accepted = official()
    assert len(accepted["tax_id"]) == 22 and accepted["total_rials"] == started["amount_rials"]

    assert customer.send("POST", f"/billing/payments/{payment_id}/refund").status_code == 403  # support only
    support = Client(gateway, platform, roles=("support",))
    refunded = support.send("POST", f"/billing/payments/{payment_id}/refund")
    assert refunded.status_code == 200, refunded.text
    wait_until(lambda: (official().get("cancellation") or {}).get("state") == "accepted", timeout=60,
               what="the cancelling invoice accepted")
    cancelled = official()
    assert customer.payment(payment_id)["state"] == "refunded"
    listed = {i["taxid"]: i for i in requests.get(f"{platform.tax_sandbox_url}/_dev/invoices", timeout=10).json()}
    assert listed[cancelled["cancellation"]["tax_id"]]["irtaxid"] == accepted["tax_id"]
    assert listed[accepted["tax_id"]]["invoice"]["header"]["bid"] == "10380284790"
