"""Provisioning as a customer sees it, with real processes through the gateway and the
broker: a payment provisions the business, its admin gets the SMS and reads
GET /provisioning/tenants/{id}; nobody else does (PR-1 … PR-5, NO-1, X-3). The books' routes
(#18): an asset's depreciation schedule and a payroll upgrade, through the same processes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from shared.kernel.tokens import development_signing_keys, issue_access_token
from tests.integration.test_gateway_slice import free_port, post, sms_code
from tests.support.processes import Platform, wait_until
from tests.support.provisioning_orders import envelope, payment, publish

MOBILE = "09121115566"


@pytest.fixture
def gateway(platform: Platform) -> str:
    for service in ("identity", "notifications", "provisioning"):
        platform.start(service)
    address = f"127.0.0.1:{free_port()}"
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return f"http://{address}"


def bearer(platform: Platform, user_id: str, roles: list[str]) -> dict[str, str]:
    private_key, _ = development_signing_keys(platform.settings.var_dir / "keys")
    return {"Authorization": f"Bearer {issue_access_token(private_key, user_id, roles, datetime.now(UTC))}"}


def test_a_payment_provisions_the_business_and_its_admin_is_told_and_can_look(gateway: str,
                                                                               platform: Platform) -> None:
    registered = post(f"{gateway}/identity/registrations", {"mobile": MOBILE, "password": "Str0ng!pass"}).json()
    post(f"{gateway}/identity/registrations/verify", {"mobile": MOBILE, "code": sms_code(gateway, MOBILE),
                                                      "registration_id": registered["registration_id"]})
    tokens = post(f"{gateway}/identity/sessions", {"mobile": MOBILE, "password": "Str0ng!pass"}).json()
    paid = payment(business_type="trading", products=("accounting", "fixed_assets"), payer=tokens["user_id"])
    publish(platform.settings, envelope(paid))

    url = f"{gateway}/provisioning/tenants/{paid.tenant_id}"
    admin = {"Authorization": f"Bearer {tokens['access_token']}"}

    def provisioned() -> Any:
        answer = requests.get(url, headers=admin, timeout=10)
        return answer.status_code == 200 and answer.json()["state"] == "active" and answer.json()

    view = wait_until(provisioned, timeout=60, what="the business to be provisioned")
    assert view["chart"]["type"] == "trading" and view["chart"]["accounts"] >= 100
    assert view["seats"] == 3 and view["admin_user_id"] == tokens["user_id"]
    assert {m["module"] for m in view["modules"]} == {"accounting", "treasury", "inventory", "sales", "fixed_assets"}
    assert view["support"]["until"]["jalali"] == "۱۴۰۶/۰۹/۰۷" and view["initial_training"] == {"offered": True}
    assert view["backups"]["last"]["kind"] == "initial"
    assert view["branches"] == [{"organization_id": None, "name": "دفتر مرکزی", "kind": "head_office",
                                 "detail_code": "500001"}]  # TE-1: the head office's detail, from the chart

    def ready_sms() -> Any:
        answer = requests.get(f"{gateway}/notifications/messages", params={"to": MOBILE}, timeout=10).json()
        return [m for m in answer["messages"] if m.get("template") == "provisioning.tenant_provisioned"
                or "آماده است" in m["text"]]

    [sms] = wait_until(ready_sms, timeout=30, what="the 'business is ready' SMS")
    assert "شرکت بازرگانی آفتاب پارس" in sms["text"] and "بازرگانی" in sms["text"]

    assert requests.get(url, timeout=10).status_code == 401
    stranger = requests.get(url, headers=bearer(platform, "someone-else", ["customer"]), timeout=10)
    assert stranger.status_code == 403 and stranger.json()["error"] == "forbidden"
    support = requests.get(url, headers=bearer(platform, "agent", ["support"]), params={"locale": "en"}, timeout=10)
    assert support.status_code == 200 and support.json()["support"]["until"]["jalali"] == "1406/09/07"
    unknown = requests.get(f"{gateway}/provisioning/tenants/not-a-tenant", headers=admin, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"] == "tenant_not_found"
    assert unknown.json()["message"]["fa"] and unknown.json()["message"]["en"]

    # Each business type gets its own chart, and payroll brings its module and formulas (PR-2, PR-6).
    others = [payment(business_type="service", products=("accounting", "payroll"), payer=tokens["user_id"]),
              payment(business_type="manufacturing", products=("accounting",), payer=tokens["user_id"])]
    publish(platform.settings, *[envelope(other) for other in others])
    for other in others:
        other_url = f"{gateway}/provisioning/tenants/{other.tenant_id}"
        seen = wait_until(lambda u=other_url: (a := requests.get(u, headers=admin, timeout=10)).status_code == 200
                          and a.json()["state"] == "active" and a.json(), timeout=60, what="another business")
        assert seen["chart"]["type"] == other.business_type and seen["business_type"] == other.business_type
        assert ("payroll" in {m["module"] for m in seen["modules"]}) == ("payroll" in other.products)
        if "payroll" in other.products:  # seeded now: nothing to upgrade, and nothing is changed
            upgrade = requests.post(f"{other_url}/payroll/upgrade", headers=admin, timeout=10)
            assert upgrade.status_code == 200 and upgrade.json()["upgraded"] is False, upgrade.text
    no_payroll = requests.post(f"{url}/payroll/upgrade", headers=admin, timeout=10)
    assert no_payroll.status_code == 409 and no_payroll.json()["error"] == "payroll_not_active"


def test_an_assets_depreciation_schedule_through_the_gateway(gateway: str, platform: Platform) -> None:
    admin_id = "b6a0c1f2-3d4e-4f50-8a1b-2c3d4e5f6a7b"
    paid = payment(business_type="trading", products=("accounting", "fixed_assets"), payer=admin_id)
    publish(platform.settings, envelope(paid))
    admin = bearer(platform, admin_id, ["customer"])
    url = f"{gateway}/provisioning/tenants/{paid.tenant_id}"
    wait_until(lambda: requests.get(url, headers=admin, timeout=10).status_code == 200, timeout=60,
               what="the business to be provisioned")
    schedule = f"{url}/assets/depreciation-schedule"

    # A laptop ready on ۱۴۰۴/۰۳/۱۵, typed in Persian digits: 3 years straight line from تیر.
    laptop = requests.post(schedule, headers=admin, timeout=10,
                           json={"category": "computers", "cost": "۲۴۰۰۰۰۰۰۰", "in_service": "۱۴۰۴/۰۳/۱۵"})
    assert laptop.status_code == 200, laptop.text
    shown = laptop.json()
    assert [(y["year"], y["depreciation"]) for y in shown["years"]] == [
        (1404, 60_000_000), (1405, 80_000_000), (1406, 80_000_000), (1407, 20_000_000)]
    assert shown["provisional"] is True and shown["category"]["accounts"]["accumulated"] == "20206"

    bad_date = requests.post(schedule, headers=admin, timeout=10,
                             json={"category": "computers", "cost": 1, "in_service": "1404/12/30"})
    assert bad_date.status_code == 422 and bad_date.json()["error"] == "invalid_jalali_date"
    assert bad_date.json()["field"] == "in_service" and bad_date.json()["message"]["fa"]
    unknown = requests.post(schedule, headers=admin, timeout=10,
                            json={"category": "computers", "cost": 1, "in_service": "1404/01/01", "colour": "red"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "invalid_request"
    stranger = requests.post(schedule, headers=bearer(platform, "someone-else", ["customer"]), timeout=10,
                             json={"category": "computers", "cost": 1, "in_service": "1404/01/01"})
    assert stranger.status_code == 403
    assert requests.post(schedule, timeout=10, json={}).status_code == 401
