"""What billing knows of each business's TE-2 limits, and the hard caps every paid raise must stay
within (issue #19). Tenancy owns the limits; billing follows them from tenancy's events
(``BusinessActivated``, ``LimitsRaised``) into one ``KnownLimits`` per business, so that a limits
order is refused past the caps when it is placed, changed, paid for, and once more before the
payment is verified (a payment not verified is reversed by the bank, never granted half).

Limits only rise, and each event carries the new values, so keeping the highest seen is right
whatever order the events arrive in. A business billing has heard nothing of has the base limits
(3 organizations, 10 concurrent users): the support desk's offer also passes tenancy's page, and
the higher of the two counts. A raise billing has not heard of yet (a race) reaches tenancy, which
grants up to the caps and tells what it could not (``LimitsCapped``, flagged here for support)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.billing.domain import NAMESPACE, Order
from services.billing.records import Records
from shared.events.tenancy import (
    BASE_CONCURRENT_USERS,
    BASE_ORGANIZATIONS,
    CONCURRENT_USERS_CEILING,
    ORGANIZATIONS_CEILING,
    LimitsCappedV1,
)
from shared.kernel.errors import DomainError
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause

# field of a limits purchase → (the limit it adds to, as tenancy names it; the hard cap)
CEILINGS = {"extra_organizations": ("max_organizations", ORGANIZATIONS_CEILING),
            "extra_concurrent_users": ("max_concurrent_users", CONCURRENT_USERS_CEILING)}
BASE = {"max_organizations": BASE_ORGANIZATIONS, "max_concurrent_users": BASE_CONCURRENT_USERS}


def known_limits_id(tenant_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"limits:{tenant_id}")


class KnownLimits(Aggregate):
    """One business's limits as tenancy last told billing (the highest seen)."""

    @event("Learned")
    def __init__(self, tenant_id: uuid.UUID, max_organizations: int, max_concurrent_users: int) -> None:
        self.tenant_id = tenant_id
        self.max_organizations, self.max_concurrent_users = max_organizations, max_concurrent_users

    @staticmethod
    def create_id(tenant_id: uuid.UUID, **_: object) -> uuid.UUID:
        return known_limits_id(tenant_id)

    def learn(self, max_organizations: int, max_concurrent_users: int) -> None:
        organizations = max(self.max_organizations, max_organizations)
        users = max(self.max_concurrent_users, max_concurrent_users)
        if (organizations, users) != (self.max_organizations, self.max_concurrent_users):
            self._raised(max_organizations=organizations, max_concurrent_users=users)

    @event("Raised")
    def _raised(self, max_organizations: int, max_concurrent_users: int) -> None:
        self.max_organizations, self.max_concurrent_users = max_organizations, max_concurrent_users

    def as_dict(self) -> dict[str, int]:
        return {"max_organizations": self.max_organizations, "max_concurrent_users": self.max_concurrent_users}


def check_ceilings(purchase: Mapping[str, Any], limits: Mapping[str, Any]) -> None:
    """Refuse ``limits_ceiling`` (with the most that could still be added) when the purchase's extras
    would take ``limits`` past a hard cap."""
    for field, (limit, ceiling) in CEILINGS.items():
        today = limits.get(limit)
        if type(today) is not int:
            raise DomainError("service_unavailable")  # tenancy's page did not say: never guess a limit
        if today + int(purchase.get(field) or 0) > ceiling:
            raise DomainError("limits_ceiling", field=field, ceiling=ceiling, current=today,
                              most=max(ceiling - today, 0))


class Limits:
    """The use cases (``app.limits``): following tenancy, the checks, the flag of a capped order."""

    def __init__(self, records: Records) -> None:
        self.records = records

    def learn(self, tenant_id: uuid.UUID, max_organizations: int, max_concurrent_users: int, cause: Cause) -> None:
        def attempt() -> None:
            found = self.records.get(known_limits_id(tenant_id))
            known = found if isinstance(found, KnownLimits) else None
            if known is not None:
                known.learn(max_organizations, max_concurrent_users)
            elif {"max_organizations": max_organizations, "max_concurrent_users": max_concurrent_users} != BASE:
                # (The base limits, as every new business's activation brings, are what ``of`` assumes
                # without a record: nothing is written for them but the delivery's tracking.)
                known = KnownLimits(tenant_id=tenant_id, max_organizations=max_organizations,
                                    max_concurrent_users=max_concurrent_users)
            self.records.save(known, cause=cause)

        self.records.retrying(attempt)

    def of(self, tenant_id: uuid.UUID, reported: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The business's limits as billing knows them; with ``reported`` (tenancy's page, read by the
        gateway) the higher of each."""
        known = self.records.get(known_limits_id(tenant_id))
        limits: dict[str, Any] = known.as_dict() if isinstance(known, KnownLimits) else dict(BASE)
        if reported is not None:
            limits = {k: max(v, r) if type(r := reported.get(k)) is int else r for k, v in limits.items()}
        return limits

    def check(self, purchase: Mapping[str, Any], tenant_id: uuid.UUID,
              reported: Mapping[str, Any] | None = None) -> None:
        if purchase["kind"] == "limits":
            check_ceilings(purchase, self.of(tenant_id, reported))

    def refusal(self, purchase: Mapping[str, Any], tenant_id: uuid.UUID) -> str | None:
        """Why a payment for ``purchase`` must not be verified now (None: it may)."""
        try:
            self.check(purchase, tenant_id)
        except DomainError as refused:
            return refused.code
        return None

    def flag_capped(self, capped: LimitsCappedV1, cause: Cause) -> None:
        """Tenancy could not grant all of a paid limits order: the order says so (the desk's case and
        the order page show it) and operators get an error line; support settles the money."""
        def attempt() -> None:
            order = self.records.get(capped.order_id)
            if isinstance(order, Order):
                order.capped(capped.payment_id, capped.short_organizations, capped.short_concurrent_users)
            self.records.save(order if isinstance(order, Order) else None, cause=cause)

        self.records.retrying(attempt)
        get_logger().error("billing.limits_capped", order_id=str(capped.order_id), tenant_id=str(capped.tenant_id),
                           short_organizations=capped.short_organizations,
                           short_concurrent_users=capped.short_concurrent_users)
