"""Provisioning as a customer sees it, with real processes through the gateway and the
broker: a payment provisions the business, its admin gets the SMS and reads
GET /provisioning/tenants/{id}; nobody else does (PR-1 … PR-5, NO-1, X-3)."""

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
