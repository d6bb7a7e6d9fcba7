"""Settling payments (BI-2, BI-3): the callback is never trusted — billing asks the gateway
server to server about the authority and amount it stored. The store decides races: 50
callbacks at once all verify, one saves the payment's outcome, the others conflict on its
version, re-read and answer with what was decided.

The reconciler (``reconcile``, called by the service's timer) settles payments whose outcome
is unknown (the bank timed out), gives up on them after a while, catches money that arrives
after we gave up, and executes due refunds with back-off, alerting an operator when a refund
is still open 12 hours before its 72-hour deadline."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timedelta
from typing import Any

from services.billing.domain import BusinessAccount, Order, Payment, Refund, sealed_name, storable
from services.billing.gateway import (
    AMOUNT_MISMATCH,
    CAPTURED,
    NOT_CAPTURED,
    GatewayUnavailable,
    PaymentGateway,
    RefundRefused,
    Verdict,
)
from services.billing.limits import Limits
from services.billing.records import Records
from services.billing.translations import refund_blocked
from services.billing.views import payment_view
from shared.events.base import Envelope
from shared.events.billing import REFUND_WINDOW
from shared.kernel.conflicts import CONFLICTS, first_then_fresh
from shared.kernel.ids import parse_id
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause

INQUIRY_LONGEST_GAP = timedelta(minutes=10)


class Settlement:
    def __init__(self, records: Records, gateway: PaymentGateway, limits: Limits, *, inquiry_after: timedelta,
                 give_up_after: timedelta, refund_retry_base: timedelta) -> None:
        self.records, self.gateway, self.limits = records, gateway, limits
        self.inquiry_after, self.give_up_after = inquiry_after, give_up_after
        self.refund_retry_base = refund_retry_base
        self._open_payments: set[uuid.UUID] = set()
        self._newest_event: dict[uuid.UUID, str] = {}  # each open payment's, by name, as the log last said
        self._started_at: dict[uuid.UUID, datetime] = {}  # never changes: learnt at a payment's first read
        self._log_position: int = 0
        self._last_inquiry: dict[uuid.UUID, datetime] = {}  # the reconciler's pace per unknown payment
        self.blocked_refunds: list[uuid.UUID] = []  # blocked in this process, for the edge to dead-letter

    def watch(self, payment_id: uuid.UUID) -> None:
        """A payment just started: the reconciler follows it from now on."""
        self._open_payments.add(payment_id)

    def payment_callback(self, payment_id: object, authority: object, status: object, cause: Cause
                         ) -> dict[str, Any]:
        pid = parse_id(payment_id)
        payment = self.records.payment(pid)
        if authority != payment.authority:
            # Someone's callback names another transaction: ignored, we ask about our own.
            get_logger().warning("billing.callback_authority_mismatch", payment_id=str(pid))
        settled = self.settle(pid, cause, hint="NOK" if status == "NOK" else "OK", read=payment)
        return payment_view(settled or self.records.payment(pid), self.records.now())

    def settle(self, payment_id: uuid.UUID, cause: Cause, hint: str = "OK", read: Payment | None = None
               ) -> Payment | None:
        """Ask the gateway and record the outcome once; an unknown outcome stays pending. The
        payment as it stands after, when this knows it (None: read it). ``read``: the payment
        just read by the caller, used by the first try instead of reading it again (issue #16)."""
        def fresh() -> Payment:
            return self.records.payment(payment_id)

        current = first_then_fresh(read, fresh) if read is not None else fresh

        def attempt() -> Payment | None:
            payment = current()
            late = payment.state == "failed" and payment.reason == "timeout" and payment.refund is None
            if payment.state != "pending" and not late:
                return payment
            try:
                status = self.gateway.inquiry(payment.authority)
                if status in NOT_CAPTURED and not late:
                    payment.fail("cancelled_by_customer" if hint == "NOK" else "declined", self.records.now())
                    self.records.save(payment, cause=cause)
                    return payment
                if status not in CAPTURED:
                    return payment  # the bank has not answered yet: the reconciler asks again
                if status == "PAID" and not late and (refused := self._refusal(payment)) is not None:
                    # Money the order no longer takes is not verified first: it is reversed.
                    payment.fail(refused, self.records.now(), captured=True)
                    self.records.save(payment, cause=cause)
                    self._log_outcome(payment)
                    self._refund(payment.id, cause)
                    return None  # the refund changed it since
                verdict = self.gateway.verify(payment.authority, payment.amount_rials)
            except GatewayUnavailable as exc:
                get_logger().warning("billing.gateway_unavailable", payment_id=str(payment_id), error=str(exc)[:200])
                return payment
            self._record_verdict(payment, verdict, late, cause)
            return payment

        return self.records.retrying(attempt)

    def _refusal(self, payment: Payment) -> str | None:
        """Why the order would not take this money now; for a limits order also TE-2's hard caps as
        billing last heard of the business's limits (raised another way since it was placed)."""
        order = self.records.one(Order, payment.order_id)
        if (refused := order.refusal_of(payment.id, payment.invoice_id)) is not None or order.paid_by is not None:
            return refused
        return self.limits.refusal(order.purchase, order.tenant_id)

    def _record_verdict(self, payment: Payment, verdict: Verdict, late: bool,
                        cause: Cause) -> None:
        now = self.records.now()
        receipt = verdict.receipt() if verdict.paid else None
        if late:
            payment.fail("late_success", now, captured=True, reference=verdict.ref_id, bank_receipt=receipt)
            self.records.save(payment, cause=cause)
        elif not verdict.paid:
            reason = "amount_mismatch" if verdict.code == AMOUNT_MISMATCH else (
                "verification_failed" if verdict.captured else "declined")
            payment.fail(reason, now, captured=verdict.captured)
            self.records.save(payment, cause=cause)
        else:
            order = self.records.one(Order, payment.order_id)
            refused = order.mark_paid(payment.id, payment.invoice_id)
            if refused is None:
                payment.succeed(verdict.ref_id or payment.authority, now, bank_receipt=receipt)
                self.records.save(payment, order, self._account_opened_by(payment), cause=cause)
            else:  # paid twice, or the order changed between our check and verify: this money goes back
                payment.fail(refused, now, captured=True, reference=verdict.ref_id, bank_receipt=receipt)
                # Both refusals are final (a paid order stays paid; a revision never comes back).
                self.records.save(payment, cause=cause)
        self._log_outcome(payment)

    def _account_opened_by(self, payment: Payment) -> BusinessAccount | None:
        if payment.purchase["kind"] != "new":
            return None
        purchase = storable(sealed_name(payment.purchase, payment.tenant_id))  # a payment from before names were sealed
        return BusinessAccount(tenant_id=payment.tenant_id, owner_user_id=payment.customer_user_id,
                               business_name=purchase["business_name"], business_type=purchase["business_type"])

    def _log_outcome(self, payment: Payment) -> None:
        get_logger().info("billing.payment_settled", payment_id=str(payment.id), state=payment.state,
                          reason=payment.reason)

    # -- the reconciler ----------------------------------------------------------------------
    def reconcile(self, cause: Cause) -> dict[str, int]:
        """One pass over open payments, reading the clock once; safe to run anywhere, any
        number of times (each change is decided by the store)."""
        now = self.records.now()
        done = {"settled": 0, "gave_up": 0, "refunded": 0, "refund_failures": 0}
        for payment_id in sorted(self._open_payment_ids()):
            try:
                self._reconcile_one(payment_id, now, done, cause)
            except Exception:  # noqa: BLE001 - one payment's trouble must not stop every later one's refund
                get_logger().exception("billing.reconcile_failed", payment_id=str(payment_id))
        return done

    def _reconcile_one(self, payment_id: uuid.UUID, now: datetime, done: dict[str, int],
                       cause: Cause) -> None:
        if self._still_at_the_bank(payment_id, now):
            return
        payment = self.records.payment(payment_id)
        self._started_at[payment_id] = payment.started_at
        if payment.state == "pending" and now - payment.started_at < self.inquiry_after:
            return  # at the bank: nothing to ask yet, no refund, still open
        if not self._inquiry_due(payment, now):
            pass
        elif payment.state == "pending" and now - payment.started_at >= self.inquiry_after:
            payment = self.settle(payment_id, cause, read=payment) or self.records.payment(payment_id)
            if payment.state != "pending":
                done["settled"] += 1
            elif now - payment.started_at >= self.give_up_after:
                self._give_up(payment_id, cause)
                payment = self.records.payment(payment_id)
                done["gave_up"] += 1
        elif payment.state == "failed" and now - payment.started_at < REFUND_WINDOW:
            # A timed-out payment whose money may still arrive.
            payment = self.settle(payment_id, cause, read=payment) or self.records.payment(payment_id)
        if payment.refund_due(self.records.now()):  # a refund scheduled just above is due at once
            done["refunded" if self._refund(payment_id, cause) else "refund_failures"] += 1
            payment = self.records.payment(payment_id)
        # The payment as read, or as changed above: read again only after a change (issue #16).
        if not payment.open or (payment.state == "failed" and now - payment.started_at >= REFUND_WINDOW):
            self._forget(payment_id)

    def _still_at_the_bank(self, payment_id: uuid.UUID, now: datetime) -> bool:
        """Started, nothing since, and too young to ask about: the pass has nothing to do and
        reads nothing. At 20 payments a second hundreds are at the bank at once, and every pass
        read each of them three times (issue #16). The log was read at the start of this pass,
        so an outcome recorded since is seen by the next one."""
        started_at = self._started_at.get(payment_id)
        return (self._newest_event.get(payment_id) == "Started" and started_at is not None
                and now - started_at < self.inquiry_after)

    def _forget(self, payment_id: uuid.UUID) -> None:
        self._open_payments.discard(payment_id)
        self._last_inquiry.pop(payment_id, None)
        self._newest_event.pop(payment_id, None)
        self._started_at.pop(payment_id, None)

    def _inquiry_due(self, payment: Payment, now: datetime) -> bool:
        """Ask about an unknown payment less often as it ages (a tenth of its age, at most every
        ten minutes): abandoned payments must not flood the gateway. Kept in memory: a restart
        only asks once more."""
        if payment.state not in ("pending", "failed"):
            return True
        last = self._last_inquiry.get(payment.id)
        if last is not None and now - last < min((now - payment.started_at) / 10, INQUIRY_LONGEST_GAP):
            return False
        self._last_inquiry[payment.id] = now
        return True

    def _give_up(self, payment_id: uuid.UUID, cause: Cause) -> None:
        def attempt() -> None:
            payment = self.records.payment(payment_id)
            payment.fail("timeout", self.records.now())
            self.records.save(payment, cause=cause)

        self.records.retrying(attempt)

    def _refund(self, payment_id: uuid.UUID, cause: Cause) -> bool:
        payment = self.records.payment(payment_id)
        now = self.records.now()
        if not payment.claim_refund(now):
            return False
        try:
            self.records.save(payment, cause=cause)  # the store decides which replica asks the bank
        except CONFLICTS:
            return False
        try:
            reference = self.gateway.refund(payment.authority, payment.bank_reference, payment.amount_rials,
                                            f"Refund of payment {payment.id} (failed after capture)")
        except RefundRefused as refused:
            payment.refund_blocked(str(refused), now)
            self._save_quietly(payment, cause)
            if payment.state == "refund_blocked":
                assert payment.refund is not None
                get_logger().error("billing.refund_blocked", payment_id=str(payment.id), error=str(refused)[:300],
                                   deadline=payment.refund.deadline.isoformat())
                self.blocked_refunds.append(payment.id)  # the edge dead-letters it for an operator
            return False
        except GatewayUnavailable as exc:
            if payment.refund_attempt_failed(str(exc), now, self.refund_retry_base):
                assert payment.refund is not None
                get_logger().error("billing.refund_alert", payment_id=str(payment.id),
                                   deadline=payment.refund.deadline.isoformat(),
                                   attempts=payment.refund.attempts, error=str(exc)[:200])
            self._save_quietly(payment, cause)
            return False
        payment.refunded(reference, now)
        self._save_quietly(payment, cause)
        return True

    def refund_paid(self, payment_id: object, cause: Cause) -> dict[str, Any]:
        """Support refunds a paid payment (its official invoice is then cancelled, issue #19)."""
        def attempt() -> Payment:
            payment = self.records.payment(payment_id)
            payment.refund_paid(self.records.now())
            self.records.save(payment, cause=cause)
            return payment

        self._open_payments.add(self.records.retrying(attempt).id)
        self._refund(parse_id(payment_id), Cause.new_request(cause.correlation_id))
        return payment_view(self.records.payment(payment_id), self.records.now())

    def unblock_refund(self, payment_id: object, cause: Cause) -> dict[str, Any]:
        """An operator fixed what blocked a refund (registered the server's address, renewed
        the token, refunded by hand and recorded it): try again at once."""
        def attempt() -> Payment:
            payment = self.records.payment(payment_id)
            payment.unblock_refund(self.records.now())
            self.records.save(payment, cause=cause)
            return payment

        self._open_payments.add(self.records.retrying(attempt).id)
        # The inbox's cause records its message as handled with the unblocking; the refund that
        # follows is the reconciler's kind of work, under the same correlation.
        self._refund(parse_id(payment_id), Cause.new_request(cause.correlation_id, cause.traceparent))
        return payment_view(self.records.payment(payment_id), self.records.now())

    def blocked_refund_letter(self, payment_id: uuid.UUID) -> Envelope | None:
        """The dead letter that puts a blocked refund in front of operators; replaying it (after
        the cause is fixed) brings it back here as RefundBlocked, which tries the refund again."""
        payment = self.records.get(payment_id)
        if not isinstance(payment, Payment) or payment.state != "refund_blocked" or payment.refund is None:
            return None
        refund = payment.refund
        assert refund.blocked_at is not None and refund.last_error is not None
        event = refund_blocked(payment.facts(), refund.refund_id, refund.last_error, refund.blocked_at,
                               refund.deadline)
        return Envelope(event_id=uuid.uuid5(refund.refund_id, f"blocked:{refund.blocked_at.isoformat()}"),
                        type=event.type, version=event.version, occurred_at=refund.blocked_at,
                        producer=self.records.name,
                        producer_position=0, correlation_id=str(payment.id), tenant_id=payment.tenant_id,
                        payload=event.model_dump(mode="json"))

    def refund_health(self) -> dict[str, Any]:
        """The refund promise as operators watch it (BI-2): refunds blocked for a person, and the
        oldest open refund's deadline."""
        refunds = self._open_refunds()
        blocked = [r for r in refunds if r.blocked_at is not None]
        deadlines = sorted(r.deadline for r in refunds)
        return {"refunds_open": len(refunds), "refunds_blocked": len(blocked),
                "oldest_refund_deadline": deadlines[0].isoformat() if deadlines else None}

    def refund_figures(self) -> dict[str, float]:
        """The refund promise as metrics (BI-2): how many captured-and-failed payments wait for
        their money back, and how long the oldest has waited (its deadline is REFUND_WINDOW after
        the capture)."""
        refunds, now = self._open_refunds(), self.records.now()
        oldest = min((r.deadline - REFUND_WINDOW for r in refunds), default=None)
        return {"billing_refunds_pending": len(refunds),
                "billing_refund_oldest_age_seconds": (now - oldest).total_seconds() if oldest else 0.0}

    def _open_refunds(self) -> list[Refund]:
        # A payment with nothing recorded since it started has no refund: it is not read.
        maybe = sorted(i for i in self._open_payments if self._newest_event.get(i) != "Started")
        return [p.refund for p in (self.records.get(i) for i in maybe)
                if isinstance(p, Payment) and p.refund is not None and p.state in ("refund_scheduled",
                                                                                    "refund_blocked")]

    def _save_quietly(self, payment: Payment, cause: Cause) -> None:
        # Another reconciler may have recorded this payment first; the next pass reads its state.
        with contextlib.suppress(*CONFLICTS):
            self.records.save(payment, cause=cause)

    def _open_payment_ids(self) -> set[uuid.UUID]:
        """Payments that may still need the reconciler, from the event log (a read model kept
        in memory and rebuilt from the log at start)."""
        for notification in self.records.log_after(self._log_position):
            if ":Payment." in notification.topic:
                payment_id = uuid.UUID(str(notification.originator_id))
                self._open_payments.add(payment_id)
                self._newest_event[payment_id] = notification.topic.rpartition(".")[2]
            self._log_position = notification.id
        return set(self._open_payments)
