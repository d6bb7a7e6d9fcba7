# mypy: disable-error-code="misc"
# (the mixin's methods take `self: BillingApplication`, which mypy cannot see is its subclass)
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
from typing import TYPE_CHECKING, Any

from services.billing.domain import BusinessAccount, Order, Payment, sealed_name, storable
from services.billing.purchases import Conflict, as_uuid
from services.billing.views import payment_view
from services.billing.zarinpal import AMOUNT_MISMATCH, GatewayUnavailable
from shared.events.billing import REFUND_WINDOW
from shared.kernel.errors import DomainError
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause

if TYPE_CHECKING:
    from services.billing.application import BillingApplication

CAPTURED = ("PAID", "VERIFIED")  # inquiry.json: the customer's money was taken
NOT_CAPTURED = ("FAILED", "REVERSED")
INQUIRY_LONGEST_GAP = timedelta(minutes=10)


class SettlementUseCases:
    def payment_callback(self: BillingApplication, payment_id: object, authority: object, status: object, cause: Cause
                         ) -> dict[str, Any]:
        pid = as_uuid(payment_id)
        payment: Payment | None = self._get(pid)
        if not isinstance(payment, Payment):
            raise DomainError("not_found")
        if authority != payment.authority:
            # Someone's callback names another transaction: ignored, we ask about our own.
            get_logger().warning("billing.callback_authority_mismatch", payment_id=str(pid))
        self.settle(pid, cause, hint="NOK" if status == "NOK" else "OK")
        return payment_view(self._get(pid), self.clock.now())

    def settle(self: BillingApplication, payment_id: uuid.UUID, cause: Cause, hint: str = "OK") -> None:
        """Ask the gateway and record the outcome once; an unknown outcome stays pending."""
        def attempt() -> None:
            payment: Payment = self._get(payment_id)
            late = payment.state == "failed" and payment.reason == "timeout" and payment.refund is None
            if payment.state != "pending" and not late:
                return
            try:
                status = self.gateway.inquiry(payment.authority)
                if status in NOT_CAPTURED and not late:
                    payment.fail("cancelled_by_customer" if hint == "NOK" else "declined", self.clock.now())
                    self.save_caused(payment, cause=cause)
                    return
                if status not in CAPTURED:
                    return  # the bank has not answered yet: the reconciler asks again
                verdict = self.gateway.verify(payment.authority, payment.amount_rials)
            except GatewayUnavailable as exc:
                get_logger().warning("billing.gateway_unavailable", payment_id=str(payment_id), error=str(exc)[:200])
                return
            self._record_verdict(payment, verdict, late, cause)

        self._retrying(attempt)

    def _record_verdict(self: BillingApplication, payment: Payment, verdict: Any, late: bool, cause: Cause) -> None:
        now = self.clock.now()
        if late:
            payment.fail("late_success", now, captured=True, reference=verdict.ref_id)
            self.save_caused(payment, cause=cause)
        elif not verdict.paid:
            reason = "amount_mismatch" if verdict.code == AMOUNT_MISMATCH else "verification_failed"
            payment.fail(reason, now, captured=True)
            self.save_caused(payment, cause=cause)
        else:
            order: Order = self._get(payment.order_id)
            refused = order.mark_paid(payment.id, payment.invoice_id)
            if refused is None:
                payment.succeed(verdict.ref_id or payment.authority, now)
                self.save_caused(payment, order, self._account_opened_by(payment), cause=cause)
            else:  # paid twice, or paid for what the order no longer says: this money goes back
                payment.fail(refused, now, captured=True, reference=verdict.ref_id)
                # Both refusals are final (a paid order stays paid; a revision never comes back).
                self.save_caused(payment, cause=cause)
        self._log_outcome(payment)

    def _account_opened_by(self: BillingApplication, payment: Payment) -> BusinessAccount | None:
        if payment.purchase["kind"] != "new":
            return None
        purchase = storable(sealed_name(payment.purchase, payment.tenant_id))  # a payment from before names were sealed
        return BusinessAccount(tenant_id=payment.tenant_id, owner_user_id=payment.customer_user_id,
                               business_name=purchase["business_name"], business_type=purchase["business_type"])

    def _log_outcome(self: BillingApplication, payment: Payment) -> None:
        get_logger().info("billing.payment_settled", payment_id=str(payment.id), state=payment.state,
                          reason=payment.reason)

    # -- the reconciler ----------------------------------------------------------------------
    def reconcile(self: BillingApplication, cause: Cause) -> dict[str, int]:
        """One pass over open payments, reading the clock once; safe to run anywhere, any
        number of times (each change is decided by the store)."""
        now = self.clock.now()
        done = {"settled": 0, "gave_up": 0, "refunded": 0, "refund_failures": 0}
        for payment_id in sorted(self._open_payment_ids()):
            try:
                self._reconcile_one(payment_id, now, done, cause)
            except Exception:  # noqa: BLE001 - one payment's trouble must not stop every later one's refund
                get_logger().exception("billing.reconcile_failed", payment_id=str(payment_id))
        return done

    def _reconcile_one(self: BillingApplication, payment_id: uuid.UUID, now: datetime, done: dict[str, int],
                       cause: Cause) -> None:
        payment: Payment = self._get(payment_id)
        if not self._inquiry_due(payment, now):
            pass
        elif payment.state == "pending" and now - payment.started_at >= self.inquiry_after:
            self.settle(payment_id, cause)
            payment = self._get(payment_id)
            if payment.state != "pending":
                done["settled"] += 1
            elif now - payment.started_at >= self.give_up_after:
                self._give_up(payment_id, cause)
                done["gave_up"] += 1
        elif payment.state == "failed" and now - payment.started_at < REFUND_WINDOW:
            self.settle(payment_id, cause)  # a timed-out payment whose money may still arrive
        payment = self._get(payment_id)
        if payment.refund_due(self.clock.now()):  # a refund scheduled just above is due at once
            done["refunded" if self._refund(payment_id, cause) else "refund_failures"] += 1
        if not self._get(payment_id).open or (payment.state == "failed" and now - payment.started_at
                                              >= REFUND_WINDOW):
            self._open_payments.discard(payment_id)
            self._last_inquiry.pop(payment_id, None)

    def _inquiry_due(self: BillingApplication, payment: Payment, now: datetime) -> bool:
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

    def _give_up(self: BillingApplication, payment_id: uuid.UUID, cause: Cause) -> None:
        def attempt() -> None:
            payment: Payment = self._get(payment_id)
            payment.fail("timeout", self.clock.now())
            self.save_caused(payment, cause=cause)

        self._retrying(attempt)

    def _refund(self: BillingApplication, payment_id: uuid.UUID, cause: Cause) -> bool:
        payment: Payment = self._get(payment_id)
        now = self.clock.now()
        try:
            reference = self.gateway.refund(payment.authority, payment.amount_rials,
                                            f"Refund of payment {payment.id} (failed after capture)")
        except GatewayUnavailable as exc:
            if payment.refund_attempt_failed(str(exc), now, self.refund_retry_base):
                assert payment.refund is not None
                get_logger().error("billing.refund_alert", payment_id=str(payment.id),
                                   deadline=payment.refund["deadline"].isoformat(),
                                   attempts=payment.refund["attempts"], error=str(exc)[:200])
            self._save_quietly(payment, cause)
            return False
        payment.refunded(reference, now)
        self._save_quietly(payment, cause)
        return True

    def _save_quietly(self: BillingApplication, payment: Payment, cause: Cause) -> None:
        # Another reconciler may have recorded this payment first; the next pass reads its state.
        with contextlib.suppress(*Conflict):
            self.save_caused(payment, cause=cause)

    def _open_payment_ids(self: BillingApplication) -> set[uuid.UUID]:
        """Payments that may still need the reconciler, from the event log (a read model kept
        in memory and rebuilt from the log at start)."""
        while True:
            batch = self.recorder.select_notifications(self._log_position + 1, 500)
            if not batch:
                return set(self._open_payments)
            for notification in batch:
                if ":Payment." in notification.topic:
                    self._open_payments.add(uuid.UUID(str(notification.originator_id)))
            self._log_position = batch[-1].id
