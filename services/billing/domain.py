"""Billing's aggregates (BI-1 … BI-4). No I/O: prices, gateway answers and the time are passed
in. Every rule that decides money lives here; the store decides races (optimistic
concurrency on each aggregate, ids derived from idempotency keys)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.events.billing import REFUND_WINDOW
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal, business_subject

ALERT_BEFORE_DEADLINE = timedelta(hours=12)  # an operator is told while there is still time
REFUND_RETRY_LONGEST = timedelta(hours=1)
REFUND_CLAIM = timedelta(minutes=5)  # a refund try longer than this died with its process
NAMESPACE = uuid.UUID("6d1b4c8e-2f0a-4d5e-9b7c-3a8e1f2d4c60")


def keyed_id(kind: str, user_id: uuid.UUID, key: str) -> uuid.UUID:
    """The id of what an Idempotency-Key creates: the same user and key always name the
    same aggregate, so a repeat collides in the store instead of creating a second one."""
    return uuid.uuid5(NAMESPACE, f"{kind}:{user_id}:{key}")


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in (moment.day, 30, 29, 28):  # the 31st of a short month becomes its last day
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Refund:
    """A scheduled refund as the payment's events made it (state only: events carry scalars)."""

    refund_id: uuid.UUID
    deadline: datetime  # capture + 72 hours (BI-2)
    next_try_at: datetime
    attempts: int = 0
    alerted: bool = False  # the operator alert was raised (once)
    refunded_at: datetime | None = None
    refund_reference: str | None = None
    last_error: str | None = None
    blocked_at: datetime | None = None
    attempt_started_at: datetime | None = None  # a replica's claim on the next try


class Order(Aggregate):
    """What a customer wants to buy, revised by each change; only an invoice computed from
    the current revision can be paid (BI-1)."""

    @event("Placed")
    def __init__(self, order_id: uuid.UUID, customer_user_id: uuid.UUID, tenant_id: uuid.UUID,
                 purchase: dict[str, Any], fingerprint: str) -> None:
        self.customer_user_id = customer_user_id
        self.tenant_id = tenant_id
        self.purchase = purchase
        self.fingerprint = fingerprint  # of the creating request, for Idempotency-Key repeats
        self.revision = 1
        self.invoice: dict[str, Any] | None = None
        self.paid_by: uuid.UUID | None = None

    @staticmethod
    def create_id(order_id: uuid.UUID, **_: object) -> uuid.UUID:
        return order_id

    @property
    def kind(self) -> str:
        return str(self.purchase["kind"])

    def check_customer(self, user_id: uuid.UUID) -> None:
        if self.customer_user_id != user_id:
            raise DomainError("not_found")  # another customer's order is not even shown to exist

    # Orders placed before support's offers (issue #19) are the customer's own.
    offer: dict[str, Any] | None = None  # who offered it, on which ticket
    withdrawn: bool = False

    def check_open(self) -> None:
        if self.paid_by is not None:
            raise DomainError("order_already_paid")
        if self.withdrawn:
            raise DomainError("offer_withdrawn")

    def offered(self, agent_id: uuid.UUID, ticket_id: uuid.UUID) -> None:
        """Support made this order as a priced offer (TE-2): the customer pays it as it is."""
        purchase = self.purchase
        self._offered(offer={"agent_id": str(agent_id), "ticket_id": str(ticket_id)},
                      tenant_id=self.tenant_id, customer_user_id=self.customer_user_id,
                      business_name=purchase["business_name"], extra_organizations=purchase["extra_organizations"],
                      extra_concurrent_users=purchase["extra_concurrent_users"])

    @event("Offered")  # carries what LimitsOffered tells, so the relay publishes it alone
    def _offered(self, offer: dict[str, Any], tenant_id: uuid.UUID, customer_user_id: uuid.UUID,
                 business_name: Personal | str, extra_organizations: int, extra_concurrent_users: int) -> None:
        self.offer = offer

    def withdraw(self, agent_id: uuid.UUID) -> None:
        """Support takes an unpaid offer back; withdrawing twice is no error (a double click). The
        event names whom to tell, so the relay publishes LimitsOfferWithdrawn from it alone."""
        if self.offer is None:
            raise DomainError("not_an_offer")
        if self.paid_by is not None:
            raise DomainError("order_already_paid")
        if not self.withdrawn:
            self._withdrawn(agent_id=str(agent_id), ticket_id=self.offer["ticket_id"], tenant_id=self.tenant_id,
                            customer_user_id=self.customer_user_id, business_name=self.purchase["business_name"])

    @event("Withdrawn")  # before issue #19's loose ends it carried agent_id only (and was not published)
    def _withdrawn(self, agent_id: str, ticket_id: str | None = None, tenant_id: uuid.UUID | None = None,
                   customer_user_id: uuid.UUID | None = None, business_name: Personal | str | None = None) -> None:
        self.withdrawn = True

    # What tenancy could not grant of this paid limits order (a race past the hard caps, issue #19).
    capped_short: dict[str, Any] | None = None

    def capped(self, payment_id: uuid.UUID, short_organizations: int, short_concurrent_users: int) -> None:
        if self.capped_short is None:
            self._capped(payment_id=str(payment_id), short={"organizations": short_organizations,
                                                            "concurrent_users": short_concurrent_users})

    @event("Capped")
    def _capped(self, payment_id: str, short: dict[str, int]) -> None:
        self.capped_short = short

    def change(self, purchase: dict[str, Any]) -> None:
        self.check_open()
        if self.offer is not None:
            raise DomainError("offer_fixed")
        if purchase["kind"] != self.kind:
            raise DomainError("order_kind_fixed")
        if _as_read(purchase) != _as_read(self.purchase):  # a sealed name equals its plain-text self
            self._changed(purchase=purchase, revision=self.revision + 1)

    @event("Changed")
    def _changed(self, purchase: dict[str, Any], revision: int) -> None:
        self.purchase, self.revision = purchase, revision

    def issue_invoice(self, invoice_id: uuid.UUID, priced: dict[str, Any]) -> dict[str, Any]:
        if self.invoice is not None and self.invoice_current():
            return self.invoice  # recalculating a current invoice changes nothing
        self._invoice_issued(invoice=priced | {"invoice_id": str(invoice_id), "order_revision": self.revision,
                                               "kind": self.kind},
                             tenant_id=self.tenant_id, customer_user_id=self.customer_user_id)
        assert self.invoice is not None
        return self.invoice

    @event("InvoiceIssued")  # names tenant and customer so the relay can publish it alone
    def _invoice_issued(self, invoice: dict[str, Any], tenant_id: uuid.UUID, customer_user_id: uuid.UUID) -> None:
        self.invoice = invoice

    def invoice_current(self) -> bool:
        return (self.invoice is not None and self.invoice["order_revision"] == self.revision
                and self.invoice["kind"] == self.kind)

    def check_payable(self) -> dict[str, Any]:
        self.check_open()
        if self.invoice is None or not self.invoice_current():
            raise DomainError("invoice_outdated", order_revision=self.revision,
                              invoice_revision=self.invoice["order_revision"] if self.invoice else None)
        if self.invoice["total_rials"] <= 0:
            raise DomainError("nothing_to_pay")
        return self.invoice

    def mark_paid(self, payment_id: uuid.UUID, invoice_id: uuid.UUID) -> str | None:
        """None when this payment paid the order; else why its money must go back: another
        payment paid first, the order changed while the customer was at the bank (BI-1), or the
        business it renews was deleted meanwhile (AR-1: a restore order comes first, AR-3)."""
        refused = self.refusal_of(payment_id, invoice_id)
        if refused is None and self.paid_by is None:
            self._paid(payment_id=payment_id)
        return refused

    def refusal_of(self, payment_id: uuid.UUID, invoice_id: uuid.UUID) -> str | None:
        """Why this order would not take this payment now (None: it would), changing nothing."""
        if self.paid_by is not None:
            return None if self.paid_by == payment_id else "order_already_paid"
        if isinstance(name := self.purchase.get("business_name"), Personal) and name.forgotten:
            return "business_purged"
        if self.withdrawn:
            return "order_changed"  # support withdrew the offer while the customer was at the bank
        if not self.invoice_current() or self.invoice is None or self.invoice["invoice_id"] != str(invoice_id):
            return "order_changed"
        return None

    @event("Paid")
    def _paid(self, payment_id: uuid.UUID) -> None:
        self.paid_by = payment_id


class Payment(Aggregate):
    """One online payment attempt of one invoice. States: pending → succeeded | failed;
    a failure after capture schedules a refund (capture + 72 h) → refunded (BI-2), or
    refund_blocked when only an operator can give the money back (then scheduled again)."""

    @event("Started")
    def __init__(self, payment_id: uuid.UUID, order_id: uuid.UUID, invoice_id: uuid.UUID,
                 customer_user_id: uuid.UUID, tenant_id: uuid.UUID, purchase: dict[str, Any], amount_rials: int,
                 vat_rials: int, gateway: str, authority: str, redirect_url: str, fingerprint: str,
                 started_at: datetime) -> None:
        self.order_id, self.invoice_id = order_id, invoice_id
        self.customer_user_id, self.tenant_id = customer_user_id, tenant_id
        self.purchase = purchase
        self.amount_rials, self.vat_rials = amount_rials, vat_rials
        self.gateway, self.authority, self.redirect_url = gateway, authority, redirect_url
        self.fingerprint = fingerprint
        self.started_at = started_at
        self.state = "pending"
        self.reason: str | None = None
        self.reference: str | None = None
        self.captured_at: datetime | None = None
        self.period: tuple[datetime, datetime] | None = None
        self.refund: Refund | None = None
        self.bank_receipt: dict[str, Any] | None = None  # what verification returned: ref_id, card, fee

    @staticmethod
    def create_id(payment_id: uuid.UUID, **_: object) -> uuid.UUID:
        return payment_id

    @property
    def bank_reference(self) -> str | None:
        """The bank's reference (verify's ref_id), by which the refund API finds the transaction."""
        return (self.bank_receipt or {}).get("ref_id")

    def facts(self) -> dict[str, Any]:
        """What every published payment event carries (the relay sees only the event)."""
        return {"payment_id": str(self.id), "order_id": str(self.order_id), "invoice_id": str(self.invoice_id),
                "tenant_id": str(self.tenant_id), "payer_user_id": str(self.customer_user_id),
                "purchase": storable(self.purchase), "amount_rials": self.amount_rials, "vat_rials": self.vat_rials,
                "gateway": self.gateway}

    # -- the gateway's verdict ---------------------------------------------------------------
    def succeed(self, reference: str, now: datetime, bank_receipt: dict[str, Any] | None = None) -> None:
        if self.state != "pending":
            return  # decided before (a repeated callback): nothing happens twice
        self._succeeded(reference=reference, captured_at=now, period_start=now,
                        period_end=add_months(now, int(self.purchase["period_months"])), facts=self.facts(),
                        bank_receipt=bank_receipt)

    @event("Succeeded")
    def _succeeded(self, reference: str, captured_at: datetime, period_start: datetime,
                   period_end: datetime, facts: dict[str, Any], bank_receipt: dict[str, Any] | None = None) -> None:
        self.state, self.reference, self.captured_at = "succeeded", reference, captured_at
        self.period = (period_start, period_end)
        self.bank_receipt = bank_receipt

    def fail(self, reason: str, now: datetime, captured: bool = False, reference: str | None = None,
             bank_receipt: dict[str, Any] | None = None) -> None:
        """A failed attempt; with ``captured`` the customer's money was taken and a refund is
        scheduled at once, due 72 hours after capture (BI-2)."""
        if self.state == "failed" and captured and self.refund is None:
            # Money arrived after we had given up (a late success): it goes back.
            if bank_receipt is not None:
                self._receipt_kept(bank_receipt=bank_receipt)
            self._refund_scheduled(refund_id=uuid.uuid4(), reference=reference or self.authority, captured_at=now,
                                   deadline=now + REFUND_WINDOW, reason="late_success", facts=self.facts())
            return
        if self.state != "pending":
            return
        self._failed(reason=reason, money_taken=captured, reference=reference, facts=self.facts(),
                     bank_receipt=bank_receipt)
        if captured:
            self._refund_scheduled(refund_id=uuid.uuid4(), reference=reference or self.authority, captured_at=now,
                                   deadline=now + REFUND_WINDOW, reason=reason, facts=self.facts())

    def refund_paid(self, now: datetime) -> None:
        """Support gives a paid payment's money back (issue #19): the refund follows the same
        path as any other (reverse, else the refund API, within 72 hours), and the official
        invoice is cancelled once it is refunded (services/billing/einvoicing.py)."""
        if self.state == "refund_scheduled" or self.state == "refunded":
            return  # asked twice: refunded once
        if self.state != "succeeded":
            raise DomainError("refund_not_possible", state=self.state)
        self._refund_scheduled(refund_id=uuid.uuid4(), reference=self.reference or self.authority, captured_at=now,
                               deadline=now + REFUND_WINDOW, reason="refund_requested", facts=self.facts())

    @event("Failed")
    def _failed(self, reason: str, money_taken: bool, reference: str | None, facts: dict[str, Any],
                bank_receipt: dict[str, Any] | None = None) -> None:
        self.state, self.reason, self.reference = "failed", reason, reference
        self.bank_receipt = bank_receipt

    @event("ReceiptKept")
    def _receipt_kept(self, bank_receipt: dict[str, Any]) -> None:
        self.bank_receipt = bank_receipt

    @event("RefundScheduled")
    def _refund_scheduled(self, refund_id: uuid.UUID, reference: str, captured_at: datetime, deadline: datetime,
                          reason: str, facts: dict[str, Any]) -> None:
        self.state, self.captured_at, self.reference = "refund_scheduled", captured_at, reference
        self.refund = Refund(refund_id=refund_id, deadline=deadline, next_try_at=captured_at)

    # -- refunds -----------------------------------------------------------------------------
    def refund_due(self, now: datetime) -> bool:
        return self.state == "refund_scheduled" and self.refund is not None and now >= self.refund.next_try_at

    def claim_refund(self, now: datetime) -> bool:
        """Take the next refund try: one replica at a time asks the bank (the refund API has
        no idempotency key). A claim left by a crash lapses after REFUND_CLAIM; the next try
        then asks the bank first whether the money went back."""
        if not self.refund_due(now):
            return False
        assert self.refund is not None
        started = self.refund.attempt_started_at
        if started is not None and now - started < REFUND_CLAIM:
            return False
        self._refund_attempt_started(at=now)
        return True

    @event("RefundAttemptStarted")
    def _refund_attempt_started(self, at: datetime) -> None:
        assert self.refund is not None
        self.refund = replace(self.refund, attempt_started_at=at)

    def refund_attempt_failed(self, error: str, now: datetime, base_delay: timedelta) -> bool:
        """Record a failed refund try with back-off; True when it raised the operator alert."""
        assert self.refund is not None
        attempts = self.refund.attempts + 1
        delay = min(base_delay * 2 ** min(attempts - 1, 20), REFUND_RETRY_LONGEST)  # capped: no overflow
        deadline = self.refund.deadline
        alert_point = deadline - ALERT_BEFORE_DEADLINE
        # Never wait past the alert point without trying again; at or past it, keep backing off (a try
        # scheduled for `now` again would spin).
        next_try = min(now + delay, alert_point) if now < alert_point else now + delay
        alert = not self.refund.alerted and now >= alert_point
        self._refund_attempt_failed(error=error[:300], attempts=attempts, next_try_at=next_try, alert=alert)
        return alert

    @event("RefundAttemptFailed")
    def _refund_attempt_failed(self, error: str, attempts: int, next_try_at: datetime, alert: bool) -> None:
        assert self.refund is not None
        self.refund = replace(self.refund, attempts=attempts, next_try_at=next_try_at, last_error=error,
                              attempt_started_at=None, alerted=self.refund.alerted or alert)

    def refund_blocked(self, error: str, now: datetime) -> None:
        """The gateway refuses to give the money back by API (no transaction number, too small,
        a refused token): retries stop until an operator has acted (``unblock_refund``)."""
        if self.state == "refund_scheduled":
            assert self.refund is not None
            self._refund_blocked(error=error[:300], blocked_at=now, refund_id=self.refund.refund_id,
                                 deadline=self.refund.deadline, facts=self.facts())

    @event("RefundBlocked")
    def _refund_blocked(self, error: str, blocked_at: datetime, refund_id: uuid.UUID, deadline: datetime,
                        facts: dict[str, Any]) -> None:
        assert self.refund is not None
        self.state = "refund_blocked"
        self.refund = replace(self.refund, last_error=error, blocked_at=blocked_at, attempt_started_at=None)

    def unblock_refund(self, now: datetime) -> None:
        if self.state == "refund_blocked":
            self._refund_unblocked(at=now)

    @event("RefundUnblocked")
    def _refund_unblocked(self, at: datetime) -> None:
        assert self.refund is not None
        self.state = "refund_scheduled"
        self.refund = replace(self.refund, next_try_at=at, blocked_at=None, attempt_started_at=None)

    def refunded(self, refund_reference: str, now: datetime) -> None:
        if self.state != "refund_scheduled":
            return
        assert self.refund is not None
        self._refunded(refund_reference=refund_reference, refunded_at=now, refund_id=self.refund.refund_id,
                       deadline=self.refund.deadline, facts=self.facts())

    @event("Refunded")
    def _refunded(self, refund_reference: str, refunded_at: datetime, refund_id: uuid.UUID, deadline: datetime,
                  facts: dict[str, Any]) -> None:
        assert self.refund is not None
        self.state = "refunded"
        self.refund = replace(self.refund, refund_reference=refund_reference, refunded_at=refunded_at)

    # -- for the reconciler ------------------------------------------------------------------
    @property
    def open(self) -> bool:
        return self.state in ("pending", "refund_scheduled", "refund_blocked") or (
            self.state == "failed" and self.reason == "timeout")


def sealed_name(purchase: dict[str, Any], tenant_id: uuid.UUID) -> dict[str, Any]:
    """The purchase as stored: its business name sealed under the business's key."""
    name = purchase.get("business_name")
    if isinstance(name, str):
        return purchase | {"business_name": Personal(business_subject(tenant_id), name)}
    return purchase


def _as_read(purchase: dict[str, Any]) -> dict[str, Any]:
    name = purchase.get("business_name")
    return purchase | {"business_name": name_of(name)} if name is not None else purchase


def storable(purchase: dict[str, Any]) -> dict[str, Any]:
    """The purchase as a new event may carry it: a name shredded since (AR-1) cannot be sealed
    again, so what is stored is the placeholder everyone reads anyway."""
    name = purchase.get("business_name")
    if isinstance(name, Personal) and name.forgotten:
        return purchase | {"business_name": name.reveal()}
    return purchase


def name_of(value: Personal | str) -> str:
    """A stored name as text (events stored before names were sealed hold plain text)."""
    return value.reveal() if isinstance(value, Personal) else value


class BusinessAccount(Aggregate):
    """A business billing sold (or licensed): who owns it, so renewals and add-ons name a
    real business of the same customer."""

    @event("Opened")
    def __init__(self, tenant_id: uuid.UUID, owner_user_id: uuid.UUID, business_name: Personal | str,
                 business_type: str) -> None:
        self.owner_user_id = owner_user_id
        self.business_name, self.business_type = business_name, business_type

    @staticmethod
    def create_id(tenant_id: uuid.UUID, **_: object) -> uuid.UUID:
        return tenant_id

    offers: tuple[str, ...] = ()  # support's limits offers for this business, oldest first (issue #19)

    def note_offer(self, order_id: uuid.UUID) -> None:
        self._offer_noted(order_id=str(order_id))

    @event("OfferNoted")
    def _offer_noted(self, order_id: str) -> None:
        self.offers = (*self.offers, order_id)

    def restored_as(self, business_name: Personal) -> None:
        """A restore brings the business back after its name was shredded (AR-3): renewals and
        add-ons need a name to carry again."""
        if isinstance(self.business_name, Personal) and self.business_name.forgotten:
            self._renamed(business_name=business_name)

    @event("Renamed")
    def _renamed(self, business_name: Personal) -> None:
        self.business_name = business_name


class EducationalApplication(Aggregate):
    """An institution's application for the free educational edition; support decides (BI-4)."""

    @event("Submitted")
    def __init__(self, application_id: uuid.UUID, applicant_user_id: uuid.UUID, institution_name: Personal | str,
                 licence_number: str, contact: Personal, tenant_id: uuid.UUID, fingerprint: str) -> None:
        self.applicant_user_id = applicant_user_id
        self.institution_name, self.licence_number, self.contact = institution_name, licence_number, contact
        self.tenant_id = tenant_id
        self.fingerprint = fingerprint
        self.state = "submitted"
        self.decided_by: uuid.UUID | None = None
        self.invoice: dict[str, Any] | None = None
        self.period: tuple[datetime, datetime] | None = None

    @staticmethod
    def create_id(application_id: uuid.UUID, **_: object) -> uuid.UUID:
        return application_id

    def approve(self, support_user_id: uuid.UUID, invoice: dict[str, Any], now: datetime, months: int) -> None:
        if self.state == "approved":
            return  # a double click approves once
        if self.state != "submitted":
            raise DomainError("application_already_decided", state=self.state)
        self._approved(support_user_id=support_user_id, invoice=invoice, period_start=now,
                       period_end=add_months(now, months),
                       facts={"tenant_id": str(self.tenant_id), "applicant_user_id": str(self.applicant_user_id),
                              "institution_name": self.institution_name, "licence_number": self.licence_number})

    @event("Approved")
    def _approved(self, support_user_id: uuid.UUID, invoice: dict[str, Any], period_start: datetime,
                  period_end: datetime, facts: dict[str, Any]) -> None:
        self.state, self.decided_by, self.invoice = "approved", support_user_id, invoice
        self.period = (period_start, period_end)

    def reject(self, support_user_id: uuid.UUID, reason: str) -> None:
        if self.state == "rejected":
            return
        if self.state != "submitted":
            raise DomainError("application_already_decided", state=self.state)
        # Whom to tell travels with the event (issue #19); older Rejected events have none.
        self._rejected(support_user_id=support_user_id, reason=reason, applicant_user_id=self.applicant_user_id)

    @event("Rejected")
    def _rejected(self, support_user_id: uuid.UUID, reason: str, applicant_user_id: uuid.UUID | None = None) -> None:
        self.state, self.decided_by = "rejected", support_user_id
        self.reason = reason

    # Applications submitted before issue #19 have no document.
    document: dict[str, Any] | None = None
    reason: str = ""

    def attach_document(self, user_id: uuid.UUID, document: dict[str, Any]) -> None:
        """The applicant's licence document; a new one replaces the last while support has not decided."""
        if user_id != self.applicant_user_id:
            raise DomainError("not_found")  # somebody else's application does not exist for them
        if self.state != "submitted":
            raise DomainError("application_already_decided", state=self.state)
        if self.document is not None and self.document["sha256"] == document["sha256"]:
            return  # the same file again (a retried upload)
        self._document_attached(document=document)

    @event("DocumentAttached")
    def _document_attached(self, document: dict[str, Any]) -> None:
        self.document = document


PENDING_APPLICATIONS_ID = uuid.UUID("5b7e1f0a-3c2d-4e8f-9a6b-0d1c2e3f4a5b")


class PendingApplications(Aggregate):
    """No longer written: support's list is read from billing's log (educational_index.py), which
    also holds the applications stored before this list existed. Kept so its stored events read."""

    @event("Started")
    def __init__(self, list_id: uuid.UUID) -> None:
        self.waiting: dict[str, datetime] = {}

    @staticmethod
    def create_id(list_id: uuid.UUID, **_: object) -> uuid.UUID:
        return list_id

    def follow(self, application: EducationalApplication) -> bool:
        """True when the list changed (so it must be saved)."""
        key = str(application.id)
        if application.state == "submitted" and key not in self.waiting:
            self._waiting(application_id=key, since=application.created_on)
            return True
        if application.state != "submitted" and key in self.waiting:
            self._decided(application_id=key)
            return True
        return False

    @event("Waiting")
    def _waiting(self, application_id: str, since: datetime) -> None:
        self.waiting[application_id] = since

    @event("Decided")
    def _decided(self, application_id: str) -> None:
        self.waiting.pop(application_id, None)

    def oldest_first(self) -> list[str]:
        return sorted(self.waiting, key=lambda key: (self.waiting[key], key))
