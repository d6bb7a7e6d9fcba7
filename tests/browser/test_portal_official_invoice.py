"""The official invoice in the browser (issue #19), against the real billing process, the payment
sandbox and the taxpayer system's sandbox: a business customer names its buyer on the order page
(a wrong national id is shown next to its field, Persian digits accepted), pays, and the payment
page shows the invoice's 22-character tax id and its state once the system accepted it. Support
finds an invoice the system rejected (an unknown buyer economic code) on the desk with the error
in Persian, corrects the buyer (a wrong id refused by its field) and the new invoice is accepted."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser.conftest import SUPPORT_MOBILE, screenshot
from tests.browser.steps import (
    PASSWORD,
    bearer,
    check_page_is_accessible_on_a_phone,
    field_error,
    fill,
    find,
    heading,
    log_in,
    pay_at_the_bank,
    signed_up,
    submit,
    waiter,
)
from tests.support.billing import pay_at_sandbox
from tests.support.processes import wait_until

pytestmark = pytest.mark.browser
SLOW = 60


def shown(page: Any, name: str) -> bool:
    return any(e.is_displayed() for e in page.find_elements(By.CSS_SELECTOR, f"input[name={name}]"))


def test_a_buyer_named_on_the_order_gets_an_accepted_official_invoice(page: Any, shop: dict[str, Any]) -> None:
    url, mobile = shop["url"], "09121239071"
    signed_up(url, mobile)
    log_in(page, url, mobile)
    find(page, "a[href='#/order']").click()
    heading(page, "خرید اشتراک", SLOW)
    fill(page, "business_name", "بازرگانی سپیدار")
    assert not shown(page, "legal_id") and not shown(page, "national_code")  # buying for oneself: no id asked
    find(page, "input[name=buyer_kind][value=legal]").click()
    fill(page, "legal_id", "۱۰۳۸۰۲۸۴۷۹۱")  # one digit wrong
    fill(page, "economic_code", "۱۰۳۸۰۲۸۴۷۹۰")
    fill(page, "postal_code", "۱۹۶۸۶۵۳۱۱۱")
    assert shown(page, "postal_code") and not shown(page, "national_code")
    submit(page, of="business_name")
    assert "شناسهٔ ملی" in field_error(page, "legal_id").text
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "60-order-buyer-error-fa")
    fill(page, "legal_id", "۱۰۳۸۰۲۸۴۷۹۰")
    submit(page, of="business_name")
    heading(page, "فاکتور سفارش", SLOW)
    find(page, "[data-role=pay]").click()
    pay_at_the_bank(page, "success")
    heading(page, "نتیجهٔ پرداخت", SLOW)
    assert "پرداخت با موفقیت انجام شد" in find(page, ".note.success", SLOW).text

    def accepted(driver: Any) -> Any:
        driver.refresh()
        parts = driver.find_elements(By.CSS_SELECTOR, "[data-part=official-invoice]")
        return parts and "پذیرفته شد" in parts[0].text and parts[0]

    section = waiter(page, SLOW * 2).until(accepted, "the official invoice was never shown accepted")
    tax_id = section.find_element(By.CSS_SELECTOR, "bdi").text
    assert len(tax_id) == 22 and tax_id.startswith("A1B2C3") and "شمارهٔ مالیاتی" in section.text
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "61-official-invoice-fa")


UNKNOWN = {"kind": "legal", "legal_id": "10101704295", "economic_code": "10101704295", "postal_code": "1968653111"}


def rejected_through_the_api(url: str, mobile: str, sandbox: str) -> str:
    """An order naming a buyer the tax system does not know (0312), paid through the API; the
    payment id once its official invoice is rejected."""
    requests.post(f"{sandbox}/_dev/faults", json={"unknown_economic_codes": [UNKNOWN["economic_code"]]},
                  timeout=10).raise_for_status()
    auth = bearer(url, mobile)
    order = requests.post(f"{url}/billing/orders", headers=auth, timeout=30, json={
        "business_name": "پخش البرز", "business_type": "trading", "products": ["accounting"],
        "period_months": 6, "buyer": UNKNOWN})
    assert order.status_code == 201, order.text
    started = requests.post(f"{url}/billing/orders/{order.json()['order_id']}/payments", headers=auth, timeout=30)
    back = pay_at_sandbox(started.json()["redirect_url"], "success")
    assert back is not None
    payment_id = started.json()["payment_id"]
    requests.get(f"{url}/billing/payments/{payment_id}/callback", timeout=30, allow_redirects=False,
                 params={"Authority": back[0], "Status": back[1]})

    def state() -> str:
        answer = requests.get(f"{url}/billing/payments/{payment_id}", headers=auth, timeout=10).json()
        return str((answer.get("official_invoice") or {}).get("state"))

    wait_until(lambda: state() == "rejected", timeout=SLOW * 2, what="the official invoice rejected")
    return str(payment_id)


def test_support_corrects_a_rejected_official_invoice(page: Any, shop: dict[str, Any]) -> None:
    url, mobile = shop["url"], "09121239072"
    sandbox = shop["platform"].tax_sandbox_url
    signed_up(url, mobile)
    try:
        payment_id = rejected_through_the_api(url, mobile, sandbox)
    finally:
        requests.post(f"{sandbox}/_dev/faults", json={}, timeout=10)
    if requests.post(f"{url}/identity/sessions", json={"mobile": SUPPORT_MOBILE, "password": PASSWORD},
                     timeout=30).status_code != 200:
        signed_up(url, SUPPORT_MOBILE)
    log_in(page, url, SUPPORT_MOBILE)
    page.get(f"{url}/#/desk")
    find(page, "[data-role=einvoices-link]").click()
    heading(page, "صورت‌حساب‌های الکترونیکی ردشده", SLOW)
    card = find(page, f"section[data-payment='{payment_id}']", SLOW)
    assert "0312" in card.text and "کد اقتصادی خریدار" in card.text
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "62-official-invoice-rejected-fa")

    legal_id = card.find_element(By.CSS_SELECTOR, "input[name=legal_id]")
    assert legal_id.get_attribute("value") == UNKNOWN["legal_id"]  # the rejected buyer, to be corrected
    fill(page, "legal_id", "۱۴۰۰۷۶۵۰۹۱۳")  # one digit wrong: refused by its field, nothing issued
    fill(page, "economic_code", "۱۴۰۰۷۶۵۰۹۱۲")
    submit(page, of="economic_code")
    assert "شناسهٔ ملی" in field_error(page, "legal_id").text
    fill(page, "legal_id", "۱۴۰۰۷۶۵۰۹۱۲")
    submit(page, of="economic_code")
    said = find(page, "[data-role=einvoices-status] .note.success", SLOW).text
    assert "صورت‌حساب تازه" in said
    assert not page.find_elements(By.CSS_SELECTOR, f"section[data-payment='{payment_id}']")

    auth = bearer(url, mobile)

    def official() -> dict[str, Any]:
        answer = requests.get(f"{url}/billing/payments/{payment_id}", headers=auth, timeout=10).json()
        return dict(answer.get("official_invoice") or {})

    wait_until(lambda: official().get("state") == "accepted", timeout=SLOW * 2, what="the corrected invoice accepted")
    assert official()["tax_id"] in said and len(official()["replaced"]) == 1
