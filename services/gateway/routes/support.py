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
from shared.http.support import Category, CodeResend, TicketMessage, TicketRequest

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
        return case | {"timeline": timeline, "sms": sms, "unavailable": missing}

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
