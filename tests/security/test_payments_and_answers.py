"""Items 4 and 7 of issue #13: what a stranger learns from a payment's callback link, and the
headers every answer carries so that browsers and proxies neither sniff nor keep it.

Before the fix: the callback asked for JSON without a token answered another customer's
amount, order, reference and refund; answers had no X-Content-Type-Options, and tokens,
the personal page, payments and exports no Cache-Control."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.journey import Gateway, expect
from tests.security.callers import Account, call, new_address
from tests.support.processes import wait_until

ORDER = {"business_name": "بازرگانی امین", "business_type": "trading", "products": ["accounting"],
         "period_months": 6}


@pytest.fixture(scope="module")
def paid(gateway: Gateway) -> dict[str, Any]:
    """A customer who paid for a business: their account, the payment and the business."""
    payer = Account(gateway)
    payer.person.token = payer.tokens["access_token"]
    placed, payment = payer.person.order_and_pay(ORDER)
    assert payment["state"] == "succeeded", payment
    return {"payer": payer, "payment": payment, "tenant_id": placed["tenant_id"]}


def test_the_callback_link_tells_a_stranger_only_the_state(gateway: Gateway, paid: dict[str, Any]) -> None:
    payment = paid["payment"]
    link = f"/billing/payments/{payment['payment_id']}/callback?Authority=A0000000000000000000000000000000000&Status=OK"
    answer = call(gateway, "GET", link, address=new_address(), Accept="application/json")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"payment_id": payment["payment_id"], "state": "succeeded"}, answer.json()
    for secret in ("amount_rials", "order_id", "ref_id", "refund"):
        assert secret not in answer.text, f"the callback disclosed {secret}: {answer.text}"
    browser = requests.get(f"{gateway.url}{link}", headers={"Accept": "text/html", "X-Forwarded-For": new_address()},
                           allow_redirects=False, timeout=30)
    assert browser.status_code == 303 and browser.headers["Location"] == f"/#/payments/{payment['payment_id']}"
    assert browser.text == ""


def test_a_payment_is_read_only_by_its_payer(gateway: Gateway, paid: dict[str, Any]) -> None:
    path = f"/billing/payments/{paid['payment']['payment_id']}"
    assert call(gateway, "GET", path, address=new_address()).status_code == 401
    other = Account(gateway)
    assert call(gateway, "GET", path, address=other.address, token=other.tokens["access_token"]).status_code == 404
    mine = call(gateway, "GET", path, address=paid["payer"].address, token=paid["payer"].tokens["access_token"])
    assert mine.status_code == 200 and mine.json()["amount_rials"] > 0


def _headers_of(answer: requests.Response) -> tuple[str | None, str | None]:
    return answer.headers.get("X-Content-Type-Options"), answer.headers.get("Cache-Control")


def test_every_api_answer_is_nosniff_and_personal_ones_are_not_stored(gateway: Gateway,
                                                                      paid: dict[str, Any]) -> None:
    payer: Account = paid["payer"]
    token, tenant = payer.tokens["access_token"], paid["tenant_id"]
    personal = {
        "tokens": payer.post("/identity/sessions", {"mobile": payer.mobile, "password": "Str0ng!pass"}),
        "me": payer.me(),
        "payment": call(gateway, "GET", f"/billing/payments/{paid['payment']['payment_id']}", address=payer.address,
                        token=token),
        "refused login": payer.post("/identity/sessions", {"mobile": payer.mobile, "password": "Wr0ng!pass"}),
        "not found": call(gateway, "GET", "/billing/payments/nope", address=payer.address, token=token),
    }
    for what, answer in personal.items():
        assert _headers_of(answer) == ("nosniff", "no-store"), f"{what}: {answer.status_code} {answer.headers}"

    asked = expect(call(gateway, "POST", f"/archival/tenants/{tenant}/exports", {"format": "csv"},
                        address=payer.address, token=token), 202, "asking for an export")
    path = f"/archival/exports/{asked['export_id']}"

    def ready() -> requests.Response | None:
        answer = call(gateway, "GET", path, address=payer.address, token=token)
        assert _headers_of(answer) == ("nosniff", "no-store"), answer.headers  # progress and file alike
        return answer if answer.headers.get("Content-Disposition", "").startswith("attachment") else None

    wait_until(ready, timeout=60, interval=0.5, what="the export to be built")

    catalog = call(gateway, "GET", "/billing/catalog", address=new_address())
    assert catalog.status_code == 200 and catalog.headers["X-Content-Type-Options"] == "nosniff"
    portal = call(gateway, "GET", "/", address=new_address())
    assert portal.status_code == 200 and "script-src 'self'" in portal.headers["Content-Security-Policy"]
