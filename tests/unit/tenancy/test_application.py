"""Tenancy's rules through its application, in memory, driven by the integration events it
consumes (PR-3, TE-1 … TE-3, AR-1, X-2): activation, members and permissions, organizations,
seats, support limits, renewal, lapse and reactivation, archival's facts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.tenancy.application import TenancyApplication
from services.tenancy.domain import Business
from shared.events import archival, billing, tenancy
from shared.kernel.errors import DomainError
from shared.kernel.store import AlreadyHandled
from tests.support.rules import refused
from tests.support.tenancy import CAUSE, deliver, payment, published, register


def test_payment_activates_the_business_with_the_payer_as_admin_once(app: TenancyApplication) -> None:
    admin = register(app, 1)
    tenant, event_id = uuid.uuid4(), uuid.uuid4()
    paid = payment(tenant, admin)
    deliver(app, paid, event_id)
    with pytest.raises(AlreadyHandled):
        deliver(app, paid, event_id)
    deliver(app, paid)  # the same payment under another envelope: still one business
    page = app.business_page(tenant, admin, [])
    assert page["state"] == "active" and page["name"] == "فروشگاه آفتاب"
    assert page["members"][0]["role"] == "admin" and page["members"][0]["mobile"] == "+989120000001"
    assert page["limits"] == {"max_members": 3, "max_organizations": 3, "max_concurrent_users": 10}
    assert page["subscription"]["ends_at"]["utc"] == paid.period_end.isoformat()
    assert page["subscription"]["ends_at"]["jalali"][0] in "۰۱۲۳۴۵۶۷۸۹"
    kinds = [type(e).__name__ for e in published(app)]
    assert kinds.count("BusinessActivatedV1") == 1 and kinds.count("MemberAddedV1") == 1


def test_the_educational_licence_activates_too(app: TenancyApplication) -> None:
    applicant, tenant = register(app, 2), uuid.uuid4()
    now = datetime.now(UTC)
    deliver(app, billing.EducationalLicenceGrantedV1(
        application_id=uuid.uuid4(), tenant_id=tenant, applicant_user_id=applicant, institution_name="دانشگاه تهران",
        licence_number="EDU-1", period_start=now, period_end=now + timedelta(days=365),
        approved_by_user_id=uuid.uuid4()))
    page = app.business_page(tenant, applicant, [])
    assert page["activated_by"] == "educational_licence" and page["business_type"] == "educational"


def test_members_by_mobile_up_to_three_seats(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    first, second, third = register(app, 11), register(app, 12), register(app, 13)
    added = app.add_member(tenant, admin, "۰۹۱۲ ۰۰۰ ۰۰۱۱", ["sales.read", "accounting.vouchers.read"], CAUSE)
    assert added == {"user_id": str(first), "permissions": ["accounting.vouchers.read", "sales.read"]}
    refused("already_a_member", lambda: app.add_member(tenant, admin, "09120000011", [], CAUSE))
    app.add_member(tenant, admin, "09120000012", [], CAUSE)
    refused("seat_limit_reached", lambda: app.add_member(tenant, admin, "09120000013", [], CAUSE))
    refused("user_not_registered", lambda: app.add_member(tenant, admin, "09129999999", [], CAUSE))
    refused("invalid_mobile", lambda: app.add_member(tenant, admin, "0212345", [], CAUSE))
    refused("forbidden", lambda: app.add_member(tenant, first, "09120000013", [], CAUSE))  # only the admin
    refused("unknown_permission", lambda: app.set_permissions(tenant, admin, first, ["root.all"], CAUSE))
    refused("permission_not_purchased", lambda: app.set_permissions(tenant, admin, first, ["payroll.read"], CAUSE))
    refused("cannot_change_admin", lambda: app.remove_member(tenant, admin, admin, CAUSE))
    app.remove_member(tenant, admin, second, CAUSE)
    app.add_member(tenant, admin, "09120000013", ["inventory.write"], CAUSE)
    page = app.business_page(tenant, third, [])
    assert page["seats_used"] == 3
    assert page["permissions_open"] == ["accounting.vouchers.read", "accounting.vouchers.write",
                                        "accounting.reports.read", "treasury.read", "treasury.write",
                                        "inventory.read", "inventory.write", "sales.read", "sales.write"]
    assert {m["user_id"]: m["permissions"] for m in page["members"]}[str(third)] == ["inventory.write"]
    refused("forbidden", lambda: app.business_page(tenant, second, []))  # removed: no longer sees it
    assert app.business_page(tenant, uuid.uuid4(), ["support"])["tenant_id"] == str(tenant)
    removed = [e for e in published(app) if isinstance(e, tenancy.MemberRemovedV1)]
    assert [e.user_id for e in removed] == [second]


def test_one_person_in_two_businesses_with_different_rights(app: TenancyApplication,
                                                            shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    other_admin, other = register(app, 21), uuid.uuid4()
    deliver(app, payment(other, other_admin, business_name="کارخانه البرز", products=("accounting", "payroll")))
    person = register(app, 22)
    app.add_member(tenant, admin, "09120000022", ["sales.read"], CAUSE)
    app.add_member(other, other_admin, "09120000022", ["payroll.write"], CAUSE)
    app.set_permissions(other, other_admin, person, ["payroll.read", "payroll.write"], CAUSE)
    rights = {page["name"]: {m["user_id"]: m["permissions"] for m in page["members"]}[str(person)]
              for page in (app.business_page(tenant, person, []), app.business_page(other, person, []))}
    assert rights == {"فروشگاه آفتاب": ["sales.read"], "کارخانه البرز": ["payroll.read", "payroll.write"]}
    # what each admin may grant follows what each business bought
    assert "payroll.write" in app.business_page(other, person, [])["permissions_open"]
    assert "payroll.write" not in app.business_page(tenant, person, [])["permissions_open"]
    changed = [e for e in published(app) if isinstance(e, tenancy.MemberAddedV1) and e.user_id == person]
    assert [e.reason for e in changed] == ["added", "added", "permissions_changed"]


def test_organizations_at_most_three_and_support_raises_limits(app: TenancyApplication,
                                                               shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    for i, kind in enumerate(("branch", "office", "warehouse")):
        app.add_organization(tenant, admin, f"شعبه {i}", kind, CAUSE)
    refused("organization_limit_reached", lambda: app.add_organization(tenant, admin, "شعبه ۴", "branch", CAUSE))
    refused("organization_name_taken", lambda: app.add_organization(tenant, admin, "شعبه 0", "branch", CAUSE))
    refused("invalid_organization_kind", lambda: app.add_organization(tenant, admin, "x", "castle", CAUSE))
    agent = uuid.uuid4()
    refused("limits_not_raised", lambda: app.raise_limits_by_support(
        tenant, agent, organizations=2, concurrent_users=None, members=None, cause=CAUSE))
    refused("invalid_limits", lambda: app.raise_limits_by_support(
        tenant, agent, organizations=10**6, concurrent_users=None, members=None, cause=CAUSE))
    assert app.raise_limits_by_support(tenant, agent, organizations=4, concurrent_users=None, members=5,
                                       cause=CAUSE) == {"organizations": 4, "concurrent_users": 10, "members": 5}
    app.add_organization(tenant, admin, "انبار مرکزی", "warehouse", CAUSE)
    raised = [e for e in published(app) if isinstance(e, tenancy.LimitsRaisedV1)]
    assert raised[0].source == "support" and raised[0].raised_by_user_id == agent and raised[0].max_members == 5
    orgs = [e for e in published(app) if isinstance(e, tenancy.OrganizationAddedV1)]
    assert [o.organizations_count for o in orgs] == [1, 2, 3, 4] and orgs[-1].max_organizations == 4
    deliver(app, payment(tenant, admin, kind="limits", products=(), extra_organizations=2, extra_concurrent_users=5))
    assert app.business_page(tenant, admin, [])["limits"]["max_organizations"] == 6


def test_seats_are_leases_that_free_themselves(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    org = app.add_organization(tenant, admin, "شعبه شمال", "branch", CAUSE)["organization_id"]
    sessions = [app.seats.take_seat(org, admin, CAUSE)["session_id"] for _ in range(10)]
    refused("concurrent_user_limit", lambda: app.seats.take_seat(org, admin, CAUSE))
    refused("forbidden", lambda: app.seats.take_seat(org, uuid.uuid4(), CAUSE))
    app.seats.release_seat(org, sessions[0], admin, CAUSE)
    sessions[0] = app.seats.take_seat(org, admin, CAUSE)["session_id"]
    app.clock.set_offset(app.clock.offset_seconds + 90)
    app.seats.renew_seat(org, sessions[1], admin, CAUSE)  # heartbeats keep this one
    app.clock.set_offset(app.clock.offset_seconds + 60)
    refused("session_expired", lambda: app.seats.renew_seat(org, sessions[2], admin, CAUSE))
    for _ in range(9):  # nine leases ran out: their seats are free again
        app.seats.take_seat(org, admin, CAUSE)
    refused("concurrent_user_limit", lambda: app.seats.take_seat(org, admin, CAUSE))
    refused("session_not_found", lambda: app.seats.release_seat(org, uuid.uuid4(), admin, CAUSE))
    refused("organization_not_found", lambda: app.seats.take_seat(uuid.uuid4(), admin, CAUSE))
    assert app.business_page(tenant, admin, [])["organizations"][0]["concurrent_users"] == 10


def test_renewal_extends_and_lapse_happens_once_by_the_clock(app: TenancyApplication) -> None:
    admin, tenant = register(app, 1), uuid.uuid4()
    start = datetime.now(UTC) - timedelta(days=300)
    first = payment(tenant, admin, start=start)
    deliver(app, first)
    renewal = payment(tenant, admin, kind="renewal", start=first.period_end, days=30)
    deliver(app, renewal)
    assert app.business_page(tenant, admin, [])["subscription"]["ends_at"]["utc"] == renewal.period_end.isoformat()
    assert app.subscription.lapse_due() == 0
    app.clock.set_offset(int((renewal.period_end - datetime.now(UTC)).total_seconds()) + 60)
    assert app.subscription.lapse_due() == 1
    assert app.subscription.lapse_due() == 0
    # (a restarted process finding nothing more to lapse: tests/integration/test_tenancy_store.py)
    assert app.business_page(tenant, admin, [])["state"] == "lapsed"
    org_refused = refused("subscription_lapsed", lambda: app.add_organization(tenant, admin, "x", "branch", CAUSE))
    assert "ended_at" in org_refused.details
    late = payment(tenant, admin, kind="renewal", start=app.clock.now(), days=365)
    deliver(app, late)
    events = published(app)
    assert [type(e).__name__ for e in events].count("TenantLapsedV1") == 1
    lapse = next(e for e in events if isinstance(e, tenancy.TenantLapsedV1))
    assert lapse.lapsed_at == renewal.period_end
    back = next(e for e in events if isinstance(e, tenancy.TenantReactivatedV1))
    assert back.subscription_ends_at == late.period_end and back.payment_id == late.payment_id
    extended = next(e for e in events if isinstance(e, tenancy.SubscriptionExtendedV1))
    assert extended.previous_ends_at == first.period_end and extended.admin_user_id == admin
    assert app.business_page(tenant, admin, [])["state"] == "active"


def test_renewal_of_an_unknown_business_is_retried_not_lost(app: TenancyApplication) -> None:
    with pytest.raises(DomainError):
        deliver(app, payment(uuid.uuid4(), uuid.uuid4(), kind="renewal"))


def test_archival_facts_show_and_a_purge_refuses_changes(app: TenancyApplication,
                                                          shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    now = datetime.now(UTC)
    due = now + timedelta(days=90)
    deliver(app, archival.ArchivalScheduledV1(tenant_id=tenant, business_name="فروشگاه آفتاب", admin_user_id=admin,
                                              lapsed_at=now, deletion_due_at=due))
    assert app.business_page(tenant, admin, [])["deletion_due_at"]["utc"] == due.isoformat()
    deliver(app, archival.ArchivalCancelledV1(tenant_id=tenant, reason="operator", deletion_was_due_at=due,
                                              cancelled_at=now))
    assert app.business_page(tenant, admin, [])["deletion_due_at"] is None
    deliver(app, archival.TenantDataPurgedV1(tenant_id=tenant, lapsed_at=now, purged_at=due,
                                             datasets=({"kind": "ledgers", "records": 3},),  # type: ignore[arg-type]
                                             backups_retained_until=None))
    page = app.business_page(tenant, admin, [])
    assert page["state"] == "purged" and page["name"] == "[erased]"
    refused("business_purged", lambda: app.add_organization(tenant, admin, "x", "branch", CAUSE))
    refused("business_purged", lambda: app.add_member(tenant, admin, "09120000001", [], CAUSE))
    # A paid restore from backup brings the books back, lapsed until a renewal (AR-3).
    deliver(app, archival.RestoreCompletedV1(
        restore_id=uuid.uuid4(), tenant_id=tenant, backup_id=uuid.uuid4(), backup_taken_at=now,
        requested_by_user_id=admin, business_name="فروشگاه آفتاب", business_type="trading", admin_user_id=admin,
        products=("accounting",), fee_rials=5_000_000, restored_at=due + timedelta(days=1)))
    page = app.business_page(tenant, admin, [])
    assert page["state"] == "lapsed" and page["name"] == "فروشگاه آفتاب"
    app.clock.set_offset(int((due + timedelta(days=2) - datetime.now(UTC)).total_seconds()))
    deliver(app, payment(tenant, admin, kind="renewal", start=app.clock.now(), days=365))
    assert app.business_page(tenant, admin, [])["state"] == "active"
    assert any(isinstance(e, tenancy.TenantReactivatedV1) for e in published(app))


def test_business_page_refuses_strangers_and_unknown_ids(app: TenancyApplication,
                                                         shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, _ = shop
    refused("forbidden", lambda: app.business_page(tenant, uuid.uuid4(), ["customer"]))
    refused("business_not_found", lambda: app.business_page(uuid.uuid4(), uuid.uuid4(), ["support"]))
    refused("business_not_found", lambda: app.business_page("junk", uuid.uuid4(), ["support"]))
    assert isinstance(app.records.business(tenant), Business)


def test_a_removed_member_cannot_keep_a_seat_alive(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]
                                                   ) -> None:
    tenant, admin = shop
    member = register(app, 31)
    app.add_member(tenant, admin, "09120000031", [], CAUSE)
    org = app.add_organization(tenant, admin, "دفتر", "office", CAUSE)["organization_id"]
    session = app.seats.take_seat(org, member, CAUSE)["session_id"]
    refused("forbidden", lambda: app.seats.release_seat(org, session, uuid.uuid4(), CAUSE))
    app.remove_member(tenant, admin, member, CAUSE)
    refused("forbidden", lambda: app.seats.renew_seat(org, session, member, CAUSE))
    app.seats.release_seat(org, session, admin, CAUSE)  # the admin may free it at once
    assert app.business_page(tenant, admin, [])["organizations"][0]["concurrent_users"] == 0


def test_a_long_lived_seats_stream_is_read_from_its_snapshot(app: TenancyApplication,
                                                             shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    org = app.add_organization(tenant, admin, "دفتر", "office", CAUSE)["organization_id"]
    kept = app.seats.take_seat(org, admin, CAUSE)["session_id"]
    for _ in range(60):  # heartbeats and short sessions: 120 more events
        app.seats.renew_seat(org, kept, admin, CAUSE)
        app.seats.release_seat(org, app.seats.take_seat(org, admin, CAUSE)["session_id"], admin, CAUSE)
    assert app.snapshots is not None and list(app.snapshots.get(uuid.UUID(org)))
    # read back through the snapshot (a restarted process: tests/integration/test_tenancy_store.py)
    assert list(app.repository.get(uuid.UUID(org)).active(app.clock.now())) == [kept]
