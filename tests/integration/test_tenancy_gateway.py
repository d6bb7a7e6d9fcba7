"""Tenancy through the gateway with real processes on the real broker (PR-3, TE-1 … TE-3,
ID-5, AR-1, NO-1): a published PaymentSucceeded activates the business; the admin adds an
organization and a member; 50 parallel sessions take exactly ten seats; identity's /me shows
the business and each person's role; the moved clock lapses it once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import eventlet
import pytest

from tests.support.network import free_port
from tests.support.processes import Platform, wait_until
from tests.support.tenancy import Client, drain, new_business_paid, publish


@pytest.fixture
def client(platform: Platform) -> Client:
    platform.start("identity")
    platform.start("tenancy")
    platform.start("notifications")
    address = f"127.0.0.1:{free_port()}"
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return Client(f"http://{address}", platform)


def test_a_business_from_payment_to_lapse_through_the_gateway(client: Client, platform: Platform) -> None:
    admin = client.sign_up("09121000001")
    member = client.sign_up("۰۹۱۲۱۰۰۰۰۰۲")
    tenant = uuid.uuid4()
    paid = new_business_paid(tenant, uuid.UUID(admin), ends_in=timedelta(days=30))
    publish(platform.settings, paid)
    business = f"/tenancy/businesses/{tenant}"
    page = wait_until(lambda: (a := client.ask("GET", business, admin)).ok and a.json(), what="the activation")
    assert page["state"] == "active" and page["members"][0]["role"] == "admin"
    assert page["subscription"]["ends_at"]["jalali"][0] in "۰۱۲۳۴۵۶۷۸۹"
    assert client.ask("GET", business).status_code == 401
    assert client.ask("GET", business, str(uuid.uuid4())).json()["error"] == "forbidden"
    assert client.ask("GET", business, str(uuid.uuid4()), roles=("support",)).status_code == 200

    # The admin adds an organization and a member (registered: identity told tenancy).
    org = client.ask("POST", f"{business}/organizations", admin, {"name": "شعبه شیراز", "kind": "branch"})
    assert org.status_code == 201, org.text
    organization = org.json()["organization_id"]
    assert client.ask("POST", f"{business}/organizations", member, {"name": "x", "kind": "branch"}
                      ).status_code == 403
    bad = client.ask("POST", f"{business}/organizations", admin, {"name": "x", "kind": "castle"})
    assert bad.status_code == 422 and bad.json()["message"]["fa"]
    more = list(eventlet.GreenPool(50).imap(
        lambda i: client.ask("POST", f"{business}/organizations", admin, {"name": f"انبار {i}", "kind": "warehouse"}
                             ).status_code, range(50)))
    assert more.count(201) == 2 and more.count(409) == 48, more  # three in all (TE-2)
    added = wait_until(lambda: (a := client.ask("POST", f"{business}/members", admin,
                                                {"mobile": "09121000002", "permissions": ["sales.read"]})
                                ).status_code != 404 and a, what="tenancy to learn of the member's sign-up")
    assert added.status_code == 201, added.text
    stranger = client.ask("POST", f"{business}/members", admin, {"mobile": "09129999999", "permissions": []})
    assert stranger.status_code == 404 and stranger.json()["error"] == "user_not_registered"
    assert "ثبت‌نام" in stranger.json()["message"]["fa"]

    # 50 parallel sessions in the organization: ten seats, forty refusals.
    sessions = f"/tenancy/organizations/{organization}/sessions"

    def take(i: int) -> tuple[int, str, dict[str, Any]]:
        user = admin if i % 2 else member
        answer = client.ask("POST", sessions, user)
        return answer.status_code, user, answer.json()

    taken = list(eventlet.GreenPool(50).imap(take, range(50)))
    statuses = [status for status, *_ in taken]
    assert statuses.count(201) == 10 and statuses.count(409) == 40, statuses
    full = client.ask("POST", sessions, admin).json()
    assert full["error"] == "concurrent_user_limit" and full["message"]["en"]
    # A heartbeat renews a lease; only its holder may; a release frees the seat at once.
    holder, lease = next((user, body) for status, user, body in taken if status == 201)
    other = member if holder == admin else admin
    assert client.ask("PUT", f"{sessions}/{lease['session_id']}", other).status_code == 403
    assert client.ask("PUT", f"{sessions}/{lease['session_id']}", holder).status_code == 200
    assert client.ask("DELETE", f"{sessions}/{lease['session_id']}", holder).status_code == 200
    assert client.ask("PUT", f"{sessions}/{lease['session_id']}", holder).json()["error"] == "session_not_found"
    assert client.ask("POST", sessions, holder).status_code == 201

    # identity's personal page shows each person's place and rights (ID-5, TE-3).
    def me(user: str) -> dict[str, Any]:
        return dict(client.ask("GET", "/me", user).json())

    mine = wait_until(lambda: (page := me(member))["businesses"] and page, what="/me to show the business")
    assert mine["businesses"][0]["role"] == "member" and mine["businesses"][0]["permissions"] == ["sales.read"]
    theirs = wait_until(lambda: (page := me(admin))["businesses"] and page["businesses"][0]["subscription_state"]
                        == "active" and page, what="/me of the admin")
    assert theirs["businesses"][0]["role"] == "admin" and theirs["businesses"][0]["business_name"] == "فروشگاه آفتاب"

    # The member was told by SMS (NO-1).
    def member_sms() -> list[dict[str, Any]]:
        return [m for m in platform.call("notifications", "messages_to", "09121000002")["ok"]
                if m["template"] == "tenancy.member_added"]

    assert "فروشگاه آفتاب" in wait_until(member_sms, what="the member's SMS")[0]["text"]

    # Support raises one business's limits; nobody else may (TE-2, PR-3).
    assert client.ask("POST", f"{business}/limits", admin, {"max_organizations": 5}).status_code == 403
    agent = str(uuid.uuid4())
    assert client.ask("POST", f"{business}/limits", agent, {}, roles=("support",)).status_code == 422
    raised = client.ask("POST", f"{business}/limits", agent, {"max_organizations": "۵", "max_members": 4},
                        roles=("support",))
    assert raised.status_code == 200 and raised.json() == {"organizations": 5, "concurrent_users": 10, "members": 4}
    lower = client.ask("POST", f"{business}/limits", agent, {"max_organizations": 2}, roles=("support",))
    assert lower.status_code == 422 and lower.json()["error"] == "limits_not_raised"
    assert client.ask("GET", business, admin).json()["limits"]["max_organizations"] == 5

    # Move the platform clock past the period's end: lapsed once, seen on /me.
    assert client.ask("POST", "/ops/clock", body={"advance": "P31D"}).status_code == 202
    wait_until(lambda: me(admin)["businesses"][0]["subscription_state"] == "lapsed", what="the lapse on /me")
    assert client.ask("GET", business, admin).json()["state"] == "lapsed"
    refused = client.ask("POST", f"{business}/organizations", admin, {"name": "انبار", "kind": "warehouse"})
    assert refused.status_code == 409 and refused.json()["error"] == "subscription_lapsed"
    assert client.ask("POST", "/ops/clock", body={"advance": "P1D"}).status_code == 202
    eventlet.sleep(2)
    lapses = [m for m in drain(platform.settings, "archival") if m["type"] == "TenantLapsed"]
    assert len(lapses) == 1 and lapses[0]["payload"]["lapsed_at"] == paid.period_end.isoformat().replace("+00:00", "Z")

