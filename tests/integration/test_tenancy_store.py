"""Tenancy on SQLite and PostgreSQL (the wiring; the rules are tested in memory in
tests/unit/tenancy/): a business activated by billing's payment, a member by mobile, an
organization and its seats, a lapse by the clock, all read again by a restarted process —
including a seats stream long enough to be read from its snapshot (leases transcoded)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from services.tenancy.application import TenancyApplication
from shared.events import tenancy
from shared.kernel.clock import PlatformClock
from shared.kernel.config import Settings
from shared.kernel.store import AlreadyHandled
from tests.support.rules import refused
from tests.support.tenancy import CAUSE, deliver, payment, published, register

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> Iterator[TenancyApplication]:
    application = TenancyApplication(settings_for("tenancy"))
    yield application
    application.close()  # its connection pool, before the next test opens another


def test_a_business_its_members_seats_and_lapse_survive_a_restart(app: TenancyApplication) -> None:
    admin, tenant, event_id = register(app, 1), uuid.uuid4(), uuid.uuid4()
    paid = payment(tenant, admin, start=datetime.now(UTC) - timedelta(days=29), days=30)
    deliver(app, paid, event_id)
    with pytest.raises(AlreadyHandled):
        deliver(app, paid, event_id)
    member = register(app, 2)
    app.add_member(tenant, admin, "09120000002", ["sales.read"], CAUSE)
    org = app.add_organization(tenant, admin, "دفتر", "office", CAUSE)["organization_id"]
    kept = app.seats.take_seat(org, member, CAUSE)["session_id"]
    for _ in range(60):  # heartbeats and short sessions: 120 more events, a snapshot on the way
        app.seats.renew_seat(org, kept, member, CAUSE)
        app.seats.release_seat(org, app.seats.take_seat(org, admin, CAUSE)["session_id"], admin, CAUSE)
    assert app.snapshots is not None and list(app.snapshots.get(uuid.UUID(org)))
    app.clock.set_offset(2 * 86400)
    assert app.subscription.lapse_due() == 1

    again = TenancyApplication(app.settings, clock=PlatformClock(app.clock.offset_seconds))  # a restarted process
    try:
        assert again.subscription.lapse_due() == 0
        assert list(again.records.seats(org).active(datetime.now(UTC))) == [kept]
        page = again.business_page(tenant, admin, [])
        assert page["state"] == "lapsed" and page["name"] == "فروشگاه آفتاب"
        assert {m["user_id"]: m["mobile"] for m in page["members"]} == {str(admin): "+989120000001",
                                                                        str(member): "+989120000002"}
        refused("subscription_lapsed", lambda: again.add_organization(tenant, admin, "انبار", "warehouse", CAUSE))
    finally:
        again.close()
    kinds = [type(e).__name__ for e in published(app)]
    assert kinds.count("BusinessActivatedV1") == 1 and kinds.count("TenantLapsedV1") == 1
    assert any(isinstance(e, tenancy.OrganizationAddedV1) for e in published(app))
