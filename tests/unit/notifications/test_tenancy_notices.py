"""What tenancy's events tell people by SMS (NO-1, TE-2, TE-3): the right person, Persian
digits and Jalali dates in Persian, English too; nothing for facts that are not news."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.notifications.notices import notices_for
from shared.events import tenancy

TENANT, ADMIN, MEMBER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ENDS = datetime(2027, 3, 21, 6, 30, tzinfo=UTC)  # 1406/01/01 in Tehran


def member_added(**changes: object) -> tenancy.MemberAddedV1:
    values: dict[str, object] = dict(tenant_id=TENANT, business_name="فروشگاه آفتاب", user_id=MEMBER,
                                     mobile="+989121234567", role="member", permissions=("sales.read",),
                                     added_by_user_id=ADMIN)
    return tenancy.MemberAddedV1(**(values | changes))  # type: ignore[arg-type]


def test_the_added_member_hears_of_it_in_both_languages() -> None:
    [notice] = notices_for(member_added())
    assert notice.user_id == MEMBER and notice.template == "tenancy.member_added"
    assert "«فروشگاه آفتاب»" in notice.text("fa") and "added to the business" in notice.text("en")


def test_no_sms_for_the_admin_seat_or_a_change_of_rights() -> None:
    assert notices_for(member_added(role="admin", added_by_user_id=None)) == []
    assert notices_for(member_added(reason="permissions_changed")) == []


def test_limits_extension_and_reactivation_tell_the_admin() -> None:
    [raised] = notices_for(tenancy.LimitsRaisedV1(
        tenant_id=TENANT, max_organizations=5, max_concurrent_users=15, previous_max_organizations=3,
        previous_max_concurrent_users=10, source="support", order_id=None, raised_by_user_id=uuid.uuid4(),
        admin_user_id=ADMIN, business_name="فروشگاه آفتاب"))
    assert raised.user_id == ADMIN and "۵ سازمان" in raised.text("fa") and "15 concurrent" in raised.text("en")
    [extended] = notices_for(tenancy.SubscriptionExtendedV1(
        tenant_id=TENANT, business_name="فروشگاه آفتاب", payment_id=uuid.uuid4(), products=("accounting",),
        previous_ends_at=datetime(2026, 3, 21, tzinfo=UTC), subscription_ends_at=ENDS, admin_user_id=ADMIN))
    assert extended.user_id == ADMIN and "۱۴۰۶/۰۱/۰۱" in extended.text("fa") and "1406/01/01" in extended.text("en")
    [back] = notices_for(tenancy.TenantReactivatedV1(
        tenant_id=TENANT, business_name="فروشگاه آفتاب", admin_user_id=ADMIN, payment_id=uuid.uuid4(),
        lapsed_at=datetime(2026, 3, 21, tzinfo=UTC), reactivated_at=datetime(2026, 4, 1, tzinfo=UTC),
        subscription_ends_at=ENDS))
    assert back.template == "tenancy.tenant_reactivated" and "۱۴۰۶/۰۱/۰۱" in back.text("fa")
