"""The support desk in the browser (issue #19), against the real identity, notifications and
gateway processes: a customer opens a ticket from the personal page (an empty text is refused
by its field), sees it waiting; a support agent (a number in SUPPORT_MOBILES) finds it in the
queue, opens the case with the SMS sent to the customer by state and never by text, answers;
the customer reads the answer and was told by SMS. A customer has no desk link and the desk
refuses them."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import SUPPORT_MOBILE, screenshot
from tests.browser.steps import (
    as_user,
    at,
    bearer,
    check_page_is_accessible_on_a_phone,
    field_error,
    fill,
    find,
    heading,
    log_in,
    signed_up,
    support_signed_up,
    to_persian,
    waiter,
)

pytestmark = pytest.mark.browser
CUSTOMER = "09121240201"  # each module its own numbers: the package shares one identity
QUESTION = "کد تأیید برای شمارهٔ همکارم نمی‌رسد.\nدو بار درخواست داده‌ایم."
ANSWER = "شماره در فهرست سیاه اپراتور بود؛ برداشته شد. دوباره کد بخواهید."


def test_a_customer_asks_and_support_answers(page: Any, portal: dict[str, Any]) -> None:
    url = portal["url"]
    signed_up(url, CUSTOMER)
    support_signed_up(url)

    # The customer: from the personal page to a new ticket; an empty text is refused by its field.
    log_in(page, url, CUSTOMER)
    assert not page.find_elements(By.CSS_SELECTOR, "#nav a[href='#/desk']")  # no desk for a customer
    find(page, "[data-role=support-link]").click()
    heading(page, "درخواست‌های پشتیبانی")
    assert "هنوز درخواستی ثبت نکرده‌اید" in find(page, "main .note").text
    Select(find(page, "[data-field=category] select")).select_by_value("code_not_received")
    fill(page, "subject", "کد تأیید نمی‌رسد")
    find(page, "[data-form=ticket] button[type=submit]").click()
    assert field_error(page, "text").text  # invalid_request, placed by the text area
    find(page, "[data-field=text] textarea").send_keys(QUESTION)
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "70-support-new-ticket-fa")
    find(page, "[data-form=ticket] button[type=submit]").click()
    at(page, "#/support/")
    heading(page, "کد تأیید نمی‌رسد")
    ticket = page.execute_script("return location.hash").split("/")[-1]
    assert find(page, "[data-role=ticket-state]").text == "در انتظار پشتیبانی"
    assert find(page, "[data-role=thread] .message.customer .text").text == QUESTION.replace("\n", "\n")
    assert requests.get(f"{url}/support/queue", timeout=10).status_code == 401

    # Support: the queue, the case, the answer.
    as_user(page, url, SUPPORT_MOBILE)
    find(page, "#nav a[href='#/desk']").click()
    heading(page, "میز پشتیبانی")
    row = find(page, f"[data-role=queue] tr[data-ticket='{ticket}']")
    assert "کد تأیید نرسید" in row.text
    Select(find(page, "[data-field=category] select")).select_by_value("restore_backup")
    waiter(page, 15).until(lambda d: "درخواستی در انتظار نیست" in d.find_element(By.CSS_SELECTOR, "main").text)
    Select(find(page, "[data-field=category] select")).select_by_value("")
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "71-support-desk-queue-fa")
    find(page, f"[data-role=queue] tr[data-ticket='{ticket}'] a").click()
    heading(page, "کد تأیید نمی‌رسد")
    sms = find(page, "[data-part=sms]").text
    assert "کد ثبت‌نام" in sms
    assert to_persian(CUSTOMER) in find(page, "[data-part=customer]").text
    codes = requests.get(f"{url}/notifications/messages", params={"to": CUSTOMER}, timeout=10).json()["messages"]
    assert codes and codes[0]["text"][:12] not in page.find_element(By.CSS_SELECTOR, "main").text  # never the code
    # ID-2 from the desk: a sign-up code for a verified customer is refused; a reset code goes out.
    find(page, "[data-part=sms] button[data-purpose=signup]").click()
    assert "قبلاً تأیید شده" in find(page, "[data-role=code-status] .note.error").text
    # The sign-up code went a moment ago: the number's gap holds for support too, until the clock moves on.
    assert requests.post(f"{url}/ops/clock", json={"advance": "PT2M"}, timeout=10).status_code == 202

    def sent(d: Any) -> bool:
        status = d.find_element(By.CSS_SELECTOR, "[data-role=code-status]")
        if "کد تازه فرستاده شد" in status.text:
            return True
        if status.find_elements(By.CSS_SELECTOR, ".note.error"):  # refused (too soon): ask again, never twice at once
            d.find_element(By.CSS_SELECTOR, "[data-part=sms] button[data-purpose=password_reset]").click()
        return False
    waiter(page, 30).until(sent, "the reset code sent once identity saw the clock move")
    assert "کد فراموشی رمز" in find(page, "[data-part=sms]").text
    find(page, "[data-form=answer] textarea").send_keys(ANSWER)
    find(page, "[data-form=answer] button[type=submit]").click()
    waiter(page, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-role=ticket-state]").text == "پاسخ داده شد")
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "72-support-desk-case-fa")

    # The customer is told by SMS and reads the answer on the page.
    waiter(page, 30).until(lambda d: any(m["template"] == "support.ticket_answered" for m in requests.get(
        f"{url}/notifications/messages", params={"to": CUSTOMER}, timeout=10).json()["messages"]))
    as_user(page, url, CUSTOMER)
    page.get(f"{url}/#/support")
    item = find(page, f"[data-role=tickets] li[data-ticket='{ticket}']")
    assert "پاسخ داده شد" in item.text
    item.find_element(By.TAG_NAME, "a").click()
    answer = find(page, "[data-role=thread] .message.support")
    assert ANSWER in answer.text and "پشتیبانی" in answer.text
    page.get(f"{url}/#/desk")
    heading(page, "میز پشتیبانی")
    assert "اجازهٔ این کار را ندارید" in find(page, "main .note.error").text  # the gateway refuses a customer
    page.get(f"{url}/#/support/{ticket}")
    heading(page, "کد تأیید نمی‌رسد")
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "73-support-answered-fa")
    find(page, "#lang").click()
    waiter(page, 15).until(lambda d: "Answered" in d.find_element(By.CSS_SELECTOR, "[data-role=ticket-state]").text)
    assert page.execute_script("return document.documentElement.dir") == "ltr"
    screenshot(page, "74-support-answered-en")
    find(page, "#lang").click()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + b"0" * 300 + b"\n%%EOF\n"
APPLICANT, OTHER_APPLICANT = "09121239211", "09121239212"


def applied(url: str, mobile: str, institution: str, licence: str, document: bytes | None) -> str:
    """An educational application through the API (with its document when given); its id."""
    auth = bearer(url, mobile)
    made = requests.post(f"{url}/billing/educational-applications", headers=auth, timeout=30, json={
        "institution_name": institution, "licence_number": licence, "contact_mobile": mobile})
    assert made.status_code == 201, made.text
    application = str(made.json()["application_id"])
    if document is not None:
        sent = requests.put(f"{url}/billing/educational-applications/{application}/document", data=document,
                            headers=auth | {"Content-Type": "application/pdf"}, timeout=30)
        assert sent.status_code == 200, sent.text
    return application


def test_support_decides_educational_licences(page: Any, shop: dict[str, Any]) -> None:
    url = shop["url"]
    signed_up(url, APPLICANT)
    signed_up(url, OTHER_APPLICANT)
    support_signed_up(url)
    first = applied(url, APPLICANT, "هنرستان فنی شهید بهشتی", "۱۲۳/ص/۱۴۰۴", PDF)
    second = applied(url, OTHER_APPLICANT, "آموزشگاه البرز", "۴۵-آ-۹۹", None)

    log_in(page, url, SUPPORT_MOBILE)
    find(page, "#nav a[href='#/desk']").click()
    find(page, "[data-role=licences-link]").click()
    heading(page, "مجوزهای آموزشی در انتظار")
    card = find(page, f"[data-application='{first}']")
    assert "۱۲۳/ص/۱۴۰۴" in card.text and "PDF" in card.text
    assert "هنوز بارگذاری نشده است" in find(page, f"[data-application='{second}']").text
    order = [c.get_attribute("data-application") for c in page.find_elements(By.CSS_SELECTOR, "[data-application]")]
    assert order == [first, second]  # oldest first
    served = requests.get(f"{url}/billing/educational-applications/{first}/document", timeout=10,
                          headers=bearer(url, SUPPORT_MOBILE))
    assert served.content == PDF and served.headers["Content-Disposition"].startswith("attachment;")

    # A rejection needs its reason; the applicant is told it by SMS.
    other = f"[data-application='{second}']"
    find(page, f"{other} [data-form=reject] button[type=submit]").click()
    assert "دلیل" in find(page, f"{other} [data-field=reason] .field-error").text
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "75-support-licences-fa")
    find(page, f"{other} [data-field=reason] input").send_keys("شمارهٔ مجوز در سامانهٔ وزارت یافت نشد")
    find(page, f"{other} [data-form=reject] button[type=submit]").click()
    waiter(page, 15).until(lambda d: "رد شد" in d.find_element(By.CSS_SELECTOR, "[data-role=licences-status]").text)
    assert not page.find_elements(By.CSS_SELECTOR, other)
    told = waiter(page, 30).until(lambda d: [m for m in requests.get(
        f"{url}/notifications/messages", params={"to": OTHER_APPLICANT}, timeout=10).json()["messages"]
        if m["template"] == "support.educational_rejected"])
    assert "شمارهٔ مجوز در سامانهٔ وزارت یافت نشد" in told[0]["text"]

    find(page, f"[data-application='{first}'] [data-role=approve]").click()
    waiter(page, 15).until(lambda d: "تأیید شد" in d.find_element(By.CSS_SELECTOR, "[data-role=licences-status]").text)
    assert "درخواستی در انتظار تصمیم نیست" in find(page, "main .note:not(.success)").text
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "76-support-licence-approved-fa")
