"""Catalog, orders, invoices, payments and educational licences (BI-1 … BI-4): billing's routes.
The payment gateway's callback is the one route without a token: billing never trusts it and
verifies server to server; the browser is sent on to the portal's result page."""

from __future__ import annotations

import base64
import re
from typing import Any

from nameko.rpc import RpcProxy
from nameko.timer import timer
from pydantic import BaseModel
from werkzeug.wrappers import Request, Response

from services.gateway.http_edge import API_HEADERS, HttpError, answer, call, json_response
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Body, route
from shared.http.billing import (
    MAX_DOCUMENT_BYTES,
    BuyerCorrection,
    EducationalApplicationRequest,
    OrderChange,
    OrderRequest,
    RejectionRequest,
)
from shared.http.errors import error_body
from shared.kernel.logging import get_logger

MISSED_CALLBACK_RETRY_SECONDS = 3
_PAYMENT_ID = re.compile(r"[0-9a-fA-F-]{32,36}")
_ORDER_ERRORS = ("invalid_json", "invalid_request", "unauthorized", "invalid_order_kind", "invalid_products",
                 "accounting_required", "educational_requires_application", "invalid_period", "invalid_number",
                 "invalid_business_type", "invalid_business_name", "business_not_found", "invalid_buyer",
                 "invalid_national_code", "invalid_legal_id", "invalid_economic_code", "invalid_postal_code",
                 "not_a_returning_customer", "limits_ceiling",
                 "service_unavailable")
_SIGNED_IN = ("unauthorized", "not_found", "service_unavailable")
_CALLBACK = ("The payment gateway sends the browser back here (Authority, Status); verified server to server, "
             "then 303 to the portal's result page (errors and outages too: the portal page confirms the payment; "
             "asked for JSON, only {payment_id, state})")


def _fields(read: Body[BaseModel]) -> dict[str, Any]:
    """The fields the caller gave, as billing takes them (its own defaults for the rest)."""
    return dict(read().model_dump(exclude_unset=True))


class BillingRoutes(GatewayBase):
    billing = RpcProxy("billing")

    @route("GET", "/billing/catalog", "Products, periods, prices in rials and the VAT rate",
           errors=("service_unavailable",))
    def billing_catalog(self, request: Request) -> Any:
        return call(self.billing, "catalog")

    @route("POST", "/billing/orders",
           "Place an order (Idempotency-Key honoured): 201 with order_id, tenant_id, invoice",
           body=OrderRequest, answers=201,
           errors=(*_ORDER_ERRORS, "idempotency_key_reused", "invalid_idempotency_key"))
    def place_order(self, request: Request, body: Body[OrderRequest]) -> Any:
        user = self.claims(request)["sub"]
        return call(self.billing, "place_order", user, _fields(body), request.headers.get("Idempotency-Key"))

    @route("GET", "/billing/orders/<order_id>", "The customer's order and its invoice", errors=_SIGNED_IN)
    def order(self, request: Request, order_id: str) -> Any:
        return call(self.billing, "order", self.claims(request)["sub"], order_id)

    @route("PUT", "/billing/orders/<order_id>", "Change the order: a new revision; its invoice becomes outdated",
           body=OrderChange, errors=(*_ORDER_ERRORS, "not_found", "order_already_paid", "order_kind_fixed"))
    def change_order(self, request: Request, order_id: str, body: Body[OrderChange]) -> Any:
        user = self.claims(request)["sub"]
        return call(self.billing, "change_order", user, order_id, _fields(body))

    @route("POST", "/billing/orders/<order_id>/invoice", "Calculate the invoice for the order's current revision",
           errors=("unauthorized", "not_found", "order_already_paid", "service_unavailable"))
    def calculate_invoice(self, request: Request, order_id: str) -> Any:
        return call(self.billing, "calculate_invoice", self.claims(request)["sub"], order_id)

    @route("POST", "/billing/orders/<order_id>/payments",
           "Pay the current invoice online (Idempotency-Key honoured): 201 {payment_id, redirect_url}", answers=201,
           errors=("unauthorized", "not_found", "invoice_outdated", "order_already_paid", "nothing_to_pay",
                   "offer_withdrawn", "limits_ceiling", "idempotency_key_reused", "invalid_idempotency_key",
                   "gateway_unavailable", "service_unavailable"))
    def start_payment(self, request: Request, order_id: str) -> Any:
        user = self.claims(request)["sub"]
        return call(self.billing, "start_payment", user, order_id, request.headers.get("Idempotency-Key"))

    @route("GET", "/billing/payments/<payment_id>/callback", _CALLBACK, answers=303,
           errors=("not_found", "service_unavailable"), own_response=True)
    def payment_callback(self, request: Request, payment_id: str) -> Response:
        return self._payment_callback(request, payment_id)

    @route("POST", "/billing/payments/<payment_id>/callback", "The same callback, posted", answers=303,
           errors=("not_found", "service_unavailable"), own_response=True)
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

    @route("GET", "/billing/payments/<payment_id>",
           "A payment's state, amount and refund deadline (ISO and Jalali), and its official invoice "
           "(tax id, state in the taxpayer system, its cancellation)", errors=_SIGNED_IN)
    def payment(self, request: Request, payment_id: str) -> Any:
        return call(self.billing, "payment", self.claims(request)["sub"], payment_id)

    @route("POST", "/billing/payments/<payment_id>/refund",
           "Refund a paid payment (support): the money goes back within 72 hours and its official invoice "
           "is cancelled (ابطال) in the taxpayer system once refunded",
           errors=("unauthorized", "forbidden", "not_found", "refund_not_possible", "service_unavailable"))
    def refund_payment(self, request: Request, payment_id: str) -> Any:
        support = self.claims(request, role="support")["sub"]
        return call(self.billing, "refund_payment", support, payment_id)

    # -- official invoices the taxpayer system rejected (issue #19): support puts them right -----
    @route("GET", "/billing/official-invoices/rejected",
           "Rejected official invoices not put right yet, oldest first, with the system's errors in Persian and "
           "English (support)", errors=("unauthorized", "forbidden", "service_unavailable"))
    def rejected_official_invoices(self, request: Request) -> Any:
        self.claims(request, role="support")
        return {"invoices": call(self.billing, "rejected_official_invoices")}

    @route("POST", "/billing/payments/<payment_id>/official-invoice/correction",
           "Correct a rejected official invoice's buyer (support): a new invoice, its own serial and tax id, "
           "is issued and sent; the rejected one is kept, replaced", body=BuyerCorrection,
           errors=("invalid_json", "invalid_request", "unauthorized", "forbidden", "not_found", "invalid_buyer",
                   "invalid_national_code", "invalid_legal_id", "invalid_economic_code", "invalid_postal_code",
                   "official_invoice_not_correctable", "service_unavailable"))
    def correct_official_invoice(self, request: Request, payment_id: str, body: Body[BuyerCorrection]) -> Any:
        support = self.claims(request, role="support")["sub"]
        return call(self.billing, "correct_official_invoice", support, payment_id, _fields(body))

    @route("POST", "/billing/educational-applications", "Apply for the free educational licence (BI-4)",
           body=EducationalApplicationRequest, answers=201,
           errors=("invalid_json", "invalid_request", "unauthorized", "invalid_business_name",
                   "invalid_licence_number", "invalid_mobile", "idempotency_key_reused"))
    def apply_for_educational(self, request: Request, body: Body[EducationalApplicationRequest]) -> Any:
        user = self.claims(request)["sub"]
        return call(self.billing, "apply_for_educational", user, _fields(body),
                    request.headers.get("Idempotency-Key"))

    @route("GET", "/billing/educational-applications/<application_id>",
           "An application (its applicant or support)", errors=("unauthorized", "not_found"))
    def educational_application(self, request: Request, application_id: str) -> Any:
        claims = self.claims(request)
        return call(self.billing, "educational_application", claims["sub"], application_id,
                    "support" in claims.get("roles", []))

    @route("POST", "/billing/educational-applications/<application_id>/approve",
           "Approve (support): a zero-price invoice and EducationalLicenceGranted",
           errors=("unauthorized", "forbidden", "not_found", "application_already_decided"))
    def approve_educational(self, request: Request, application_id: str) -> Any:
        support = self.claims(request, role="support")["sub"]
        return call(self.billing, "approve_educational", support, application_id)

    @route("POST", "/billing/educational-applications/<application_id>/reject",
           "Reject (support) with the reason the applicant is told by SMS",
           body=RejectionRequest,
           errors=("invalid_json", "invalid_request", "invalid_text", "unauthorized", "forbidden", "not_found",
                   "application_already_decided", "reason_required"))
    def reject_educational(self, request: Request, application_id: str, body: Body[RejectionRequest]) -> Any:
        support = self.claims(request, role="support")["sub"]
        return call(self.billing, "reject_educational", support, application_id, body().reason)

    # -- support's list and the licence document (BI-4, issue #19) ------------------------------
    @route("GET", "/billing/educational-applications", "Applications waiting for a decision, oldest first (support)",
           errors=("unauthorized", "forbidden", "service_unavailable"))
    def pending_educational(self, request: Request) -> Any:
        self.claims(request, role="support")
        return {"applications": call(self.billing, "pending_educational")}

    @route("GET", "/billing/educational-applications/mine",
           "The caller's own educational-licence applications, newest first",
           errors=("unauthorized", "service_unavailable"))
    def my_educational_applications(self, request: Request) -> Any:
        return {"applications": call(self.billing, "my_educational_applications", self.claims(request)["sub"])}

    @route("PUT", "/billing/educational-applications/<application_id>/document",
           "Upload the licence document (its applicant): the body is the file, PDF, JPEG or PNG (read from its "
           "bytes, not its name or type), at most 5 MB, scanned for viruses before it is kept (503 while the scanner "
           "is unreachable); a new one replaces the last until support decides",
           errors=("unauthorized", "not_found", "invalid_document", "file_too_large", "application_already_decided",
                   "infected_document", "scanner_unavailable", "service_unavailable"))
    def upload_licence_document(self, request: Request, application_id: str) -> Any:
        user = self.claims(request)["sub"]
        if (request.content_length or 0) > MAX_DOCUMENT_BYTES:
            raise HttpError("file_too_large")  # refused before it is read
        content = request.stream.read(MAX_DOCUMENT_BYTES + 1)
        if len(content) > MAX_DOCUMENT_BYTES:
            raise HttpError("file_too_large")
        return call(self.billing, "attach_licence_document", user, application_id,
                    base64.b64encode(content).decode())

    @route("GET", "/billing/educational-applications/<application_id>/document",
           "The licence document as a download, never shown inline (its applicant or support)",
           errors=("unauthorized", "not_found", "service_unavailable"), own_response=True)
    def licence_document(self, request: Request, application_id: str) -> Response:
        try:
            claims = self.claims(request)
            found = call(self.billing, "licence_document", claims["sub"], application_id,
                         "support" in claims.get("roles", []))
        except HttpError as error:
            return answer(*error_body(error.code, error.details), self.correlation_id)
        return attachment(base64.b64decode(found["content"]), found["media_type"], found["file_name"])


def attachment(content: bytes, media_type: str, file_name: str) -> Response:
    """An uploaded file handed back: saved, never rendered (whatever a browser would sniff or run)."""
    response = Response(content, mimetype=media_type, headers=API_HEADERS)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
