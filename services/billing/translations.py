"""Billing's domain events → integration events (pure). Each domain event carries what its
integration event needs, so the relay publishes from the event alone."""

from __future__ import annotations

from typing import Any

from services.billing.domain import EducationalApplication, Order, Payment, name_of
from shared.events import billing as contracts
from shared.events.base import IntegrationEvent


def _purchase(purchase: dict[str, Any]) -> dict[str, Any]:
    return {"kind": purchase["kind"], "business_name": name_of(purchase["business_name"]),
            "business_type": purchase["business_type"], "products": tuple(purchase["products"]),
            "extra_organizations": purchase["extra_organizations"],
            "extra_concurrent_users": purchase["extra_concurrent_users"]}


def _payment(facts: dict[str, Any]) -> dict[str, Any]:
    return {"payment_id": facts["payment_id"], "order_id": facts["order_id"], "tenant_id": facts["tenant_id"],
            "payer_user_id": facts["payer_user_id"], "amount_rials": facts["amount_rials"],
            "gateway": facts["gateway"]}


def translate(domain_event: Any) -> IntegrationEvent | None:
    # Aggregate events are made by eventsourcing's decorators, invisible to mypy.
    if isinstance(domain_event, Order.Placed):  # type: ignore[attr-defined]
        return contracts.OrderPlacedV1(order_id=domain_event.originator_id, tenant_id=domain_event.tenant_id,
                                       customer_user_id=domain_event.customer_user_id,
                                       period_months=domain_event.purchase["period_months"],
                                       **_purchase(domain_event.purchase))
    if isinstance(domain_event, Order.Offered):  # type: ignore[attr-defined]
        return contracts.LimitsOfferedV1(
            order_id=domain_event.originator_id, tenant_id=domain_event.tenant_id,
            customer_user_id=domain_event.customer_user_id, ticket_id=domain_event.offer["ticket_id"],
            offered_by_user_id=domain_event.offer["agent_id"], business_name=name_of(domain_event.business_name),
            extra_organizations=domain_event.extra_organizations,
            extra_concurrent_users=domain_event.extra_concurrent_users)
    if isinstance(domain_event, Order.Withdrawn):  # type: ignore[attr-defined]
        if getattr(domain_event, "ticket_id", None) is None:
            return None  # withdrawn before withdrawals were published: nobody was told then
        return contracts.LimitsOfferWithdrawnV1(
            order_id=domain_event.originator_id, tenant_id=domain_event.tenant_id,
            customer_user_id=domain_event.customer_user_id, ticket_id=domain_event.ticket_id,
            withdrawn_by_user_id=domain_event.agent_id, business_name=name_of(domain_event.business_name))
    if isinstance(domain_event, Order.InvoiceIssued):  # type: ignore[attr-defined]
        invoice = domain_event.invoice
        return contracts.InvoiceIssuedV1(
            invoice_id=invoice["invoice_id"], order_id=domain_event.originator_id,
            order_revision=invoice["order_revision"], tenant_id=domain_event.tenant_id,
            customer_user_id=domain_event.customer_user_id,
            lines=tuple(contracts.InvoiceLine(**line) for line in invoice["lines"]),
            **{k: invoice[k] for k in ("subtotal_rials", "discount_rials", "vat_percent", "vat_rials", "total_rials")})
    if isinstance(domain_event, Payment.Succeeded):  # type: ignore[attr-defined]
        facts = domain_event.facts
        return contracts.PaymentSucceededV1(
            **_payment(facts), **_purchase(facts["purchase"]), invoice_id=facts["invoice_id"],
            period_start=domain_event.period_start, period_end=domain_event.period_end,
            vat_rials=facts["vat_rials"], gateway_reference=domain_event.reference)
    if isinstance(domain_event, Payment.Failed):  # type: ignore[attr-defined]
        return contracts.PaymentFailedV1(**_payment(domain_event.facts), gateway_reference=domain_event.reference,
                                         reason=domain_event.reason, money_taken=domain_event.money_taken)
    if isinstance(domain_event, Payment.RefundScheduled):  # type: ignore[attr-defined]
        if domain_event.reason == "refund_requested":
            # Support refunds a paid payment (#19): RefundScheduled's contract and notice speak of a
            # failed payment; the customer hears of this refund when it is done (RefundCompleted).
            return None
        return contracts.RefundScheduledV1(
            **_payment(domain_event.facts), refund_id=domain_event.refund_id,
            gateway_reference=domain_event.reference, captured_at=domain_event.captured_at,
            refund_deadline=domain_event.deadline)
    if isinstance(domain_event, Payment.Refunded):  # type: ignore[attr-defined]
        return contracts.RefundCompletedV1(
            **_payment(domain_event.facts), refund_id=domain_event.refund_id,
            refund_reference=domain_event.refund_reference, refunded_at=domain_event.refunded_at,
            refund_deadline=domain_event.deadline)
    if isinstance(domain_event, Payment.RefundBlocked):  # type: ignore[attr-defined]
        return refund_blocked(domain_event.facts, domain_event.refund_id, domain_event.error,
                              domain_event.blocked_at, domain_event.deadline)
    if isinstance(domain_event, EducationalApplication.Rejected):  # type: ignore[attr-defined]
        if domain_event.applicant_user_id is None:
            return None  # rejected before issue #19: nobody was told then, nobody is now
        return contracts.EducationalApplicationRejectedV1(
            application_id=domain_event.originator_id, applicant_user_id=domain_event.applicant_user_id,
            reason=domain_event.reason, rejected_by_user_id=domain_event.support_user_id)
    if isinstance(domain_event, EducationalApplication.Approved):  # type: ignore[attr-defined]
        facts = domain_event.facts
        return contracts.EducationalLicenceGrantedV1(
            application_id=domain_event.originator_id, tenant_id=facts["tenant_id"],
            applicant_user_id=facts["applicant_user_id"], institution_name=name_of(facts["institution_name"]),
            licence_number=facts["licence_number"], period_start=domain_event.period_start,
            period_end=domain_event.period_end, approved_by_user_id=domain_event.support_user_id)
    return None


def refund_blocked(facts: dict[str, Any], refund_id: Any, error: str, blocked_at: Any,
                   deadline: Any) -> contracts.RefundBlockedV1:
    return contracts.RefundBlockedV1(**_payment(facts), refund_id=refund_id, error=error, blocked_at=blocked_at,
                                     refund_deadline=deadline)
