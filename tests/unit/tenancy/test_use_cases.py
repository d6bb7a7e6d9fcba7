"""How tenancy's use cases are composed and fed, in memory: the seat lease the application is
given, ids from outside, the directory, the platform's clock, what a purge stops announcing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.tenancy.application import TenancyApplication
from shared.events import archival, identity, ops, tenancy
from shared.kernel.store import AlreadyHandled
from tests.support.rules import refused
from tests.support.tenancy import CAUSE, deliver, memory_app, payment, published, register


def test_the_seat_lease_is_the_one_the_application_is_given() -> None:
    app = memory_app(seat_lease=timedelta(seconds=30))
    admin, tenant = register(app, 1), uuid.uuid4()
    deliver(app, payment(tenant, admin))
    org = app.add_organization(tenant, admin, "دفتر", "office", CAUSE)["organization_id"]
    taken = app.seats.take_seat(org, admin, CAUSE)
    assert taken["heartbeat_seconds"] == 15
    expires_at = datetime.fromisoformat(taken["expires_at"])
    assert timedelta(seconds=29) < expires_at - app.clock.now() <= timedelta(seconds=30)


def test_ids_that_cannot_exist_name_nothing(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    org = app.add_organization(tenant, admin, "دفتر", "office", CAUSE)["organization_id"]
    refused("organization_not_found", lambda: app.seats.take_seat("junk", admin, CAUSE))
    refused("organization_not_found", lambda: app.seats.take_seat(tenant, admin, CAUSE))  # a business, not an org
    refused("business_not_found", lambda: app.records.business(org))  # an organization, not a business
    refused("session_not_found", lambda: app.seats.renew_seat(org, "junk", admin, CAUSE))
    refused("session_not_found", lambda: app.seats.release_seat(org, "junk", admin, CAUSE))
    refused("member_not_found", lambda: app.set_permissions(tenant, admin, "junk", [], CAUSE))
    refused("member_not_found", lambda: app.remove_member(tenant, admin, "junk", CAUSE))
    refused("unknown_permission", lambda: app.add_member(tenant, admin, "09120000001", "sales.read", CAUSE))


def test_the_directory_knows_a_number_once_and_a_verified_number_too(app: TenancyApplication) -> None:
    user = register(app, 3)
    deliver(app, identity.UserRegisteredV1(user_id=user, mobile="+989120000003"))  # again: nothing new
    assert app.directory.user_with_mobile("+989120000003") == user
    assert app.directory.user_with_mobile("+989120000004") is None
    other = uuid.uuid4()
    deliver(app, identity.MobileVerifiedV1(user_id=other, mobile="+989120000004"))
    assert app.directory.user_with_mobile("+989120000004") == other
    mobile = app.directory.mobile_of(other)
    assert mobile is not None and mobile.value == "+989120000004" and mobile.subject == f"user:{other}"
    assert app.directory.mobile_of(uuid.uuid4()) is None


def test_strangers_learn_nothing_about_numbers(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, _ = shop
    refused("forbidden", lambda: app.add_member(tenant, uuid.uuid4(), "09129999999", [], CAUSE))


def test_a_clock_advanced_by_the_platform_lapses_what_ended(app: TenancyApplication) -> None:
    admin, tenant = register(app, 1), uuid.uuid4()
    deliver(app, payment(tenant, admin, days=2))
    event_id = uuid.uuid4()
    deliver(app, ops.ClockAdvancedV1(seconds=3 * 86400), event_id)
    assert app.business_page(tenant, admin, [])["state"] == "lapsed"
    with pytest.raises(AlreadyHandled):
        deliver(app, ops.ClockAdvancedV1(seconds=3 * 86400), event_id)
    assert app.clock.offset_seconds == 3 * 86400


def test_limits_bought_add_to_todays(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    paid = payment(tenant, admin, kind="limits", products=(), extra_organizations=1, extra_concurrent_users=5)
    deliver(app, paid)
    deliver(app, paid)  # the same order again: applied once
    page = app.business_page(tenant, admin, [])
    assert page["limits"] == {"max_members": 3, "max_organizations": 4, "max_concurrent_users": 15}
    raised = [e for e in published(app) if isinstance(e, tenancy.LimitsRaisedV1)]
    assert [(e.source, e.order_id) for e in raised] == [("purchase", paid.order_id)]


def test_an_add_on_opens_its_permissions_without_an_announcement(app: TenancyApplication,
                                                                 shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    before = len(published(app))
    deliver(app, payment(tenant, admin, kind="add_on", products=("payroll",)))
    assert "payroll.write" in app.business_page(tenant, admin, [])["permissions_open"]
    assert len(published(app)) == before


def test_a_purged_business_is_no_longer_announced(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, _ = shop
    now = datetime.now(UTC)
    assert any(isinstance(e, tenancy.BusinessActivatedV1) for e in published(app))
    deliver(app, archival.TenantDataPurgedV1(tenant_id=tenant, lapsed_at=now, purged_at=now + timedelta(days=90),
                                             datasets=({"kind": "ledgers", "records": 3},),  # type: ignore[arg-type]
                                             backups_retained_until=None))
    assert not any(isinstance(e, tenancy.BusinessActivatedV1 | tenancy.MemberAddedV1) for e in published(app))
