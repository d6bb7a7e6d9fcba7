"""What tenancy's use cases read before they change anything, over the service's store: the
business, an organization's seats, a shard of the subscription calendar. Each use case runs
get → change → save under ``retrying``: a concurrent save makes it run again on fresh state."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.application import AggregateNotFoundError

from services.tenancy.calendar import SubscriptionCalendar, calendar_id
from services.tenancy.domain import Business
from services.tenancy.seats import OrganizationSeats
from shared.kernel.conflicts import StripedLocks, retry_on_conflict
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.kernel.store import ServiceApplication

# Enough for 50 parallel requests on one stream: a save fails only because another one
# succeeded, and a limit admits few writes before every further attempt is refused unwritten.
CONFLICT_TRIES = 60
T = TypeVar("T")


def retrying(change: Callable[[], T]) -> T:
    return retry_on_conflict(change, tries=CONFLICT_TRIES)


class Records:
    def __init__(self, store: ServiceApplication) -> None:
        self.store = store
        self._calendar_locks = StripedLocks()

    def calendar_held(self, shard: int) -> contextlib.AbstractContextManager[None]:
        """One save at a time per calendar shard in this process: the businesses sharing it no
        longer throw each other's saves away (issue #16). Taken last, inside the inbox's."""
        return self._calendar_locks.held([shard])

    def exists(self, aggregate_id: uuid.UUID) -> bool:
        return bool(self.store.recorder.select_events(aggregate_id, limit=1))

    def business(self, tenant_id: object) -> Business:
        found = self._get(parse_id(tenant_id, "business_not_found"), Business)
        if not isinstance(found, Business):
            raise DomainError("business_not_found")
        return found

    def seats(self, organization_id: object) -> OrganizationSeats:
        found = self._get(parse_id(organization_id, "organization_not_found"), OrganizationSeats)
        if not isinstance(found, OrganizationSeats):
            raise DomainError("organization_not_found")
        return found

    def calendar(self, shard: int) -> SubscriptionCalendar:
        try:
            calendar: SubscriptionCalendar = self.store.repository.get(calendar_id(shard))
        except AggregateNotFoundError:
            calendar = SubscriptionCalendar(shard)
        return calendar

    def _get(self, aggregate_id: uuid.UUID, kind: type) -> object:
        try:
            return self.store.repository.get(aggregate_id, kind=kind)
        except AggregateNotFoundError:
            return None
