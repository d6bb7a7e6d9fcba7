# mypy: disable-error-code="misc"
# (the mixin's methods take `self: TenancyApplication`, which mypy cannot see is its subclass)
"""Concurrent-use seats (TE-2): take, heartbeat, release. Mixed into TenancyApplication.

Taking a seat reads the business (membership, state, today's limit) and writes only the
organization's seats stream, whose optimistic concurrency decides the limit. The limit read
from the business can only grow meanwhile, so reading it first admits no one too many."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from eventsourcing.application import AggregateNotFoundError

from services.tenancy.seats import LEASE, OrganizationSeats
from shared.kernel.errors import DomainError
from shared.kernel.store import Cause

if TYPE_CHECKING:
    from services.tenancy.application import TenancyApplication

LEASE_SECONDS = int(os.environ.get("SEAT_LEASE_SECONDS", str(int(LEASE.total_seconds()))))


class SeatUseCases:
    def _seats(self: TenancyApplication, organization_id: object) -> OrganizationSeats:
        try:
            seats: OrganizationSeats = self.repository.get(uuid.UUID(str(organization_id)))
        except (ValueError, AggregateNotFoundError):
            raise DomainError("organization_not_found") from None
        if not isinstance(seats, OrganizationSeats):
            raise DomainError("organization_not_found")
        return seats

    def take_seat(self: TenancyApplication, organization_id: object, actor: uuid.UUID, cause: Cause
                  ) -> dict[str, Any]:
        session_id = uuid.uuid4()

        def attempt() -> dict[str, Any]:
            seats = self._seats(organization_id)
            business = self.business(seats.tenant_id)
            if not business.is_member(actor):
                raise DomainError("forbidden")
            business.check_changeable()
            now = self.clock.now()
            expires_at = seats.take(session_id, actor, now, business.limits["concurrent_users"],
                                    timedelta(seconds=LEASE_SECONDS))
            self.save_caused(seats, cause=cause)
            return {"session_id": str(session_id), "organization_id": str(seats.organization_id),
                    "expires_at": expires_at.isoformat(), "heartbeat_seconds": max(1, LEASE_SECONDS // 2)}

        return self.retrying(attempt)

    def renew_seat(self: TenancyApplication, organization_id: object, session_id: object, actor: uuid.UUID,
                   cause: Cause) -> dict[str, Any]:
        sid = _session_id(session_id)

        def attempt() -> dict[str, Any]:
            seats = self._seats(organization_id)
            business = self.business(seats.tenant_id)
            if not business.is_member(actor):
                raise DomainError("forbidden")  # a removed member's seat is not kept alive
            business.check_changeable()
            expires_at = seats.renew(sid, actor, self.clock.now(), timedelta(seconds=LEASE_SECONDS))
            self.save_caused(seats, cause=cause)
            return {"session_id": str(sid), "expires_at": expires_at.isoformat()}

        return self.retrying(attempt)

    def release_seat(self: TenancyApplication, organization_id: object, session_id: object, actor: uuid.UUID,
                     cause: Cause) -> None:
        sid = _session_id(session_id)

        def attempt() -> None:
            seats = self._seats(organization_id)
            by_admin = self.business(seats.tenant_id).members.get(str(actor), {}).get("role") == "admin"
            seats.release(sid, actor, by_admin=by_admin)
            self.save_caused(seats, cause=cause)

        self.retrying(attempt)


def _session_id(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError("session_not_found") from None
