"""A rejected official invoice put right in memory (issue #19): support sees it with the system's
errors explained in Persian and English, corrects the buyer (checked as on the order), and a NEW
invoice (next serial, new tax id) is sent from the stored events and accepted; the rejected one
is kept, replaced. An accepted invoice, a second correction, or a refused buyer changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.billing.application import BillingApplication
from services.billing.tax_invoice_rules import CANCELLING, ORIGINAL, TYPE_WITH_BUYER
from services.billing.tax_invoices import TaxInvoice, tax_invoice_id
from tests.support.billing import CAUSE, NEW_ORDER, FakeGateway, FakeTaxSystem, callback, later, memory_app, start
from tests.support.rules import refused

WRONG = {"kind": "legal", "legal_id": "10380284790", "economic_code": "10380284790", "postal_code": "1968653111"}
RIGHT = {"buyer": {"kind": "legal", "legal_id": "۱۴۰۰۷۶۵۰۹۱۲", "economic_code": "۱۴۰۰۷۶۵۰۹۱۲",
                   "postal_code": "۱۹۶۸۶۵۳۱۱۱"}}
BUYER_ERROR = {"code": "0312", "message": "مقدار فیلد شماره اقتصادی خریدار با اطلاعات سامانه منطبق نیست"}
SUPPORT = str(uuid.uuid4())


@pytest.fixture
def tax() -> FakeTaxSystem:
    return FakeTaxSystem(late=1)


@pytest.fixture
def app(tax: FakeTaxSystem) -> BillingApplication:
    return memory_app(FakeGateway(), tax_system=tax)


def run(app: BillingApplication, times: int = 3) -> None:
    for _ in range(times):
        app.einvoicing.follow(CAUSE)
        later(app, timedelta(minutes=2))


def rejected_payment(app: BillingApplication, tax: FakeTaxSystem) -> str:
    _, _, started = start(app, body=NEW_ORDER | {"buyer": WRONG})
    assert callback(app, started["payment_id"], started["redirect_url"], "success")["state"] == "succeeded"
    tax.reject_with = BUYER_ERROR
    run(app)
    tax.reject_with = None
    return str(started["payment_id"])


def stored(app: BillingApplication, payment_id: str, round_: int = 0, subject: int = ORIGINAL) -> TaxInvoice:
    found = app.repository.get(tax_invoice_id(uuid.UUID(payment_id), subject, round_))
    assert isinstance(found, TaxInvoice)
    return found


def official(app: BillingApplication, payment_id: str) -> dict[str, Any]:
    return dict(app.payment(None, payment_id)["official_invoice"])


def test_support_sees_the_rejection_corrects_the_buyer_and_a_new_invoice_is_accepted(
        app: BillingApplication, tax: FakeTaxSystem) -> None:
    payment_id = rejected_payment(app, tax)
    [listed] = app.einvoicing.corrections.rejected()
    assert listed["payment_id"] == payment_id and listed["state"] == "rejected" and listed["correctable"]
    error = listed["errors"][0]
    assert error["code"] == "0312" and error["buyer"] and "کد اقتصادی خریدار" in error["fa"]
    assert "economic code" in error["en"] and listed["buyer"]["tinb"] == "10380284790"

    corrected = app.einvoicing.corrections.correct(payment_id, RIGHT, SUPPORT, CAUSE)
    first, second = stored(app, payment_id), stored(app, payment_id, 1)
    assert corrected["tax_id"] == second.tax_id != first.tax_id  # a number the system saw is not reused
    assert second.serial == first.serial + 1 and first.replaced_by == second.id and first.state == "rejected"
    header = second.payload["header"]
    assert header["ins"] == ORIGINAL and header["inty"] == TYPE_WITH_BUYER and header["tinb"] == "14007650912"
    assert header["tbill"] == first.payload["header"]["tbill"]  # the same sale, the same amounts
    assert app.einvoicing.corrections.rejected() == []

    run(app)  # sent by the follower from the stored event, like any other
    view = official(app, payment_id)
    assert view["state"] == "accepted" and view["tax_id"] == second.tax_id
    assert [r["tax_id"] for r in view["replaced"]] == [first.tax_id] and view["replaced"][0]["state"] == "rejected"
    assert [i["payload"]["header"]["taxid"] for i in tax.invoices.values()] == [first.tax_id, second.tax_id]
    refused("official_invoice_not_correctable",
            lambda: app.einvoicing.corrections.correct(payment_id, RIGHT, SUPPORT, CAUSE))  # accepted now


def test_a_refund_after_correction_cancels_the_accepted_replacement(
        app: BillingApplication, tax: FakeTaxSystem) -> None:
    payment_id = rejected_payment(app, tax)
    app.einvoicing.corrections.correct(payment_id, RIGHT, SUPPORT, CAUSE)
    run(app)
    app.settlement.refund_paid(payment_id, CAUSE)
    run(app, 5)
    cancelling = stored(app, payment_id, subject=CANCELLING)
    assert cancelling.payload["header"]["irtaxid"] == stored(app, payment_id, 1).tax_id
    assert official(app, payment_id)["cancellation"]["state"] == "accepted"


@pytest.mark.parametrize(("body", "code"), [
    ({"buyer": RIGHT["buyer"] | {"legal_id": "14007650913"}}, "invalid_legal_id"),
    ({"buyer": RIGHT["buyer"] | {"postal_code": "123"}}, "invalid_postal_code"),
    ({"buyer": {"kind": "person", "national_code": "0499370898"}}, "invalid_national_code"),
    ({"buyer": {"kind": "nobody"}}, "invalid_buyer"),
    ({}, "invalid_buyer"),
])
def test_a_refused_buyer_changes_nothing(app: BillingApplication, tax: FakeTaxSystem, body: dict[str, Any],
                                         code: str) -> None:
    payment_id = rejected_payment(app, tax)
    before = app.repository.event_store.get(tax_invoice_id(uuid.UUID(payment_id), ORIGINAL))
    refused(code, lambda: app.einvoicing.corrections.correct(payment_id, body, SUPPORT, CAUSE))
    after = app.repository.event_store.get(tax_invoice_id(uuid.UUID(payment_id), ORIGINAL))
    assert len(list(after)) == len(list(before)) and len(app.einvoicing.corrections.rejected()) == 1


def test_only_a_rejected_invoice_not_yet_corrected_nor_refunded_is_corrected(
        app: BillingApplication, tax: FakeTaxSystem) -> None:
    payment_id = rejected_payment(app, tax)
    app.einvoicing.corrections.correct(payment_id, RIGHT, SUPPORT, CAUSE)
    # Corrected already: the replacement is not decided yet, so it cannot be corrected again.
    refused("official_invoice_not_correctable",
            lambda: app.einvoicing.corrections.correct(payment_id, RIGHT, SUPPORT, CAUSE))
    refunded = rejected_payment(app, tax)  # the first one's replacement is rejected too meanwhile
    app.settlement.refund_paid(refunded, CAUSE)
    run(app)
    # The refunded payment owes no invoice; a rejected replacement may be corrected again.
    assert [i["payment_id"] for i in app.einvoicing.corrections.rejected()] == [payment_id]
    refused("official_invoice_not_correctable",
            lambda: app.einvoicing.corrections.correct(refunded, RIGHT, SUPPORT, CAUSE))
    refused("not_found", lambda: app.einvoicing.corrections.correct(str(uuid.uuid4()), RIGHT, SUPPORT, CAUSE))
