"""Archival's use cases (AR-1 … AR-5), composed. This module: what other services tell
archival and the status page. The use-case groups are plain classes built here and exposed
as attributes: ``clock_work`` (reminders, the purge, keys at retention's end), ``exports``,
``restores`` and ``opening_balances``; each changes a business through ``businesses``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from services.archival.agenda import Agenda
from services.archival.backups import BackupFiles
from services.archival.businesses import Businesses, Unit
from services.archival.clock_work import AfterPurgeStep, ClockWork
from services.archival.domain import LIVE
from services.archival.exporting import Exporting
from services.archival.opening_balances import OpeningBalances
from services.archival.restoring import Restoring
from services.archival.settings import RESTORE_PRICE_RIALS
from shared.events import provisioning, tenancy
from shared.kernel.errors import DomainError
from shared.kernel.i18n import when
from shared.kernel.ids import parse_id
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal
from shared.tenant_books import TenantBooks

EXPORTS_LISTED = 5  # on the status page


class ArchivalApplication(ServiceApplication):
    name = "archival"
    is_snapshotting_enabled = True  # for the agenda only (Businesses.snapshot_agenda)
    snapshotted_by_hand = (Agenda,)

    def __init__(self, *args: Any, books: TenantBooks | None = None, backup_files: BackupFiles | None = None,
                 exports_dir: Path | None = None, restore_price_rials: int = RESTORE_PRICE_RIALS,
                 after_purge_step: AfterPurgeStep | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.books = books or TenantBooks(self.settings)
        self.backup_files = backup_files or BackupFiles(self.settings)
        self.exports_dir = exports_dir or self.settings.var_dir / "exports"
        self.businesses = Businesses(self)
        self.exports = Exporting(self, self.businesses, books=self.books, exports_dir=self.exports_dir)
        self.restores = Restoring(self.businesses, books=self.books, backup_files=self.backup_files, keys=self.keys,
                                  clock=self.clock, price_rials=restore_price_rials)
        self.opening_balances = OpeningBalances(self.businesses, books=self.books, clock=self.clock)
        self.clock_work = ClockWork(self.businesses, self.exports, books=self.books, backup_files=self.backup_files,
                                    keys=self.keys, clock=self.clock, exports_dir=self.exports_dir,
                                    after_purge_step=after_purge_step)

    # -- what tenancy and provisioning tell ------------------------------------------------
    def record_tenancy_event(self, event: Any, occurred_at: datetime, cause: Cause) -> None:
        def mutate(unit: Unit) -> None:
            business = unit.business
            name = Personal(business.subject, event.business_name) if hasattr(event, "business_name") else None
            if business.state in ("purging", "purged"):
                return  # the data is gone; only a paid restore brings the business back (AR-3)
            if isinstance(event, tenancy.BusinessActivatedV1):
                assert name is not None
                business.activated(name, event.admin_user_id, event.business_type, list(event.products),
                                   occurred_at)
            elif isinstance(event, tenancy.MemberAddedV1 | tenancy.MemberRemovedV1):
                business.member_changed(event.user_id, isinstance(event, tenancy.MemberAddedV1), occurred_at)
            elif isinstance(event, tenancy.TenantLapsedV1):
                assert name is not None
                business.lapse(name, event.admin_user_id, event.lapsed_at)
            elif isinstance(event, tenancy.OrganizationAddedV1):
                business.organization_added(event.organization_id)
            elif isinstance(event, tenancy.TenantReactivatedV1):
                business.reactivate(event.admin_user_id, event.reactivated_at, self.clock.now())

        self.businesses.change(event.tenant_id, mutate, cause)

    def record_backup(self, event: provisioning.BackupTakenV1, cause: Cause) -> None:
        self.businesses.change(event.tenant_id, lambda unit: unit.business.record_backup(
            event.backup_id, event.taken_at, event.retained_until, event.sha256), cause)

    # -- the status page (AR-1, AR-2) ------------------------------------------------------
    def tenant_status(self, tenant_id: object, user_id: str, roles: list[str]) -> dict[str, Any]:
        tid = parse_id(tenant_id)
        business = self.businesses.get(tid)
        if business is None:
            raise DomainError("not_found" if "support" in roles else "forbidden")
        business.check_may_see(user_id, roles)
        now = self.clock.now()
        return {
            "tenant_id": str(tid),
            "state": business.state,
            "lapsed_at": when(business.lapsed_at),
            "deletion_due_at": when(business.deletion_due_at),
            "purged_at": when(business.purged_at),
            "reports_downloadable": business.state in LIVE and self.books.exists(tid),
            "reminders_sent": sorted(business.reminders_done, reverse=True),
            "backups_retained_until": when(business.backups_retained_until(now)),
            "restorable": business.state == "purged" and business.latest_retained_backup(now) is not None,
            "restore_pending": business.restore is not None and not business.restore.completed,
            "restore_failure": business.restore_failure,
            # the latest exports, newest first, as GET /archival/exports/{id} describes each (AR-4)
            "exports": [self.exports.status(e, user_id, roles) for e in reversed(business.exports[-EXPORTS_LISTED:])],
        }
