"""Every tenancy limit under 50 parallel requests on SQLite and PostgreSQL (TE-2, PR-3, X-2):
exactly the limit is admitted, the rest are refused with the limit's error, nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import eventlet
import pytest

from services.tenancy.application import TenancyApplication
from shared.events import tenancy
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from tests.support.tenancy import CAUSE, deliver, payment, published, register

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> Iterator[TenancyApplication]:
    application = TenancyApplication(settings_for("tenancy"))
    yield application
    application.close()  # its connection pool, before the next test opens another


def fifty(action: Callable[[int], Any]) -> list[str]:
    def outcome(i: int) -> str:
        try:
            action(i)
            return "ok"
        except DomainError as error:
            return error.code

    return list(eventlet.GreenPool(50).imap(outcome, range(50)))


@pytest.fixture
def shop(app: TenancyApplication) -> tuple[uuid.UUID, uuid.UUID]:
    admin, tenant = register(app, 1), uuid.uuid4()
    deliver(app, payment(tenant, admin))
    return tenant, admin


def test_fifty_organizations_at_once_make_three(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    outcomes = fifty(lambda i: app.add_organization(tenant, admin, f"شعبه {i}", "branch", CAUSE))
    assert outcomes.count("ok") == 3 and outcomes.count("organization_limit_reached") == 47, outcomes
    assert len(app.business_page(tenant, admin, [])["organizations"]) == 3


def test_fifty_members_at_once_fill_the_two_free_seats(app: TenancyApplication,
                                                       shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    for i in range(50):
        register(app, 100 + i)
    outcomes = fifty(lambda i: app.add_member(tenant, admin, f"+98912{100 + i:07d}", ["sales.read"], CAUSE))
    assert outcomes.count("ok") == 2 and outcomes.count("seat_limit_reached") == 48, outcomes
    assert app.business_page(tenant, admin, [])["seats_used"] == 3


def test_fifty_sessions_at_once_take_ten_seats(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    org = app.add_organization(tenant, admin, "شعبه مرکزی", "office", CAUSE)["organization_id"]
    outcomes = fifty(lambda _: app.seats.take_seat(org, admin, CAUSE))
    assert outcomes.count("ok") == 10 and outcomes.count("concurrent_user_limit") == 40, outcomes
    assert app.business_page(tenant, admin, [])["organizations"][0]["concurrent_users"] == 10


def test_one_payment_delivered_fifty_times_at_once_activates_once(app: TenancyApplication) -> None:
    admin, tenant = register(app, 1), uuid.uuid4()
    paid = payment(tenant, admin)
    outcomes = fifty(lambda _: deliver(app, paid))  # as if re-sent under fifty envelopes
    assert outcomes == ["ok"] * 50
    activated = [e for e in published(app) if isinstance(e, tenancy.BusinessActivatedV1)]
    assert [e.tenant_id for e in activated] == [tenant]


def test_fifty_businesses_activated_at_once_are_all_watched_for_their_lapse(app: TenancyApplication) -> None:
    admin = register(app, 1)
    tenants = [uuid.uuid4() for _ in range(50)]
    outcomes = fifty(lambda i: deliver(app, payment(tenants[i], admin, days=2)))
    assert outcomes == ["ok"] * 50
    app.clock.set_offset(3 * 86400)
    assert app.subscription.lapse_due() == 50
