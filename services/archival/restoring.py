"""Restore from backup after deletion, a separately priced service (AR-3): the request
becomes billing's order (RestoreRequested); its PaymentSucceeded (kind "restore") brings the
latest retained backup back as new books (RestoreCompleted)."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from services.archival.backups import BackupFiles, BackupUnreadable
from services.archival.businesses import Businesses, Unit
from shared.events.billing import PaymentSucceededV1
from shared.kernel.clock import PlatformClock
from shared.kernel.ids import parse_id
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause
from shared.kernel.subject_keys import SubjectKeys
from shared.tenant_books import TenantBooks


class Restoring:
    def __init__(self, businesses: Businesses, *, books: TenantBooks, backup_files: BackupFiles, keys: SubjectKeys,
                 clock: PlatformClock, price_rials: int) -> None:
        self.businesses, self.books, self.backup_files = businesses, books, backup_files
        self.keys, self.clock, self.price_rials = keys, clock, price_rials

    def request(self, tenant_id: object, user_id: str, roles: list[str], cause: Cause) -> dict[str, Any]:
        tid, restore_id = parse_id(tenant_id), uuid.uuid4()

        def mutate(unit: Unit) -> dict[str, Any]:
            restore = unit.business.request_restore(restore_id, user_id, roles, self.clock.now())
            backup = unit.business.backups[restore.backup_id]
            return {"restore_id": restore.restore_id, "order_id": restore.order_id, "backup_id": backup.backup_id,
                    "backup_taken_at": backup.taken_at.isoformat(), "price_rials": self.price_rials,
                    "status": "awaiting_payment"}

        return self.businesses.change(tid, mutate, cause)

    def complete(self, payment: PaymentSucceededV1, cause: Cause) -> None:
        """A restore order's payment (the policy routes no other kind here)."""
        tid = payment.tenant_id

        def mutate(unit: Unit) -> str | None:
            business = unit.business
            restore = business.restore
            if restore is None or restore.order_id != str(payment.order_id) or restore.completed:
                get_logger().warning("archival.restore_payment_unmatched", order_id=str(payment.order_id))
                return None
            restorable = business.restorable
            backup = business.backups[restore.backup_id]
            try:
                snapshot = self.backup_files.read(tid, backup.backup_id, backup.sha256)
            except BackupUnreadable as unreadable:
                # Paid, but the backup's retention ended (or the file is damaged): recorded and
                # logged for operators to refund; nothing is half restored.
                get_logger().error("archival.restore_failed", order_id=str(payment.order_id),
                                   reason=str(unreadable))
                business.restore_failed(str(unreadable), self.clock.now())
                return None
            # Books already there: an earlier attempt restored them and died before recording it.
            with contextlib.suppress(FileExistsError):
                self.books.restore(tid, snapshot)
            business.complete_restore(payment.amount_rials, self.clock.now())
            return restorable

        restored = self.businesses.change(tid, mutate, cause)
        if restored is not None:
            # Saved: the name lives under the business's own key again; its restore-time copy goes.
            self.keys.forget(restored)
