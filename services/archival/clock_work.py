# mypy: disable-error-code="misc"
# (the mixin's methods take `self: ArchivalApplication`, which mypy cannot see is its subclass)
"""What the clock does (AR-1, AR-3): reminders before deletion, the purge on the due date,
and destroying each backup's key when its retention ends. Driven by a timer and by every
ClockAdvanced; each step is recorded once, and a step cut short by a crash is redone."""

from __future__ import annotations

import os
import shutil
import signal
import uuid
from typing import TYPE_CHECKING

from services.archival.books import row_count
from services.archival.domain import Business
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause

if TYPE_CHECKING:
    from services.archival.application import ArchivalApplication, Unit


class ClockWork:
    def tick(self: ArchivalApplication) -> list[uuid.UUID]:
        """Do everything that is due; returns the exports still to be built. Ticks never
        overlap in a process: one asked for meanwhile makes the running one go round again."""
        if not self._tick_lock.acquire(blocking=False):
            self._tick_again = True
            return []
        try:
            while True:
                self._tick_again = False
                now = self.clock.now()
                for tenant_id in [t for agenda in self.agendas() for t in agenda.due_by(now)]:
                    try:
                        while self._change(tenant_id, self._next_step, Cause(f"archival-clock:{tenant_id}")):
                            pass
                    except Exception:  # noqa: BLE001 - one business's trouble must not stop the others
                        get_logger().exception("archival.tick_failed", tenant_id=str(tenant_id))
                self.sweep_expired_exports()
                if not self._tick_again:
                    return [uuid.UUID(e) for agenda in self.agendas() for e in agenda.exports]
        finally:
            self._tick_lock.release()

    def _next_step(self: ArchivalApplication, unit: Unit) -> bool:
        """One due thing for this business; False when nothing is due now."""
        business, now = unit.business, self.clock.now()
        if business.reminders_due(now):
            business.remind(now)
        elif business.purge_due(now):
            self._purge_step(business)
        elif expired := business.expired_backups(now):
            self.backup_files.destroy_key(expired[0])
            business.backup_key_destroyed(expired[0], now)
            if business.restorable_name is None:
                self.keys.forget(business.restorable)
        else:
            return False
        return True

    def _purge_step(self: ArchivalApplication, business: Business) -> None:
        tenant_id, now = business.tenant_id, self.clock.now()
        if business.state == "scheduled":
            business.start_purge(row_count(self.books, tenant_id), now)
            return
        step = business.next_purge_step()
        if step == "books_dropped":
            # The business's books and, should an organization keep books of its own (TE-1,
            # opened by its organization id), those too; dropping what is absent is harmless.
            dropped = sum(self.books.drop(uuid.UUID(book_id)) for book_id in (str(tenant_id), *business.organizations))
            _fault_point(step)
            business.purge_step_done(step, dropped)
        elif step == "exports_deleted":
            folder = self.exports_dir / str(tenant_id)
            files = sum(1 for f in folder.iterdir() if f.is_file()) if folder.exists() else 0
            shutil.rmtree(folder, ignore_errors=True)
            _fault_point(step)
            business.purge_step_done(step, files)
        elif step == "personal_data_shredded":
            self.keys.forget(business.subject)
            shredded = 1
            if business.restorable_name is None:  # no backup to restore from: nothing kept for it
                self.keys.forget(business.restorable)
            _fault_point(step)
            business.purge_step_done(step, shredded)
        else:
            business.finish_purge(now)
        get_logger().info("archival.purge_step", tenant_id=str(tenant_id), step=step)


def _fault_point(step: str) -> None:
    """Fault tests kill the process here, after a step's effect and before its record."""
    if os.environ.get("ARCHIVAL_KILL_AFTER_PURGE_STEP") == step:
        os.kill(os.getpid(), signal.SIGKILL)
