"""Official invoices through the taxpayer system (issue #19), as a use-case group of billing
(``app.einvoicing``), run by the reconciler's timer. No dual write: the stored
``Payment.Succeeded`` and ``Payment.Refunded`` events are the pending work; this group follows
billing's event log (a read model rebuilt from it at start), issues each paid payment's
invoice (numbered in the same save), sends what is due, asks until the system decides, and
issues the cancelling invoice (ابطال) of a refunded payment once its original was accepted.
A rejected original put right by support (``self.corrections``) is followed to its replacement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.billing import tax_invoice_rules as rules
from services.billing.domain import Order
from services.billing.einvoice_asking import INVOICES_PER_CALL, Asking
from services.billing.einvoice_corrections import Corrections, current_invoice, invoice_chain, read_invoice, serials_of
from services.billing.moadian import TaxSystem
from services.billing.records import Records
from services.billing.tax_invoices import InvoiceSerials, TaxInvoice, Vendor, tax_invoice_id
from services.billing.views import invoice_view
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause


class EInvoicing:
    def __init__(self, records: Records, tax_system: TaxSystem, vendor: Vendor, *, retry_base: timedelta,
                 ask_after: timedelta) -> None:
        self.records, self.tax_system, self.vendor = records, tax_system, vendor
        self.retry_base, self.ask_after = retry_base, ask_after
        self._log_position = 0
        self._open: set[uuid.UUID] = set()
        self.corrections = Corrections(records, vendor)
        self.asking = Asking(records, tax_system, retry_base=retry_base, ask_after=ask_after)

    def follow(self, cause: Cause) -> dict[str, int]:
        """One pass: new payments and refunds from the log, then every open invoice that is due."""
        done = {"issued": 0, "sent": 0, "decided": 0}
        facts = self._new_facts()
        # Every invoice first (a refund's cancellation needs its original), in one save when it can.
        done["issued"] += self._issue_originals([payment_id for kind, payment_id in facts if kind == "paid"], cause)
        for payment_id in [payment_id for kind, payment_id in facts if kind == "refunded"]:
            try:
                self._request_cancellation(payment_id, cause)
            except Exception:  # noqa: BLE001 - one payment's trouble must not stop the others' invoices
                get_logger().exception("billing.tax_invoice_failed", payment_id=str(payment_id))
        now, due = self.records.now(), []
        for invoice_id in sorted(self._open):
            try:
                invoice = self._advance(invoice_id, now, cause)
            except Exception:  # noqa: BLE001 - as above
                get_logger().exception("billing.tax_invoice_failed", invoice_id=str(invoice_id))
                continue
            if invoice is not None and invoice.due(now):
                due.append(invoice)
        for start in range(0, len(due), INVOICES_PER_CALL):
            chunk = due[start:start + INVOICES_PER_CALL]
            try:
                for invoice in self.asking.ask_or_send(chunk, now, done, cause):
                    self._let_go_when_settled(invoice)
            except Exception:  # noqa: BLE001 - as above
                get_logger().exception("billing.tax_invoices_failed", invoices=len(chunk))
        return done

    def view_of(self, payment_id: uuid.UUID) -> dict[str, Any] | None:
        """The payment's current official invoice, the rejected ones it replaced, its cancellation."""
        chain = invoice_chain(self.records, payment_id)
        if not chain:
            return None
        cancelling = read_invoice(self.records, tax_invoice_id(payment_id, rules.CANCELLING))
        return invoice_view(chain[-1]) | {"cancellation": invoice_view(cancelling) if cancelling else None,
                                          "replaced": [invoice_view(i) for i in chain[:-1]]}

    # -- issuing -----------------------------------------------------------------------------
    def _issue_originals(self, payment_ids: list[uuid.UUID], cause: Cause) -> int:
        """The invoices of the payments a pass found, numbered and saved together: one read of the
        serials and one transaction a pass, not one of each an invoice (issue #16). The log said
        none of them was issued; should another replica have issued one meanwhile, the store
        refuses the whole save, and each is then issued alone, as a single one always is."""
        if len(payment_ids) > 1:
            try:
                serials = self._serials()
                issued = [self._new_original(serials, payment_id) for payment_id in payment_ids]
                self.records.save(serials, *issued, cause=cause)
            except Exception:  # noqa: BLE001 - a conflict, or one payment's trouble: each alone, as below
                get_logger().info("billing.tax_invoices_issued_alone", payments=len(payment_ids))
            else:
                for invoice in issued:
                    self._issued(invoice)
                return len(issued)
        return sum(self._issue_original_alone(payment_id, cause) for payment_id in payment_ids)

    def _issue_original_alone(self, payment_id: uuid.UUID, cause: Cause) -> int:
        def attempt() -> int:
            if read_invoice(self.records, tax_invoice_id(payment_id, rules.ORIGINAL)) is not None:
                return 0  # issued before (another replica, or before a restart)
            serials = self._serials()
            invoice = self._new_original(serials, payment_id)
            self.records.save(serials, invoice, cause=cause)
            self._issued(invoice)
            return 1

        try:
            return self.records.retrying(attempt)
        except Exception:  # noqa: BLE001 - one payment's trouble must not stop the others' invoices
            get_logger().exception("billing.tax_invoice_failed", payment_id=str(payment_id))
            return 0

    def _new_original(self, serials: InvoiceSerials, payment_id: uuid.UUID) -> TaxInvoice:
        payment = self.records.payment(payment_id)
        order = self.records.one(Order, payment.order_id)
        assert payment.captured_at is not None and order.invoice is not None
        invoice = TaxInvoice.issue(serials, self.vendor, payment_id=payment.id, issued_at=payment.captured_at,
                                   buyer=payment.purchase.get("buyer"), lines=order.invoice["lines"],
                                   now=self.records.now())
        if invoice.payload["header"]["tbill"] != payment.amount_rials:
            # Billing's invoice took VAT_PERCENT on the subtotal; the official one the rate of the day
            # per line (data/einvoice.json): a difference means the configuration and the data disagree.
            get_logger().error("billing.tax_invoice_total_differs", tax_id=invoice.tax_id,
                               paid=payment.amount_rials, invoiced=invoice.payload["header"]["tbill"])
        return invoice

    def _issued(self, invoice: TaxInvoice) -> None:
        self._open.add(invoice.id)
        get_logger().info("billing.tax_invoice_issued", payment_id=str(invoice.payment_id), tax_id=invoice.tax_id)

    def _request_cancellation(self, payment_id: uuid.UUID, cause: Cause) -> None:
        def attempt() -> None:
            original = current_invoice(self.records, payment_id)  # the last correction, if any
            if original is None:
                return  # a refund of a payment that never succeeded: no invoice was issued
            original.request_cancellation()
            self.records.save(original, cause=cause)
            self._open.add(original.id)

        self.records.retrying(attempt)

    def _issue_cancellation(self, original_id: uuid.UUID, cause: Cause) -> None:
        def attempt() -> None:
            original = read_invoice(self.records, original_id)
            if original is None or original.cancelled_by is not None:
                return
            payment = self.records.payment(original.payment_id)
            order = self.records.one(Order, payment.order_id)
            assert order.invoice is not None
            serials = self._serials()
            now = self.records.now()
            cancelling = TaxInvoice.issue(serials, self.vendor, payment_id=payment.id, issued_at=now,
                                          buyer=payment.purchase.get("buyer"), lines=order.invoice["lines"],
                                          subject=rules.CANCELLING, refers_to=original.tax_id,
                                          sold_on=original.issued_at.astimezone(UTC).date(), now=now)
            original.cancellation_issued(cancelling.tax_id)
            self.records.save(serials, original, cancelling, cause=cause)
            self._open.add(cancelling.id)

        self.records.retrying(attempt)

    # -- sending and asking (einvoice_asking.py) ---------------------------------------------
    def _advance(self, invoice_id: uuid.UUID, now: datetime, cause: Cause) -> TaxInvoice | None:
        """The open invoice as it stands; an accepted one whose payment was refunded gets its
        cancelling invoice first; one with nothing left to do is no longer followed."""
        invoice = read_invoice(self.records, invoice_id)
        if invoice is not None and invoice.state == "accepted" and invoice.cancel_requested \
                and invoice.cancelled_by is None:
            self._issue_cancellation(invoice.id, cause)
            invoice = read_invoice(self.records, invoice_id)  # changed by it
        if invoice is not None and not invoice.due(now):
            self._let_go_when_settled(invoice)  # the invoice as read is current: no second read (issue #16)
        return invoice

    def _let_go_when_settled(self, invoice: TaxInvoice) -> None:
        if invoice.final and (not invoice.cancel_requested or invoice.cancelled_by or invoice.state == "rejected"):
            self._open.discard(invoice.id)

    # -- reading -----------------------------------------------------------------------------
    def _serials(self) -> InvoiceSerials:
        return serials_of(self.records, self.vendor.memory_id)

    def _new_facts(self) -> list[tuple[str, uuid.UUID]]:
        """Payments paid or refunded since the last pass; a paid one whose invoice the log already
        holds (read again from the start after a restart) is not news."""
        facts: list[tuple[str, uuid.UUID]] = []
        invoices: set[uuid.UUID] = set()
        for notification in self.records.log_after(self._log_position):
            topic, originator = notification.topic, uuid.UUID(str(notification.originator_id))
            if topic.endswith(":Payment.Succeeded"):
                facts.append(("paid", originator))
            elif topic.endswith(":Payment.Refunded"):
                facts.append(("refunded", originator))
            elif ":TaxInvoice." in topic:
                self._open.add(originator)
                invoices.add(originator)
            self._log_position = notification.id
        return [(kind, payment_id) for kind, payment_id in facts
                if kind != "paid" or tax_invoice_id(payment_id, rules.ORIGINAL) not in invoices]
