"""Integration events published by billing (BI-1 … BI-4), and the purchase vocabulary that
provisioning, tenancy and archival events share with them (products, business types, rials).

Money is an ``int`` of Iranian rials, validated strictly: a float (even ``1000.0``), a
numeric string or a bool is refused rather than coerced, so rounding never enters a contract.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.events.base import IntegrationEvent

# --- vocabulary shared by the purchase lifecycle --------------------------------------------

Rials = Annotated[int, Field(ge=0, le=10**15, strict=True)]
# One line of human text (Persian or English): no control characters, no outer blanks.
ONE_LINE_TEXT = r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"
BusinessName = Annotated[str, Field(min_length=1, max_length=200, pattern=ONE_LINE_TEXT)]
# PR-2: the default chart of accounts follows it; "educational" only through BI-4.
BusinessType = Literal["service", "manufacturing", "trading", "educational"]
Product = Literal["accounting", "payroll", "fixed_assets", "educational"]
Products = Annotated[tuple[Product, ...], Field(max_length=4)]
# new business · renewal of an existing one · product added mid-period · TE-2 limits bought ·
# a paid restore from backup after deletion (AR-3, ordered by archival's RestoreRequested)
OrderKind = Literal["new", "renewal", "add_on", "limits", "restore"]
Months = Annotated[int, Field(ge=1, le=36)]
ExtraCount = Annotated[int, Field(ge=0, le=1000)]
GatewayName = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]+$")]
# A payment gateway's tracking / retrieval reference number (e.g. Shaparak RRN).
GatewayReference = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]

REFUND_WINDOW = timedelta(hours=72)  # BI-2


class EventPart(BaseModel):
    """A value nested in an event payload: frozen and closed like the events themselves."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def distinct(values: tuple[str, ...], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must not repeat")


def ordered(start: datetime, end: datetime, what: str) -> None:
    if end <= start:
        raise ValueError(f"{what} must end after it starts")


def check_purchase(kind: str, products: tuple[str, ...], extra_organizations: int,
                   extra_concurrent_users: int) -> None:
    distinct(products, "products")
    if kind == "restore":
        if products or extra_organizations or extra_concurrent_users:
            raise ValueError("a restore order buys the restore service only (AR-3)")
    elif kind == "limits":
        if products or not (extra_organizations or extra_concurrent_users):
            raise ValueError("a limits order buys extra organizations or concurrent users, no products")
    elif not products:
        raise ValueError(f"a {kind} order buys at least one product")


# --- events ---------------------------------------------------------------------------------


class _Billing(IntegrationEvent):
    producer: ClassVar[str] = "billing"
    tenant_field: ClassVar[str | None] = "tenant_id"


class OrderPlacedV1(_Billing):
    """A customer placed an order; for a new business billing assigns its tenant_id here (BI-1)."""

    type: ClassVar[str] = "OrderPlaced"
    order_id: uuid.UUID
    tenant_id: uuid.UUID
    customer_user_id: uuid.UUID
    kind: OrderKind
    business_name: BusinessName
    business_type: BusinessType
    products: Products
    period_months: Months
    extra_organizations: ExtraCount = 0
    extra_concurrent_users: ExtraCount = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_purchase(self.kind, self.products, self.extra_organizations, self.extra_concurrent_users)
        return self


class InvoiceLine(EventPart):
    """One priced line of an invoice; ``amount_rials`` = ``quantity`` × ``unit_price_rials``."""

    item: Literal["accounting", "payroll", "fixed_assets", "educational",
                  "extra_organizations", "extra_concurrent_users", "restore"]
    description: str = Field(min_length=1, max_length=300, pattern=ONE_LINE_TEXT)
    quantity: int = Field(ge=1, le=10_000, strict=True)
    unit_price_rials: Rials
    amount_rials: Rials

    @model_validator(mode="after")
    def _amount(self) -> Self:
        if self.amount_rials != self.quantity * self.unit_price_rials:
            raise ValueError("amount_rials must equal quantity × unit_price_rials")
        return self


class InvoiceIssuedV1(_Billing):
    """The invoice calculated for one revision of an order; only it can be paid (BI-1)."""

    type: ClassVar[str] = "InvoiceIssued"
    invoice_id: uuid.UUID
    order_id: uuid.UUID
    order_revision: int = Field(ge=1, strict=True)
    tenant_id: uuid.UUID
    customer_user_id: uuid.UUID
    lines: tuple[InvoiceLine, ...] = Field(min_length=1, max_length=20)
    subtotal_rials: Rials
    discount_rials: Rials
    vat_percent: int = Field(ge=0, le=100, strict=True)
    vat_rials: Rials
    total_rials: Rials

    @model_validator(mode="after")
    def _sums(self) -> Self:
        if self.subtotal_rials != sum(line.amount_rials for line in self.lines):
            raise ValueError("subtotal_rials must be the sum of the lines")
        if self.discount_rials > self.subtotal_rials:
            raise ValueError("discount_rials cannot exceed subtotal_rials")
        if self.total_rials != self.subtotal_rials - self.discount_rials + self.vat_rials:
            raise ValueError("total_rials must equal subtotal − discount + VAT")
        return self


class PaymentSucceededV1(_Billing):
    """The invoice was paid: grants the purchased access with no manual step (BI-3, X-1, PR-1…PR-7)."""

    type: ClassVar[str] = "PaymentSucceeded"
    payment_id: uuid.UUID
    order_id: uuid.UUID
    invoice_id: uuid.UUID
    tenant_id: uuid.UUID
    payer_user_id: uuid.UUID  # becomes the business's admin on a new order (PR-3)
    kind: OrderKind
    business_name: BusinessName
    business_type: BusinessType
    products: Products
    extra_organizations: ExtraCount = 0
    extra_concurrent_users: ExtraCount = 0
    period_start: AwareDatetime
    period_end: AwareDatetime
    amount_rials: Rials  # total paid, VAT included
    vat_rials: Rials
    gateway: GatewayName
    gateway_reference: GatewayReference

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_purchase(self.kind, self.products, self.extra_organizations, self.extra_concurrent_users)
        ordered(self.period_start, self.period_end, "the purchased period")
        if self.vat_rials > self.amount_rials:
            raise ValueError("vat_rials cannot exceed amount_rials")
        return self


class PaymentFailedV1(_Billing):
    """A payment failed; if money was taken a RefundScheduled follows, else the customer asks their bank (BI-2)."""

    type: ClassVar[str] = "PaymentFailed"
    payment_id: uuid.UUID
    order_id: uuid.UUID
    tenant_id: uuid.UUID
    payer_user_id: uuid.UUID
    amount_rials: Rials
    gateway: GatewayName
    gateway_reference: GatewayReference | None = None
    # order_already_paid: a second payment of a paid order; order_changed: the order changed while the
    # customer was at the bank (BI-1); late_success: captured after we gave up; business_purged: the
    # business the order renews was deleted while the customer was at the bank (AR-1); limits_ceiling: a
    # limits order would take the business past TE-2's hard caps, raised another way meanwhile (issue #19).
    reason: Literal["declined", "cancelled_by_customer", "timeout", "verification_failed",
                    "amount_mismatch", "gateway_error", "order_already_paid", "order_changed", "late_success",
                    "business_purged", "limits_ceiling"]
    money_taken: bool


class _RefundOfPayment(_Billing):
    """What every refund event says of its refund and the payment whose money goes back (not an
    event itself: each subclass adds its own fields after these, in this order)."""

    refund_id: uuid.UUID
    payment_id: uuid.UUID
    order_id: uuid.UUID
    tenant_id: uuid.UUID
    payer_user_id: uuid.UUID
    amount_rials: Rials
    gateway: GatewayName


class RefundScheduledV1(_RefundOfPayment):
    """Money taken by a failed payment will be returned by ``refund_deadline`` = capture + 72 h (BI-2)."""

    type: ClassVar[str] = "RefundScheduled"
    gateway_reference: GatewayReference
    captured_at: AwareDatetime
    refund_deadline: AwareDatetime

    @model_validator(mode="after")
    def _deadline(self) -> Self:
        if self.refund_deadline != self.captured_at + REFUND_WINDOW:
            raise ValueError("refund_deadline must be captured_at + 72 hours (BI-2)")
        return self


class RefundBlockedV1(_RefundOfPayment):
    """The gateway refused to give a failed payment's money back by API (BI-2): an operator must
    act before ``refund_deadline``; billing also dead-letters this event so that replaying it,
    once the cause is fixed, tries the refund again."""

    type: ClassVar[str] = "RefundBlocked"
    error: str = Field(min_length=1, max_length=300)
    blocked_at: AwareDatetime
    refund_deadline: AwareDatetime


class RefundCompletedV1(_RefundOfPayment):
    """The gateway returned the money of a failed payment (BI-2); late refunds are reported, not hidden."""

    type: ClassVar[str] = "RefundCompleted"
    refund_reference: GatewayReference
    refunded_at: AwareDatetime
    refund_deadline: AwareDatetime


# Digits, Latin or Persian letters, joined by / _ - (issue #19 widened it for ۱۲۳/ص/۱۴۰۴, kept as 123/ص/1404).
LicenceNumber = Annotated[str, Field(min_length=1, max_length=50,
                                     pattern=r"^[0-9A-Za-z\u0621-\u06cc][0-9A-Za-z\u0621-\u06cc/_-]*$")]


class EducationalLicenceGrantedV1(_Billing):
    """Support approved an institution's licence: the educational system, free, for the period (BI-4)."""

    type: ClassVar[str] = "EducationalLicenceGranted"
    application_id: uuid.UUID
    tenant_id: uuid.UUID
    applicant_user_id: uuid.UUID  # becomes the business's admin (PR-3)
    institution_name: BusinessName
    licence_number: LicenceNumber
    business_type: Literal["educational"] = "educational"
    products: tuple[Literal["educational"], ...] = Field(default=("educational",), min_length=1, max_length=1)
    period_start: AwareDatetime
    period_end: AwareDatetime
    approved_by_user_id: uuid.UUID  # the support agent (BI-4)

    @model_validator(mode="after")
    def _period(self) -> Self:
        ordered(self.period_start, self.period_end, "the licence period")
        return self


class EducationalApplicationRejectedV1(IntegrationEvent):
    """Support turned an educational application down (BI-4, issue #19): the applicant is told by
    SMS, with the reason support gave. No business exists for it, so it names none."""

    producer: ClassVar[str] = "billing"
    type: ClassVar[str] = "EducationalApplicationRejected"
    application_id: uuid.UUID
    applicant_user_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=300, pattern=ONE_LINE_TEXT)
    rejected_by_user_id: uuid.UUID


class LimitsOfferedV1(_Billing):
    """Support made a business a priced offer of more organizations or concurrent users (TE-2,
    issue #19): an order of kind "limits" for the business's admin, answering a ticket. Identity
    answers the ticket with the order's link; notifications tells the admin an offer waits. No
    amounts: the customer reads them on the order, where they can check them against the catalog."""

    type: ClassVar[str] = "LimitsOffered"
    order_id: uuid.UUID
    tenant_id: uuid.UUID
    customer_user_id: uuid.UUID  # the business's admin, who may pay it
    ticket_id: uuid.UUID
    offered_by_user_id: uuid.UUID  # the support agent
    business_name: BusinessName
    extra_organizations: ExtraCount = 0
    extra_concurrent_users: ExtraCount = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_purchase("limits", (), self.extra_organizations, self.extra_concurrent_users)
        return self


class LimitsOfferWithdrawnV1(_Billing):
    """Support took back an unpaid priced offer (TE-2, issue #19): identity notes it on the offer's
    ticket, notifications tells the admin (no amounts). The order can no longer be paid."""

    type: ClassVar[str] = "LimitsOfferWithdrawn"
    order_id: uuid.UUID
    tenant_id: uuid.UUID
    customer_user_id: uuid.UUID
    ticket_id: uuid.UUID
    withdrawn_by_user_id: uuid.UUID  # the support agent
    business_name: BusinessName
