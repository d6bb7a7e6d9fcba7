"""The support desk (issue #19, PR-4's ticket channel): identity keeps the tickets. A customer
opens one from the personal page and reads the answer; support works the queue and opens a
case: the ticket, the customer's page, the business timeline (each service's events about the
customer's businesses, as opsctl timeline reads them) and what became of the SMS sent to the
customer — their state, never their text (a code must not be read off the desk)."""

from __future__ import annotations

from typing import Any, get_args

import eventlet
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request

from services.gateway.http_edge import HttpError, call
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Body, route
from shared.http.billing import LimitsOfferRequest
from shared.http.support import Category, CodeResend, TicketMessage, TicketRequest
from shared.kernel.logging import get_logger

_BODY = ("invalid_json", "invalid_request", "invalid_text")
_TICKET = ("unauthorized", "not_found", "service_unavailable")
# The services whose events name businesses (shared/kernel/timeline.py).
TIMELINE_SERVICES = ("tenancy", "billing", "provisioning", "archival")
SMS_SHOWN = ("template", "status", "failure", "queued_at", "queued_at_jalali", "sent_at", "settled_at")
CATEGORIES = get_args(Category)


class SupportRoutes(GatewayBase):
    # Each declared by its own routes module (services/gateway/service.py composes them all).
    identity: RpcProxy
    notifications: RpcProxy
    billing: RpcProxy
    tenancy: RpcProxy

    # -- the customer --------------------------------------------------------------------------
    @route("POST", "/support/tickets", "Open a support ticket from the personal page (Idempotency-Key honoured)",
           body=TicketRequest, answers=201,
           errors=(*_BODY, "unauthorized", "invalid_category", "invalid_idempotency_key", "service_unavailable"))
    def open_ticket(self, request: Request, body: Body[TicketRequest]) -> Any:
        user = self.claims(request)["sub"]
        return call(self.identity, "open_ticket", user, body().model_dump(),
                    request.headers.get("Idempotency-Key"))

    @route("GET", "/support/tickets", "The caller's tickets, newest first, with their state",
           errors=("unauthorized", "service_unavailable"))
    def my_tickets(self, request: Request) -> Any:
        return {"tickets": call(self.identity, "my_tickets", self.claims(request)["sub"])}

    @route("GET", "/support/tickets/<ticket_id>", "A ticket and its thread (its customer, or support)",
           errors=_TICKET)
    def ticket(self, request: Request, ticket_id: str) -> Any:
        claims = self.claims(request)
        return call(self.identity, "ticket", claims["sub"], ticket_id, "support" in claims.get("roles", []))

    @route("POST", "/support/tickets/<ticket_id>/replies", "The customer writes more; the ticket waits for support",
           body=TicketMessage, errors=(*_BODY, *_TICKET, "ticket_closed", "ticket_too_long"))
    def reply_to_ticket(self, request: Request, ticket_id: str, body: Body[TicketMessage]) -> Any:
        return call(self.identity, "reply_to_ticket", self.claims(request)["sub"], ticket_id, body().model_dump())

    @route("POST", "/support/tickets/<ticket_id>/close", "Close a ticket (its customer, or support)",
           errors=_TICKET)
    def close_ticket(self, request: Request, ticket_id: str) -> Any:
        claims = self.claims(request)
        return call(self.identity, "close_ticket", claims["sub"], ticket_id, "support" in claims.get("roles", []))

    # -- support -------------------------------------------------------------------------------
    @route("GET", "/support/queue", "Tickets waiting for support, oldest first; ?category= narrows it (support)",
           errors=("invalid_category", "unauthorized", "forbidden", "service_unavailable"))
    def ticket_queue(self, request: Request) -> Any:
        self.claims(request, role="support")
        category = request.args.get("category") or None
        if category is not None and category not in CATEGORIES:
            raise HttpError("invalid_category")
        return {"tickets": call(self.identity, "ticket_queue", category)}

    @route("GET", "/support/cases/<ticket_id>",
           "A ticket with its customer: businesses, their timeline, and the state of the SMS sent (support)",
           errors=("unauthorized", "forbidden", "not_found", "service_unavailable"))
    def ticket_case(self, request: Request, ticket_id: str) -> Any:
        self.claims(request, role="support")
        case = call(self.identity, "ticket_case", ticket_id)
        tenant_ids = [b["tenant_id"] for b in case["businesses"]]
        mobile = (case.get("customer") or {}).get("mobile")

        def ask(service: str) -> tuple[str, Any]:
            try:
                return service, call(getattr(self, service), "business_timeline", tenant_ids)
            except HttpError:
                return service, None  # one service away: the rest of the case still helps

        timeline, missing = [], []
        asked = TIMELINE_SERVICES if tenant_ids else ()  # a customer in no business has no timeline
        for service, events in eventlet.GreenPool(len(TIMELINE_SERVICES)).imap(ask, asked):
            if events is None:
                missing.append(service)
            else:
                timeline.extend(events)
        timeline.sort(key=lambda e: e["occurred_at"]["utc"])
        try:
            sent = call(self.notifications, "messages_to", mobile) if mobile and mobile[0] == "+" else []
            sms: list[dict[str, Any]] | None = [{k: m.get(k) for k in SMS_SHOWN} for m in sent]
        except HttpError:
            sms, missing = None, [*missing, "notifications"]
        try:  # support's priced offers for these businesses, to see and withdraw (TE-2)
            offers: list[dict[str, Any]] | None = call(self.billing, "limits_offers", tenant_ids) if tenant_ids else []
        except HttpError:
            offers = None
        return case | {"timeline": timeline, "sms": sms, "offers": offers, "unavailable": missing}

    @route("POST", "/support/tickets/<ticket_id>/limits-offers",
           "Offer the ticket's customer more organizations or concurrent users for one of the businesses they "
           "administer, priced from the catalog (support; TE-2; Idempotency-Key honoured): billing records an order "
           "of kind limits the customer pays online; the ticket is answered with its link",
           body=LimitsOfferRequest, answers=201,
           errors=("invalid_json", "invalid_request", "unauthorized", "forbidden", "not_found", "ticket_closed",
                   "invalid_number", "nothing_offered", "limits_ceiling", "business_not_found", "business_purged",
                   "idempotency_key_reused", "invalid_idempotency_key", "service_unavailable"))
    def offer_limits(self, request: Request, ticket_id: str, body: Body[LimitsOfferRequest]) -> Any:
        agent = self.claims(request, role="support")["sub"]
        offer = body()
        ticket = call(self.identity, "ticket_case", ticket_id)
        if ticket["state"] == "closed":
            raise HttpError("ticket_closed")
        customer = (ticket.get("customer") or {}).get("user_id")
        if customer is None:
            raise HttpError("business_not_found")  # a customer forgotten since (AR-1) has no business to offer
        # Today's limits, for the hard caps billing checks before it makes the offer.
        limits = call(self.tenancy, "business", offer.tenant_id, agent, ["support"])["limits"]
        made = call(self.billing, "offer_limits", agent, ticket_id, customer, offer.model_dump(), limits,
                    request.headers.get("Idempotency-Key"))
        get_logger().info("support.limits_offered", ticket_id=ticket_id[:40], agent_id=agent, order_id=made["order_id"])
        return made

    @route("POST", "/support/limits-offers/<order_id>/withdraw",
           "Withdraw an unpaid priced offer (support; TE-2): the customer can no longer pay it",
           errors=("unauthorized", "forbidden", "not_found", "not_an_offer", "order_already_paid",
                   "service_unavailable"))
    def withdraw_offer(self, request: Request, order_id: str) -> Any:
        agent = self.claims(request, role="support")["sub"]
        return call(self.billing, "withdraw_offer", agent, order_id)

    @route("POST", "/support/tickets/<ticket_id>/answer",
           "Answer a ticket (support): the customer is told by SMS that an answer waits",
           body=TicketMessage, errors=(*_BODY, "unauthorized", "forbidden", "not_found", "ticket_closed",
                                       "ticket_too_long", "service_unavailable"))
    def answer_ticket(self, request: Request, ticket_id: str, body: Body[TicketMessage]) -> Any:
        agent = self.claims(request, role="support")["sub"]
        return call(self.identity, "answer_ticket", agent, ticket_id, body().model_dump())

    @route("POST", "/support/tickets/<ticket_id>/codes",
           "Send the ticket's customer a new code, sign-up or password reset (support; ID-2): the number's own "
           "throttles apply and a refusal is told", body=CodeResend, answers=202,
           errors=("invalid_json", "invalid_request", "unauthorized", "forbidden", "not_found", "ticket_closed",
                   "invalid_purpose", "already_verified", "mobile_not_verified", "resend_too_soon", "too_many_codes",
                   "service_unavailable"))
    def resend_code(self, request: Request, ticket_id: str, body: Body[CodeResend]) -> Any:
        agent = self.claims(request, role="support")["sub"]
        return call(self.identity, "resend_code_for_ticket", agent, ticket_id, body().purpose)
