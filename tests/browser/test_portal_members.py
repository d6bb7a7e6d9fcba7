"""The admin runs a business's members in the browser (TE-3, PR-3), against the real identity,
billing, tenancy and gateway processes: a registered user added by mobile with a permission
(inviting them again is refused by the field), given another and saved; that user sees the
business on their own personal page with those permissions in Persian words; the admin removes
them after a confirmation (Escape steps back); the business is gone from their page."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from tests.browser.conftest import screenshot
from tests.browser.steps import (
    as_user,
    bearer,
    bought_through_the_api,
    check_page_is_accessible_on_a_phone,
    field_error,
    fill,
    find,
    log_in,
    signed_up,
    submit,
    waiter,
)

pytestmark = pytest.mark.browser
SLOW = 60  # seconds: a change crosses tenancy, the broker and identity before /me shows it
ADMIN, MEMBER, OTHER = "09121239101", "09121239102", "09121239103"


def personal_page_once(driver: Any, url: str, ready: Any, what: str) -> Any:
    """The personal page loaded again and again until `ready(driver)` holds (identity learns of
    tenancy's changes from its events, a moment later)."""
    def loaded(d: Any) -> Any:
        d.get(f"{url}/#/me")
        d.refresh()
        waiter(d, 15).until(lambda d2: d2.find_elements(By.CSS_SELECTOR, "section.business, main > .note"))
        return ready(d)
    return waiter(driver, SLOW).until(loaded, what)


def active_role(driver: Any) -> str | None:
    value = driver.execute_script("return document.activeElement && document.activeElement.dataset.role")
    return str(value) if value else None


def test_the_admin_adds_a_member_sets_permissions_and_removes_them(page: Any, shop: dict[str, Any]) -> None:
    url = shop["url"]
    signed_up(url, ADMIN)
    member_id, other_id = signed_up(url, MEMBER), signed_up(url, OTHER)
    tenant = bought_through_the_api(url, ADMIN, "فروشگاه سپیدار", ["accounting"], timeout=SLOW)
    card = f"[data-tenant='{tenant}']"
    item = f"{card} [data-member='{member_id}']"

    # Added through the API (the portal invites instead: test_portal_invitations.py) with "read sales".
    added = requests.post(f"{url}/tenancy/businesses/{tenant}/members", headers=bearer(url, ADMIN), timeout=10,
                          json={"mobile": MEMBER, "permissions": ["sales.read"]})
    assert added.status_code == 201, added.text
    log_in(page, url, ADMIN)
    invite = find(page, f"{card} [data-form=invitation]", SLOW)
    boxes = [b.get_attribute("value") for b in invite.find_elements(By.CSS_SELECTOR, "input[name=permissions]")]
    assert boxes == ["accounting.vouchers.read", "accounting.vouchers.write", "accounting.reports.read",
                     "treasury.read", "treasury.write", "inventory.read", "inventory.write", "sales.read",
                     "sales.write"]  # tenancy's permissions_open for accounting, no payroll or fixed assets
    summary = find(page, f"{item} [data-role=member-summary]", SLOW)
    assert summary.text.endswith("کاربر: دیدن فروش")
    fill(page, "mobile", MEMBER)
    submit(page, of="mobile")
    assert "قبلاً عضو این کسب‌وکار است" in field_error(page, "mobile", SLOW).text  # already_a_member, by the field

    # The admin's own row has no editor; the member's opens into labelled checkboxes grouped by module.
    assert len(page.find_elements(By.CSS_SELECTOR, f"{card} details.member-editor")) == 1
    find(page, f"{item} summary").click()
    editor = find(page, f"{item} [data-form=permissions]")
    groups = [g.find_element(By.TAG_NAME, "legend").text
              for g in editor.find_elements(By.CSS_SELECTOR, "fieldset.group")]
    assert groups == ["حسابداری", "خزانه‌داری", "انبار", "فروش"]
    sales = editor.find_element(By.CSS_SELECTOR, "fieldset[data-module=sales]").text
    assert "دیدن فروش" in sales and "ثبت فروش" in sales and "sales.write" not in sales

    def box(code: str) -> WebElement:
        return editor.find_element(By.CSS_SELECTOR, f"input[value='{code}']")
    assert box("sales.read").is_selected() and not box("sales.write").is_selected()
    box("sales.write").click()
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "19-member-permissions-fa")
    editor.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    waiter(page, SLOW).until(lambda d: "ذخیره شد" in d.find_element(By.CSS_SELECTOR,
                                                                     f"{card} [data-role=members-status]").text)
    assert find(page, f"{item} [data-role=member-summary]").text.endswith("کاربر: دیدن فروش، ثبت فروش")
    shown = requests.get(f"{url}/tenancy/businesses/{tenant}", headers=bearer(url, ADMIN), timeout=10).json()
    assert {m["user_id"]: m["permissions"] for m in shown["members"]}[member_id] == ["sales.read", "sales.write"]

    # The same in English, left to right.
    find(page, "#lang").click()
    find(page, f"{item} summary", SLOW).click()
    assert find(page, f"{item} [data-role=member-summary]").text.endswith("Member: read sales, write sales")
    assert "Save permissions" in find(page, f"{item} [data-form=permissions]").text
    assert page.execute_script("return document.documentElement.dir") == "ltr"
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "20-member-permissions-en")
    find(page, "#lang").click()

    # The member sees the business on their own page, with those permissions in Persian words, and no admin forms.
    as_user(page, url, MEMBER)
    their = personal_page_once(page, url, lambda d: d.find_elements(By.CSS_SELECTOR, card),
                               "the business never showed on the member's page")[0]
    assert "فروشگاه سپیدار" in their.find_element(By.TAG_NAME, "h2").text
    facts = their.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert "کاربر" in facts and "دیدن فروش، ثبت فروش" in facts and "sales" not in facts
    assert not page.find_elements(By.CSS_SELECTOR, f"{card} form[data-form=member], {card} details.member-editor")
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "21-member-sees-business-fa")

    # The admin removes them: a first press asks, Escape steps back, a second press and "yes" remove.
    added = requests.post(f"{url}/tenancy/businesses/{tenant}/members", headers=bearer(url, ADMIN), timeout=10,
                          json={"mobile": OTHER})
    assert added.status_code == 201, added.text
    as_user(page, url, ADMIN)
    find(page, f"{item} summary", SLOW).click()
    find(page, f"{item} [data-role=remove]").click()
    assert active_role(page) == "remove-yes"
    assert "از کاربران این کسب‌وکار حذف شود؟" in find(page, f"{item} .confirm").text
    page.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert active_role(page) == "remove"
    assert not page.find_element(By.CSS_SELECTOR, f"{item} .confirm").is_displayed()
    page.switch_to.active_element.send_keys(Keys.ENTER)  # the keyboard alone: remove, then yes
    assert active_role(page) == "remove-yes"
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "22-member-remove-confirm-fa")
    page.switch_to.active_element.send_keys(Keys.ENTER)
    waiter(page, SLOW).until(lambda d: "از کاربران حذف شد." in d.find_element(By.CSS_SELECTOR,
                                                                            f"{card} [data-role=members-status]").text)
    assert not page.find_elements(By.CSS_SELECTOR, item)

    # A member removed meanwhile elsewhere: tenancy's refusal is shown by the remove control.
    gone = requests.delete(f"{url}/tenancy/businesses/{tenant}/members/{other_id}", headers=bearer(url, ADMIN),
                           timeout=10)
    assert gone.status_code == 200, gone.text
    other = f"{card} [data-member='{other_id}']"
    find(page, f"{other} summary").click()
    find(page, f"{other} [data-role=remove]").click()
    find(page, f"{other} [data-role=remove-yes]").click()
    assert field_error(page, "remove", SLOW).text == "این کاربر عضو این کسب‌وکار نیست."  # member_not_found

    # And the business is gone from the member's page.
    as_user(page, url, MEMBER)
    personal_page_once(page, url, lambda d: not d.find_elements(By.CSS_SELECTOR, card)
                       and "هنوز در هیچ کسب‌وکاری عضو نیستید." in d.find_element(By.TAG_NAME, "main").text,
                       "the business stayed on the removed member's page")
