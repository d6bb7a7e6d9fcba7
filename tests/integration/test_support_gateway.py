"""The support desk through the gateway with real processes on the real broker (issue #19):
a customer signs up, logs in and opens a ticket; a number listed in SUPPORT_MOBILES logs in
with the support role, finds it in the queue, opens the case (the customer's business and its
timeline from tenancy's log, the SMS sent by state and never by text) and answers; the
customer reads the answer and is told by SMS. Services not running are named, not fatal."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.support.network import free_port
from tests.support.processes import Platform, wait_until
from tests.support.tenancy import new_business_paid, publish

SUPPORT_MOBILE = "09120000099"
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


class Desk:
    def __init__(self, url: str) -> None:
        self.url = url

    def ask(self, method: str, path: str, token: str | None = None, body: Any = None,
            headers: dict[str, str] | None = None) -> requests.Response:
        sent = (headers or {}) | ({"Authorization": f"Bearer {token}"} if token else {})
        return requests.request(method, f"{self.url}{path}", json=body, headers=sent, timeout=30)

    def outbox(self, mobile: str) -> list[dict[str, Any]]:
        return list(self.ask("GET", f"/notifications/messages?to={mobile}").json()["messages"])

    def signed_in(self, mobile: str) -> tuple[str, str]:
        """Sign up, verify with the code the SMS carried, log in: (user id, access token)."""
        signed = self.ask("POST", "/identity/registrations", body={"mobile": mobile, "password": "Str0ng!pass"})
        assert signed.status_code == 202, signed.text
        text = wait_until(lambda: (m := self.outbox(mobile)) and m[0]["text"], what="the sign-up code")
        code = "".join(ch for ch in text.split("\n")[0] if ch in "۰۱۲۳۴۵۶۷۸۹").translate(PERSIAN)
        verified = self.ask("POST", "/identity/registrations/verify",
                            body={"mobile": mobile, "code": code, "registration_id": signed.json()["registration_id"]})
        assert verified.status_code == 200, verified.text
        tokens = self.ask("POST", "/identity/sessions", body={"mobile": mobile, "password": "Str0ng!pass"}).json()
        return tokens["user_id"], tokens["access_token"]


@pytest.fixture
def desk(platform: Platform) -> Desk:
    platform.start("identity", SUPPORT_MOBILES=SUPPORT_MOBILE)
    platform.start("tenancy")
    platform.start("notifications")
    address = f"127.0.0.1:{free_port()}"
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return Desk(f"http://{address}")


def test_a_ticket_from_the_personal_page_to_its_answer(desk: Desk, platform: Platform) -> None:
    customer, token = desk.signed_in("09121000031")
    stranger_id, stranger = desk.signed_in("09121000032")
    agent_id, agent = desk.signed_in(SUPPORT_MOBILE)
    tenant = uuid.uuid4()
    publish(platform.settings, new_business_paid(tenant, uuid.UUID(customer)))
    wait_until(lambda: desk.ask("GET", "/me", token).json()["businesses"], what="the business on /me")

    body = {"category": "more_organizations", "subject": "سازمان چهارم", "text": "سه سازمان داریم.\nچهارمی لازم است."}
    opened = desk.ask("POST", "/support/tickets", token, body, headers={"Idempotency-Key": "t-1"})
    assert opened.status_code == 201, opened.text
    again = desk.ask("POST", "/support/tickets", token, body, headers={"Idempotency-Key": "t-1"})
    ticket = opened.json()["ticket_id"]
    assert again.json()["ticket_id"] == ticket  # a retried request opens nothing new
    hostile = desk.ask("POST", "/support/tickets", token, body | {"subject": "\u202eسلام"})
    assert hostile.status_code == 422 and hostile.json()["error"] == "invalid_text"
    assert desk.ask("POST", "/support/tickets", token, body | {"category": "x"}).status_code == 422

    # Only support works the queue; a customer never finds another's ticket.
    assert desk.ask("GET", "/support/queue", token).status_code == 403
    assert desk.ask("GET", f"/support/tickets/{ticket}", stranger).status_code == 404
    assert desk.ask("POST", f"/support/tickets/{ticket}/answer", token, {"text": "خودم"}).status_code == 403
    assert desk.ask("GET", "/support/tickets", stranger).json()["tickets"] == []
    queue = desk.ask("GET", "/support/queue?category=more_organizations", agent).json()["tickets"]
    assert [t["ticket_id"] for t in queue] == [ticket]
    assert desk.ask("GET", "/support/queue?category=restore_backup", agent).json()["tickets"] == []

    case = desk.ask("GET", f"/support/cases/{ticket}", agent).json()
    assert case["customer"]["user_id"] == customer and [b["tenant_id"] for b in case["businesses"]] == [str(tenant)]
    assert "BusinessActivated" in [e["type"] for e in case["timeline"]]
    assert all(e["payload"].get("business_name") in (None, "<personal>") for e in case["timeline"])
    codes = [m for m in case["sms"] if m["template"] == "verification_code.signup"]
    assert len(codes) == 1 and codes[0]["status"] in ("sent", "delivered", "queued"), case["sms"]
    assert all("text" not in m for m in case["sms"])  # the code is never read off the desk
    assert set(case["unavailable"]) == {"billing", "provisioning", "archival"}  # not running here

    answered = desk.ask("POST", f"/support/tickets/{ticket}/answer", agent, {"text": "سقف سازمان‌ها افزایش یافت."})
    assert answered.status_code == 200 and answered.json()["state"] == "answered", answered.text
    assert desk.ask("GET", "/support/queue", agent).json()["tickets"] == []
    read = desk.ask("GET", f"/support/tickets/{ticket}", token).json()
    assert read["messages"][-1]["text"] == "سقف سازمان‌ها افزایش یافت." and "agent_id" not in read["messages"][-1]
    told = wait_until(lambda: [m for m in desk.outbox("09121000031") if m["template"] == "support.ticket_answered"],
                      what="the SMS that an answer waits")
    assert len(told) == 1 and "سقف" not in told[0]["text"]
    closed = desk.ask("POST", f"/support/tickets/{ticket}/close", token)
    assert closed.json()["state"] == "closed"
    late = desk.ask("POST", f"/support/tickets/{ticket}/replies", token, {"text": "یک چیز دیگر"})
    assert late.status_code == 409 and late.json()["error"] == "ticket_closed"
    assert stranger_id != agent_id
