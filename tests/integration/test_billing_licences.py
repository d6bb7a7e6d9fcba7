"""Educational licences (BI-4) and restore orders from archival (AR-3), on SQLite and
PostgreSQL: support decides once; approval issues a zero-price invoice and
EducationalLicenceGranted; a RestoreRequested becomes one payable order, whatever the redeliveries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.domain import EducationalApplication
from services.billing.translations import translate
from shared.events import archival
from shared.events import billing as contracts
from shared.events.base import Envelope
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.inbox import Inbound
from shared.kernel.store import AlreadyHandled
from tests.support.billing import CAUSE, billing_app, pay_at_sandbox, sandbox_server

SettingsFor = Callable[..., Settings]
APPLICATION = {"institution_name": "دانشگاه تبریز", "licence_number": "۱۲۳/الف".replace("الف", "A"),
               "contact_mobile": "۰۹۱۲۱۲۳۴۵۶۷"}


@pytest.fixture
def app(settings_for: SettingsFor) -> Iterator[BillingApplication]:
    with sandbox_server() as url:
        yield billing_app(settings_for("billing"), url)


def test_support_approves_once_with_a_zero_price_invoice(app: BillingApplication) -> None:
    applicant, support = uuid.uuid4(), uuid.uuid4()
    submitted = app.apply_for_educational(applicant, APPLICATION, "edu-1", CAUSE)
    assert submitted["state"] == "submitted" and submitted["licence_number"] == "123/A"
    assert app.apply_for_educational(applicant, APPLICATION, "edu-1", CAUSE) == submitted
    approved = app.approve_educational(support, submitted["application_id"], CAUSE)
    assert approved["state"] == "approved"
    assert approved["invoice"]["total_rials"] == 0 and approved["invoice"]["lines"][0]["item"] == "educational"
    assert app.approve_educational(support, submitted["application_id"], CAUSE) == approved  # a double click
    with pytest.raises(DomainError, match="application_already_decided"):
        app.reject_educational(support, submitted["application_id"], "late", CAUSE)
    granted = [translate(e) for e in app.repository.event_store.get(uuid.UUID(submitted["application_id"]))]
    (licence,) = [e for e in granted if e is not None]
    assert isinstance(licence, contracts.EducationalLicenceGrantedV1)
    assert licence.applicant_user_id == applicant and licence.approved_by_user_id == support
    assert licence.institution_name == "دانشگاه تبریز" and licence.products == ("educational",)
    # The licensed institution is a business its applicant can add to.
    assert app.place_order(applicant, {"kind": "add_on", "tenant_id": str(licence.tenant_id),
                                       "products": ["payroll"], "period_months": 12}, None, CAUSE)["invoice"]


def test_a_rejected_application_grants_nothing(app: BillingApplication) -> None:
    submitted = app.apply_for_educational(uuid.uuid4(), APPLICATION, None, CAUSE)
    assert app.reject_educational(uuid.uuid4(), submitted["application_id"], "licence expired", CAUSE)["state"] \
        == "rejected"
    with pytest.raises(DomainError, match="application_already_decided"):
        app.approve_educational(uuid.uuid4(), submitted["application_id"], CAUSE)
    events = app.repository.event_store.get(uuid.UUID(submitted["application_id"]))
    assert not [e for e in events if isinstance(e, EducationalApplication.Approved)]  # type: ignore[attr-defined]


def test_bad_applications_are_refused(app: BillingApplication) -> None:
    for change, code in (({"licence_number": "12 34"}, "invalid_licence_number"),
                         ({"contact_mobile": "02188888888"}, "invalid_mobile"),
                         ({"institution_name": ""}, "invalid_business_name")):
        with pytest.raises(DomainError) as caught:
            app.apply_for_educational(uuid.uuid4(), APPLICATION | change, None, CAUSE)
        assert caught.value.code == code


def test_a_restore_request_becomes_one_payable_order(app: BillingApplication) -> None:
    customer, tenant, restore_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    event = archival.RestoreRequestedV1(
        restore_id=restore_id, order_id=uuid.uuid5(restore_id, "order"), tenant_id=tenant,
        requested_by_user_id=customer, backup_id=uuid.uuid4(), backup_taken_at=datetime(2026, 1, 1, tzinfo=UTC),
        business_name="کافه نارنج", business_type="trading")
    envelope = Envelope(event_id=uuid.uuid4(), type=event.type, version=1, occurred_at=datetime.now(UTC),
                        producer=event.producer, producer_position=1, correlation_id="t",
                        payload=event.model_dump(mode="json"))
    policies.handle(app, Inbound(envelope, event, attempt=1))
    with pytest.raises(AlreadyHandled):
        policies.handle(app, Inbound(envelope, event, attempt=2))  # a redelivery changes nothing
    order = app.order(customer, event.order_id)
    assert order["kind"] == "restore" and order["tenant_id"] == str(tenant)
    assert order["invoice"]["subtotal_rials"] == 50_000_000 and order["invoice"]["total_rials"] == 55_000_000
    started = app.start_payment(customer, event.order_id, None, CAUSE)
    back = pay_at_sandbox(started["redirect_url"], "success")
    assert back is not None
    app.payment_callback(started["payment_id"], back[0], back[1], CAUSE)
    (succeeded,) = [e for e in map(translate, app.repository.event_store.get(uuid.UUID(started["payment_id"])))
                    if e is not None]
    assert isinstance(succeeded, contracts.PaymentSucceededV1)
    assert succeeded.kind == "restore" and succeeded.products == () and succeeded.tenant_id == tenant
