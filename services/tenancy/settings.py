"""Tenancy's own settings, read once by service.py (build_application and the lapse timer);
nothing below service.py reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from services.tenancy.invitations import INVITATION_LIFETIME
from services.tenancy.seats import LEASE


@dataclass(frozen=True)
class TenancySettings:
    # A concurrent-use seat lasts this long by the platform clock unless a heartbeat renews it (TE-2).
    seat_lease_seconds: int = int(LEASE.total_seconds())
    # How often the timer looks for subscriptions that ended (every ClockAdvanced also does).
    lapse_check_seconds: float = 30.0
    # How long an invitation's link works by the platform clock (issue #19; invitations.py).
    invitation_days: float = INVITATION_LIFETIME.days

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TenancySettings:
        return cls(seat_lease_seconds=int(env.get("SEAT_LEASE_SECONDS", str(cls.seat_lease_seconds))),
                   lapse_check_seconds=float(env.get("LAPSE_CHECK_SECONDS", str(cls.lapse_check_seconds))),
                   invitation_days=float(env.get("INVITATION_DAYS", str(cls.invitation_days))))

    @property
    def invitation_lifetime(self) -> timedelta:
        return timedelta(days=self.invitation_days)

    @property
    def seat_lease(self) -> timedelta:
        return timedelta(seconds=self.seat_lease_seconds)
