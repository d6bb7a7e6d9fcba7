"""What the clock does (AR-1, AR-3): reminders before deletion, the purge on the due date,
and destroying each backup's key when its retention ends. Driven by a timer and by every
ClockAdvanced; each step is recorded once, and a step cut short by a crash is redone."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from services.archival.backups import BackupFiles
from services.archival.books import row_count
from services.archival.businesses import Businesses, Unit
from services.archival.domain import Business
from services.archival.exporting import Exporting
from shared.kernel.clock import PlatformClock
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause
from shared.kernel.subject_keys import SubjectKeys
from shared.tenant_books import TenantBooks

# Told each purge step after its effect and before its record; the fault tests kill the process
# there (service.py builds it from ARCHIVAL_KILL_AFTER_PURGE_STEP). None in production.
AfterPurgeStep = Callable[[str], None]


class ClockWork:
    def __init__(self, businesses: Businesses, exports: Exporting, *, books: TenantBooks, backup_files: BackupFiles,
                 keys: SubjectKeys, clock: PlatformClock, exports_dir: Path,
                 after_purge_step: AfterPurgeStep | None = None) -> None:
        self.businesses, self.exports = businesses, exports
        self.books, self.backup_files, self.keys, self.clock = books, backup_files, keys, clock
        self.exports_dir = exports_dir
        self.after_purge_step = after_purge_step
        self._tick_lock = threading.Lock()
        self._tick_again = False

    def tick(self) -> list[uuid.UUID]:
        """Do everything that is due; returns the exports still to be built. Ticks never
        overlap in a process: one asked for meanwhile makes the running one go round again."""
        if not self._tick_lock.acquire(blocking=False):
            self._tick_again = True
            return []
        try:
            while True:
                self._tick_again = False
                now = self.clock.now()
                for tenant_id in [t for agenda in self.businesses.agendas() for t in agenda.due_by(now)]:
                    try:
                        while self.businesses.change(tenant_id, self._next_step, Cause(f"archival-clock:{tenant_id}"),
                                                     sync_agenda=True):
                            pass
                    except Exception:  # noqa: BLE001 - one business's trouble must not stop the others
                        get_logger().exception("archival.tick_failed", tenant_id=str(tenant_id))
                self.exports.sweep_expired()
                if not self._tick_again:
                    return [uuid.UUID(e) for agenda in self.businesses.agendas() for e in agenda.exports]
        finally:
            self._tick_lock.release()

    def due_for_deletion(self) -> int:
        """Businesses whose purge is due (the grace after the lapse is over) and not done yet (AR-1)."""
        now = self.clock.now()
        due = [t for agenda in self.businesses.agendas() for t in agenda.due_by(now)]
        return sum(1 for tenant_id in due if (business := self.businesses.get(tenant_id)) and business.purge_due(now))

    def _next_step(self, unit: Unit) -> bool:
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

    def _purge_step(self, business: Business) -> None:
        tenant_id, now = business.tenant_id, self.clock.now()
        if business.state == "scheduled":
            business.start_purge(row_count(self.books, tenant_id), now)
            return
        step = business.next_purge_step()
        if step == "books_dropped":
            # The business's books and, should an organization keep books of its own (TE-1,
            # opened by its organization id), those too; dropping what is absent is harmless.
            dropped = sum(self.books.drop(uuid.UUID(book_id)) for book_id in (str(tenant_id), *business.organizations))
            self._done(business, step, dropped)
        elif step == "exports_deleted":
            folder = self.exports_dir / str(tenant_id)
            files = sum(1 for f in folder.iterdir() if f.is_file()) if folder.exists() else 0
            shutil.rmtree(folder, ignore_errors=True)
            self._done(business, step, files)
        elif step == "personal_data_shredded":
            self.keys.forget(business.subject)
            if business.restorable_name is None:  # no backup to restore from: nothing kept for it
                self.keys.forget(business.restorable)
            self._done(business, step, 1)
        else:
            business.finish_purge(now)
        get_logger().info("archival.purge_step", tenant_id=str(tenant_id), step=step)

    def _done(self, business: Business, step: str, records: int) -> None:
        if self.after_purge_step is not None:
            self.after_purge_step(step)
        business.purge_step_done(step, records)
