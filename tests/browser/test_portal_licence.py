"""The educational licence from the applicant's side (BI-4, issue #19), in the browser against the
whole platform: a customer finds the page from the personal page, applies (a licence number as
ministries write it, in Persian digits and letters; a wrong one refused by its field), uploads the
licence (a file that is no PDF/JPEG/PNG refused in the browser before sending, one billing
refuses shown by the field, then a PDF), sees it waiting; support approves it on #/desk/licences;
the customer sees it approved and the business on the personal page. The page in English too
(refusing a wrong licence number, so that support's list is left as it was for the desk's test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import SUPPORT_MOBILE, screenshot
from tests.browser.steps import (
    as_user,
    check_page_is_accessible_on_a_phone,
    field,
    field_error,
    fill,
    find,
    heading,
    log_in,
    signed_up,
    support_signed_up,
    waiter,
)

pytestmark = pytest.mark.browser
APPLICANT, ENGLISH_APPLICANT = "09121239401", "09121239402"  # this module's numbers (the package shares one identity)
INSTITUTION = "دانشکدهٔ فنی نمونه"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + b"0" * 300 + b"\n%%EOF\n"
ACTIVE_PDF = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n"
NOT_A_PDF = b"<html><body>licence</body></html>"


def files(tmp_path: Path) -> dict[str, str]:
    made = {}
    for name, content in (("licence.pdf", PDF), ("active.pdf", ACTIVE_PDF), ("scan.pdf", NOT_A_PDF)):
        (tmp_path / name).write_bytes(content)
        made[name] = str(tmp_path / name)
    return made


def choose(driver: Any, path: str) -> None:
    driver.find_element(By.CSS_SELECTOR, "[data-form=document] input[type=file]").send_keys(path)
    find(driver, "[data-form=document] button[type=submit]").click()


def test_a_customer_applies_uploads_and_sees_the_licence_approved(page: Any, shop: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    url = shop["url"]
    signed_up(url, APPLICANT)
    support_signed_up(url)
    upload = files(tmp_path)

    log_in(page, url, APPLICANT)
    find(page, "a[data-role=educational-link]").click()
    heading(page, "مجوز آموزشی")
    fill(page, "institution_name", INSTITUTION)
    fill(page, "licence_number", "۱۲۳/<ص>")
    find(page, "[data-form=educational] button[type=submit]").click()
    assert "شمارهٔ مجوز معتبر نیست" in field_error(page, "licence_number").text
    fill(page, "licence_number", "۱۲۳/ص/۱۴۰۴")
    assert field(page, "contact_mobile").get_attribute("value") == APPLICANT  # from the personal page
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "80-licence-apply-fa")
    find(page, "[data-form=educational] button[type=submit]").click()

    card = find(page, "[data-application][data-state=submitted]")
    assert "در انتظار پشتیبانی" in card.text and "۱۲۳/ص/۱۴۰۴" in card.text
    assert "بارگذاری کنید" in card.text and not page.find_elements(By.CSS_SELECTOR, "[data-form=educational]")
    choose(page, upload["scan.pdf"])  # named .pdf, but its bytes are HTML: told before anything is sent
    assert "PDF، JPEG یا PNG نیست" in field_error(page, "document").text
    assert find(page, "[data-role=edu-document]").text == "هنوز بارگذاری نشده است"
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "81-licence-upload-error-fa")
    choose(page, upload["active.pdf"])  # a PDF the browser lets through; billing refuses it, by the field
    waiter(page, 15).until(lambda d: "بدون اسکریپت" in field_error(d, "document").text)
    choose(page, upload["licence.pdf"])
    waiter(page, 15).until(lambda d: "PDF" in d.find_element(By.CSS_SELECTOR, "[data-role=edu-document]").text)
    assert "پشتیبانی درخواست را بررسی می‌کند" in find(page, "[data-application]").text
    application = find(page, "[data-application]").get_attribute("data-application")
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "82-licence-waiting-fa")

    # Support approves it from the desk's list.
    as_user(page, url, SUPPORT_MOBILE)
    page.get(f"{url}/#/desk/licences")
    find(page, f"[data-application='{application}'] [data-role=approve]").click()
    waiter(page, 15).until(lambda d: "تأیید شد" in d.find_element(By.CSS_SELECTOR, "[data-role=licences-status]").text)

    # The customer: approved, and the business ready once provisioning has prepared it.
    as_user(page, url, APPLICANT)
    page.get(f"{url}/#/licence")

    def ready(d: Any) -> bool:
        if d.find_elements(By.CSS_SELECTOR, "[data-role=edu-business-link]"):
            return True
        d.refresh()
        return False
    waiter(page, 60).until(ready, "the educational business provisioned")
    card = find(page, f"[data-application='{application}'][data-state=approved]")
    assert "تأیید شد" in card.text and "اعتبار تا" in card.text
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "83-licence-approved-fa")
    find(page, "[data-role=edu-business-link]").click()
    heading(page, "صفحهٔ شخصی")
    assert INSTITUTION in find(page, "[data-tenant]").text


def test_the_licence_page_in_english(page: Any, shop: dict[str, Any]) -> None:
    url = shop["url"]
    signed_up(url, ENGLISH_APPLICANT)
    log_in(page, url, ENGLISH_APPLICANT)
    find(page, "#lang").click()
    page.get(f"{url}/#/licence")
    heading(page, "Educational licence")
    assert page.execute_script("return document.documentElement.dir") == "ltr"
    find(page, "[data-form=educational] button[type=submit]").click()
    assert field_error(page, "institution_name").text == "Please fill in this field."
    fill(page, "institution_name", "Alborz Technical College")
    fill(page, "licence_number", "45/<A>")
    find(page, "[data-form=educational] button[type=submit]").click()
    # Billing's refusal, in English, by its field (nothing is submitted: support's list stays as it was).
    waiter(page, 15).until(lambda d: "licence number is not valid" in field_error(d, "licence_number").text)
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "84-licence-apply-en")
    assert not page.find_elements(By.CSS_SELECTOR, "[data-application]")
