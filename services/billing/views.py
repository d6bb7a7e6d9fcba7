"""What billing answers about its aggregates: JSON-ready dicts, Jalali dates where people read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.billing import tax_invoice_rules as rules
from services.billing.domain import ALERT_BEFORE_DEADLINE, Order, Payment, name_of
from services.billing.tax_invoices import TaxInvoice
from services.billing.tax_system_errors import explained
from shared.kernel.i18n import jalali_datetime


def moment(at: datetime | None) -> dict[str, str] | None:
    if at is None:
        return None
    return {"iso": at.isoformat(), "jalali": jalali_datetime(at, "en"), "jalali_fa": jalali_datetime(at, "fa")}


def order_view(order: Order) -> dict[str, Any]:
    return {"order_id": str(order.id), "tenant_id": str(order.tenant_id), "revision": order.revision,
            **{k: name_of(v) if k == "business_name" else v for k, v in order.purchase.items()},
            "invoice": order.invoice, "invoice_current": order.invoice_current(),
            "paid": order.paid_by is not None, "paid_by_payment_id": str(order.paid_by) if order.paid_by else None,
            # Support's offer (issue #19): on which ticket; which agent is support's to know, not the customer's.
            "offer": {"ticket_id": order.offer["ticket_id"]} if order.offer else None,
            "withdrawn": order.withdrawn,
            # Paid but not all granted: the caps were reached meanwhile; support settles it (issue #19).
            "capped_short": order.capped_short}


def payment_view(payment: Payment, now: datetime) -> dict[str, Any]:
    view: dict[str, Any] = {
        "payment_id": str(payment.id), "order_id": str(payment.order_id), "invoice_id": str(payment.invoice_id),
        "tenant_id": str(payment.tenant_id), "state": payment.state, "reason": payment.reason,
        "amount_rials": payment.amount_rials, "gateway": payment.gateway, "reference": payment.reference,
        "started_at": moment(payment.started_at), "captured_at": moment(payment.captured_at),
        "money_taken": payment.captured_at is not None, "refund": None,
        # What the bank returned at verification, for the receipt (the card masked by the bank).
        "bank": {k: (payment.bank_receipt or {}).get(k) for k in ("ref_id", "card_pan", "fee")}
        if payment.bank_receipt else None,
    }
    if payment.period is not None:
        view["period"] = {"start": moment(payment.period[0]), "end": moment(payment.period[1])}
    if payment.refund is not None:
        refund = payment.refund
        view["refund"] = {
            "refund_id": str(refund.refund_id), "deadline": moment(refund.deadline),
            "attempts": refund.attempts, "refunded_at": moment(refund.refunded_at),
            "refund_reference": refund.refund_reference,
            # The operator alert: a refund still open within 12 hours of its 72-hour deadline.
            "operator_alert": refund.alerted or (refund.refunded_at is None
                                                 and now >= refund.deadline - ALERT_BEFORE_DEADLINE),
            "last_error": refund.last_error,
        }
    return view


def invoice_view(invoice: TaxInvoice) -> dict[str, Any]:
    """An official invoice (issue #19): its errors explained in Persian and English, its buyer."""
    header = invoice.payload["header"]
    return {"tax_id": invoice.tax_id, "serial": invoice.serial, "subject": invoice.subject, "state": invoice.state,
            "reference": invoice.reference, "errors": explained(invoice.errors), "issued_at": moment(invoice.issued_at),
            "vat_rials": header["tvam"], "total_rials": header["tbill"], "cancel_requested": invoice.cancel_requested,
            "buyer": {"tob": header["tob"], "bid": header["bid"], "tinb": header["tinb"], "bpc": header["bpc"]},
            "correctable": invoice.subject == rules.ORIGINAL and invoice.correctable}

