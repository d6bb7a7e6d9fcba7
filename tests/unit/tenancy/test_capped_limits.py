"""A paid limits order past TE-2's hard caps (issue #19), in memory: billing checks the caps before it
verifies a payment, but a raise it had not heard of yet (a race) can still bring one here. Tenancy
must not refuse it (the money was taken; a refused event is dead-lettered): it raises what fits, up to
the caps, tells what it could not grant (LimitsCapped, for billing to flag for support), and a second
copy of the payment changes nothing."""

from __future__ import annotations

import uuid

from services.tenancy.application import TenancyApplication
from shared.events import tenancy
from tests.support.tenancy import CAUSE, deliver, memory_app, payment, published


def near_the_caps(organizations: int, users: int) -> tuple[TenancyApplication, uuid.UUID, uuid.UUID]:
    app, tenant, admin = memory_app(), uuid.uuid4(), uuid.uuid4()
    deliver(app, payment(tenant, admin))
    app.raise_limits_by_support(tenant, uuid.uuid4(), organizations=organizations, concurrent_users=users,
                                members=None, cause=CAUSE)
    return app, tenant, admin


def test_a_paid_raise_past_the_caps_grants_what_fits_and_tells_the_rest() -> None:
    app, tenant, admin = near_the_caps(998, 9_990)
    paid = payment(tenant, admin, kind="limits", products=(), extra_organizations=5, extra_concurrent_users=5)
    deliver(app, paid)
    deliver(app, paid, event_id=uuid.uuid4())  # another copy of the payment: applied once
    limits = app.business_page(tenant, admin, [])["limits"]
    assert (limits["max_organizations"], limits["max_concurrent_users"]) == (1000, 9_995)
    [capped] = [e for e in published(app) if isinstance(e, tenancy.LimitsCappedV1)]
    assert (capped.short_organizations, capped.short_concurrent_users) == (3, 0)
    assert (capped.order_id, capped.payment_id, capped.admin_user_id) == (paid.order_id, paid.payment_id, admin)
    assert (capped.max_organizations, capped.max_concurrent_users) == (1000, 9_995)
    raised = [e for e in published(app) if isinstance(e, tenancy.LimitsRaisedV1) and e.source == "purchase"]
    assert [(e.max_organizations, e.order_id) for e in raised] == [(1000, paid.order_id)]


def test_a_paid_raise_with_nothing_left_to_grant_is_told_not_dead_lettered() -> None:
    app, tenant, admin = near_the_caps(1000, 20)
    paid = payment(tenant, admin, kind="limits", products=(), extra_organizations=2)
    deliver(app, paid)
    deliver(app, paid, event_id=uuid.uuid4())
    assert app.business_page(tenant, admin, [])["limits"]["max_organizations"] == 1000
    [capped] = [e for e in published(app) if isinstance(e, tenancy.LimitsCappedV1)]
    assert (capped.short_organizations, capped.short_concurrent_users) == (2, 0)
    assert not [e for e in published(app) if isinstance(e, tenancy.LimitsRaisedV1) and e.source == "purchase"]


def test_a_paid_raise_within_the_caps_is_not_capped() -> None:
    app, tenant, admin = near_the_caps(990, 20)
    deliver(app, payment(tenant, admin, kind="limits", products=(), extra_organizations=10))
    assert app.business_page(tenant, admin, [])["limits"]["max_organizations"] == 1000
    assert not [e for e in published(app) if isinstance(e, tenancy.LimitsCappedV1)]
