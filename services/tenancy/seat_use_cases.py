"""Concurrent-use seats (TE-2): take, heartbeat, release.

Taking a seat reads the business (membership, state, today's limit) and writes only the
organization's seats stream, whose optimistic concurrency decides the limit. The limit read
from the business can only grow meanwhile, so reading it first admits no one too many."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from services.tenancy.records import Records, retrying
from services.tenancy.seats import LEASE
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.kernel.store import Cause, ServiceApplication


class SeatUseCases:
    def __init__(self, store: ServiceApplication, records: Records, lease: timedelta = LEASE) -> None:
        self.store, self.records, self.lease = store, records, lease

    def take_seat(self, organization_id: object, actor: uuid.UUID, cause: Cause) -> dict[str, Any]:
        session_id = uuid.uuid4()

        def attempt() -> dict[str, Any]:
            seats = self.records.seats(organization_id)
            business = self.records.business(seats.tenant_id)
            if not business.is_member(actor):
                raise DomainError("forbidden")
            business.check_changeable()
            expires_at = seats.take(session_id, actor, self.store.clock.now(), business.limits.concurrent_users,
                                    self.lease)
            self.store.save_caused(seats, cause=cause)
            return {"session_id": str(session_id), "organization_id": str(seats.organization_id),
                    "expires_at": expires_at.isoformat(),
                    "heartbeat_seconds": max(1, int(self.lease.total_seconds()) // 2)}

        return retrying(attempt)

    def renew_seat(self, organization_id: object, session_id: object, actor: uuid.UUID,
                   cause: Cause) -> dict[str, Any]:
        sid = parse_id(session_id, "session_not_found")

        def attempt() -> dict[str, Any]:
            seats = self.records.seats(organization_id)
            business = self.records.business(seats.tenant_id)
            if not business.is_member(actor):
                raise DomainError("forbidden")  # a removed member's seat is not kept alive
            business.check_changeable()
            expires_at = seats.renew(sid, actor, self.store.clock.now(), self.lease)
            self.store.save_caused(seats, cause=cause)
            return {"session_id": str(sid), "expires_at": expires_at.isoformat()}

        return retrying(attempt)

    def release_seat(self, organization_id: object, session_id: object, actor: uuid.UUID, cause: Cause) -> None:
        sid = parse_id(session_id, "session_not_found")

        def attempt() -> None:
            seats = self.records.seats(organization_id)
            seats.release(sid, actor, by_admin=self.records.business(seats.tenant_id).is_admin(actor))
            self.store.save_caused(seats, cause=cause)

        retrying(attempt)
