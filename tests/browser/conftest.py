"""The portal in a real browser: Debian's headless Chromium driven by Selenium through the
system chromedriver (no browser or driver is ever downloaded), against real identity,
notifications and gateway processes on the real broker.

Chromium missing: on a developer's machine the browser tests are skipped with the install
command; in CI (CI=true) they fail, since .ci/run installs it."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.kernel.config import REPO_ROOT, Settings
from tests.support.infrastructure import (
    AMQP_URI,
    TEST_RETRY_DELAYS_MS,
    delete_namespace,
    missing_tool,
    require_infrastructure,
)
from tests.support.network import free_port
from tests.support.processes import Platform, answers, wait_until

SCREENS = REPO_ROOT / "docs" / "screens"
PHONE = (412, 915)  # CSS pixels of a common phone; every page must read well at this size
SUPPORT_MOBILE = "09120009999"  # identity gives this number's logins the support role (issue #19)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the portal in headless Chromium (chromium, chromium-driver)")


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or next(
        (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if Path(p).exists()), None)
    if browser and driver:
        return browser, driver
    missing_tool("headless Chromium is missing: apt-get install -y chromium chromium-driver (.ci/run installs them)")
    raise AssertionError("unreachable")



@pytest.fixture(scope="package")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """identity, notifications and the gateway, once for the browser tests (each test uses its own numbers);
    the `shop` fixture adds the other services."""
    require_infrastructure()
    namespace = f"t{uuid.uuid4().hex[:10]}"
    settings = Settings(service="tests", namespace=namespace, event_store="sqlite", amqp_uri=AMQP_URI,
                        var_dir=tmp_path_factory.mktemp("portal") / "var", postgres_db_prefix=f"test_{namespace}",
                        retry_delays_ms=TEST_RETRY_DELAYS_MS)
    platform = Platform(settings)
    try:
        # Every browser test signs up from 127.0.0.1: the per-address cap on codes (30 an hour, tested
        # in tests/unit/identity) would refuse the package's later sign-ups.
        platform.start("identity", SUPPORT_MOBILES=SUPPORT_MOBILE, CODES_PER_CLIENT_ADDRESS_PER_HOUR="1000")
        platform.start("notifications")
        address = f"127.0.0.1:{free_port()}"
        platform.start("gateway", WEB_SERVER_ADDRESS=address)
        url = f"http://{address}"
        wait_until(lambda: answers(f"{url}/"), timeout=30, what="the gateway to serve the portal")
        yield {"url": url, "platform": platform}
    finally:
        platform.stop_all()
        delete_namespace(namespace)


@pytest.fixture(scope="package")
def shop(portal: dict[str, Any]) -> dict[str, Any]:
    """The rest of the platform, for the pages that buy and run a business: billing (with the
    payment sandbox, its callback on this gateway), provisioning, tenancy and archival. Started
    once, only when a test asks; stopped with the portal's processes."""
    platform = portal["platform"]
    platform.start("billing", PUBLIC_BASE_URL=portal["url"], BILLING_RECONCILE_SECONDS="1")
    for service in ("provisioning", "tenancy", "archival"):
        platform.start(service)
    return portal | {"sandbox": platform.payment_sandbox_url}



@pytest.fixture(scope="package")
def chrome() -> Iterator[Any]:
    browser, driver_path = chromium_paths()
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager reach for a download
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--lang=fa",
                     f"--window-size={PHONE[0]},{PHONE[1]}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    driver.set_window_size(*PHONE)  # headless Chromium opens 500 px wide whatever --window-size says
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(chrome: Any, portal: dict[str, Any]) -> Iterator[Any]:
    """The browser on a fresh portal: storage cleared, Persian, phone-sized."""
    # Storage is cleared on a page of the origin that runs no portal code: cleared under a running
    # portal, the last test's page could still be asking for its data and answer the 401 that
    # follows by sending this test's first page to log in (CI saw it once).
    chrome.get(f"{portal['url']}/health")
    chrome.execute_script("sessionStorage.clear(); localStorage.clear();")
    chrome.get(f"{portal['url']}/#/signup")
    chrome.refresh()  # a new document: nothing of the last test survives in the page's memory
    yield chrome


def screenshot(driver: Any, name: str) -> None:
    """Saved for review when SCREENS=1 (`make screens`); a failure here never fails a test."""
    if os.environ.get("SCREENS") != "1":
        return
    try:
        SCREENS.mkdir(parents=True, exist_ok=True)
        height = driver.execute_script("return Math.max(document.body.scrollHeight, window.innerHeight)")
        driver.set_window_size(PHONE[0], min(int(height) + 140, 4000))
        driver.save_screenshot(str(SCREENS / f"{name}.png"))
    except Exception as exc:  # screenshots are for people; never a reason to fail
        print(f"screenshot {name} not saved: {exc}")
    finally:
        with contextlib.suppress(Exception):  # the browser may be gone; the test reports that itself
            driver.set_window_size(*PHONE)
