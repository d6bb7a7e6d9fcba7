"""What the personal page shows (ID-5, TE-3, AR-2): the businesses a user belongs to, with
their role and permissions in each, each business's subscription state and whether its
reports can still be taken. Built from tenancy's and archival's events.

Events may arrive out of order (redeliveries, several consumers), so every entry keeps the
time of the fact it reflects and an older fact never overwrites a newer one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from eventsourcing.domain import Aggregate, event

from shared.kernel.subject_keys import Personal

NAMESPACE = uuid.UUID("0b6e7f53-8c3c-4f0e-9a43-6f1c7f5d2a10")


def memberships_id(user_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"memberships:{user_id}")


def business_view_id(tenant_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"business:{tenant_id}")


@dataclass(frozen=True)
class Membership:
    tenant_id: uuid.UUID
    business_name: Personal
    role: str
    permissions: tuple[str, ...]
    member: bool
    as_of: datetime


class Memberships(Aggregate):
    """One user's places: the businesses they work in and what they may do there (TE-3)."""

    @event("Started")
    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.entries: dict[str, Membership] = {}

    @staticmethod
    def create_id(user_id: uuid.UUID) -> uuid.UUID:
        return memberships_id(user_id)

    def _newer(self, tenant_id: uuid.UUID, at: datetime) -> bool:
        current = self.entries.get(str(tenant_id))
        return current is None or at >= current.as_of

    def join(self, tenant_id: uuid.UUID, business_name: Personal, role: str, permissions: tuple[str, ...],
             at: datetime) -> None:
        if self._newer(tenant_id, at):
            self._joined(tenant_id=tenant_id, business_name=business_name, role=role,
                         permissions=tuple(permissions), at=at)

    @event("Joined")
    def _joined(self, tenant_id: uuid.UUID, business_name: Personal, role: str, permissions: tuple[str, ...],
                at: datetime) -> None:
        self.entries[str(tenant_id)] = Membership(tenant_id, business_name, role, tuple(permissions), True, at)

    def leave(self, tenant_id: uuid.UUID, business_name: Personal, at: datetime) -> None:
        if self._newer(tenant_id, at):
            self._left(tenant_id=tenant_id, business_name=business_name, at=at)

    @event("Left")
    def _left(self, tenant_id: uuid.UUID, business_name: Personal, at: datetime) -> None:
        self.entries[str(tenant_id)] = Membership(tenant_id, business_name, "member", (), False, at)

    def current(self) -> list[Membership]:
        return [m for m in self.entries.values() if m.member]


@dataclass(frozen=True)
class Subscription:
    state: str  # activating | active | lapsed | deleted
    business_type: str | None
    products: tuple[str, ...]
    ends_at: datetime | None
    lapsed_at: datetime | None
    deletion_due_at: datetime | None
    as_of: datetime


class BusinessView(Aggregate):
    """A business's subscription as the personal page shows it (AR-1, AR-2)."""

    @event("Started")
    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self.subscription = Subscription("activating", None, (), None, None, None, datetime.min.replace(tzinfo=UTC))
        self.schedule_as_of: datetime | None = None

    @staticmethod
    def create_id(tenant_id: uuid.UUID) -> uuid.UUID:
        return business_view_id(tenant_id)

    def change(self, at: datetime, **changes: object) -> None:
        """Apply a fact about the subscription unless a newer one is already applied."""
        if at >= self.subscription.as_of and self.subscription.state != "deleted":
            self._changed(changes=dict(changes), at=at)

    @event("Changed")
    def _changed(self, changes: dict[str, object], at: datetime) -> None:
        self.subscription = replace(self.subscription, as_of=at, **changes)  # type: ignore[arg-type]

    def schedule_deletion(self, due_at: datetime | None, at: datetime) -> None:
        if self.schedule_as_of is None or at >= self.schedule_as_of:
            self._deletion_scheduled(due_at=due_at, at=at)

    @event("DeletionScheduled")
    def _deletion_scheduled(self, due_at: datetime | None, at: datetime) -> None:
        self.subscription = replace(self.subscription, deletion_due_at=due_at)
        self.schedule_as_of = at

    def purged(self, at: datetime) -> None:
        self._changed(changes={"state": "deleted"}, at=at)
