"""Official invoices in memory (issue #19): a paid payment's invoice is issued from the stored
event (no dual write), numbered without gaps, sent once, asked about until the system decides
(late, accepted or rejected with its errors), resent under the same tax id after a lost answer
only when the system does not know it, and cancelled (ابطال) once a refund went through."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.billing.application import BillingApplication
from services.billing.einvoicing import EInvoicing
from services.billing.tax_invoice_rules import CANCELLING, ORIGINAL, TYPE_WITH_BUYER, TYPE_WITHOUT_BUYER
from services.billing.tax_invoices import TaxInvoice, tax_invoice_id
from tests.support.billing import (
    CAUSE,
    NEW_ORDER,
    VENDOR,
    FakeGateway,
    FakeTaxSystem,
    callback,
    later,
    memory_app,
    published,
    start,
)
from tests.support.memory import counted_inserts, counted_reads
from tests.support.rules import refused

PERSON = {"kind": "person", "national_code": "۰۴۹۹۳۷۰۸۹۹"}
LEGAL = {"kind": "legal", "legal_id": "10380284790", "economic_code": "10380284790", "postal_code": "1968653111"}


@pytest.fixture
def tax() -> FakeTaxSystem:
    return FakeTaxSystem(late=1)


@pytest.fixture
def app(tax: FakeTaxSystem) -> BillingApplication:
    return memory_app(FakeGateway(), tax_system=tax)


def paid(app: BillingApplication, buyer: dict[str, Any] | None = None) -> str:
    _, _, started = start(app, body=NEW_ORDER | ({"buyer": buyer} if buyer else {}))
    assert callback(app, started["payment_id"], started["redirect_url"], "success")["state"] == "succeeded"
    return str(started["payment_id"])


def invoice(app: BillingApplication, payment_id: str, subject: int = ORIGINAL) -> TaxInvoice:
    found = app.repository.get(tax_invoice_id(uuid.UUID(payment_id), subject))
    assert isinstance(found, TaxInvoice)
    return found


def run(app: BillingApplication, times: int = 1, step: timedelta = timedelta(minutes=2)) -> None:
    for _ in range(times):
        app.einvoicing.follow(CAUSE)
        later(app, step)


def test_a_paid_order_with_a_buyer_gets_an_accepted_invoice_after_a_late_answer(
        app: BillingApplication, tax: FakeTaxSystem) -> None:
    payment_id = paid(app, LEGAL)
    assert app.einvoicing.follow(CAUSE) == {"issued": 1, "sent": 1, "decided": 0}
    issued = invoice(app, payment_id)
    header = issued.payload["header"]
    assert issued.state == "sent" and issued.serial == 1 and header["inty"] == TYPE_WITH_BUYER
    assert header["bid"] == "10380284790" and header["tins"] == VENDOR.seller_tin
    payment = app.payment(None, payment_id)
    assert header["tbill"] == payment["amount_rials"]  # the invoice says what the customer paid
    assert payment["official_invoice"]["state"] == "sent"
    later(app, timedelta(seconds=10))
    app.einvoicing.follow(CAUSE)  # the system has not decided yet: asked again later
    assert invoice(app, payment_id).state == "sent"
    run(app, 2)
    view = app.payment(None, payment_id)["official_invoice"]
    assert view["state"] == "accepted" and view["tax_id"] == header["taxid"] and view["errors"] == []
    assert tax.sends == 1


def test_a_person_buying_for_themselves_gets_a_type_two_invoice(app: BillingApplication) -> None:
    payment_id = paid(app)
    run(app)
    assert invoice(app, payment_id).payload["header"]["inty"] == TYPE_WITHOUT_BUYER
    person = paid(app, PERSON)
    run(app)
    assert invoice(app, person).payload["header"]["bid"] == "0499370899"  # Persian digits stored as Latin


def test_numbers_are_gap_free_and_each_invoice_is_issued_once(app: BillingApplication, tax: FakeTaxSystem) -> None:
    payments = [paid(app) for _ in range(3)]
    run(app)
    # A second follower (another replica, or this one restarted) reads the same log: nothing twice.
    other = EInvoicing(app.records, tax, VENDOR, retry_base=timedelta(seconds=10), ask_after=timedelta(seconds=5))
    assert other.follow(CAUSE)["issued"] == 0
    serials = sorted(invoice(app, p).serial for p in payments)
    assert serials == [1, 2, 3] and len({invoice(app, p).tax_id for p in payments}) == 3
    assert tax.sends == 3


def test_a_rejection_keeps_the_documented_errors(app: BillingApplication, tax: FakeTaxSystem) -> None:
    tax.reject_with = {"code": "0303301", "message": "شناسه کالا/خدمت با اطلاعات سامانه منطبق نیست"}
    payment_id = paid(app)
    run(app, 3)
    view = app.payment(None, payment_id)["official_invoice"]
    assert view["state"] == "rejected" and view["errors"][0]["code"] == "0303301"


def test_an_outage_retries_under_the_same_tax_id_and_a_lost_answer_is_not_sent_twice(
        app: BillingApplication, tax: FakeTaxSystem) -> None:
    payment_id = paid(app)
    tax.down = True
    run(app, 2, timedelta(minutes=1))
    first = invoice(app, payment_id)
    assert first.state == "pending" and first.attempts == 2 and tax.sends == 0
    tax.down = False
    # The system took it but its answer was lost: the invoice stays pending here.
    tax.send([(str(first.id), first.payload)])
    run(app, 3)
    after = invoice(app, payment_id)
    assert after.state == "accepted" and after.tax_id == first.tax_id
    assert tax.sends == 1  # asked by uid first: found, never sent again


def test_a_refund_cancels_the_accepted_invoice(app: BillingApplication, tax: FakeTaxSystem) -> None:
    payment_id = paid(app, PERSON)
    app.settlement.refund_paid(payment_id, CAUSE)  # within reverse's window: given back at once
    assert app.payment(None, payment_id)["state"] == "refunded"
    # No "your failed payment" notice: the customer hears of the refund when it is done.
    assert [type(e).__name__ for e in published(app, payment_id)] == ["PaymentSucceededV1", "RefundCompletedV1"]
    run(app, 3)  # issued, sent, accepted: only an accepted invoice can be cancelled (0306)
    assert invoice(app, payment_id).cancelled_by is None
    run(app, 4)  # the cancelling invoice issued, sent, decided late
    original, cancelling = invoice(app, payment_id), invoice(app, payment_id, CANCELLING)
    assert original.state == "accepted" and original.cancelled_by == cancelling.tax_id
    assert cancelling.payload["header"]["ins"] == CANCELLING and cancelling.payload["header"]["irtaxid"] == \
        original.tax_id
    assert cancelling.state == "accepted" and cancelling.serial == original.serial + 1
    assert app.payment(None, payment_id)["official_invoice"]["cancellation"]["state"] == "accepted"
    app.settlement.refund_paid(payment_id, CAUSE)  # asked twice: nothing more
    run(app, 2)
    assert len(tax.invoices) == 2


def test_only_a_succeeded_payment_is_refunded_by_support(app: BillingApplication) -> None:
    _, _, started = start(app)
    refused("refund_not_possible", lambda: app.settlement.refund_paid(started["payment_id"], CAUSE))


def test_a_bad_buyer_is_refused_and_no_order_is_made(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    for buyer, code in ((PERSON | {"national_code": "0499370898"}, "invalid_national_code"),
                        (LEGAL | {"legal_id": "10380284791"}, "invalid_legal_id"),
                        (LEGAL | {"postal_code": "۱۲۳"}, "invalid_postal_code"),
                        ({"kind": "robot"}, "invalid_buyer")):
        refused(code, lambda b=buyer: app.place_order(customer, NEW_ORDER | {"buyer": b}, "k", CAUSE))
    assert app.place_order(customer, NEW_ORDER | {"buyer": PERSON}, "k", CAUSE)["buyer"]["national_code"] == \
        "0499370899"  # the key was not spent by the refusals


def test_a_reference_the_system_forgot_is_asked_about_again_not_resent(app: BillingApplication,
                                                                       tax: FakeTaxSystem) -> None:
    payment_id = paid(app)
    run(app)
    tax.invoices.clear()  # the system answers nothing about the reference it gave
    run(app, 2)
    assert invoice(app, payment_id).state == "sent" and tax.sends == 1


def test_a_pass_reads_each_open_invoice_once(app: BillingApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: the invoice as read, or as saved by the pass, decides whether it stays followed;
    only a save that lost a race reads it again."""
    payment_id = paid(app, LEGAL)
    app.einvoicing.follow(CAUSE)  # issued and sent
    invoice_id = invoice(app, payment_id).id
    reads = counted_reads(app, monkeypatch)
    app.einvoicing.follow(CAUSE)  # not due yet: nothing asked
    later(app, timedelta(seconds=10))
    app.einvoicing.follow(CAUSE)  # due: asked, still undecided
    run(app, 2)  # decided, then no longer followed
    assert invoice(app, payment_id).state == "accepted"
    # One per pass: the four above (the last one finds its own Decided in the log and lets it go),
    # and the check above; two per pass before.
    assert reads[invoice_id] == 5


def test_a_pass_issues_the_invoices_it_found_in_one_save(app: BillingApplication, tax: FakeTaxSystem,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: three payments paid since the last pass take three serials and are saved in one
    transaction, the serials read once; none is looked for first (the log says none was issued)."""
    payments = [paid(app) for _ in range(3)]
    reads = counted_reads(app, monkeypatch)
    saves = counted_inserts(app, monkeypatch)
    assert app.einvoicing.follow(CAUSE)["issued"] == 3
    assert saves[0] == 3 + 3 + 1  # three Issued, three serials Taken and the serials Opened: one save
    assert reads[app.einvoicing._serials().id] == 1 + 1  # the pass's read, and the line above
    assert sum(reads[tax_invoice_id(uuid.UUID(p), ORIGINAL)] for p in payments) == 3  # each read once to send it
    assert sorted(invoice(app, p).serial for p in payments) == [1, 2, 3]


def test_an_invoice_issued_meanwhile_by_another_replica_sends_the_pass_one_at_a_time(
        app: BillingApplication, tax: FakeTaxSystem, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other replica read the same log and issued the second payment's invoice first: the
    pass's save is refused as a whole, each payment is then issued alone — every invoice once,
    the numbers without a gap."""
    payments = [paid(app) for _ in range(3)]
    other = EInvoicing(app.records, tax, VENDOR, retry_base=timedelta(seconds=10), ask_after=timedelta(seconds=5))
    serials_of_pass = app.einvoicing._serials

    def raced() -> Any:
        found = serials_of_pass()
        monkeypatch.setattr(app.einvoicing, "_serials", serials_of_pass)  # only once
        other._issue_original_alone(uuid.UUID(payments[1]), CAUSE)  # after this pass read the serials
        return found

    monkeypatch.setattr(app.einvoicing, "_serials", raced)
    assert app.einvoicing.follow(CAUSE)["issued"] == 2
    assert sorted(invoice(app, p).serial for p in payments) == [1, 2, 3]
    assert invoice(app, payments[1]).serial == 1
    assert len({invoice(app, p).tax_id for p in payments}) == 3


class CountedCalls(FakeTaxSystem):
    """The fake system, counting calls (each a nonce and a token on the real one) by kind."""

    def __init__(self) -> None:
        super().__init__(late=1)
        self.calls: list[tuple[str, int]] = []

    def send(self, invoices: Any) -> Any:
        self.calls.append(("send", len(list(invoices))))
        return super().send(invoices)

    def by_reference(self, references: Any) -> Any:
        self.calls.append(("by_reference", len(list(references))))
        return super().by_reference(references)

    def by_uid(self, uids: Any) -> Any:
        self.calls.append(("by_uid", len(list(uids))))
        return super().by_uid(uids)


def test_a_pass_sends_and_asks_about_its_due_invoices_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: three invoices are sent in one call and asked about in one call a pass, their
    claims saved in one transaction and the answers in another (a call and two saves each before)."""
    tax = CountedCalls()
    app = memory_app(FakeGateway(), tax_system=tax)
    payments = [paid(app) for _ in range(3)]
    saves = counted_inserts(app, monkeypatch)
    done = app.einvoicing.follow(CAUSE)
    assert (done["issued"], done["sent"], tax.calls) == (3, 3, [("send", 3)])
    assert saves == [3 + 3 + 1, 3, 3]  # issued; claimed; sent
    later(app, timedelta(minutes=2))
    saves.clear()
    run(app, 2)  # asked (still pending), then asked again: accepted
    assert tax.calls[1:] == [("by_reference", 3), ("by_reference", 3)]
    assert saves == [3, 3, 3]  # claimed; claimed; decided (nothing recorded of the pending answer)
    assert {invoice(app, p).state for p in payments} == {"accepted"}
    assert app.einvoicing._open == set()


def test_a_claim_lost_to_another_replica_leaves_that_invoice_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two replicas' passes meet on one invoice: this one's claim of all is refused, it claims the
    others alone, and the invoice the other replica claimed is sent once, by that replica."""
    tax = CountedCalls()
    app = memory_app(FakeGateway(), tax_system=tax)
    payments = [paid(app) for _ in range(3)]
    app.einvoicing.follow(CAUSE)  # issued and sent
    later(app, timedelta(minutes=2))
    other = EInvoicing(app.records, tax, VENDOR, retry_base=timedelta(seconds=10), ask_after=timedelta(seconds=5))
    rival = invoice(app, payments[1])
    claim = app.einvoicing.asking._claim

    def raced(due: Any, now: Any, cause: Any) -> Any:
        other.asking._claim([rival], now, cause)  # the other replica claims one after this one read it
        return claim(due, now, cause)

    monkeypatch.setattr(app.einvoicing.asking, "_claim", raced)
    app.einvoicing.follow(CAUSE)
    assert tax.calls[-1] == ("by_reference", 2)  # asked about the two it won
    assert invoice(app, payments[1]).attempts == 2  # sent, then claimed once more: by the other replica
    assert [invoice(app, p).attempts for p in (payments[0], payments[2])] == [2, 2]
