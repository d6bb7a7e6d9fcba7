"""Rejected official invoices put right (issue #19): support's list of rejected invoices (a read
model following billing's event log, as the reconciler's) and the correction of the buyer, which
issues a NEW original (next serial, new tax id) in the same save that marks the rejected one
``replaced_by``; ``EInvoicing`` then sends it like any other, from the stored events (no dual write)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from services.billing import tax_invoice_rules as rules
from services.billing.domain import Order
from services.billing.purchases import parsed
from services.billing.records import Records
from services.billing.tax_invoices import InvoiceSerials, TaxInvoice, Vendor, serials_id, tax_invoice_id
from services.billing.views import invoice_view
from shared.http.billing import BuyerCorrection
from shared.kernel.errors import DomainError
from shared.kernel.store import Cause


def invoice_chain(records: Records, payment_id: uuid.UUID) -> list[TaxInvoice]:
    """The payment's originals, first issued to last correction (empty: none issued yet)."""
    chain: list[TaxInvoice] = []
    found = records.get(tax_invoice_id(payment_id, rules.ORIGINAL))
    while isinstance(found, TaxInvoice) and len(chain) < 100:
        chain.append(found)
        found = records.get(found.replaced_by) if found.replaced_by else None
    return chain


def read_invoice(records: Records, invoice_id: uuid.UUID) -> TaxInvoice | None:
    found = records.get(invoice_id)
    return found if isinstance(found, TaxInvoice) else None


def current_invoice(records: Records, payment_id: uuid.UUID) -> TaxInvoice | None:
    chain = invoice_chain(records, payment_id)
    return chain[-1] if chain else None


def serials_of(records: Records, memory_id: str) -> InvoiceSerials:
    found = records.get(serials_id(memory_id))
    return found if isinstance(found, InvoiceSerials) else InvoiceSerials(memory_id)


class Corrections:
    def __init__(self, records: Records, vendor: Vendor) -> None:
        self.records, self.vendor = records, vendor
        self._log_position = 0
        self._rejected: set[uuid.UUID] = set()

    def rejected(self) -> list[dict[str, Any]]:
        """Rejected originals not put right yet, oldest first, each with its payment."""
        for notification in self.records.log_after(self._log_position):
            if notification.topic.endswith(":TaxInvoice.Rejected"):
                self._rejected.add(uuid.UUID(str(notification.originator_id)))
            self._log_position = notification.id
        listed = []
        for invoice_id in list(self._rejected):
            invoice = self.records.get(invoice_id)
            if not isinstance(invoice, TaxInvoice) or not invoice.correctable or invoice.subject != rules.ORIGINAL:
                self._rejected.discard(invoice_id)
                continue
            listed.append(invoice)
        listed.sort(key=lambda i: (i.issued_at, i.serial))
        return [invoice_view(i) | {"payment_id": str(i.payment_id)} for i in listed]

    def correct(self, payment_id: object, body: Mapping[str, Any], by: object, cause: Cause) -> dict[str, Any]:
        """Support names the right buyer (validated as on the order; a refusal changes nothing)."""
        buyer = parsed(BuyerCorrection, body).buyer.model_dump(exclude_none=True)

        def attempt() -> TaxInvoice:
            payment = self.records.payment(payment_id)
            rejected = current_invoice(self.records, payment.id)
            if rejected is None or payment.captured_at is None:
                raise DomainError("official_invoice_not_correctable", state=None)
            order = self.records.one(Order, payment.order_id)
            assert order.invoice is not None
            serials = serials_of(self.records, self.vendor.memory_id)
            replacement = rejected.correct(serials, self.vendor, buyer=buyer, lines=order.invoice["lines"],
                                           sold_on=payment.captured_at.astimezone(UTC).date(), by=str(by),
                                           now=self.records.now())
            self.records.save(serials, rejected, replacement, cause=cause)
            return replacement

        return invoice_view(self.records.retrying(attempt)) | {"payment_id": str(payment_id)}
