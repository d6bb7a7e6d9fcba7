"""The personal page (ID-5, TE-3, AR-2) from tenancy's and archival's events, on SQLite and
PostgreSQL: several businesses with different rights, lapse, deletion date, purge, reorder."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.identity import policies
from services.identity.application import IdentityApplication
from shared.events import archival, tenancy
from shared.events.base import Envelope, IntegrationEvent
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.inbox import Inbound
from shared.kernel.sealing import development_keypair
from shared.kernel.store import AlreadyHandled, Cause

SettingsFor = Callable[..., Settings]
T0 = datetime(2026, 3, 21, 6, 30, tzinfo=UTC)  # 1405/01/01 in Tehran


@pytest.fixture
def app(settings_for: SettingsFor) -> IdentityApplication:
    settings = settings_for("identity")
    return IdentityApplication(settings, sealing_public_key=development_keypair(settings.var_dir / "keys")[1])


def deliver(app: IdentityApplication, event: IntegrationEvent, at: datetime, event_id: uuid.UUID | None = None) -> None:
    envelope = Envelope(event_id=event_id or uuid.uuid4(), type=event.type, version=1, occurred_at=at,
                        producer=event.producer, producer_position=1, correlation_id="t",
                        payload=event.model_dump(mode="json"))
    policies.handle(app, Inbound(envelope, event, attempt=1))


def activated(tenant: uuid.UUID, admin: uuid.UUID, name: str, at: datetime) -> tenancy.BusinessActivatedV1:
    return tenancy.BusinessActivatedV1(
        tenant_id=tenant, business_name=name, business_type="trading", admin_user_id=admin,
        products=("accounting",), activated_by="payment", source_id=uuid.uuid4(), subscription_starts_at=at,
        subscription_ends_at=at + timedelta(days=365), max_organizations=3, max_concurrent_users=10)


def member(tenant: uuid.UUID, user: uuid.UUID, name: str, role: str, permissions: tuple[str, ...]
           ) -> tenancy.MemberAddedV1:
    return tenancy.MemberAddedV1(tenant_id=tenant, business_name=name, user_id=user, mobile="+989121234567",
                                 role=role, permissions=permissions,  # type: ignore[arg-type]
                                 added_by_user_id=None if role == "admin" else uuid.uuid4())


def purge(tenant: uuid.UUID, lapsed_at: datetime, purged_at: datetime) -> archival.TenantDataPurgedV1:
    return archival.TenantDataPurgedV1.model_validate({
        "tenant_id": str(tenant), "lapsed_at": lapsed_at.isoformat(), "purged_at": purged_at.isoformat(),
        "datasets": [{"kind": "ledgers", "records": 1}], "backups_retained_until": None})


def page(app: IdentityApplication, user_id: uuid.UUID) -> dict[str, Any]:
    return app.personal_page(str(user_id))


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
            app.personal_page(junk)
