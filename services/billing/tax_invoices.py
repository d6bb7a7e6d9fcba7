"""Official invoices registered with the taxpayer system (سامانه مؤدیان, issue #19): one
``TaxInvoice`` per paid payment, and a cancelling one when that payment is refunded, each
numbered by the vendor's ``InvoiceSerials``. No I/O: the system's answers and the time are
passed in. States: pending → sent (the system took it, with a reference) → accepted |
rejected (with the documented errors); a pending invoice whose answer was lost is asked about
by its uid before it is sent again, so one invoice never becomes two. A rejected invoice is put
right by a new one (its own serial and tax id: a number the system has seen is never reused),
which the rejected one names as ``replaced_by``; support corrects the buyer (docs/decisions.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.billing import tax_invoice_rules as rules
from shared.kernel.errors import DomainError

NAMESPACE = uuid.UUID("2f6c1d0e-8b1a-4c55-9e7d-5a3b2c1d0f19")
LONGEST_WAIT = timedelta(hours=1)


def serials_id(memory_id: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"serials:{memory_id}")


def tax_invoice_id(payment_id: uuid.UUID, subject: int, round_: int = 0) -> uuid.UUID:
    """Deterministic: the invoice of a payment (and its cancellation) is created once, whoever
    notices the payment first; it is also the uid (requestTraceId) the system knows it by.
    ``round_`` counts the corrections of a rejected original (0: the first one issued)."""
    return uuid.uuid5(NAMESPACE, f"tax-invoice:{payment_id}:{subject}" + (f":{round_}" if round_ else ""))


class InvoiceSerials(Aggregate):
    """The vendor's invoice numbers, per memory id: each taken with the invoice that uses it,
    in one save, so the sequence has no gaps (the store refuses a second taker of a number)."""

    @event("Opened")
    def __init__(self, memory_id: str) -> None:
        self.memory_id = memory_id
        self.last = 0

    @staticmethod
    def create_id(memory_id: str) -> uuid.UUID:
        return serials_id(memory_id)

    def take(self) -> int:
        self._taken(serial=self.last + 1)
        return self.last

    @event("Taken")
    def _taken(self, serial: int) -> None:
        self.last = serial


@dataclass(frozen=True)
class Vendor:
    """Who issues the invoices: the memory id the system assigned and the seller's economic code."""

    memory_id: str
    seller_tin: str


class TaxInvoice(Aggregate):
    @event("Issued")
    def __init__(self, invoice_id: uuid.UUID, payment_id: uuid.UUID, subject: int, serial: int, tax_id: str,
                 issued_at: datetime, payload: dict[str, Any], refers_to: str | None, first_try_at: datetime,
                 round_: int = 0) -> None:
        self.payment_id, self.subject, self.serial, self.round = payment_id, subject, serial, round_
        self.tax_id, self.issued_at, self.payload, self.refers_to = tax_id, issued_at, payload, refers_to
        self.state = "pending"
        self.reference: str | None = None
        self.errors: list[dict[str, str]] = []
        self.attempts = 0
        self.next_try_at = first_try_at
        self.cancel_requested = False  # the payment was refunded: a cancelling invoice follows acceptance
        self.cancelled_by: str | None = None
        self.replaced_by: uuid.UUID | None = None  # the invoice that put this rejected one right

    @staticmethod
    def create_id(invoice_id: uuid.UUID, **_: object) -> uuid.UUID:
        return invoice_id

    @classmethod
    def issue(cls, serials: InvoiceSerials, vendor: Vendor, *, payment_id: uuid.UUID, issued_at: datetime,
              buyer: dict[str, Any] | None, lines: list[dict[str, Any]], subject: int = rules.ORIGINAL,
              refers_to: str | None = None, sold_on: date | None = None, now: datetime,
              round_: int = 0) -> TaxInvoice:
        serial = serials.take()
        body = rules.payload(memory_id=vendor.memory_id, seller_tin=vendor.seller_tin, serial=serial,
                             issued_at=issued_at, buyer=buyer, lines=lines, subject=subject, refers_to=refers_to,
                             sold_on=sold_on)
        return cls(invoice_id=tax_invoice_id(payment_id, subject, round_), payment_id=payment_id, subject=subject,
                   serial=serial, tax_id=body["header"]["taxid"], issued_at=issued_at, payload=body,
                   refers_to=refers_to, first_try_at=now, **({"round_": round_} if round_ else {}))

    @property
    def final(self) -> bool:
        return self.state in ("accepted", "rejected")

    def due(self, now: datetime) -> bool:
        return not self.final and now >= self.next_try_at

    def attempt_started(self, now: datetime, retry_base: timedelta) -> None:
        """Recorded before the system is called (a send or an inquiry), with the time of the next
        try, backing off: a crash after its answer leaves attempts > 0, and the next try asks by
        uid before sending again."""
        self._attempt_started(attempts=self.attempts + 1, next_try_at=now + self._wait(retry_base, self.attempts))

    @event("AttemptStarted")
    def _attempt_started(self, attempts: int, next_try_at: datetime) -> None:
        self.attempts, self.next_try_at = attempts, next_try_at

    def sent(self, reference: str, now: datetime, ask_after: timedelta) -> None:
        if self.state == "pending":
            self._sent(reference=reference, next_try_at=now + ask_after)

    @event("Sent")
    def _sent(self, reference: str, next_try_at: datetime) -> None:
        self.state, self.reference, self.next_try_at = "sent", reference, next_try_at

    def decided(self, accepted: bool, errors: list[dict[str, str]], now: datetime) -> None:
        if self.final:
            return
        if accepted:
            self._accepted(at=now)
        else:
            self._rejected(at=now, errors=[{"code": str(e.get("code", "")), "message": str(e.get("message", ""))[:300]}
                                           for e in errors][:20])

    @event("Accepted")
    def _accepted(self, at: datetime) -> None:
        self.state = "accepted"

    @event("Rejected")
    def _rejected(self, at: datetime, errors: list[dict[str, str]]) -> None:
        self.state, self.errors = "rejected", errors

    @property
    def correctable(self) -> bool:
        """Rejected, not put right yet, and still owed: a refunded payment needs no invoice."""
        return self.state == "rejected" and self.replaced_by is None and not self.cancel_requested

    def correct(self, serials: InvoiceSerials, vendor: Vendor, *, buyer: dict[str, Any] | None,
                lines: list[dict[str, Any]], sold_on: date, by: str, now: datetime) -> TaxInvoice:
        """The new original that puts this rejected one right: the next serial, a new tax id, the
        corrected buyer, the same lines at the sale day's VAT; issued now (the system dates it)."""
        if self.subject != rules.ORIGINAL or not self.correctable:
            raise DomainError("official_invoice_not_correctable", state=self.state)
        replacement = TaxInvoice.issue(serials, vendor, payment_id=self.payment_id, issued_at=now, buyer=buyer,
                                       lines=lines, sold_on=sold_on, now=now, round_=self.round + 1)
        self._corrected(replaced_by=replacement.id, by=by)
        return replacement

    @event("Corrected")
    def _corrected(self, replaced_by: uuid.UUID, by: str) -> None:
        self.replaced_by = replaced_by

    def request_cancellation(self) -> None:
        if not self.cancel_requested and self.subject == rules.ORIGINAL:
            self._cancellation_requested()

    @event("CancellationRequested")
    def _cancellation_requested(self) -> None:
        self.cancel_requested = True

    def cancellation_issued(self, tax_id: str) -> None:
        if self.cancelled_by is None:
            self._cancellation_issued(tax_id=tax_id)

    @event("CancellationIssued")
    def _cancellation_issued(self, tax_id: str) -> None:
        self.cancelled_by = tax_id

    @staticmethod
    def _wait(base: timedelta, attempts: int) -> timedelta:
        wait: timedelta = min(base * 2 ** min(attempts, 20), LONGEST_WAIT)
        return wait
