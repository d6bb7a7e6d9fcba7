"""The personal page (ID-5, TE-3, AR-2) from tenancy's and archival's events, in memory:
several businesses with different rights, lapse, deletion date, purge, restore, reorder."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.identity.application import IdentityApplication
from shared.events import archival, tenancy
from shared.kernel.errors import DomainError
from shared.kernel.store import AlreadyHandled, Cause
from tests.support.identity import T0, activated, deliver, identity_in_memory, member, page, purge


@pytest.fixture
def app() -> IdentityApplication:
    return identity_in_memory()


def test_one_person_in_two_businesses_with_different_rights(app: IdentityApplication) -> None:
    user = app.register("09121234567", "Str0ng!pass", Cause("t")).user_id
    shop, factory = uuid.uuid4(), uuid.uuid4()
    deliver(app, activated(shop, user, "فروشگاه آفتاب", T0), T0)
    deliver(app, member(shop, user, "فروشگاه آفتاب", "admin", ()), T0)
    deliver(app, member(factory, user, "کارخانه البرز", "member", ("accounting.vouchers.read",)), T0)
    me = page(app, user)
    assert me["user"]["mobile"] == "+989121234567"
    by_name = {b["business_name"]: b for b in me["businesses"]}
    assert by_name["فروشگاه آفتاب"]["role"] == "admin" and by_name["فروشگاه آفتاب"]["subscription_state"] == "active"
    assert by_name["فروشگاه آفتاب"]["subscription_ends_at"]["jalali"] == "۱۴۰۶/۰۱/۰۱"
    assert by_name["کارخانه البرز"]["permissions"] == ["accounting.vouchers.read"]
    assert by_name["کارخانه البرز"]["subscription_state"] == "activating"  # its activation not seen yet


def test_after_a_lapse_reports_stay_until_deletion(app: IdentityApplication) -> None:
    user = app.register("09121234567", "Str0ng!pass", Cause("t")).user_id
    shop = uuid.uuid4()
    deliver(app, activated(shop, user, "فروشگاه آفتاب", T0), T0)
    deliver(app, member(shop, user, "فروشگاه آفتاب", "admin", ()), T0)
    lapsed_at = T0 + timedelta(days=365)
    deliver(app, tenancy.TenantLapsedV1(tenant_id=shop, business_name="فروشگاه آفتاب", admin_user_id=user,
                                        lapsed_at=lapsed_at), lapsed_at)
    due = datetime(2027, 6, 21, 6, 30, tzinfo=UTC)
    deliver(app, archival.ArchivalScheduledV1(tenant_id=shop, business_name="فروشگاه آفتاب", admin_user_id=user,
                                              lapsed_at=lapsed_at, deletion_due_at=due), lapsed_at)
    business = page(app, user)["businesses"][0]
    assert business["subscription_state"] == "lapsed" and business["reports_available"] is True
    assert business["deletion_due_at"]["jalali"] == "۱۴۰۶/۰۳/۳۱"
    deliver(app, purge(shop, lapsed_at, due), due)
    business = page(app, user)["businesses"][0]
    assert business["subscription_state"] == "deleted" and business["reports_available"] is False
    # AR-1: the name went with the data; nothing identity stored reads as it any more.
    assert business["business_name"] == "کسب‌وکار حذف‌شده"
    stored = app.recorder.select_notifications(None, 10_000)
    assert not any("فروشگاه آفتاب".encode() in n.state for n in stored)
    assert app.keys.key_for(f"business:{shop}", create=False) is None


def test_a_restored_business_is_back_on_its_admins_page_only(app: IdentityApplication) -> None:
    admin = app.register("09121234567", "Str0ng!pass", Cause("t")).user_id
    clerk = app.register("09121234568", "Str0ng!pass", Cause("t")).user_id
    shop, name = uuid.uuid4(), "فروشگاه آفتاب"
    deliver(app, activated(shop, admin, name, T0), T0)
    deliver(app, member(shop, admin, name, "admin", ()), T0)
    deliver(app, member(shop, clerk, name, "member", ("sales.read",)), T0)
    due = T0 + timedelta(days=460)
    purged = purge(shop, T0 + timedelta(days=365), due)
    deliver(app, purged, due)
    assert page(app, admin)["businesses"][0]["subscription_state"] == "deleted"
    restored_at = due + timedelta(days=3)
    deliver(app, archival.RestoreCompletedV1(
        restore_id=uuid.uuid4(), tenant_id=shop, backup_id=uuid.uuid4(), backup_taken_at=T0, requested_by_user_id=admin,
        business_name=name, business_type="trading", admin_user_id=admin, products=("accounting",),
        fee_rials=50_000_000, restored_at=restored_at), restored_at)
    deliver(app, purged, due, uuid.uuid4())  # the purge again, late (another delivery): older than the restore
    [business] = page(app, admin)["businesses"]
    assert business["subscription_state"] == "lapsed" and business["reports_available"] is True
    assert business["business_name"] == name  # the restored name, which the late purge did not erase
    assert business["role"] == "admin" and business["deletion_due_at"] is None
    assert page(app, clerk)["businesses"] == []  # only the admin came back with the data (AR-3)
    deliver(app, member(shop, clerk, name, "member", ("sales.read",)), restored_at + timedelta(hours=1))
    assert page(app, clerk)["businesses"][0]["subscription_state"] == "lapsed"


def test_member_facts_arriving_after_the_purge_do_not_bring_the_name_back(app: IdentityApplication) -> None:
    # Tenancy's MemberAdded/MemberRemoved and archival's purge come from two producers, unordered.
    admin = app.register("09121234567", "Str0ng!pass", Cause("t")).user_id
    clerk = app.register("09121234568", "Str0ng!pass", Cause("t")).user_id
    leaver = app.register("09121234569", "Str0ng!pass", Cause("t")).user_id
    shop, name = uuid.uuid4(), "فروشگاه آفتاب"
    deliver(app, activated(shop, admin, name, T0), T0)
    deliver(app, member(shop, admin, name, "admin", ()), T0)
    deliver(app, member(shop, leaver, name, "member", ("sales.read",)), T0)
    due = T0 + timedelta(days=460)
    deliver(app, purge(shop, T0 + timedelta(days=365), due), due)
    assert app.keys.key_for(f"business:{shop}", create=False) is None
    # Both happened before the purge and arrive after it.
    deliver(app, member(shop, clerk, name, "member", ("sales.read",)), T0 + timedelta(days=10))
    deliver(app, tenancy.MemberRemovedV1(tenant_id=shop, business_name=name, user_id=leaver,
                                         removed_by_user_id=admin), T0 + timedelta(days=20))
    assert app.keys.key_for(f"business:{shop}", create=False) is None  # no new key sealed the old name
    assert page(app, clerk)["businesses"] == []
    assert page(app, leaver)["businesses"] == []
    assert page(app, admin)["businesses"][0]["business_name"] == "کسب‌وکار حذف‌شده"


def test_facts_arriving_out_of_order_do_not_undo_newer_ones(app: IdentityApplication) -> None:
    user = app.register("09121234567", "Str0ng!pass", Cause("t")).user_id
    shop = uuid.uuid4()
    removed = tenancy.MemberRemovedV1(tenant_id=shop, business_name="فروشگاه آفتاب", user_id=user,
                                      removed_by_user_id=uuid.uuid4())
    deliver(app, removed, T0 + timedelta(hours=1))
    deliver(app, member(shop, user, "فروشگاه آفتاب", "member", ()), T0)  # older: ignored
    assert page(app, user)["businesses"] == []
    lapse = tenancy.TenantLapsedV1(tenant_id=shop, business_name="فروشگاه آفتاب", admin_user_id=user,
                                   lapsed_at=T0 + timedelta(days=2))
    deliver(app, member(shop, user, "فروشگاه آفتاب", "member", ()), T0 + timedelta(hours=2))
    deliver(app, lapse, T0 + timedelta(days=2))
    deliver(app, activated(shop, user, "فروشگاه آفتاب", T0), T0)  # the older activation arrives late
    assert page(app, user)["businesses"][0]["subscription_state"] == "lapsed"


def test_a_redelivered_event_changes_nothing(app: IdentityApplication) -> None:
    user = app.register("09121234567", "Str0ng!pass", Cause("t")).user_id
    shop, event_id = uuid.uuid4(), uuid.uuid4()
    deliver(app, member(shop, user, "فروشگاه آفتاب", "admin", ()), T0, event_id)
    with pytest.raises(AlreadyHandled):
        deliver(app, member(shop, user, "فروشگاه آفتاب", "admin", ()), T0, event_id)


def test_the_page_of_an_unknown_user_is_refused(app: IdentityApplication) -> None:
    for junk in (str(uuid.uuid4()), "not-a-uuid", ""):
        with pytest.raises(DomainError):
            app.businesses.personal_page(junk)


def test_a_page_without_businesses_shows_the_user(app: IdentityApplication) -> None:
    user = app.register("09121234567", "Str0ng!pass", Cause("t"), locale="en").user_id
    assert page(app, user) == {"user": {"user_id": str(user), "mobile": "+989121234567", "verified": False,
                                        "locale": "en"}, "businesses": []}


def test_dates_are_shown_in_the_users_calendar_and_language(app: IdentityApplication) -> None:
    user = app.register("09121234567", "Str0ng!pass", Cause("t"), locale="en").user_id
    shop = uuid.uuid4()
    deliver(app, activated(shop, user, "Aftab", T0), T0)
    deliver(app, member(shop, user, "Aftab", "admin", ()), T0)
    [business] = page(app, user)["businesses"]
    assert business["subscription_ends_at"] == {"utc": (T0 + timedelta(days=365)).isoformat(), "jalali": "1406/01/01"}
    assert business["lapsed_at"] is None and business["products"] == ["accounting"]


def test_an_extension_and_a_reactivation_bring_the_business_back_to_active(app: IdentityApplication) -> None:
    user = app.register("09121234567", "Str0ng!pass", Cause("t")).user_id
    shop, name = uuid.uuid4(), "فروشگاه آفتاب"
    deliver(app, activated(shop, user, name, T0), T0)
    deliver(app, member(shop, user, name, "admin", ()), T0)
    lapsed_at = T0 + timedelta(days=365)
    deliver(app, tenancy.TenantLapsedV1(tenant_id=shop, business_name=name, admin_user_id=user,
                                        lapsed_at=lapsed_at), lapsed_at)
    due = lapsed_at + timedelta(days=90)
    deliver(app, archival.ArchivalScheduledV1(tenant_id=shop, business_name=name, admin_user_id=user,
                                              lapsed_at=lapsed_at, deletion_due_at=due), lapsed_at)
    back = lapsed_at + timedelta(days=10)
    deliver(app, archival.ArchivalCancelledV1(tenant_id=shop, reason="reactivated", deletion_was_due_at=due,
                                              cancelled_at=back), back)
    deliver(app, tenancy.TenantReactivatedV1(tenant_id=shop, business_name=name, admin_user_id=user,
                                             payment_id=uuid.uuid4(), lapsed_at=lapsed_at, reactivated_at=back,
                                             subscription_ends_at=back + timedelta(days=365)), back)
    [business] = page(app, user)["businesses"]
    assert business["subscription_state"] == "active" and business["lapsed_at"] is None
    assert business["deletion_due_at"] is None and business["reports_available"] is True
