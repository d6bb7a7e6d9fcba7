"""What a person does on the portal, as small steps the browser tests read like sentences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jdatetime
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from shared.kernel.i18n import TEHRAN
from tests.browser.conftest import SUPPORT_MOBILE
from tests.support.billing import pay_at_sandbox
from tests.support.processes import wait_until

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
PASSWORD = "Str0ng!pass"
MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]


def waiter(driver: Any, timeout: float) -> WebDriverWait:
    # Pages re-render while loading: an element found a moment ago may be gone; look again.
    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))


def to_persian(text: str) -> str:
    return text.translate(str.maketrans("0123456789", PERSIAN_DIGITS))


def jalali_text(moment: datetime, with_time: bool = False) -> str:
    """A moment as the portal writes it in Persian: «۷ آذر ۱۴۰۵» (Tehran's day), with «، ساعت ۱۳:۰۵»."""
    local = moment.astimezone(TEHRAN)
    day = jdatetime.date.fromgregorian(date=local.date())
    text = f"{day.day} {MONTHS[day.month - 1]} {day.year}" + (f"، ساعت {local:%H:%M}" if with_time else "")
    return to_persian(text)


def find(driver: Any, css: str, timeout: float = 15) -> WebElement:
    """The first visible element matching css, waited for."""
    def visible(d: Any) -> WebElement | bool:
        for element in d.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed():
                return element
        return False
    return waiter(driver, timeout).until(visible, f"nothing visible matches {css}")


def field(driver: Any, name: str) -> WebElement:
    return find(driver, f"[data-field='{name}'] input, [data-field='{name}'] select")


def field_error(driver: Any, name: str, timeout: float = 15) -> WebElement:
    return find(driver, f"[data-field='{name}'] .field-error", timeout)


def fill(driver: Any, name: str, text: str) -> WebElement:
    element = field(driver, name)
    element.clear()
    element.send_keys(text)
    return element


def submit(driver: Any, of: str | None = None) -> None:
    """Press the submit button of the form holding field `of` (or of the page's first form)."""
    if of is None:
        find(driver, "main form:not([hidden]) button[type=submit]").click()
        return
    form = driver.execute_script("return arguments[0].closest('form')", field(driver, of))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def heading(driver: Any, text: str, timeout: float = 15) -> WebElement:
    try:
        found: WebElement = waiter(driver, timeout).until(
            lambda d: text in (h1 := d.find_element(By.CSS_SELECTOR, "main h1")).text and h1,
            f"no page titled {text!r}")
    except TimeoutException as missed:
        # What the page showed instead, so a failure says why (a heading seen once in three CI runs missed).
        shown = driver.execute_script("return [location.hash, document.querySelector('main')?.innerText ?? '']")
        raise AssertionError(f"no page titled {text!r} after {timeout} s; at {shown[0]!r} the page shows: "
                             f"{shown[1][:500]!r}") from missed
    return found


def at(driver: Any, hash_prefix: str, timeout: float = 15) -> None:
    waiter(driver, timeout).until(
        lambda d: d.execute_script("return location.hash").startswith(hash_prefix), f"never reached {hash_prefix}")


def sms_code(url: str, mobile: str, count: int = 1) -> str:
    """The latest code texted to a number, from the development SMS outbox (GET /notifications/messages)."""
    def messages() -> list[dict[str, Any]] | bool:
        found = requests.get(f"{url}/notifications/messages", params={"to": mobile}, timeout=10).json()["messages"]
        return found if len(found) >= count else False
    latest = wait_until(messages, timeout=30, what=f"SMS number {count} to {mobile}")[0]
    persian = "".join(ch for ch in latest["text"].split("\n")[0] if ch in PERSIAN_DIGITS)
    return persian.translate(str.maketrans(PERSIAN_DIGITS, "0123456789"))


def rule_states(driver: Any) -> dict[str, str]:
    items = driver.find_elements(By.CSS_SELECTOR, "ul.rules li")
    return {item.get_attribute("data-rule"): item.get_attribute("class") for item in items}


def hint_shown(driver: Any, hint: str) -> bool:
    return bool(driver.execute_script(
        "const el = document.querySelector(`[data-hint='${arguments[0]}']`); return el && !el.hidden;", hint))


def check_page_is_accessible_on_a_phone(driver: Any) -> None:
    """Every field has a label, nothing scrolls sideways at a phone's width, and no absent
    part was printed as text."""
    problems = driver.execute_script("""
        const unlabelled = [...document.querySelectorAll('main input, main select, main textarea')]
          .filter((el) => el.type !== 'hidden')
          .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
          .map((el) => el.name || el.outerHTML.slice(0, 60));
        const wide = document.documentElement.scrollWidth > window.innerWidth + 1;
        const stray = /\\b(null|undefined|NaN)\\b/.test(document.querySelector('main').innerText);
        return {unlabelled, wide, stray, phone: window.innerWidth <= 420};
    """)
    assert problems == {"unlabelled": [], "wide": False, "stray": False, "phone": True}, problems


def signed_up(url: str, mobile: str) -> str:
    """A user signed up and verified through the API (the identity pages have their own tests); their id."""
    answer = requests.post(f"{url}/identity/registrations", json={"mobile": mobile, "password": PASSWORD},
                           timeout=30)
    assert answer.status_code == 202, answer.text
    registered = answer.json()
    requests.post(f"{url}/identity/registrations/verify", timeout=30, json={
        "mobile": mobile, "code": sms_code(url, mobile), "registration_id": registered["registration_id"]})
    login = requests.post(f"{url}/identity/sessions", json={"mobile": mobile, "password": PASSWORD}, timeout=30)
    return str(login.json()["user_id"])


def bearer(url: str, mobile: str) -> dict[str, str]:
    login = requests.post(f"{url}/identity/sessions", json={"mobile": mobile, "password": PASSWORD}, timeout=30)
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def log_in(driver: Any, url: str, mobile: str) -> None:
    driver.get(f"{url}/#/login")
    heading(driver, "ورود")
    fill(driver, "mobile", mobile)
    fill(driver, "password", PASSWORD)
    submit(driver, of="password")
    heading(driver, "صفحهٔ شخصی", timeout=30)


def support_signed_up(url: str) -> None:
    """The support agent's account (a number in SUPPORT_MOBILES): made by the first test that needs
    it (the portal's processes live for the whole package)."""
    login = requests.post(f"{url}/identity/sessions", json={"mobile": SUPPORT_MOBILE, "password": PASSWORD},
                          timeout=30)
    if login.status_code != 200:
        signed_up(url, SUPPORT_MOBILE)


def as_user(driver: Any, url: str, mobile: str) -> None:
    """Whoever was logged in, now this user (on their personal page)."""
    driver.get(f"{url}/")
    driver.execute_script("sessionStorage.clear();")
    log_in(driver, url, mobile)


def pay_at_the_bank(driver: Any, outcome: str) -> None:
    """On the payment sandbox's page (tools/payment_sandbox.py): choose what the bank does, and pay."""
    waiter(driver, 30).until(lambda d: "StartPay" in d.current_url, "never reached the bank's page")
    Select(find(driver, "select[name=outcome]", 30)).select_by_value(outcome)
    find(driver, "button[type=submit]").click()


def bought_through_the_api(url: str, mobile: str, name: str, products: list[str], timeout: float = 60) -> str:
    """A business ordered and paid for by a signed-up user through the API (the path through
    the pages has its own test), waited for until it is on their personal page; its tenant id."""
    auth = bearer(url, mobile)
    order = requests.post(f"{url}/billing/orders", headers=auth, timeout=30, json={
        "business_name": name, "business_type": "trading", "products": products, "period_months": 6})
    assert order.status_code == 201, order.text
    started = requests.post(f"{url}/billing/orders/{order.json()['order_id']}/payments", headers=auth, timeout=30)
    assert started.status_code == 201, started.text
    callback = pay_at_sandbox(started.json()["redirect_url"], "success")
    assert callback is not None
    requests.get(f"{url}/billing/payments/{started.json()['payment_id']}/callback", timeout=30,
                 params={"Authority": callback[0], "Status": callback[1]}, allow_redirects=False)
    wait_until(lambda: requests.get(f"{url}/me", headers=auth, timeout=10).json()["businesses"], timeout=timeout,
               interval=0.5, what="the business on the personal page")
    return str(order.json()["tenant_id"])

