"""The personal page in the browser (ID-5, TE-3, AR-1, AR-2): a business the user was seated in,
its state after a lapse and the deletion date, in Jalali with Persian digits — fed by the
tenancy and archival events identity consumes (published here as those services will)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from shared.events import archival, tenancy
from shared.events.base import Envelope, IntegrationEvent
from tests.browser.conftest import screenshot
from tests.browser.steps import (
    check_page_is_accessible_on_a_phone,
    field,
    fill,
    find,
    heading,
    jalali_text,
    signed_up,
    submit,
)
from tests.support.broker import confirmed_publisher
from tests.support.processes import wait_until

pytestmark = pytest.mark.browser


def publish(platform: Any, event: IntegrationEvent, at: datetime, position: int) -> None:
    envelope = Envelope(event_id=uuid.uuid4(), type=event.type, version=event.version, occurred_at=at,
                        producer=event.producer, producer_position=position, correlation_id="portal-test",
                        tenant_id=getattr(event, "tenant_id", None), payload=event.model_dump(mode="json"))
    with confirmed_publisher(platform.settings) as publish:
        publish(envelope.to_wire(), envelope.routing_key)


def test_the_personal_page_shows_a_lapsed_business_with_its_role_and_deletion_date(page: Any,
                                                                                 portal: dict[str, Any]) -> None:
    url, platform = portal["url"], portal["platform"]
    user_id = signed_up(url, "09121230101")
    tenant, admin = uuid.uuid4(), uuid.UUID(user_id)
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    ends, lapsed = start + timedelta(days=365), start + timedelta(days=366)
    deletion = lapsed + timedelta(days=92)
    name = "بازرگانی نمونه"
    publish(platform, tenancy.MemberAddedV1(tenant_id=tenant, business_name=name, user_id=admin, mobile="+989121230101",
                                            role="admin", permissions=(), added_by_user_id=None), start, 1)
    publish(platform, tenancy.BusinessActivatedV1(
        tenant_id=tenant, business_name=name, business_type="trading", admin_user_id=admin,
        products=("accounting", "payroll"), activated_by="payment", source_id=uuid.uuid4(),
        subscription_starts_at=start, subscription_ends_at=ends, max_organizations=3, max_concurrent_users=10),
        start, 2)
    publish(platform, tenancy.TenantLapsedV1(tenant_id=tenant, business_name=name, admin_user_id=admin,
                                             lapsed_at=lapsed), lapsed, 3)
    publish(platform, archival.ArchivalScheduledV1(tenant_id=tenant, business_name=name, admin_user_id=admin,
                                                   lapsed_at=lapsed, deletion_due_at=deletion), lapsed, 1)
    login = requests.post(f"{url}/identity/sessions", json={"mobile": "09121230101", "password": "Str0ng!pass"},
                          timeout=30).json()
    bearer = {"Authorization": f"Bearer {login['access_token']}"}
    wait_until(lambda: (b := requests.get(f"{url}/me", headers=bearer, timeout=10).json()["businesses"])
               and b[0]["deletion_due_at"] and b[0]["subscription_state"] == "lapsed",
               what="identity to take the events")

    page.get(f"{url}/#/login")
    heading(page, "ورود")
    fill(page, "mobile", "09121230101")
    fill(page, "password", "Str0ng!pass")
    submit(page, of="password")
    heading(page, "صفحهٔ شخصی")
    card = find(page, f"[data-tenant='{tenant}']")
    text = card.text
    assert name in card.find_element(By.CSS_SELECTOR, "h2").text
    assert card.find_element(By.CSS_SELECTOR, "[data-role=state]").text == "منقضی‌شده"
    assert "مدیر" in text and "بازرگانی" in text and "حسابداری، حقوق و دستمزد" in text
    assert f"پایان اشتراک: {jalali_text(ends)}" in text
    assert f"اطلاعات در {jalali_text(deletion)} حذف می‌شود" in text  # AR-1, in Jalali with Persian digits
    assert not any(ch in "0123456789" for ch in text.replace(str(tenant), ""))  # Persian digits only
    # Each owning service's part is there: its facts, or a plain note while that service is away.
    for part in ("provisioning", "tenancy", "archival"):
        wait_until(lambda p=part: card.find_element(By.CSS_SELECTOR, f"[data-part={p}]").text.strip(),
                   timeout=15, what=f"the {part} part")
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "10-me-business-lapsed-fa")
    find(page, "#lang").click()
    heading(page, "My page")
    assert "Lapsed" in find(page, f"[data-tenant='{tenant}'] [data-role=state]").text
    screenshot(page, "11-me-business-lapsed-en")
    find(page, "#lang").click()
    heading(page, "صفحهٔ شخصی")


def test_jalali_dates_and_digits_in_the_page_match_the_platforms(page: Any, portal: dict[str, Any]) -> None:
    moments = [datetime(2026, 3, 20, 20, 31, tzinfo=UTC), datetime(2026, 3, 21, 12, 0, tzinfo=UTC),
               datetime(2025, 3, 20, 0, 0, tzinfo=UTC), datetime(2024, 12, 31, 21, 0, tzinfo=UTC),
               datetime(2026, 11, 28, 10, 0, tzinfo=UTC), datetime(2030, 9, 22, 23, 59, tzinfo=UTC)]
    shown = page.execute_async_script("""
        const done = arguments[arguments.length - 1];
        import('/portal/i18n.js').then((m) => done(arguments[0].map((iso) => m.jalali(iso))));
    """, [m.isoformat() for m in moments])
    assert shown == [jalali_text(m) for m in moments]
    numbers = page.execute_async_script("""
        const done = arguments[arguments.length - 1];
        import('/portal/i18n.js').then((m) => done([m.number(12500000), m.latinDigits('۰۹۱۲ ٣٤٥'), m.digits('2026')]));
    """)
    assert numbers == ["۱۲٬۵۰۰٬۰۰۰", "0912 345", "۲۰۲۶"]
    assert field(page, "mobile")  # the page still works after the imports
