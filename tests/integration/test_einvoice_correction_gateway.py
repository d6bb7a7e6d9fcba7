"""A rejected official invoice put right through the running platform (issue #19): the taxpayer
system's sandbox does not know the buyer's economic code (0312), support sees the rejection with
its errors in Persian and English, a wrong correction is refused and changes nothing, the right
one issues a new invoice (its own tax id) that the system accepts; correcting it again is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.integration.test_einvoice_gateway import BUYER
from tests.integration.test_einvoice_gateway import gateway as gateway
from tests.support.billing import HTTP_ORDER, Client
from tests.support.processes import Platform, wait_until

RIGHT = {"kind": "legal", "legal_id": "۱۴۰۰۷۶۵۰۹۱۲", "economic_code": "14007650912", "postal_code": "1968653111"}


@pytest.fixture
def unknown_buyer(gateway: str, platform: Platform) -> Iterator[None]:
    faults = f"{platform.tax_sandbox_url}/_dev/faults"
    requests.post(faults, json={"unknown_economic_codes": [BUYER["economic_code"]]}, timeout=10).raise_for_status()
    yield
    requests.post(faults, json={}, timeout=10)


@pytest.mark.parametrize("store", ["sqlite", "postgres"], indirect=True)
def test_support_corrects_a_rejected_buyer_and_the_new_invoice_is_accepted(
        gateway: str, platform: Platform, unknown_buyer: None) -> None:
    customer = Client(gateway, platform)
    support = Client(gateway, platform, roles=("support",))
    order = customer.send("POST", "/billing/orders", HTTP_ORDER | {"buyer": BUYER}).json()
    started = customer.send("POST", f"/billing/orders/{order['order_id']}/payments").json()
    at_bank = requests.post(started["redirect_url"], data={"outcome": "success"}, allow_redirects=False, timeout=10)
    requests.get(at_bank.headers["Location"], allow_redirects=False, timeout=30)
    payment_id = started["payment_id"]

    def official() -> dict[str, Any]:
        return dict(customer.payment(payment_id).get("official_invoice") or {})

    wait_until(lambda: official().get("state") == "rejected", timeout=60, what="the invoice rejected")
    rejected_tax_id = official()["tax_id"]
    assert customer.send("GET", "/billing/official-invoices/rejected").status_code == 403  # support only
    listed = support.send("GET", "/billing/official-invoices/rejected").json()["invoices"]
    [mine] = [i for i in listed if i["payment_id"] == payment_id]
    assert mine["errors"][0]["code"] == "0312" and "کد اقتصادی خریدار" in mine["errors"][0]["fa"]
    assert "economic code" in mine["errors"][0]["en"] and mine["buyer"]["tinb"] == BUYER["economic_code"]

    path = f"/billing/payments/{payment_id}/official-invoice/correction"
    assert customer.send("POST", path, {"buyer": RIGHT}).status_code == 403
    wrong = support.send("POST", path, {"buyer": RIGHT | {"legal_id": "14007650913"}})
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_legal_id", wrong.text
    assert "شناسهٔ ملی" in wrong.json()["message"]["fa"] and "national id" in wrong.json()["message"]["en"]
    assert official()["tax_id"] == rejected_tax_id and official()["state"] == "rejected"  # nothing changed

    corrected = support.send("POST", path, {"buyer": RIGHT})
    assert corrected.status_code == 200, corrected.text
    new_tax_id = corrected.json()["tax_id"]
    assert new_tax_id != rejected_tax_id and len(new_tax_id) == 22
    wait_until(lambda: official().get("state") == "accepted", timeout=60, what="the corrected invoice accepted")
    view = official()
    assert view["tax_id"] == new_tax_id and [r["tax_id"] for r in view["replaced"]] == [rejected_tax_id]
    sent = {i["taxid"]: i for i in requests.get(f"{platform.tax_sandbox_url}/_dev/invoices", timeout=10).json()}
    assert sent[new_tax_id]["invoice"]["header"]["tinb"] == "14007650912" and sent[new_tax_id]["status"] == "SUCCESS"
    again = support.send("POST", path, {"buyer": RIGHT})
    assert again.status_code == 409 and again.json()["error"] == "official_invoice_not_correctable"
    assert payment_id not in [i["payment_id"] for i in
                              support.send("GET", "/billing/official-invoices/rejected").json()["invoices"]]
