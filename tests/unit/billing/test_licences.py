"""Educational licences (BI-4) and restore orders from archival (AR-3), in memory: support
decides once; approval issues a zero-price invoice and EducationalLicenceGranted; a
RestoreRequested becomes one payable order, whatever the redeliveries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.domain import EducationalApplication
from services.billing.translations import translate
from shared.events import archival
from shared.events import billing as contracts
from shared.events.base import Envelope
from shared.kernel.inbox import Inbound
from shared.kernel.store import AlreadyHandled
from tests.support.billing import CAUSE, callback, memory_app, published
from tests.support.rules import refused

APPLICATION = {"institution_name": "دانشگاه تبریز", "licence_number": "۱۲۳/A", "contact_mobile": "۰۹۱۲۱۲۳۴۵۶۷"}


@pytest.fixture
def app() -> BillingApplication:
    return memory_app()


def test_support_approves_once_with_a_zero_price_invoice(app: BillingApplication) -> None:
    applicant, support = uuid.uuid4(), uuid.uuid4()
    submitted = app.educational.apply(applicant, APPLICATION, "edu-1", CAUSE)
    assert submitted["state"] == "submitted" and submitted["licence_number"] == "123/A"
    assert app.educational.apply(applicant, APPLICATION, "edu-1", CAUSE) == submitted
    refused("idempotency_key_reused", lambda: app.educational.apply(
        applicant, APPLICATION | {"licence_number": "124"}, "edu-1", CAUSE))
    approved = app.educational.approve(support, submitted["application_id"], CAUSE)
    assert approved["state"] == "approved"
    assert approved["invoice"]["total_rials"] == 0 and approved["invoice"]["lines"][0]["item"] == "educational"
    assert app.educational.approve(support, submitted["application_id"], CAUSE) == approved  # a double click
    refused("application_already_decided", lambda: app.educational.reject(support, submitted["application_id"],
                                                                          "late", CAUSE))
    (licence,) = published(app, submitted["application_id"])
    assert isinstance(licence, contracts.EducationalLicenceGrantedV1)
    assert licence.applicant_user_id == applicant and licence.approved_by_user_id == support
    assert licence.institution_name == "دانشگاه تبریز" and licence.products == ("educational",)
    # The licensed institution is a business its applicant can add to.
    assert app.place_order(applicant, {"kind": "add_on", "tenant_id": str(licence.tenant_id),
                                       "products": ["payroll"], "period_months": 12}, None, CAUSE)["invoice"]


def test_an_application_is_shown_to_its_applicant_and_support_only(app: BillingApplication) -> None:
    applicant = uuid.uuid4()
    submitted = app.educational.apply(applicant, APPLICATION, None, CAUSE)
    assert app.educational.application(applicant, submitted["application_id"], False) == submitted
    assert app.educational.application(uuid.uuid4(), submitted["application_id"], True) == submitted
    refused("not_found", lambda: app.educational.application(uuid.uuid4(), submitted["application_id"], False))
    refused("not_found", lambda: app.educational.application(applicant, uuid.uuid4(), True))


def test_a_rejected_application_grants_nothing(app: BillingApplication) -> None:
    submitted = app.educational.apply(uuid.uuid4(), APPLICATION, None, CAUSE)
    rejected = app.educational.reject(uuid.uuid4(), submitted["application_id"], "licence expired", CAUSE)
    assert rejected["state"] == "rejected"
    refused("application_already_decided", lambda: app.educational.approve(uuid.uuid4(),
                                                                           submitted["application_id"], CAUSE))
    events = app.repository.event_store.get(uuid.UUID(submitted["application_id"]))
    assert not [e for e in events if isinstance(e, EducationalApplication.Approved)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("change, code", [
    ({"licence_number": "12 34"}, "invalid_licence_number"),
    ({"licence_number": ""}, "invalid_licence_number"),
    ({"contact_mobile": "02188888888"}, "invalid_mobile"),
    ({"contact_mobile": 9121234567}, "invalid_mobile"),
    ({"institution_name": ""}, "invalid_business_name"),
    ({"institution_name": "a\u202eb"}, "invalid_business_name"),
])
def test_bad_applications_are_refused(app: BillingApplication, change: dict[str, object], code: str) -> None:
    before = app.recorder.max_notification_id()
    refused(code, lambda: app.educational.apply(uuid.uuid4(), APPLICATION | change, None, CAUSE))
    assert app.recorder.max_notification_id() == before


def test_a_restore_request_becomes_one_payable_order(app: BillingApplication) -> None:
    customer, tenant, restore_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    event = archival.RestoreRequestedV1(
        restore_id=restore_id, order_id=uuid.uuid5(restore_id, "order"), tenant_id=tenant,
        requested_by_user_id=customer, backup_id=uuid.uuid4(), backup_taken_at=datetime(2026, 1, 1, tzinfo=UTC),
        business_name="کافه نارنج", business_type="trading")
    envelope = Envelope(event_id=uuid.uuid4(), type=event.type, version=1, occurred_at=datetime.now(UTC),
                        producer=event.producer, producer_position=1, correlation_id="t",
                        payload=event.model_dump(mode="json"))
    policies.handle(app, app, Inbound(envelope, event, attempt=1))
    with pytest.raises(AlreadyHandled):
        policies.handle(app, app, Inbound(envelope, event, attempt=2))  # a redelivery changes nothing
    order = app.order(customer, event.order_id)
    assert order["kind"] == "restore" and order["tenant_id"] == str(tenant)
    assert order["invoice"]["subtotal_rials"] == 50_000_000 and order["invoice"]["total_rials"] == 55_000_000
    refused("order_kind_fixed", lambda: app.change_order(customer, event.order_id, {"products": ["accounting"]},
                                                         CAUSE))
    started = app.start_payment(customer, event.order_id, None, CAUSE)
    callback(app, started["payment_id"], started["redirect_url"], "success")
    (succeeded,) = [e for e in map(translate, app.repository.event_store.get(uuid.UUID(started["payment_id"])))
                    if e is not None]
    assert isinstance(succeeded, contracts.PaymentSucceededV1)
    assert succeeded.kind == "restore" and succeeded.products == () and succeeded.tenant_id == tenant


def test_a_second_restore_request_with_the_same_order_is_only_marked_handled(app: BillingApplication) -> None:
    customer, tenant, restore_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    event = archival.RestoreRequestedV1(
        restore_id=restore_id, order_id=uuid.uuid5(restore_id, "order"), tenant_id=tenant,
        requested_by_user_id=customer, backup_id=uuid.uuid4(), backup_taken_at=datetime(2026, 1, 1, tzinfo=UTC),
        business_name="کافه نارنج", business_type="trading")
    app.open_restore_order(event, CAUSE)
    first = app.order(customer, event.order_id)
    app.open_restore_order(event, CAUSE)
    assert app.order(customer, event.order_id) == first
