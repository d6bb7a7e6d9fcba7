"""A customer who paid while billing or the broker was away (issue #20): the bank's redirect
ends on the portal's payment page, never on a JSON error; the API answers 503 with
Retry-After, never 500; and the payment is settled within seconds of the return — by the
gateway handing the missed callback over, not by the reconciler's 10-minute inquiry (set to
an hour here, so only the hand-over can settle it)."""

from __future__ import annotations

import subprocess
import time

import pytest
import requests

from tests.support.billing import Client
from tests.support.network import free_port
from tests.support.processes import Platform, wait_until

QUIET_RECONCILER = {"BILLING_RECONCILE_SECONDS": "3600", "PAYMENT_INQUIRY_AFTER_SECONDS": "3600"}


def _start(platform: Platform) -> str:
    address = f"127.0.0.1:{free_port()}"
    platform.start("identity")
    platform.start("billing", PUBLIC_BASE_URL=f"http://{address}", **QUIET_RECONCILER)
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return f"http://{address}"


def _back_from_the_bank(redirect_url: str) -> tuple[str, float]:
    """The browser at the bank, then at our callback: (where the callback sent it, seconds it took)."""
    at_bank = requests.post(redirect_url, data={"outcome": "success"}, allow_redirects=False, timeout=30)
    assert at_bank.status_code == 303, at_bank.text
    started = time.monotonic()
    landed = requests.get(at_bank.headers["Location"], headers={"Accept": "text/html"}, allow_redirects=False,
                          timeout=60)
    assert landed.status_code == 303 and landed.text == "", (landed.status_code, landed.text[:300])
    return landed.headers["Location"], time.monotonic() - started


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_paying_while_billing_is_down_lands_on_the_portal_and_settles_on_its_return(platform: Platform) -> None:
    gateway = _start(platform)
    customer = Client(gateway, platform)
    started = customer.order_and_pay()
    platform.kill9("billing")

    location, took = _back_from_the_bank(started["redirect_url"])
    assert location == f"/#/payments/{started['payment_id']}" and took < 20
    answer = customer.send("GET", f"/billing/payments/{started['payment_id']}")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5", answer.text
    assert answer.json()["error"] == "service_unavailable" and answer.json()["message"]["fa"]
    health = requests.get(f"{gateway}/health", timeout=60).json()["services"]
    assert health["billing"]["status"] == "unreachable" and health["gateway"]["missed_callbacks"] == 1

    platform.start("billing", PUBLIC_BASE_URL=gateway, **QUIET_RECONCILER)
    back = time.monotonic()
    wait_until(lambda: customer.payment(started["payment_id"])["state"] == "succeeded", timeout=60,
               what="the missed callback to settle the payment")
    assert time.monotonic() - back < 60
    wait_until(lambda: requests.get(f"{gateway}/health", timeout=60).json()["services"]["gateway"][
        "missed_callbacks"] == 0, what="the gateway to forget the handed-over callback")


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_broker_restart_right_after_paying_never_shows_a_500(platform: Platform) -> None:
    gateway = _start(platform)
    customer = Client(gateway, platform)
    started = customer.order_and_pay()
    at_bank = requests.post(started["redirect_url"], data={"outcome": "success"}, allow_redirects=False, timeout=30)
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    try:
        landed = requests.get(at_bank.headers["Location"], headers={"Accept": "text/html"}, allow_redirects=False,
                              timeout=60)
        assert landed.status_code == 303 and landed.headers["Location"] == f"/#/payments/{started['payment_id']}"
        api = customer.send("GET", f"/billing/payments/{started['payment_id']}")
        assert api.status_code == 503 and api.headers.get("Retry-After"), (api.status_code, api.text[:300])
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    # Everything reconnects by itself; the missed callback settles the payment.
    wait_until(lambda: customer.send("GET", f"/billing/payments/{started['payment_id']}").status_code == 200,
               timeout=90, interval=1, what="the gateway and billing to reconnect")
    wait_until(lambda: customer.payment(started["payment_id"])["state"] == "succeeded", timeout=60, interval=1,
               what="the payment to be settled after the broker's return")
