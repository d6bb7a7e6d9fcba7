"""What the personal page shows (ID-5, TE-3, AR-2): the businesses a user belongs to, with
their role and permissions in each, each business's subscription state and whether its
reports can still be taken. Built from tenancy's and archival's events.

Events may arrive out of order (redeliveries, several consumers), so every entry keeps the
time of the fact it reflects and an older fact never overwrites a newer one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypedDict, Unpack

from eventsourcing.domain import Aggregate, event

from shared.kernel.subject_keys import Personal, business_subject

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


class SubscriptionChanges(TypedDict, total=False):
    """What one fact changes of a Subscription (stored as a dict in a Changed event)."""

    state: str
    business_type: str | None
    products: tuple[str, ...]
    ends_at: datetime | None
    lapsed_at: datetime | None


class BusinessView(Aggregate):
    """A business's subscription as the personal page shows it (AR-1, AR-2)."""

    @event("Started")
    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self.subscription = Subscription("activating", None, (), None, None, None, datetime.min.replace(tzinfo=UTC))
        self.schedule_as_of: datetime | None = None
        self.restored_at: datetime | None = None  # the business was purged, then restored from a backup (AR-3)
        self.restored_admin: str | None = None

    @staticmethod
    def create_id(tenant_id: uuid.UUID) -> uuid.UUID:
        return business_view_id(tenant_id)

    def change(self, at: datetime, **changes: Unpack[SubscriptionChanges]) -> None:
        """Apply a fact about the subscription unless a newer one is already applied."""
        if at >= self.subscription.as_of and self.subscription.state != "deleted":
            self._changed(changes=changes, at=at)

    @event("Changed")
    def _changed(self, changes: SubscriptionChanges, at: datetime) -> None:
        self.subscription = replace(self.subscription, as_of=at, **changes)

    def schedule_deletion(self, due_at: datetime | None, at: datetime) -> None:
        if self.schedule_as_of is None or at >= self.schedule_as_of:
            self._deletion_scheduled(due_at=due_at, at=at)

    @event("DeletionScheduled")
    def _deletion_scheduled(self, due_at: datetime | None, at: datetime) -> None:
        self.subscription = replace(self.subscription, deletion_due_at=due_at)
        self.schedule_as_of = at

    def purged(self, at: datetime) -> bool:
        """True when this purge stands (not one older than a restore): the business's name then goes (AR-1)."""
        if (restored_at := self.last_restore()) is None or at > restored_at:
            self._changed(changes={"state": "deleted"}, at=at)
            return True
        return False

    def restore(self, admin_user_id: uuid.UUID, business_name: Personal, business_type: str,
                products: tuple[str, ...], at: datetime) -> None:
        """The data is back from a backup; the subscription is not: lapsed, reports available again,
        no deletion date (AR-3). Of the people who worked in it, only its admin is back, and the
        business's name with it (the name held before the purge is unreadable)."""
        if (restored_at := self.last_restore()) is None or at > restored_at:
            self._restored(admin_user_id=str(admin_user_id), business_name=business_name,
                           business_type=business_type, products=tuple(products), at=at)

    @event("Restored")
    def _restored(self, admin_user_id: str, business_type: str, products: tuple[str, ...], at: datetime,
                  business_name: Personal | None = None) -> None:
        self.subscription = replace(self.subscription, state="lapsed", business_type=business_type,
                                    products=tuple(products), deletion_due_at=None, as_of=at)
        self.restored_at, self.restored_admin = at, admin_user_id
        self.restored_name = business_name

    def name_subjects(self) -> list[str]:
        restored: Personal | None = getattr(self, "restored_name", None)
        return [business_subject(self.tenant_id)] + ([restored.subject] if restored is not None else [])

    def name_for(self, place: Membership) -> Personal:
        """The membership's record of the name, or the restored one once the purge made it unreadable."""
        restored: Personal | None = getattr(self, "restored_name", None)
        return restored if place.business_name.forgotten and restored is not None else place.business_name

    def predates_deletion(self, at: datetime) -> bool:
        """Whether a fact of ``at`` is older than the deletion of the business's data: it arrives
        late (events of two producers are not ordered) and names what was deleted (AR-1)."""
        restored_at = self.last_restore()
        return self.subscription.state == "deleted" or (restored_at is not None and at < restored_at)

    def last_restore(self) -> datetime | None:
        return getattr(self, "restored_at", None)  # (views recorded before restores existed lack it)

    def shows(self, user_id: uuid.UUID, place: Membership) -> bool:
        """Whether a membership still stands: after a restore only the admin's, and those made since."""
        restored_at = self.last_restore()
        return restored_at is None or place.as_of >= restored_at or str(user_id) == self.restored_admin
