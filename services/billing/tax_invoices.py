"""Official invoices registered with the taxpayer system (سامانه مؤدیان, issue #19): one
``TaxInvoice`` per paid payment, and a cancelling one when that payment is refunded, each
numbered by the vendor's ``InvoiceSerials``. No I/O: the system's answers and the time are
passed in. States: pending → sent (the system took it, with a reference) → accepted |
rejected (with the documented errors); a pending invoice whose answer was lost is asked about
by its uid before it is sent again, so one invoice never becomes two."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.billing import tax_invoice_rules as rules

NAMESPACE = uuid.UUID("2f6c1d0e-8b1a-4c55-9e7d-5a3b2c1d0f19")
LONGEST_WAIT = timedelta(hours=1)


def serials_id(memory_id: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"serials:{memory_id}")


def tax_invoice_id(payment_id: uuid.UUID, subject: int) -> uuid.UUID:
    """Deterministic: the invoice of a payment (and its cancellation) is created once, whoever
    notices the payment first; it is also the uid (requestTraceId) the system knows it by."""
    return uuid.uuid5(NAMESPACE, f"tax-invoice:{payment_id}:{subject}")


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
                 issued_at: datetime, payload: dict[str, Any], refers_to: str | None, first_try_at: datetime) -> None:
        self.payment_id, self.subject, self.serial = payment_id, subject, serial
        self.tax_id, self.issued_at, self.payload, self.refers_to = tax_id, issued_at, payload, refers_to
        self.state = "pending"
        self.reference: str | None = None
        self.errors: list[dict[str, str]] = []
        self.attempts = 0
        self.next_try_at = first_try_at
        self.cancel_requested = False  # the payment was refunded: a cancelling invoice follows acceptance
        self.cancelled_by: str | None = None

    @staticmethod
    def create_id(invoice_id: uuid.UUID, **_: object) -> uuid.UUID:
        return invoice_id

    @classmethod
    def issue(cls, serials: InvoiceSerials, vendor: Vendor, *, payment_id: uuid.UUID, issued_at: datetime,
              buyer: dict[str, Any] | None, lines: list[dict[str, Any]], subject: int = rules.ORIGINAL,
              refers_to: str | None = None, sold_on: date | None = None, now: datetime) -> TaxInvoice:
        serial = serials.take()
        body = rules.payload(memory_id=vendor.memory_id, seller_tin=vendor.seller_tin, serial=serial,
                             issued_at=issued_at, buyer=buyer, lines=lines, subject=subject, refers_to=refers_to,
                             sold_on=sold_on)
        return cls(invoice_id=tax_invoice_id(payment_id, subject), payment_id=payment_id, subject=subject,
                   serial=serial, tax_id=body["header"]["taxid"], issued_at=issued_at, payload=body,
                   refers_to=refers_to, first_try_at=now)

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
