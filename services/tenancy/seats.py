"""Concurrent-use seats of one organization (TE-2): leases that a heartbeat renews, so a
crashed client's seat frees itself when its lease runs out (by the platform clock).

One stream per organization: the limit is decided by the store (optimistic concurrency on
this stream), never by counting in one read and writing in another. The stream is
snapshotted (see the application), so a lease is also what a snapshot holds: ``LeaseTranscoding``
stores it, and snapshots taken while leases were dicts are upcast (``class_version`` 2)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Transcoding

from shared.kernel.errors import DomainError

NAMESPACE = uuid.UUID("6f0e3c4a-1d2b-4e8f-9a7c-5b3d2e1f0a99")
LEASE = timedelta(minutes=2)  # a client heartbeats about every minute


@dataclass(frozen=True)
class Lease:
    user_id: str
    expires_at: datetime


class OrganizationSeats(Aggregate):
    class_version = 2  # snapshots of version 1 held each lease as {"user_id", "expires_at"}

    @event("Opened")
    def __init__(self, organization_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        self.organization_id = organization_id
        self.tenant_id = tenant_id
        self.leases: dict[str, Lease] = {}  # by session_id

    @staticmethod
    def create_id(organization_id: uuid.UUID, **_: object) -> uuid.UUID:
        return organization_id

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["leases"] = {sid: Lease(str(lease["user_id"]), _moment(lease["expires_at"]))
                           for sid, lease in state["leases"].items()}

    def active(self, now: datetime) -> dict[str, Lease]:
        return {sid: lease for sid, lease in self.leases.items() if lease.expires_at > now}

    def take(self, session_id: uuid.UUID, user_id: uuid.UUID, now: datetime, limit: int,
             lease: timedelta = LEASE) -> datetime:
        if len(self.active(now)) >= limit:
            raise DomainError("concurrent_user_limit", limit=limit)
        expires_at = now + lease
        self._taken(session_id=str(session_id), user_id=str(user_id), now=now, expires_at=expires_at)
        return expires_at

    @event("SeatTaken")
    def _taken(self, session_id: str, user_id: str, now: datetime, expires_at: datetime) -> None:
        # Expired leases are dropped here so the stream's state stays as small as its seats.
        self.leases = self.active(now)
        self.leases[session_id] = Lease(user_id, expires_at)

    def renew(self, session_id: uuid.UUID, user_id: uuid.UUID, now: datetime, lease: timedelta = LEASE) -> datetime:
        self._holder_check(session_id, user_id, may_override=False)
        if self.leases[str(session_id)].expires_at <= now:
            raise DomainError("session_expired")  # its seat may be someone else's now: take a new one
        expires_at = now + lease
        self._renewed(session_id=str(session_id), expires_at=expires_at)
        return expires_at

    @event("SeatRenewed")
    def _renewed(self, session_id: str, expires_at: datetime) -> None:
        self.leases[session_id] = replace(self.leases[session_id], expires_at=expires_at)

    def release(self, session_id: uuid.UUID, user_id: uuid.UUID, *, by_admin: bool) -> None:
        self._holder_check(session_id, user_id, may_override=by_admin)
        self._released(session_id=str(session_id))

    @event("SeatReleased")
    def _released(self, session_id: str) -> None:
        self.leases.pop(session_id, None)

    def _holder_check(self, session_id: uuid.UUID, user_id: uuid.UUID, *, may_override: bool) -> None:
        lease = self.leases.get(str(session_id))
        if lease is None:
            raise DomainError("session_not_found")
        if lease.user_id != str(user_id) and not may_override:
            raise DomainError("forbidden")


class LeaseTranscoding(Transcoding):
    """A lease in a snapshot: its holder and its end (a datetime, transcoded in its turn)."""

    type = Lease
    name = "tenancy_lease"

    def encode(self, obj: Lease) -> dict[str, Any]:
        return {"user_id": obj.user_id, "expires_at": obj.expires_at}

    def decode(self, data: dict[str, Any]) -> Lease:
        return Lease(data["user_id"], _moment(data["expires_at"]))


def _moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
