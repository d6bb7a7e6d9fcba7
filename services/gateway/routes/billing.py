"""Catalog, orders, invoices, payments and educational licences (BI-1 … BI-4): billing's routes.
The payment gateway's callback is the one route without a token: billing never trusts it and
verifies server to server; the browser is sent on to the portal's result page."""

from __future__ import annotations

import re
from typing import Any

from nameko.rpc import RpcProxy
from nameko.timer import timer
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.gateway.http_edge import API_HEADERS, HttpError, answer, call, endpoint, json_response, parse_body
from services.gateway.routes.base import GatewayBase, Route
from shared.http.billing import EducationalApplicationRequest, OrderChange, OrderRequest, RejectionRequest
from shared.http.errors import error_body
from shared.kernel.logging import get_logger

MISSED_CALLBACK_RETRY_SECONDS = 3
_PAYMENT_ID = re.compile(r"[0-9a-fA-F-]{32,36}")
_ORDER_ERRORS = ("invalid_json", "invalid_request", "unauthorized", "invalid_order_kind", "invalid_products",
                 "accounting_required", "educational_requires_application", "invalid_period", "invalid_number",
                 "invalid_business_type", "invalid_business_name", "business_not_found", "service_unavailable")
ROUTES: list[Route] = [
    ("GET", "/billing/catalog", "Products, periods, prices in rials and the VAT rate", None, 200,
     ("service_unavailable",)),
    ("POST", "/billing/orders", "Place an order (Idempotency-Key honoured): 201 with order_id, tenant_id, invoice",
     OrderRequest, 201, (*_ORDER_ERRORS, "idempotency_key_reused", "invalid_idempotency_key")),
    ("GET", "/billing/orders/<order_id>", "The customer's order and its invoice", None, 200,
     ("unauthorized", "not_found", "service_unavailable")),
    ("PUT", "/billing/orders/<order_id>", "Change the order: a new revision; its invoice becomes outdated",
     OrderChange, 200, (*_ORDER_ERRORS, "not_found", "order_already_paid", "order_kind_fixed")),
    ("POST", "/billing/orders/<order_id>/invoice", "Calculate the invoice for the order's current revision",
     None, 200, ("unauthorized", "not_found", "order_already_paid", "service_unavailable")),
    ("POST", "/billing/orders/<order_id>/payments", "Pay the current invoice online (Idempotency-Key honoured): "
     "201 {payment_id, redirect_url}", None, 201,
     ("unauthorized", "not_found", "invoice_outdated", "order_already_paid", "nothing_to_pay",
      "idempotency_key_reused", "invalid_idempotency_key", "gateway_unavailable", "service_unavailable")),
    ("GET", "/billing/payments/<payment_id>/callback", "The payment gateway sends the browser back here "
     "(Authority, Status); verified server to server, then 303 to the portal's result page "
     "(errors and outages too: the portal page confirms the payment; asked for JSON, only {payment_id, state})",
     None, 303,
     ("not_found", "service_unavailable")),
    ("POST", "/billing/payments/<payment_id>/callback", "The same callback, posted", None, 303,
     ("not_found", "service_unavailable")),
    ("GET", "/billing/payments/<payment_id>", "A payment's state, amount and refund deadline (ISO and Jalali)",
     None, 200, ("unauthorized", "not_found", "service_unavailable")),
    ("POST", "/billing/educational-applications", "Apply for the free educational licence (BI-4)",
     EducationalApplicationRequest, 201, ("invalid_json", "invalid_request", "unauthorized", "invalid_business_name",
                                          "invalid_licence_number", "invalid_mobile", "idempotency_key_reused")),
    ("GET", "/billing/educational-applications/<application_id>", "An application (its applicant or support)",
     None, 200, ("unauthorized", "not_found")),
    ("POST", "/billing/educational-applications/<application_id>/approve", "Approve (support): a zero-price "
     "invoice and EducationalLicenceGranted", None, 200,
     ("unauthorized", "forbidden", "not_found", "application_already_decided")),
    ("POST", "/billing/educational-applications/<application_id>/reject", "Reject (support)", RejectionRequest,
     200, ("invalid_json", "invalid_request", "unauthorized", "forbidden", "not_found", "application_already_decided")),
]


def _json_body(request: Request, model: Any) -> dict[str, Any]:
    return dict(parse_body(request, model).model_dump(exclude_unset=True))


class BillingRoutes(GatewayBase):
    billing = RpcProxy("billing")

    @http("GET", "/billing/catalog")
    @endpoint
    def billing_catalog(self, request: Request) -> tuple[int, Any]:
        return 200, call(self.billing, "catalog")

    @http("POST", "/billing/orders")
    @endpoint
    def place_order(self, request: Request) -> tuple[int, Any]:
        user = self.claims(request)["sub"]
        body = _json_body(request, OrderRequest)
        return 201, call(self.billing, "place_order", user, body, request.headers.get("Idempotency-Key"))

    @http("GET", "/billing/orders/<order_id>")
    @endpoint
    def order(self, request: Request, order_id: str) -> tuple[int, Any]:
        return 200, call(self.billing, "order", self.claims(request)["sub"], order_id)

    @http("PUT", "/billing/orders/<order_id>")
    @endpoint
    def change_order(self, request: Request, order_id: str) -> tuple[int, Any]:
        user = self.claims(request)["sub"]
        return 200, call(self.billing, "change_order", user, order_id, _json_body(request, OrderChange))

    @http("POST", "/billing/orders/<order_id>/invoice")
    @endpoint
    def calculate_invoice(self, request: Request, order_id: str) -> tuple[int, Any]:
        return 200, call(self.billing, "calculate_invoice", self.claims(request)["sub"], order_id)

    @http("POST", "/billing/orders/<order_id>/payments")
    @endpoint
    def start_payment(self, request: Request, order_id: str) -> tuple[int, Any]:
        user = self.claims(request)["sub"]
        return 201, call(self.billing, "start_payment", user, order_id, request.headers.get("Idempotency-Key"))

    @http("GET", "/billing/payments/<payment_id>/callback")
    def payment_callback(self, request: Request, payment_id: str) -> Response:
        return self._payment_callback(request, payment_id)

    @http("POST", "/billing/payments/<payment_id>/callback")
    def payment_callback_posted(self, request: Request, payment_id: str) -> Response:
        return self._payment_callback(request, payment_id)

    def _payment_callback(self, request: Request, payment_id: str) -> Response:
        values = request.values  # the query string, or a posted form
        authority, status = values.get("Authority", "")[:100], values.get("Status", "")[:10]
        browser = request.accept_mimetypes.best != "application/json"
        # The bank's redirect always ends on the portal's payment page, which says the payment is
        # being confirmed and asks again: never a JSON error, never a 500, after paying.
        portal = f"/#/payments/{payment_id}" if _PAYMENT_ID.fullmatch(payment_id) else "/#/"
        try:
            state = call(self.billing, "payment_callback", payment_id, authority, status)
        except Exception as failure:  # noqa: BLE001 - a customer who paid must not see a 500 page
            error = failure if isinstance(failure, HttpError) else HttpError("internal_error")
            if not isinstance(failure, HttpError):
                get_logger().exception("gateway.callback_failed", payment_id=payment_id[:40])
            if error.code == "service_unavailable" and _PAYMENT_ID.fullmatch(payment_id):
                self.missed_callbacks.remember(payment_id, authority, status)  # handed over when billing is back
            if browser:
                return Response("", 303, headers={**API_HEADERS, "Location": portal})
            return answer(*error_body(error.code, error.details), self.correlation_id)
        # Whoever holds the link may call this (no token): it tells only the state; the payer
        # reads the payment itself with a token (GET /billing/payments/{id}).
        if not browser:
            return json_response(200, {"payment_id": state["payment_id"], "state": state["state"]},
                                 self.correlation_id)
        return Response("", 303, headers={**API_HEADERS, "Location": f"/#/payments/{state['payment_id']}"})

    @timer(interval=MISSED_CALLBACK_RETRY_SECONDS)
    def hand_over_missed_callbacks(self) -> None:
        def deliver(payment_id: str, authority: str, status: str) -> bool:
            try:
                call(self.billing, "payment_callback", payment_id, authority, status)
            except HttpError as error:
                return error.code != "service_unavailable"  # taken, or refused for good (not_found)
            return True

        if len(self.missed_callbacks):
            waiting = self.missed_callbacks.hand_over(deliver)
            get_logger().info("gateway.missed_callbacks", waiting=waiting)

    @http("GET", "/billing/payments/<payment_id>")
    @endpoint
    def payment(self, request: Request, payment_id: str) -> tuple[int, Any]:
        return 200, call(self.billing, "payment", self.claims(request)["sub"], payment_id)

    @http("POST", "/billing/educational-applications")
    @endpoint
    def apply_for_educational(self, request: Request) -> tuple[int, Any]:
        user = self.claims(request)["sub"]
        body = _json_body(request, EducationalApplicationRequest)
        return 201, call(self.billing, "apply_for_educational", user, body, request.headers.get("Idempotency-Key"))

    @http("GET", "/billing/educational-applications/<application_id>")
    @endpoint
    def educational_application(self, request: Request, application_id: str) -> tuple[int, Any]:
        claims = self.claims(request)
        return 200, call(self.billing, "educational_application", claims["sub"], application_id,
                         "support" in claims.get("roles", []))

    @http("POST", "/billing/educational-applications/<application_id>/approve")
    @endpoint
    def approve_educational(self, request: Request, application_id: str) -> tuple[int, Any]:
        support = self.claims(request, role="support")["sub"]
        return 200, call(self.billing, "approve_educational", support, application_id)

    @http("POST", "/billing/educational-applications/<application_id>/reject")
    @endpoint
    def reject_educational(self, request: Request, application_id: str) -> tuple[int, Any]:
        support = self.claims(request, role="support")["sub"]
        body = parse_body(request, RejectionRequest)
        return 200, call(self.billing, "reject_educational", support, application_id, body.reason)
