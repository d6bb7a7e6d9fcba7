"""The personal page's aggregates alone (ID-5, TE-3, AR-1 … AR-3): Memberships and BusinessView
keep the newest fact whatever order facts arrive in; a purge ends a business for good unless a
restore came after it — no store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.identity.personal_page import BusinessView, Membership, Memberships, business_view_id, memberships_id
from shared.kernel.subject_keys import Personal, business_subject

T0 = datetime(2026, 3, 21, 6, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def name(tenant: uuid.UUID, text: str = "فروشگاه آفتاب") -> Personal:
    return Personal(business_subject(tenant), text)


def test_ids_are_derived_from_the_user_and_the_business() -> None:
    user, tenant = uuid.uuid4(), uuid.uuid4()
    assert Memberships(user).id == memberships_id(user) != memberships_id(uuid.uuid4())
    assert BusinessView(tenant).id == business_view_id(tenant) != memberships_id(tenant)


def test_joining_and_leaving_keep_the_newest_fact() -> None:
    memberships, tenant = Memberships(uuid.uuid4()), uuid.uuid4()
    memberships.join(tenant, name(tenant), "member", ("sales.read",), T0)
    [place] = memberships.current()
    assert (place.role, place.permissions, place.member) == ("member", ("sales.read",), True)
    memberships.leave(tenant, name(tenant), T0 + HOUR)
    assert memberships.current() == [] and memberships.entries[str(tenant)].role == "member"
    memberships.collect_events()
    memberships.join(tenant, name(tenant), "admin", (), T0)  # older than the leaving: dropped, nothing written
    assert memberships.current() == [] and memberships.collect_events() == []


def test_a_fact_of_the_same_moment_applies() -> None:
    memberships, tenant = Memberships(uuid.uuid4()), uuid.uuid4()
    memberships.join(tenant, name(tenant), "member", (), T0)
    memberships.join(tenant, name(tenant), "admin", ("all",), T0)
    assert memberships.current()[0].role == "admin"


def test_a_new_view_is_activating_until_told() -> None:
    view = BusinessView(uuid.uuid4())
    assert view.subscription.state == "activating" and view.subscription.ends_at is None
    assert view.last_restore() is None and not view.predates_deletion(T0)


def test_an_older_change_does_not_undo_a_newer_one() -> None:
    view = BusinessView(uuid.uuid4())
    view.change(T0 + HOUR, state="lapsed", lapsed_at=T0 + HOUR)
    view.change(T0, state="active", business_type="trading", products=("accounting",), ends_at=T0)
    assert view.subscription.state == "lapsed" and view.subscription.business_type is None
    view.change(T0 + 2 * HOUR, state="active", lapsed_at=None)
    assert view.subscription.state == "active" and view.subscription.as_of == T0 + 2 * HOUR


def test_a_deletion_date_follows_its_own_order() -> None:
    view = BusinessView(uuid.uuid4())
    due = T0 + timedelta(days=90)
    view.schedule_deletion(due, T0 + HOUR)
    view.schedule_deletion(None, T0)  # a cancellation older than the schedule
    assert view.subscription.deletion_due_at == due
    view.schedule_deletion(None, T0 + 2 * HOUR)
    assert view.subscription.deletion_due_at is None


def test_a_purge_is_final_and_names_the_subject_to_forget() -> None:
    tenant = uuid.uuid4()
    view = BusinessView(tenant)
    assert view.purged(T0) is True
    assert view.subscription.state == "deleted" and view.predates_deletion(T0 + HOUR)
    view.change(T0 + HOUR, state="active")  # nothing after a purge but a restore brings it back
    assert view.subscription.state == "deleted"
    assert view.name_subjects() == [business_subject(tenant)]


def test_a_restore_brings_back_a_lapsed_business_and_its_admin_only() -> None:
    tenant, admin, clerk = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    view = BusinessView(tenant)
    view.schedule_deletion(T0, T0)
    view.purged(T0)
    restored_name = Personal(f"business:{tenant}:restore:r1", "فروشگاه آفتاب")
    view.restore(admin, restored_name, "trading", ("accounting",), T0 + HOUR)
    subscription = view.subscription
    assert (subscription.state, subscription.business_type, subscription.products) == ("lapsed", "trading",
                                                                                       ("accounting",))
    assert subscription.deletion_due_at is None and view.last_restore() == T0 + HOUR
    assert view.name_subjects() == [business_subject(tenant), f"business:{tenant}:restore:r1"]
    before = Membership(tenant, name(tenant), "member", (), True, T0)
    assert view.shows(admin, before) and not view.shows(clerk, before)
    assert view.shows(clerk, Membership(tenant, name(tenant), "member", (), True, T0 + 2 * HOUR))
    assert view.predates_deletion(T0 + HOUR / 2) and not view.predates_deletion(T0 + 2 * HOUR)


def test_a_purge_older_than_the_restore_is_ignored_and_a_later_one_stands() -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    view = BusinessView(tenant)
    view.purged(T0)
    view.restore(admin, Personal(f"business:{tenant}:restore:r1", "x"), "trading", (), T0 + HOUR)
    assert view.purged(T0) is False and view.subscription.state == "lapsed"
    view.restore(admin, Personal(f"business:{tenant}:restore:r0", "y"), "trading", (), T0 + HOUR / 2)  # older
    assert view.name_subjects()[-1] == f"business:{tenant}:restore:r1"
    assert view.purged(T0 + 2 * HOUR) is True and view.subscription.state == "deleted"


def test_a_forgotten_name_reads_as_the_restored_one() -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    view = BusinessView(tenant)
    kept = Membership(tenant, name(tenant), "admin", (), True, T0)
    assert view.name_for(kept) is kept.business_name  # nothing restored: the membership's own record
    view.purged(T0)
    restored = Personal(f"business:{tenant}:restore:r1", "فروشگاه آفتاب")
    view.restore(admin, restored, "trading", (), T0 + HOUR)
    forgotten = Membership(tenant, Personal(business_subject(tenant), None), "admin", (), True, T0)
    assert view.name_for(forgotten) is restored and view.name_for(kept) is kept.business_name
