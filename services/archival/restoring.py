# mypy: disable-error-code="misc"
"""Restore from backup after deletion, a separately priced service (AR-3): the request
becomes billing's order (RestoreRequested); its PaymentSucceeded (kind "restore") brings the
latest retained backup back as new books (RestoreCompleted)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from services.archival.backups import BackupUnreadable
from shared.events.billing import PaymentSucceededV1
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause

if TYPE_CHECKING:
    from services.archival.application import ArchivalApplication, Unit


class Restoring:
    def request_restore(self: ArchivalApplication, tenant_id: object, user_id: str, roles: list[str],
                        cause: Cause) -> dict[str, Any]:
        import uuid

        from services.archival.application import parse_id

        tid, restore_id = parse_id(tenant_id), uuid.uuid4()

        def mutate(unit: Unit) -> dict[str, Any]:
            restore = unit.business.request_restore(restore_id, user_id, roles, self.clock.now())
            backup = unit.business.backups[restore.backup_id]
            return {"restore_id": restore.restore_id, "order_id": restore.order_id, "backup_id": backup.backup_id,
                    "backup_taken_at": backup.taken_at.isoformat(), "price_rials": self.restore_price_rials,
                    "status": "awaiting_payment"}

        return self._change(tid, mutate, cause)

    def complete_restore(self: ArchivalApplication, payment: PaymentSucceededV1, cause: Cause) -> None:
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

        restored = self._change(tid, mutate, cause)
        if restored is not None:
            # Saved: the name lives under the business's own key again; its restore-time copy goes.
            self.keys.forget(restored)
