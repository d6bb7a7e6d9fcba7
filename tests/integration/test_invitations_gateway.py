"""Invitations through the gateway with real identity, tenancy, notifications and gateway
processes on the real broker (issue #19): the admin invites a number typed in Persian digits;
notifications texts it a link to the portal; the colleague signs up afterwards, reads and
accepts the invitation and is a member with the permissions chosen (tenancy, and identity's
/me); a stranger holding the link is refused; a revoked invitation cannot be accepted."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from tests.support.network import free_port
from tests.support.processes import Platform, wait_until
from tests.support.tenancy import Client, new_business_paid, publish

ADMIN, COLLEAGUE, STRANGER, OTHER = "09121300001", "09121300002", "09121300003", "09121300004"


@pytest.fixture
def client(platform: Platform) -> Client:
    for service in ("identity", "tenancy", "notifications"):
        platform.start(service)
    address = f"127.0.0.1:{free_port()}"
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return Client(f"http://{address}", platform)


def test_an_invited_colleague_signs_up_accepts_and_joins(client: Client, platform: Platform) -> None:
    admin = client.sign_up(ADMIN)
    tenant = uuid.uuid4()
    publish(platform.settings, new_business_paid(tenant, uuid.UUID(admin), ends_in=timedelta(days=30)))
    business = f"/tenancy/businesses/{tenant}"
    wait_until(lambda: client.ask("GET", business, admin).ok, what="the activation")

    words = client.ask("GET", "/tenancy/permissions").json()["permissions"]
    assert {"code": "sales.read", "module": "sales", "fa": "دیدن فروش", "en": "read sales"} in words

    # Refused, changing nothing: a bad number, an unknown right, a member who is not the admin.
    bad = client.ask("POST", f"{business}/invitations", admin, {"mobile": "۰۲۱۲۲", "permissions": []})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_mobile" and bad.json()["message"]["fa"]
    unknown = client.ask("POST", f"{business}/invitations", admin, {"mobile": COLLEAGUE, "permissions": ["root"]})
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_permission"
    extra = client.ask("POST", f"{business}/invitations", admin, {"mobile": COLLEAGUE, "admin": True})
    assert extra.status_code == 422 and extra.json()["error"] == "invalid_request"
    assert client.ask("POST", f"{business}/invitations", str(uuid.uuid4()), {"mobile": COLLEAGUE}).status_code == 403
    assert client.ask("GET", business, admin).json()["invitations"] == []

    sent = client.ask("POST", f"{business}/invitations", admin,
                      {"mobile": "۰۹۱۲۱۳۰۰۰۰۲", "permissions": ["sales.read", "accounting.reports.read"]})
    assert sent.status_code == 201, sent.text
    invitation = sent.json()["invitation_id"]
    assert sent.json()["mobile"] == "+989121300002" and sent.json()["expires_at"]["jalali"]
    [listed] = client.ask("GET", business, admin).json()["invitations"]
    assert listed["invitation_id"] == invitation and listed["state"] == "pending"

    # The SMS: Persian, the rights in words, the link to the accept page.
    def texted() -> str | bool:
        found = client.ask("GET", "/notifications/messages?to=" + COLLEAGUE).json()["messages"]
        return bool(found) and str(found[0]["text"])
    text = wait_until(texted, what="the invitation's SMS")
    assert "گزارش‌های حسابداری، دیدن فروش" in text and "sales.read" not in text
    assert re.search(rf"/#/invitations/{tenant}/{invitation}$", text), text

    # The colleague signs up after the invitation; tenancy learns the number from identity.
    colleague, stranger = client.sign_up(COLLEAGUE), client.sign_up(STRANGER)
    path = f"{business}/invitations/{invitation}"
    shown = wait_until(lambda: (a := client.ask("GET", path, colleague)).ok and a.json(),
                       what="tenancy to learn of the colleague's number")
    assert shown["business_name"] == "فروشگاه آفتاب" and shown["permissions"] == ["accounting.reports.read",
                                                                                   "sales.read"]
    refused = client.ask("POST", f"{path}/acceptance", stranger)  # known to tenancy or not: not the invited number
    assert refused.status_code == 403 and "شمارهٔ موبایل دیگری" in refused.json()["message"]["fa"]
    assert client.ask("GET", path, stranger).json()["error"] == "invitation_not_for_you"
    assert client.ask("POST", f"{path}/acceptance").status_code == 401

    accepted = client.ask("POST", f"{path}/acceptance", colleague)
    assert accepted.status_code == 201, accepted.text
    again = client.ask("POST", f"{path}/acceptance", colleague)  # the page reloaded: no error, nothing twice
    assert again.status_code == 201 and again.json() == accepted.json()
    page = client.ask("GET", business, admin).json()
    assert page["seats_used"] == 2 and page["invitations"] == []
    assert {m["user_id"]: m["permissions"] for m in page["members"]}[colleague] == ["accounting.reports.read",
                                                                                   "sales.read"]
    me = wait_until(lambda: (a := client.ask("GET", "/me", colleague).json())["businesses"] and a,
                    what="identity to show the business on the colleague's page")
    assert me["businesses"][0]["role"] == "member" and me["businesses"][0]["permissions"] == [
        "accounting.reports.read", "sales.read"]

    # A revoked invitation cannot be accepted.
    other_invitation = client.ask("POST", f"{business}/invitations", admin, {"mobile": OTHER}).json()["invitation_id"]
    revoked = client.ask("DELETE", f"{business}/invitations/{other_invitation}", admin)
    assert revoked.status_code == 200, revoked.text
    other = client.sign_up(OTHER)
    accept_other = f"{business}/invitations/{other_invitation}/acceptance"
    late = wait_until(lambda: (a := client.ask("POST", accept_other, other)).json()["error"]
                      != "invitation_not_for_you" and (a.status_code, a.json()["error"]),
                      what="tenancy to learn of the other number")
    assert late == (410, "invitation_revoked")
    assert client.ask("DELETE", f"{business}/invitations/{other_invitation}", admin).status_code == 409
