"""Provisioning's own settings, read once, in service.build_application (the composition root)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class ProvisioningSettings:
    backup_retention_days: int = 183  # how long a backup stays readable (AR-1, AR-3)
    backup_check_seconds: float = 600.0  # how often businesses due their daily backup are looked for (PR-5)
    # Tests only (ignored in production): stop the process after this step, so a fault test can kill it there.
    pause_after_step: str | None = None

    @property
    def backup_retention(self) -> timedelta:
        return timedelta(days=self.backup_retention_days)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ProvisioningSettings:
        return cls(backup_retention_days=int(env.get("BACKUP_RETENTION_DAYS", "183")),
                   backup_check_seconds=float(env.get("BACKUP_CHECK_SECONDS", "600")),
                   pause_after_step=env.get("PROVISIONING_PAUSE_AFTER_STEP") or None)
