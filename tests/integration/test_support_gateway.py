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

    codes = f"/support/tickets/{ticket}/codes"
    assert desk.ask("POST", codes, token, {"purpose": "password_reset"}).status_code == 403
    assert desk.ask("POST", codes, agent, {"purpose": "signup"}).json()["error"] == "already_verified"
    too_soon = desk.ask("POST", codes, agent, {"purpose": "password_reset"})  # the sign-up code went a moment ago
    assert too_soon.status_code == 429 and too_soon.json()["error"] == "resend_too_soon"  # support too waits
    assert desk.ask("POST", "/ops/clock", body={"advance": "PT2M"}).status_code == 202
    wait_until(lambda: desk.ask("POST", codes, agent, {"purpose": "password_reset"}).status_code == 202,
               what="identity to see the clock moved, then the code sent")
    wait_until(lambda: any(m["template"] == "verification_code.password_reset"
                           for m in desk.ask("GET", f"/support/cases/{ticket}", agent).json()["sms"]),
               what="the reset code in the case's SMS list")
    resent = desk.ask("GET", f"/support/cases/{ticket}", agent).json()["codes_resent"]  # on the ticket (ID-2)
    assert [(c["purpose"], c["outcome"]) for c in resent[:2]] == [("signup", "already_verified"),
                                                                   ("password_reset", "resend_too_soon")]
    assert (resent[-1]["purpose"], resent[-1]["outcome"]) == ("password_reset", "sent")
    assert {c["agent_id"] for c in resent} == {agent_id} and resent[-1]["at"]["jalali"]
    assert "codes_resent" not in desk.ask("GET", f"/support/tickets/{ticket}", token).json()
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


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + b"0" * 300 + b"\n%%EOF\n"


@pytest.fixture
def licence_desk(platform: Platform) -> Desk:
    platform.start("identity", SUPPORT_MOBILES=SUPPORT_MOBILE)
    platform.start("notifications")
    address = f"127.0.0.1:{free_port()}"
    platform.start("billing", PUBLIC_BASE_URL=f"http://{address}")
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return Desk(f"http://{address}")


def test_support_decides_an_educational_licence_with_its_document(licence_desk: Desk) -> None:
    desk = licence_desk
    _, applicant = desk.signed_in("09121000041")
    _, stranger = desk.signed_in("09121000042")
    _, agent = desk.signed_in(SUPPORT_MOBILE)
    applied = desk.ask("POST", "/billing/educational-applications", applicant, {
        "institution_name": "هنرستان فنی", "licence_number": "۱۲۳/ص/۱۴۰۴", "contact_mobile": "09121000041"})
    assert applied.status_code == 201 and applied.json()["licence_number"] == "123/ص/1404", applied.text
    application = applied.json()["application_id"]
    document = f"/billing/educational-applications/{application}/document"

    def upload(token: str, content: bytes, kind: str = "application/pdf") -> requests.Response:
        return requests.put(f"{desk.url}{document}", data=content, timeout=30,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": kind})

    html = upload(applicant, b"<html><script>alert(1)</script>" + b" " * 100, "application/pdf")
    assert html.status_code == 422 and html.json()["error"] == "invalid_document"  # the bytes decide, not the type
    assert upload(applicant, b"%PDF-1.4" + b"0" * (5 * 1024 * 1024)).status_code == 413
    assert upload(stranger, PDF).status_code == 404
    stored = upload(applicant, PDF, "text/html")
    assert stored.status_code == 200 and stored.json()["document"]["media_type"] == "application/pdf", stored.text

    assert desk.ask("GET", document, stranger).status_code == 404
    served = desk.ask("GET", document, agent)
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"] == f'attachment; filename="licence-{application}.pdf"'
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]

    assert desk.ask("GET", "/billing/educational-applications", applicant).status_code == 403
    pending = desk.ask("GET", "/billing/educational-applications", agent).json()["applications"]
    assert [a["application_id"] for a in pending] == [application]
    path = f"/billing/educational-applications/{application}/reject"
    assert desk.ask("POST", path, agent, {"reason": ""}).status_code == 422
    rejected = desk.ask("POST", path, agent, {"reason": "تصویر مجوز خوانا نیست"})
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected", rejected.text
    assert desk.ask("GET", "/billing/educational-applications", agent).json()["applications"] == []
    told = wait_until(lambda: [m for m in desk.outbox("09121000041")
                               if m["template"] == "support.educational_rejected"], what="the rejection by SMS")
    assert len(told) == 1 and "تصویر مجوز خوانا نیست" in told[0]["text"]
    assert upload(applicant, PDF).json()["error"] == "application_already_decided"

    # The portal's licence page: each applicant reads only their own applications.
    (mine,) = desk.ask("GET", "/billing/educational-applications/mine", applicant).json()["applications"]
    assert mine["application_id"] == application and mine["state"] == "rejected"
    assert mine["reason"] == "تصویر مجوز خوانا نیست" and mine["document"]["media_type"] == "application/pdf"
    assert desk.ask("GET", "/billing/educational-applications/mine", stranger).json()["applications"] == []
    assert desk.ask("GET", f"/billing/educational-applications/{application}", stranger).status_code == 404
    assert desk.ask("GET", "/billing/educational-applications/mine").status_code == 401
