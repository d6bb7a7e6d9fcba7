"""Support's priced offer of more limits through the gateway (TE-2, issue #19), real processes on
the real broker, SQLite and PostgreSQL: a customer buys a business and opens a ticket; support
offers two more organizations from the case; the ticket is answered with the order's link and the
customer told by SMS (no amount); the customer pays the offer in the payment sandbox and tenancy
raises the limit. Only support offers (403), hostile bodies and the hard caps are refused (422)
and change nothing, a key repeats, and a withdrawn offer cannot be paid; its withdrawal is noted on
the ticket and texted. No offer on a closed ticket (409). The caps hold on the customer's own limits
order with the limits billing learned from tenancy, and a raise while the customer is at the bank
sends the money back unverified."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.billing import Client, pay_at_sandbox
from tests.support.network import free_port
from tests.support.processes import Platform, wait_until


@pytest.fixture
def gateway(platform: Platform) -> str:
    address = f"127.0.0.1:{free_port()}"
    platform.start("identity")
    platform.start("notifications")
    platform.start("tenancy")
    platform.start("billing", PUBLIC_BASE_URL=f"http://{address}", BILLING_RECONCILE_SECONDS="0.5",
                   PAYMENT_INQUIRY_AFTER_SECONDS="30")
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return f"http://{address}"


def pay(client: Client, gateway: str, order_id: str) -> None:
    started = client.send("POST", f"/billing/orders/{order_id}/payments")
    assert started.status_code == 201, started.text
    back = pay_at_sandbox(started.json()["redirect_url"], "success")
    assert back is not None
    payment_id = started.json()["payment_id"]
    requests.get(f"{gateway}/billing/payments/{payment_id}/callback", params={"Authority": back[0], "Status": back[1]},
                 allow_redirects=False, timeout=30)
    assert client.payment(payment_id)["state"] == "succeeded"


def test_support_offers_more_organizations_the_admin_pays_and_tenancy_raises_them(gateway: str,
                                                                                   platform: Platform) -> None:
    customer, stranger = Client(gateway, platform), Client(gateway, platform)
    agent = Client(gateway, platform, roles=("support",))
    placed = customer.send("POST", "/billing/orders", {"business_name": "پخش البرز", "business_type": "trading",
                                                       "products": ["accounting"], "period_months": 12})
    tenant = placed.json()["tenant_id"]
    pay(customer, gateway, placed.json()["order_id"])
    business = f"/tenancy/businesses/{tenant}"
    wait_until(lambda: customer.send("GET", business).status_code == 200, what="tenancy to activate the business")
    assert customer.send("GET", business).json()["limits"]["max_organizations"] == 3
    ticket = customer.send("POST", "/support/tickets", {"category": "more_organizations", "subject": "سازمان چهارم",
                                                        "text": "دو سازمان دیگر لازم داریم."}).json()["ticket_id"]
    wait_until(lambda: customer.send("GET", "/me").json()["businesses"], what="the business on the personal page")

    offers = f"/support/tickets/{ticket}/limits-offers"
    body: dict[str, Any] = {"tenant_id": tenant, "extra_organizations": "۲"}
    for somebody in (customer, stranger):
        assert somebody.send("POST", offers, body).status_code == 403
    # A number that is no number is refused by the gateway, by the field it names; a range by billing.
    for hostile, code in [({"extra_organizations": -1}, "invalid_number"),
                          ({"extra_organizations": "2\u202e"}, "invalid_request"),
                          ({"extra_organizations": 1001}, "invalid_number"),
                          ({"extra_organizations": 1, "total_rials": 1}, "invalid_request"),
                          ({"extra_organizations": 0}, "nothing_offered"),
                          ({"extra_organizations": 998}, "limits_ceiling")]:
        refused = agent.send("POST", offers, body | hostile)
        assert refused.status_code == 422 and refused.json()["error"] == code, (hostile, refused.text)
        assert refused.json()["message"]["fa"] and refused.json()["message"]["en"]
    assert agent.send("POST", offers, {**body, "tenant_id": "x"}).status_code in (404, 422)
    assert agent.send("GET", f"/support/cases/{ticket}").json()["offers"] == []  # nothing was made

    made = agent.send("POST", offers, body, **{"Idempotency-Key": "offer-1"})
    assert made.status_code == 201, made.text
    assert agent.send("POST", offers, body, **{"Idempotency-Key": "offer-1"}).json() == made.json()
    order_id = made.json()["order_id"]
    assert made.json()["invoice"]["total_rials"] == 22_000_000  # 2 × 10,000,000 + 10 % VAT
    case = agent.send("GET", f"/support/cases/{ticket}").json()
    assert [(o["order_id"], o["offer_state"]) for o in case["offers"]] == [(order_id, "open")]

    # The customer is told (the SMS without an amount) and finds the link in the answer.
    told = wait_until(lambda: [m for m in customer_sms(customer) if m["template"] == "support.limits_offered"],
                      what="the SMS that an offer waits")
    assert "ریال" not in told[0]["text"] and "۲۲" not in told[0]["text"]
    answer = wait_until(lambda: [m for m in customer.send("GET", f"/support/tickets/{ticket}").json()["messages"]
                                 if m["by"] == "support"], what="the ticket answered with the offer")
    assert answer[0]["link"] == f"#/orders/{order_id}"
    assert "support.ticket_answered" not in customer.sms_templates()  # one SMS for one offer

    seen = customer.send("GET", f"/billing/orders/{order_id}").json()
    assert seen["offer"] == {"ticket_id": ticket} and seen["kind"] == "limits"
    assert stranger.send("GET", f"/billing/orders/{order_id}").status_code == 404
    assert stranger.send("POST", f"/billing/orders/{order_id}/payments").status_code == 404
    changed = customer.send("PUT", f"/billing/orders/{order_id}", {"extra_organizations": 50})
    assert changed.status_code == 409 and changed.json()["error"] == "offer_fixed"

    pay(customer, gateway, order_id)
    wait_until(lambda: customer.send("GET", business).json()["limits"]["max_organizations"] == 5,
               what="tenancy to raise the organization limit")
    late = agent.send("POST", f"/support/limits-offers/{order_id}/withdraw")
    assert late.status_code == 409 and late.json()["error"] == "order_already_paid"

    # An unpaid offer withdrawn cannot be paid; only support withdraws.
    second = agent.send("POST", offers, {"tenant_id": tenant, "extra_concurrent_users": 5}).json()["order_id"]
    assert customer.send("POST", f"/support/limits-offers/{second}/withdraw").status_code == 403
    withdrawn = agent.send("POST", f"/support/limits-offers/{second}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["offer_state"] == "withdrawn"
    refused = customer.send("POST", f"/billing/orders/{second}/payments")
    assert refused.status_code == 409 and refused.json()["error"] == "offer_withdrawn"
    assert customer.send("GET", business).json()["limits"]["max_concurrent_users"] == 10
    # The withdrawal is told: a note on the ticket with the order's link, an SMS with no amount.
    wait_until(lambda: "support.limits_offer_withdrawn" in customer.sms_templates(), what="the withdrawal's SMS")
    notes = wait_until(lambda: [m for m in customer.send("GET", f"/support/tickets/{ticket}").json()["messages"]
                                if m.get("link") == f"#/orders/{second}"], what="the withdrawal noted on the ticket")
    assert "ریال" not in notes[-1]["text"]

    # A closed ticket takes no offer.
    assert customer.send("POST", f"/support/tickets/{ticket}/close").status_code == 200
    closed = agent.send("POST", offers, {"tenant_id": tenant, "extra_organizations": 1})
    assert closed.status_code == 409 and closed.json()["error"] == "ticket_closed"
    assert len(agent.send("GET", f"/support/cases/{ticket}").json()["offers"]) == 2


def test_the_caps_hold_on_the_customers_own_order_and_while_at_the_bank(gateway: str, platform: Platform) -> None:
    customer, agent = Client(gateway, platform), Client(gateway, platform, roles=("support",))
    placed = customer.send("POST", "/billing/orders", {"business_name": "پخش زاگرس", "business_type": "trading",
                                                       "products": ["accounting"], "period_months": 12})
    tenant = placed.json()["tenant_id"]
    pay(customer, gateway, placed.json()["order_id"])
    business = f"/tenancy/businesses/{tenant}"
    wait_until(lambda: customer.send("GET", business).status_code == 200, what="tenancy to activate the business")
    raised = agent.send("POST", f"{business}/limits", {"max_organizations": 10})
    assert raised.status_code == 200, raised.text

    def own(organizations: int) -> requests.Response:
        return customer.send("POST", "/billing/orders", {"kind": "limits", "tenant_id": tenant,
                                                         "extra_organizations": organizations})

    # 10 + 991 is past the cap only if billing heard of support's raise (from tenancy's LimitsRaised).
    wait_until(lambda: own(991).status_code == 422, what="billing to learn the raised limits")
    refused = own(991)
    assert refused.json()["error"] == "limits_ceiling" and refused.json()["message"]["fa"]
    order = own(990)
    assert order.status_code == 201, order.text
    started = customer.send("POST", f"/billing/orders/{order.json()['order_id']}/payments")
    assert started.status_code == 201, started.text
    # Support raises the limit another way while the customer is at the bank: the order no longer fits.
    assert agent.send("POST", f"{business}/limits", {"max_organizations": 11}).status_code == 200
    wait_until(lambda: own(990).status_code == 422, what="billing to learn the second raise")
    back = pay_at_sandbox(started.json()["redirect_url"], "success")
    assert back is not None
    payment_id = started.json()["payment_id"]
    requests.get(f"{gateway}/billing/payments/{payment_id}/callback", params={"Authority": back[0], "Status": back[1]},
                 allow_redirects=False, timeout=30)
    settled = customer.payment(payment_id)
    assert settled["state"] in ("refund_scheduled", "refunded") and settled["reason"] == "limits_ceiling"
    assert customer.send("GET", business).json()["limits"]["max_organizations"] == 11  # nothing granted


def customer_sms(customer: Client) -> list[dict[str, Any]]:
    answer = requests.get(f"{customer.gateway}/notifications/messages", params={"to": customer.mobile}, timeout=10)
    return list(answer.json()["messages"])
