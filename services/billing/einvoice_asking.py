"""Sending invoices to the taxpayer system and asking about them, a pass's due invoices together
(issue #16): each is claimed (``AttemptStarted``, so the store decides which replica asks), then
one call asks about every sent one by reference, one about every earlier try by uid, one sends
the rest, and one save records what the answers changed — instead of a claim, a call (and its
nonce and token) and a save for each invoice. What each answer does to an invoice is what it did
one at a time: a lost answer is asked about by uid before sending again, a reference the system
does not know is asked about again later, an outage leaves the claim and its back-off."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from services.billing.einvoice_corrections import read_invoice
from services.billing.moadian import Status, Submitted, TaxSystem, TaxSystemRefused, TaxSystemUnavailable
from services.billing.records import Records
from services.billing.tax_invoices import TaxInvoice
from shared.kernel.conflicts import CONFLICTS
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause

# The system publishes no limit of invoices a call; a call refused as a whole holds back only these.
INVOICES_PER_CALL = 50
T = TypeVar("T")
A = TypeVar("A")


@dataclass
class Claimed:
    invoice: TaxInvoice
    was_sent: bool  # it has a reference: ask by it
    tried_before: bool  # an earlier try may have reached the system: ask by uid before sending again


class Asking:
    def __init__(self, records: Records, tax_system: TaxSystem, *, retry_base: timedelta,
                 ask_after: timedelta) -> None:
        self.records, self.tax_system = records, tax_system
        self.retry_base, self.ask_after = retry_base, ask_after

    def ask_or_send(self, due: list[TaxInvoice], now: datetime, done: dict[str, int], cause: Cause) -> list[TaxInvoice]:
        """Claim, ask, send and record ``due`` (at most INVOICES_PER_CALL); the invoices as they now stand."""
        claimed = self._claim(due, now, cause)
        sent = [c for c in claimed if c.was_sent]
        retried = [c for c in claimed if not c.was_sent and c.tried_before]
        by_reference = self._asked(self.tax_system.by_reference, [c.invoice.reference or "" for c in sent])
        by_uid = self._asked(self.tax_system.by_uid, [str(c.invoice.id) for c in retried])
        answers: dict[str, Status | Submitted] = {}  # by uid; none: nothing to record this time
        known = {s.reference: s for s in by_reference or ()}
        for each in sent:
            if (status := known.get(each.invoice.reference)) is not None:
                answers[str(each.invoice.id)] = status
            elif by_reference is not None:  # the system does not know a reference it gave us: asked again later
                get_logger().warning("billing.tax_invoice_reference_unknown", tax_id=each.invoice.tax_id)
        unsent = [c for c in claimed if not c.was_sent and not c.tried_before]
        reached = {s.uid: s for s in by_uid or ()}
        for each in retried:
            if (status := reached.get(str(each.invoice.id))) is not None:
                answers[str(each.invoice.id)] = status
            elif by_uid is not None:  # the earlier try never reached the system: send it now
                unsent.append(each)
        receipts = self._asked(self.tax_system.send, [(str(c.invoice.id), c.invoice.payload) for c in unsent])
        received = {r.uid: r for r in receipts or ()}
        for each in unsent if receipts is not None else ():
            uid = str(each.invoice.id)
            answers[uid] = received.get(uid) or Submitted(uid=uid, reference=None,
                                                          errors=[{"code": "", "message": "no receipt"}])
        return self._record([c.invoice for c in claimed], answers, now, done, cause)

    def _claim(self, due: list[TaxInvoice], now: datetime, cause: Cause) -> list[Claimed]:
        claimed = [Claimed(i, i.state == "sent", i.attempts > 0) for i in due]
        for each in claimed:
            each.invoice.attempt_started(now, self.retry_base)
        try:
            self.records.save(*due, cause=cause)
            return claimed
        except CONFLICTS:  # another replica claimed some: each alone, keeping those this one wins
            pass
        claimed = []
        for invoice in due:
            fresh = read_invoice(self.records, invoice.id)
            if fresh is None or not fresh.due(now):
                continue
            each = Claimed(fresh, fresh.state == "sent", fresh.attempts > 0)
            fresh.attempt_started(now, self.retry_base)
            try:
                self.records.save(fresh, cause=cause)
            except CONFLICTS:
                continue
            claimed.append(each)
        return claimed

    def _record(self, invoices: list[TaxInvoice], answers: dict[str, Status | Submitted], now: datetime,
                done: dict[str, int], cause: Cause) -> list[TaxInvoice]:
        counted = dict.fromkeys(done, 0)
        for invoice in invoices:
            self._apply(invoice, answers.get(str(invoice.id)), now, counted)
        changed = [i for i in invoices if i.pending_events]
        try:
            if changed:
                self.records.save(*changed, cause=cause)
        except CONFLICTS:
            # Another replica recorded some first: each again from what is stored, alone.
            invoices, counted = [], dict.fromkeys(done, 0)
            for invoice in changed:
                fresh = read_invoice(self.records, invoice.id)
                if fresh is None:
                    continue
                self._apply(fresh, answers.get(str(fresh.id)), now, counted)
                try:
                    self.records.save(fresh, cause=cause)
                except CONFLICTS:
                    fresh = read_invoice(self.records, invoice.id) or fresh
                invoices.append(fresh)
        for key, more in counted.items():
            done[key] += more
        return invoices

    def _apply(self, invoice: TaxInvoice, answer: Status | Submitted | None, now: datetime,
               done: dict[str, int]) -> None:
        if isinstance(answer, Submitted):
            if answer.reference is None:
                invoice.decided(False, answer.errors, now)
                done["decided"] += 1
            elif invoice.state == "pending":
                invoice.sent(answer.reference, now, self.ask_after)
                done["sent"] += 1
        elif isinstance(answer, Status):
            if answer.reference and invoice.state == "pending":
                invoice.sent(answer.reference, now, self.ask_after)
            if answer.final and not invoice.final:
                invoice.decided(answer.accepted, answer.errors, now)
                done["decided"] += 1
                log = get_logger().info if answer.accepted else get_logger().error  # a rejection needs a person
                log("billing.tax_invoice_decided", tax_id=invoice.tax_id, status=answer.status,
                    errors=answer.errors[:5])

    @staticmethod
    def _asked(call: Callable[[list[A]], Sequence[T]], items: list[A]) -> Sequence[T] | None:
        """The system's answer about ``items`` (no call for none); None when it could not be asked
        (logged: an outage, a refusal): the claims stand, and their back-off says when to try again."""
        if not items:
            return []
        try:
            return call(items)
        except TaxSystemRefused as exc:
            get_logger().error("billing.tax_system_refused", invoices=len(items), error=str(exc)[:300])
        except TaxSystemUnavailable as exc:
            get_logger().warning("billing.tax_system_unavailable", invoices=len(items), error=str(exc)[:200])
        return None
