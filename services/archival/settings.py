"""Archival's own settings, read once in service.py (the composition root); nothing below it
reads the environment. The platform's settings (store, broker, var dir) are the kernel's."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

RESTORE_PRICE_RIALS = 50_000_000
TICK_SECONDS = 30.0


@dataclass(frozen=True)
class ArchivalSettings:
    # How often the clock's work runs (reminders, purges, keys at retention's end, old exports).
    tick_seconds: float = TICK_SECONDS
    # Only quoted to the customer with a restore request; billing's order decides what is paid.
    restore_price_rials: int = RESTORE_PRICE_RIALS
    # Fault tests only: the purge step after whose effect (before its record) the process kills
    # itself with SIGKILL, to prove a restart redoes just that step. Unset in production.
    kill_after_purge_step: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ArchivalSettings:
        return cls(tick_seconds=float(env.get("ARCHIVAL_TICK_SECONDS", str(TICK_SECONDS))),
                   restore_price_rials=int(env.get("RESTORE_PRICE_RIALS", str(RESTORE_PRICE_RIALS))),
                   kill_after_purge_step=env.get("ARCHIVAL_KILL_AFTER_PURGE_STEP") or None)
