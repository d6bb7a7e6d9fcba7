"""Tenancy's business aggregate without a store (PR-3, TE-1 … TE-3, AR-1): each rule, and the
state after each event, by the times passed in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.tenancy.domain import ALL_PERMISSIONS, Business, Limits, Member, Organization, permissions_open_to
from shared.http.errors import ERRORS
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal

T0 = datetime(2026, 3, 21, 6, 30, tzinfo=UTC)
END = T0 + timedelta(days=365)
ADMIN = uuid.uuid4()
ACCOUNTING_OPEN = ("accounting.vouchers.read", "accounting.vouchers.write", "accounting.reports.read",
                   "treasury.read", "treasury.write", "inventory.read", "inventory.write", "sales.read", "sales.write")


def business(products: tuple[str, ...] = ("accounting",), **limits: int) -> Business:
    tenant = uuid.uuid4()
    shop = Business.activate(tenant_id=tenant, name=Personal(f"business:{tenant}", "آفتاب"), business_type="trading",
                             products=products, admin_user_id=ADMIN, admin_mobile=None, activated_by="payment",
                             source_id=uuid.uuid4(), starts_at=T0, ends_at=END)
    if limits:
        shop.raise_limits(organizations=limits.get("organizations"), concurrent_users=None,
                          members=limits.get("members"), source="support", order_id=None, agent=ADMIN)
    return shop


def code_of(action: Callable[[], object]) -> str:
    with pytest.raises(DomainError) as caught:
        action()
    return caught.value.code


def mobile(i: int) -> Personal:
    return Personal(f"user:{i}", f"+98912{i:07d}")


def member_of(shop: Business, permissions: tuple[str, ...] = ()) -> uuid.UUID:
    user = uuid.uuid4()
    shop.add_member(ADMIN, user, mobile(len(shop.members)), permissions)
    return user


def raise_limits(shop: Business, organizations: object = None, concurrent_users: object = None,
                 members: object = None, order_id: uuid.UUID | None = None) -> None:
    shop.raise_limits(organizations=organizations, concurrent_users=concurrent_users,  # type: ignore[arg-type]
                      members=members, source="support", order_id=order_id, agent=ADMIN)  # type: ignore[arg-type]


# -- activation (PR-3) --------------------------------------------------------------------
def test_activation_seats_the_payer_as_admin_with_every_permission_of_the_products() -> None:
    shop = business()
    assert shop.state == "active" and shop.ends_at == END and shop.lapsed_at is None
    assert shop.members == {str(ADMIN): Member("admin", ACCOUNTING_OPEN, None)}
    assert shop.limits == Limits(organizations=3, concurrent_users=10, members=3)
    assert [type(e).__name__ for e in shop.collect_events()] == ["Activated", "AdminSeated"]


def test_a_period_that_does_not_end_after_it_starts_is_refused() -> None:
    tenant = uuid.uuid4()
    assert code_of(lambda: Business.activate(
        tenant_id=tenant, name=Personal(f"business:{tenant}", "x"), business_type="trading", products=("accounting",),
        admin_user_id=ADMIN, admin_mobile=None, activated_by="payment", source_id=uuid.uuid4(), starts_at=T0,
        ends_at=T0)) == "invalid_period"


def test_the_activation_source_is_remembered() -> None:
    source = uuid.uuid4()
    shop = Business.activate(tenant_id=uuid.uuid4(), name=Personal("business:x", "x"), business_type="trading",
                             products=("accounting",), admin_user_id=ADMIN, admin_mobile=None, activated_by="payment",
                             source_id=source, starts_at=T0, ends_at=END)
    assert shop.seen(source) and not shop.seen(uuid.uuid4())


def test_permissions_open_follow_the_products_in_the_vocabulary_order() -> None:
    assert permissions_open_to(("accounting",)) == ACCOUNTING_OPEN
    assert permissions_open_to(("payroll", "fixed_assets")) == ("payroll.read", "payroll.write",
                                                                 "fixed_assets.read", "fixed_assets.write")
    assert permissions_open_to(()) == ()


# -- members and rights (PR-3, TE-3) ------------------------------------------------------
def test_a_member_is_added_with_checked_rights_in_a_stable_order() -> None:
    shop = business()
    user = uuid.uuid4()
    shop.add_member(ADMIN, user, mobile(5), ("sales.read", "accounting.vouchers.read", "sales.read"))
    assert shop.members[str(user)] == Member("member", ("accounting.vouchers.read", "sales.read"), mobile(5))
    assert shop.is_member(user) and not shop.is_admin(user) and shop.is_admin(ADMIN)


def test_only_the_admin_adds_members_and_nobody_twice() -> None:
    shop = business()
    user = member_of(shop)
    assert code_of(lambda: shop.add_member(user, uuid.uuid4(), mobile(7), ())) == "forbidden"
    assert code_of(lambda: shop.add_member(uuid.uuid4(), uuid.uuid4(), mobile(7), ())) == "forbidden"
    assert code_of(lambda: shop.add_member(ADMIN, user, mobile(7), ())) == "already_a_member"


def test_three_seats_the_admin_and_two_more_until_support_raises_them() -> None:
    shop = business()
    member_of(shop), member_of(shop)
    with pytest.raises(DomainError) as caught:
        member_of(shop)
    assert caught.value.code == "seat_limit_reached" and caught.value.details["limit"] == 3
    raise_limits(shop, members=4)
    member_of(shop)
    assert len(shop.members) == 4


def test_rights_outside_the_vocabulary_or_not_bought_are_refused() -> None:
    shop = business()
    with pytest.raises(DomainError) as caught:
        shop.add_member(ADMIN, uuid.uuid4(), mobile(8), ("root.all", "sales.read"))
    assert caught.value.code == "unknown_permission" and caught.value.details["permissions"] == ["root.all"]
    assert caught.value.details["allowed"] == list(ALL_PERMISSIONS)
    assert code_of(lambda: shop.add_member(ADMIN, uuid.uuid4(), mobile(8), ("payroll.read",))) == \
        "permission_not_purchased"
    assert len(shop.members) == 1


def test_changing_rights_is_recorded_only_when_they_change() -> None:
    shop = business()
    user = member_of(shop, ("sales.read",))
    shop.collect_events()
    shop.set_permissions(ADMIN, user, ("sales.read",))
    assert shop.collect_events() == []
    shop.set_permissions(ADMIN, user, ("sales.write", "sales.read"))
    assert [type(e).__name__ for e in shop.collect_events()] == ["PermissionsSet"]
    assert shop.members[str(user)].permissions == ("sales.read", "sales.write")
    assert shop.members[str(user)].mobile == mobile(1)  # the number stays with the member


def test_the_admin_cannot_be_changed_or_removed_and_strangers_are_not_found() -> None:
    shop = business()
    assert code_of(lambda: shop.set_permissions(ADMIN, ADMIN, ())) == "cannot_change_admin"
    assert code_of(lambda: shop.remove_member(ADMIN, ADMIN)) == "cannot_change_admin"
    assert code_of(lambda: shop.set_permissions(ADMIN, uuid.uuid4(), ())) == "member_not_found"
    assert code_of(lambda: shop.remove_member(ADMIN, uuid.uuid4())) == "member_not_found"


def test_a_removed_member_frees_a_seat() -> None:
    shop = business()
    user = member_of(shop)
    member_of(shop)
    assert code_of(lambda: shop.remove_member(user, ADMIN)) == "forbidden"
    shop.remove_member(ADMIN, user)
    assert not shop.is_member(user)
    member_of(shop)
    assert len(shop.members) == 3


# -- organizations (TE-1) -----------------------------------------------------------------
def test_at_most_three_organizations_each_counted_in_its_event() -> None:
    shop = business()
    shop.collect_events()
    for i, kind in enumerate(("office", "branch", "warehouse")):
        shop.add_organization(ADMIN, uuid.uuid4(), f"  شعبه {i}  ", kind)
    assert [(e.count, e.limit) for e in shop.collect_events()] == [(1, 3), (2, 3), (3, 3)]  # type: ignore[attr-defined]
    assert sorted(o.name for o in shop.organizations.values()) == ["شعبه 0", "شعبه 1", "شعبه 2"]  # trimmed
    with pytest.raises(DomainError) as caught:
        shop.add_organization(ADMIN, uuid.uuid4(), "شعبه ۴", "branch")
    assert caught.value.code == "organization_limit_reached" and caught.value.details["limit"] == 3


def test_a_fourth_organization_once_the_limit_is_raised() -> None:
    shop = business(organizations=4)
    for i in range(4):
        shop.add_organization(ADMIN, uuid.uuid4(), f"o{i}", "branch")
    assert len(shop.organizations) == 4


@pytest.mark.parametrize(("name", "kind", "code"), [
    ("", "office", "invalid_organization_name"),
    ("two\nlines", "office", "invalid_organization_name"),
    ("x" * 201, "office", "invalid_organization_name"),
    (7, "office", "invalid_organization_name"),
    ("انبار", "castle", "invalid_organization_kind"),
    ("انبار", None, "invalid_organization_kind"),
])
def test_an_organization_needs_a_plain_name_and_a_known_kind(name: object, kind: object, code: str) -> None:
    shop = business()
    assert code_of(lambda: shop.add_organization(ADMIN, uuid.uuid4(), name, kind)) == code
    assert shop.organizations == {}


def test_a_double_click_does_not_spend_a_second_organization() -> None:
    shop = business()
    org = uuid.uuid4()
    shop.add_organization(ADMIN, org, "دفتر", "office")
    assert code_of(lambda: shop.add_organization(ADMIN, uuid.uuid4(), "دفتر", "branch")) == "organization_name_taken"
    assert shop.organizations == {str(org): Organization("دفتر", "office")}


def test_only_the_admin_adds_organizations() -> None:
    shop = business()
    user = member_of(shop)
    assert code_of(lambda: shop.add_organization(user, uuid.uuid4(), "x", "office")) == "forbidden"


# -- limits (TE-2, PR-3) ------------------------------------------------------------------
def test_limits_only_rise_within_the_contract() -> None:
    shop = business()
    assert code_of(lambda: raise_limits(shop, organizations=3)) == "limits_not_raised"
    assert code_of(lambda: raise_limits(shop, organizations=2, members=5)) == "limits_not_raised"
    assert code_of(lambda: raise_limits(shop, organizations=0)) == "invalid_limits"
    assert code_of(lambda: raise_limits(shop, concurrent_users=10_001)) == "invalid_limits"
    assert code_of(lambda: raise_limits(shop, members=True)) == "invalid_limits"
    assert code_of(lambda: raise_limits(shop, members="5")) == "invalid_limits"
    assert shop.limits == Limits()


def test_a_raise_keeps_what_it_does_not_name_and_remembers_its_order() -> None:
    shop, order = business(), uuid.uuid4()
    shop.collect_events()
    raise_limits(shop, concurrent_users=25, order_id=order)
    assert shop.limits == Limits(organizations=3, concurrent_users=25, members=3)
    assert shop.seen(order)
    raised = shop.collect_events()[0]
    assert raised.limits == {"organizations": 3, "concurrent_users": 25, "members": 3}  # type: ignore[attr-defined]
    assert raised.previous == {"organizations": 3, "concurrent_users": 10, "members": 3}  # type: ignore[attr-defined]


# -- the subscription (BI-3, AR-1) --------------------------------------------------------
def test_a_renewal_extends_the_period_and_merges_products() -> None:
    shop, paid = business(), uuid.uuid4()
    shop.renew(paid, ("payroll", "accounting"), END + timedelta(days=30), T0)
    assert shop.ends_at == END + timedelta(days=30) and shop.products == ["accounting", "payroll"]
    assert shop.seen(paid)


def test_a_renewal_that_does_not_extend_changes_nothing_but_is_remembered() -> None:
    shop, payment = business(), uuid.uuid4()
    shop.renew(payment, ("accounting",), T0 + timedelta(days=10), T0)
    assert shop.ends_at == END and shop.seen(payment)


def test_lapse_only_after_the_end_and_only_once() -> None:
    shop = business()
    assert not shop.lapse_if_due(END - timedelta(seconds=1))
    assert shop.lapse_if_due(END + timedelta(days=35))
    assert not shop.lapse_if_due(END + timedelta(days=36))
    assert shop.state == "lapsed"
    assert shop.lapsed_at == END  # when it ended, not when it was noticed


def test_a_lapsed_business_is_read_only_until_a_renewal_reactivates_it() -> None:
    shop = business()
    shop.lapse_if_due(END)
    with pytest.raises(DomainError) as caught:
        shop.add_organization(ADMIN, uuid.uuid4(), "x", "office")
    assert caught.value.code == "subscription_lapsed" and caught.value.details["ended_at"] == END.isoformat()
    assert code_of(lambda: shop.add_member(ADMIN, uuid.uuid4(), mobile(9), ())) == "subscription_lapsed"
    shop.collect_events()
    shop.renew(uuid.uuid4(), ("accounting",), END + timedelta(days=365), END - timedelta(days=1))
    reactivated = shop.collect_events()[0]
    assert type(reactivated).__name__ == "Reactivated"
    assert reactivated.reactivated_at == END + timedelta(seconds=1)  # type: ignore[attr-defined]
    assert shop.state == "active" and shop.lapsed_at is None
    shop.check_changeable()


def test_a_renewal_ending_before_now_does_not_reactivate() -> None:
    shop, paid = business(), uuid.uuid4()
    shop.lapse_if_due(END)
    shop.renew(paid, ("accounting",), END + timedelta(days=1), END + timedelta(days=2))
    assert shop.state == "lapsed" and shop.seen(paid)


def test_an_add_on_opens_its_permissions_to_the_admin() -> None:
    shop = business()
    assert "payroll.read" not in shop.members[str(ADMIN)].permissions
    shop.add_products(uuid.uuid4(), ("payroll", "accounting"))
    assert shop.products == ["accounting", "payroll"]
    assert shop.members[str(ADMIN)].permissions == permissions_open_to(("accounting", "payroll"))


# -- archival's facts (AR-1, AR-3) --------------------------------------------------------
def test_deletion_date_is_shown_and_cleared() -> None:
    shop = business()
    shop.deletion_scheduled(END + timedelta(days=90))
    assert shop.deletion_due_at == END + timedelta(days=90)
    shop.deletion_scheduled(None)
    assert shop.deletion_due_at is None


def test_a_purge_keeps_only_who_the_admin_was_and_refuses_everything() -> None:
    shop = business()
    member_of(shop)
    shop.add_organization(ADMIN, uuid.uuid4(), "دفتر", "office")
    shop.deletion_scheduled(END)
    shop.purged(END + timedelta(days=90))
    assert shop.state == "purged" and shop.deletion_due_at is None and shop.organizations == {}
    assert shop.members == {str(ADMIN): Member("admin", (), None)}
    assert code_of(lambda: shop.add_organization(ADMIN, uuid.uuid4(), "x", "office")) == "business_purged"
    assert code_of(lambda: raise_limits(shop, members=5)) == "business_purged"
    assert code_of(lambda: shop.renew(uuid.uuid4(), (), END + timedelta(days=900), END)) == "business_purged"
    assert code_of(lambda: shop.add_products(uuid.uuid4(), ("payroll",))) == "business_purged"
    assert not shop.lapse_if_due(END + timedelta(days=1000))


def test_a_restore_brings_the_business_back_lapsed_under_a_new_name_subject() -> None:
    shop = business()
    shop.purged(END + timedelta(days=90))
    name = Personal(f"business:{shop.tenant_id}:{uuid.uuid4()}", "آفتاب")
    new_admin = uuid.uuid4()
    shop.restored(name, new_admin, ("accounting",), END + timedelta(days=100))
    assert shop.state == "lapsed" and shop.name == name and shop.admin_user_id == str(new_admin)
    assert shop.lapsed_at == END + timedelta(days=100)
    assert shop.members == {str(new_admin): Member("admin", ACCOUNTING_OPEN, None)}


def test_every_error_tenancy_raises_has_a_persian_and_english_message() -> None:
    root = Path(__file__).resolve().parents[3]
    source = "".join(p.read_text() for p in (root / "services" / "tenancy").glob("*.py"))
    raised = set(re.findall(r'DomainError\("([a-z_]+)"', source)) | set(re.findall(r'parse_id\(\w+, "([a-z_]+)"',
                                                                                    source))
    assert {"seat_limit_reached", "organization_limit_reached", "concurrent_user_limit", "unauthorized"} <= raised
    for code in raised:
        status, fa, en = ERRORS[code]
        assert 400 <= status < 600 and fa and en and fa != en, code
