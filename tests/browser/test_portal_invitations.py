"""Invitations in the browser (issue #19), against the real identity, notifications, billing,
tenancy and gateway processes: the admin invites a number typed in Persian digits with a
permission ticked; the invitation waits in the list (no seat taken); the number's SMS carries
the rights in words and a link; opened without an account, the page asks to sign up, and
sign-up → code → login lead back to it; the colleague accepts and finds the business on their
page; a stranger with the link is told it is for another number; the admin revokes another."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser.conftest import screenshot
from tests.browser.steps import (
    PASSWORD,
    bearer,
    bought_through_the_api,
    check_page_is_accessible_on_a_phone,
    fill,
    find,
    heading,
    log_in,
    signed_up,
    sms_code,
    submit,
    waiter,
)
from tests.support.processes import wait_until

pytestmark = pytest.mark.browser
SLOW = 60  # seconds: an invitation crosses tenancy, the broker and notifications before the SMS exists
ADMIN, COLLEAGUE, STRANGER, LATER = "09121239201", "09121239202", "09121239203", "09121239204"


def texts_to(url: str, mobile: str, count: int) -> list[str]:
    def sent() -> list[str] | bool:
        found = requests.get(f"{url}/notifications/messages", params={"to": mobile}, timeout=10).json()["messages"]
        return [m["text"] for m in found] if len(found) >= count else False
    return list(wait_until(sent, timeout=SLOW, what=f"{count} SMS to {mobile}"))


def fresh(driver: Any, url: str) -> None:
    """A new document with the tab's tokens dropped (no page of the last user still loading)."""
    driver.get(f"{url}/")
    driver.execute_script("sessionStorage.clear();")
    driver.refresh()


def open_link(driver: Any, url: str, link: str) -> None:
    """The SMS link opened as a new document, as a phone's browser opens it."""
    driver.get(f"{url}/{link}")
    driver.refresh()


def test_an_admin_invites_a_colleague_who_signs_up_and_accepts(page: Any, shop: dict[str, Any]) -> None:
    url = shop["url"]
    signed_up(url, ADMIN)
    tenant = bought_through_the_api(url, ADMIN, "فروشگاه سپیدار", ["accounting"], timeout=SLOW)
    card = f"[data-tenant='{tenant}']"

    # The admin invites a number typed in Persian digits, with "read sales" ticked.
    log_in(page, url, ADMIN)
    form = find(page, f"{card} [data-form=invitation]", SLOW)
    fill(page, "mobile", "۰۹۱۲۱۲۳۹۲۰۲")
    form.find_element(By.CSS_SELECTOR, "input[value='sales.read']").click()
    submit(page, of="mobile")
    waiter(page, SLOW).until(lambda d: "پیامک شد" in d.find_element(By.CSS_SELECTOR,
                                                                   f"{card} [data-role=members-status]").text)
    pending = find(page, f"{card} [data-role=invitations] [data-role=invitation-summary]")
    assert "۹۱۲۱۲۳۹۲۰۲" in pending.text  # the number as tenancy keeps it, in Persian digits
    assert "دیدن فروش" in pending.text and "معتبر تا" in pending.text and "sales.read" not in pending.text
    assert "۱ از ۳ کاربر" in find(page, card).text  # a pending invitation takes no seat
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "40-invitation-sent-fa")

    # The SMS: Persian, the rights in words, a link to the accept page.
    [text] = texts_to(url, COLLEAGUE, 1)
    assert "«فروشگاه سپیدار»" in text and "دیدن فروش" in text and "sales" not in text.split("\n")[0]
    link = re.search(r"#/invitations/[\w-]+/[\w-]+$", text)
    assert link, text

    # Opened without an account: sign up with that number, confirm the code, log in, back to the invitation.
    fresh(page, url)
    open_link(page, url, link.group(0))
    heading(page, "دعوت به کسب‌وکار")
    assert "همان شمارهٔ موبایلی" in find(page, "main").text
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "41-invitation-guest-fa")
    find(page, "[data-role=invitation-entry] a[href='#/signup']").click()
    heading(page, "ثبت‌نام")
    fill(page, "mobile", COLLEAGUE)
    fill(page, "password", PASSWORD)
    submit(page, of="password")
    heading(page, "تأیید شمارهٔ موبایل")
    fill(page, "code", sms_code(url, COLLEAGUE, count=2))
    submit(page, of="code")
    heading(page, "ورود")
    fill(page, "password", PASSWORD)
    submit(page, of="password")
    heading(page, "دعوت به کسب‌وکار", timeout=30)
    offered = find(page, "main dl.facts", SLOW)
    assert "فروشگاه سپیدار" in offered.text and "دیدن فروش" in offered.text
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "42-invitation-accept-fa")
    find(page, "[data-role=accept]").click()
    waiter(page, SLOW).until(lambda d: "اکنون کاربر «فروشگاه سپیدار» هستید."
                             in d.find_element(By.CSS_SELECTOR, "[data-role=invitation-status]").text)
    screenshot(page, "43-invitation-accepted-fa")
    members = requests.get(f"{url}/tenancy/businesses/{tenant}", headers=bearer(url, ADMIN), timeout=10).json()
    assert sorted(m["permissions"] for m in members["members"] if m["role"] == "member") == [["sales.read"]]
    find(page, "[data-role=invitation-status] a[href='#/me']").click()
    heading(page, "صفحهٔ شخصی")
    waiter(page, SLOW).until(lambda d: (d.refresh() or True) and d.find_elements(By.CSS_SELECTOR, card),
                             "the business never showed on the colleague's page")

    # A stranger holding the link is told it is for another number, and offered to log in with it.
    signed_up(url, STRANGER)
    fresh(page, url)
    log_in(page, url, STRANGER)
    open_link(page, url, link.group(0))
    assert "شمارهٔ موبایل دیگری" in find(page, "main .note", SLOW).text
    find(page, "[data-role=switch-user]")
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "44-invitation-not-for-you-fa")

    # The admin revokes another invitation from the list.
    later = requests.post(f"{url}/tenancy/businesses/{tenant}/invitations", headers=bearer(url, ADMIN), timeout=10,
                          json={"mobile": LATER, "permissions": []})
    assert later.status_code == 201, later.text
    fresh(page, url)
    log_in(page, url, ADMIN)
    item = f"{card} [data-invitation='{later.json()['invitation_id']}']"
    assert "بدون دسترسی" in find(page, item, SLOW).text
    find(page, f"{item} [data-role=revoke]").click()
    waiter(page, SLOW).until(lambda d: "لغو شد" in d.find_element(By.CSS_SELECTOR,
                                                                 f"{card} [data-role=members-status]").text)
    assert not page.find_elements(By.CSS_SELECTOR, item)
