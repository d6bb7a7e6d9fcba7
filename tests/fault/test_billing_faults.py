"""Billing under failure (X-2, BI-2, BI-3): the money is captured while billing is down (killed
with SIGKILL) and the browser's callback is lost; after a restart the reconciler asks the
gateway and the payment succeeds exactly once."""

from __future__ import annotations

import pytest
import requests

from tests.support.billing import Client
from tests.support.network import free_port
from tests.support.processes import Platform, wait_until


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_payment_captured_while_billing_was_killed_succeeds_once_after_restart(platform: Platform) -> None:
    address = f"127.0.0.1:{free_port()}"
    billing_env = {"PUBLIC_BASE_URL": f"http://{address}", "BILLING_RECONCILE_SECONDS": "0.3",
                   "PAYMENT_INQUIRY_AFTER_SECONDS": "0"}
    platform.start("identity")
    platform.start("notifications")
    platform.start("billing", **billing_env)
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    customer = Client(f"http://{address}", platform)
    started = customer.order_and_pay()

    platform.kill9("billing")
    at_bank = requests.post(started["redirect_url"], data={"outcome": "success"}, allow_redirects=False, timeout=10)
    lost = requests.get(at_bank.headers["Location"], headers={"Accept": "application/json"}, timeout=30)
    assert lost.status_code == 503 and lost.json()["error"] == "service_unavailable"

    platform.start("billing", **billing_env)
    wait_until(lambda: customer.payment(started["payment_id"])["state"] == "succeeded", timeout=60,
               what="the reconciler to settle the payment captured while billing was down")
    # The browser's retry of the callback now finds it decided; still one success, one SMS.
    again = requests.get(at_bank.headers["Location"], headers={"Accept": "application/json"}, timeout=30)
    assert again.status_code == 200 and again.json()["state"] == "succeeded"
    wait_until(lambda: "billing.payment_succeeded" in customer.sms_templates(), what="the success SMS")
    assert customer.sms_templates().count("billing.payment_succeeded") == 1
