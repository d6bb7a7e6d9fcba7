"""The official invoice in the browser (issue #19), against the real billing process, the payment
sandbox and the taxpayer system's sandbox: a business customer names its buyer on the order page
(a wrong national id is shown next to its field, Persian digits accepted), pays, and the payment
page shows the invoice's 22-character tax id and its state once the system accepted it."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import screenshot
from tests.browser.steps import (
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
