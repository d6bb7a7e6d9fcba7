"""Backups of a business's books (PR-5): the first one is a step of its first order
(steps.py); then one a day, by the platform clock, while the books can still change."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from eventsourcing.utils import get_topic

from services.provisioning.domain import Provisioning, scheduled_backup_id
from services.provisioning.ports import BackupVault, Books
from services.provisioning.records import ProvisioningRecords
from shared.kernel.clock import Clock
from shared.kernel.conflicts import CONFLICTS
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause


class BackingUp:
    def __init__(self, records: ProvisioningRecords, books: Books, vault: BackupVault, clock: Clock,
                 retention: timedelta) -> None:
        self.records, self.books, self.vault, self.clock, self.retention = records, books, vault, clock, retention

    def take(self, tenant_id: uuid.UUID, backup_id: uuid.UUID, kind: str) -> dict[str, Any]:
        """A sealed copy of the books; the facts its event records."""
        taken_at = self.clock.now()
        size, sha256 = self.vault.write(tenant_id, backup_id, self.books.snapshot(tenant_id))
        return {"backup_id": str(backup_id), "kind": kind, "taken_at": taken_at.isoformat(), "size_bytes": size,
                "sha256": sha256, "location": self.vault.location(tenant_id, backup_id),
                "retained_until": (taken_at + self.retention).isoformat()}

    def take_scheduled(self, cause: Cause) -> int:
        """PR-5's daily backups, by the platform clock; the number taken in this pass."""
        taken = 0
        for tenant_id in self._provisioned_tenants():
            with self.records.locks[tenant_id]:
                provisioning, now = self.records.find(tenant_id), self.clock.now()
                if provisioning is None or not provisioning.backup_due(now) or not self.books.exists(tenant_id):
                    continue  # (books gone: archival purged them before we heard of it)
                try:
                    facts = self.take(tenant_id, scheduled_backup_id(tenant_id, now), "scheduled")
                    provisioning.backup_taken(tenant_id=tenant_id, facts=facts)
                    self.records.save(provisioning, cause=cause)
                except CONFLICTS:
                    continue  # another worker changed the business: the next pass looks again
                except Exception:  # noqa: BLE001 - one business's books (e.g. being purged) stop no other
                    get_logger().exception("provisioning.backup_failed", tenant_id=str(tenant_id))
                    continue
                taken += 1
                get_logger().info("provisioning.backup_taken", tenant_id=str(tenant_id), backup_id=facts["backup_id"])
        return taken

    def _provisioned_tenants(self) -> list[uuid.UUID]:
        topic = get_topic(Provisioning.TenantProvisioned)  # type: ignore[attr-defined]
        return [self.records.by_id(uuid.UUID(str(n.originator_id))).tenant_id
                for n in self.records.notifications(topic)]
