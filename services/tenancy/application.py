"""Tenancy's use cases: members and organizations managed by the admin, limits raised by
support, the user directory and the business page (PR-3, TE-1 … TE-3). The subscription
(billing's and archival's facts, the lapse) is in subscription_use_cases.py, concurrent-use
seats in seat_use_cases.py.

Every change is get → mutate → save on one business's stream; a concurrent change makes the
save fail (optimistic concurrency) and the command runs again on fresh state, so a limit is
decided by the store, never by a count read in one place and written in another."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, OperationalError

from services.tenancy.calendar import SubscriptionCalendar, calendar_id
from services.tenancy.directory import MobileEntry, Person, person_id
from services.tenancy.domain import Business
from services.tenancy.seat_use_cases import SeatUseCases
from services.tenancy.seats import OrganizationSeats
from services.tenancy.subscription_use_cases import SubscriptionUseCases
from services.tenancy.views import business_page
from shared.kernel.errors import DomainError
from shared.kernel.mobile import normalize_mobile
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_ids import stable_id
from shared.kernel.subject_keys import Personal

# Enough for 50 parallel requests on one stream: a save fails only because another one
# succeeded, and a limit admits few writes before every further attempt is refused unwritten.
CONFLICT_RETRIES = 60
T = TypeVar("T")


class TenancyApplication(SubscriptionUseCases, SeatUseCases, ServiceApplication):
    name = "tenancy"  # type: ignore[misc]
    # Seat streams grow with every heartbeat: save_caused snapshots them (and the calendar) this often.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {  # type: ignore[misc]
        OrganizationSeats: 100, SubscriptionCalendar: 100}

    # -- plumbing ---------------------------------------------------------------------------
    def retrying(self, change: Callable[[], T]) -> T:
        for attempt in range(CONFLICT_RETRIES):
            try:
                return change()
            except (IntegrityError, OperationalError):
                # Another request saved first: run the command again on fresh state, after a
                # short random pause so the losers do not collide again in lockstep.
                time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
        raise DomainError("busy_try_again")

    def business(self, tenant_id: object) -> Business:
        try:
            found: Business = self.repository.get(uuid.UUID(str(tenant_id)))
        except (ValueError, AggregateNotFoundError):
            raise DomainError("business_not_found") from None
        if not isinstance(found, Business):
            raise DomainError("business_not_found")
        return found

    def _exists(self, aggregate_id: uuid.UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def _calendar(self, shard: int) -> SubscriptionCalendar:
        try:
            calendar: SubscriptionCalendar = self.repository.get(calendar_id(shard))
        except AggregateNotFoundError:
            calendar = SubscriptionCalendar(shard)
        return calendar

    # -- the user directory (from identity) -------------------------------------------------
    def _entry_id(self, e164: str) -> uuid.UUID:
        return stable_id("tenancy-directory", e164, self.settings.subject_key_secret)

    def record_user(self, user_id: uuid.UUID, mobile: str, cause: Cause) -> None:
        e164 = normalize_mobile(mobile)

        def attempt() -> None:
            entry_id = self._entry_id(e164)
            fresh: list[Any] = [] if self._exists(entry_id) else [MobileEntry(entry_id, user_id)]
            if not self._exists(person_id(user_id)):
                fresh.append(Person(user_id, Personal(f"user:{user_id}", e164)))
            self.save_caused(*fresh, cause=cause)  # nothing new: the event id alone is recorded

        self.retrying(attempt)

    def user_with_mobile(self, e164: str) -> uuid.UUID | None:
        try:
            entry: MobileEntry = self.repository.get(self._entry_id(e164))
        except AggregateNotFoundError:
            return None
        return entry.user_id

    def mobile_of(self, user_id: uuid.UUID) -> Personal | None:
        try:
            person: Person = self.repository.get(person_id(user_id))
        except AggregateNotFoundError:
            return None
        return person.mobile

    # -- members (PR-3, TE-3) ---------------------------------------------------------------
    def add_member(self, tenant_id: object, actor: uuid.UUID, mobile: object, permissions: object,
                   cause: Cause) -> dict[str, Any]:
        e164 = normalize_mobile(mobile)
        wanted = _permission_list(permissions)
        user_id = self.user_with_mobile(e164)
        if user_id is None:
            self.business(tenant_id).check_admin(actor)  # strangers learn nothing about numbers
            raise DomainError("user_not_registered")

        def attempt() -> dict[str, Any]:
            business = self.business(tenant_id)
            business.add_member(actor, user_id, Personal(f"user:{user_id}", e164), wanted)
            self.save_caused(business, cause=cause)
            return {"user_id": str(user_id), "permissions": business.members[str(user_id)]["permissions"]}

        return self.retrying(attempt)

    def set_permissions(self, tenant_id: object, actor: uuid.UUID, user_id: object, permissions: object,
                        cause: Cause) -> dict[str, Any]:
        member = _user_id(user_id)
        wanted = _permission_list(permissions)

        def attempt() -> dict[str, Any]:
            business = self.business(tenant_id)
            business.set_permissions(actor, member, wanted)
            self.save_caused(business, cause=cause)
            return {"user_id": str(member), "permissions": business.members[str(member)]["permissions"]}

        return self.retrying(attempt)

    def remove_member(self, tenant_id: object, actor: uuid.UUID, user_id: object, cause: Cause) -> None:
        member = _user_id(user_id)

        def attempt() -> None:
            business = self.business(tenant_id)
            business.remove_member(actor, member)
            self.save_caused(business, cause=cause)

        self.retrying(attempt)

    # -- organizations and limits (TE-1, TE-2) ----------------------------------------------
    def add_organization(self, tenant_id: object, actor: uuid.UUID, name: object, kind: object,
                         cause: Cause) -> dict[str, Any]:
        organization_id = uuid.uuid4()

        def attempt() -> dict[str, Any]:
            business = self.business(tenant_id)
            business.add_organization(actor, organization_id, name, kind)  # type: ignore[arg-type]
            # Its seats' stream is born with it, in the same transaction.
            self.save_caused(business, OrganizationSeats(organization_id, business.tenant_id), cause=cause)
            return {"organization_id": str(organization_id), **business.organizations[str(organization_id)]}

        return self.retrying(attempt)

    def raise_limits_by_support(self, tenant_id: object, agent: uuid.UUID, *, organizations: int | None,
                                concurrent_users: int | None, members: int | None, cause: Cause) -> dict[str, int]:
        def attempt() -> dict[str, int]:
            business = self.business(tenant_id)
            business.raise_limits(organizations=organizations, concurrent_users=concurrent_users, members=members,
                                  source="support", order_id=None, agent=agent)
            self.save_caused(business, cause=cause)
            return dict(business.limits)

        return self.retrying(attempt)

    # -- the business page ------------------------------------------------------------------
    def business_page(self, tenant_id: object, actor: uuid.UUID, roles: list[str], locale: str = "fa"
                      ) -> dict[str, Any]:
        business = self.business(tenant_id)
        if not business.is_member(actor) and "support" not in roles:
            raise DomainError("forbidden")
        seats = {org_id: self._seats(org_id) for org_id in business.organizations}
        manager = "support" in roles or business.members.get(str(actor), {}).get("role") == "admin"
        return business_page(business, seats, self.clock.now(), locale, show_mobiles=manager)


def _permission_list(permissions: object) -> tuple[str, ...]:
    if not isinstance(permissions, list | tuple) or not all(isinstance(p, str) for p in permissions):
        raise DomainError("unknown_permission", permissions=[])
    return tuple(permissions)


def _user_id(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError("member_not_found") from None
