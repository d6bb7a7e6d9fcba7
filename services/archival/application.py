"""Archival's use cases (AR-1 … AR-5). This module: what other services tell archival, the
one way a business is changed (with the agenda, retried on a concurrent change), and the
status page. The clock's work, exports, restores and opening balances are mixed in."""

from __future__ import annotations

import contextlib
import os
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import eventlet
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, OperationalError

from services.archival.agenda import SHARDS, Agenda, agenda_id, shard_of
from services.archival.backups import BackupFiles
from services.archival.clock_work import ClockWork
from services.archival.domain import LIVE, Business, business_id
from services.archival.exporting import Exporting
from services.archival.opening_balances import OpeningBalances
from services.archival.restoring import Restoring
from shared.events import provisioning, tenancy
from shared.kernel.errors import DomainError
from shared.kernel.i18n import jalali_date
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal
from shared.tenant_books import TenantBooks

CONFLICT_RETRIES = 30
EXPORTS_LISTED = 5  # on the status page
AGENDA_SNAPSHOT_EVERY = 100  # the agenda is read on every change: its replay stays short
T = TypeVar("T")


@dataclass
class Unit:
    """What one change touches: the business, the agenda, and anything else saved with them."""

    business: Business
    agenda: Agenda
    others: list[Aggregate] = field(default_factory=list)


class ArchivalApplication(ClockWork, Exporting, Restoring, OpeningBalances, ServiceApplication):
    name = "archival"  # type: ignore[misc]
    is_snapshotting_enabled = True  # for the agenda only (see _snapshot_agenda)

    def __init__(self, *args: Any, books: TenantBooks | None = None, backup_files: BackupFiles | None = None,
                 restore_price_rials: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.books = books or TenantBooks(self.settings)
        self.backup_files = backup_files or BackupFiles(self.settings)
        self.exports_dir = self.settings.var_dir / "exports"
        # Quoted to the customer; billing's order at its restore price is what is paid.
        self.restore_price_rials = restore_price_rials if restore_price_rials is not None else int(
            os.environ.get("RESTORE_PRICE_RIALS", "50000000"))
        self._tick_lock = threading.Lock()
        self._tick_again = False

    # -- reading ---------------------------------------------------------------------------
    def _business(self, tenant_id: uuid.UUID) -> Business | None:
        try:
            found: Business = self.repository.get(business_id(tenant_id))
        except AggregateNotFoundError:
            return None
        if found.shredded and found.name is not None and not found.name.forgotten:
            # Another replica shredded it while this one still had the key cached: drop the
            # cached key too, and read the business again as it now is (AR-1).
            self.keys.forget(found.subject)
            return self._business(tenant_id)
        return found

    def _agenda(self, tenant_id: uuid.UUID | None = None, shard: int | None = None) -> Agenda:
        shard = shard_of(tenant_id) if tenant_id is not None else shard
        assert shard is not None
        try:
            found: Agenda = self.repository.get(agenda_id(shard))
        except AggregateNotFoundError:
            found = Agenda(shard)
        return found

    def agendas(self) -> list[Agenda]:
        return [self._agenda(shard=shard) for shard in range(SHARDS)]

    # -- the one way a business changes ----------------------------------------------------
    def _change(self, tenant_id: uuid.UUID, mutate: Callable[[Unit], T], cause: Cause) -> T:
        """get → mutate → save, with the business's next deadline written to the agenda in
        the same transaction; run again when another change got there first (optimistic
        concurrency). ``mutate`` may do harmless-to-repeat I/O before the save."""
        for attempt in range(CONFLICT_RETRIES):
            if attempt:
                eventlet.sleep(random.uniform(0, 0.002 * attempt))
            unit = Unit(self._business(tenant_id) or Business(tenant_id), self._agenda(tenant_id))
            result = mutate(unit)
            unit.agenda.set_due(tenant_id, unit.business.next_due())
            changed = [a for a in (unit.business, unit.agenda, *unit.others) if a.pending_events]
            if not changed:
                return result
            try:
                self.save_caused(*changed, cause=cause)
            except (IntegrityError, OperationalError):
                if cause.inbox_event_id is not None and self.has_handled(cause.inbox_event_id):
                    raise
                continue
            if unit.agenda in changed:
                self._snapshot_agenda(unit.agenda)
            return result
        raise DomainError("busy_try_again")

    def _snapshot_agenda(self, agenda: Agenda) -> None:
        if agenda.version % AGENDA_SNAPSHOT_EVERY == 0:
            with contextlib.suppress(IntegrityError):  # another process took it: a snapshot is only a shortcut
                self.take_snapshot(agenda.id, version=agenda.version)

    # -- what tenancy and provisioning tell ------------------------------------------------
    def record_tenancy_event(self, event: Any, occurred_at: datetime, cause: Cause) -> None:
        tenant_id = event.tenant_id

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

        self._change(tenant_id, mutate, cause)

    def record_backup(self, event: provisioning.BackupTakenV1, cause: Cause) -> None:
        self._change(event.tenant_id, lambda unit: unit.business.record_backup(
            event.backup_id, event.taken_at, event.retained_until, event.sha256), cause)

    # -- the status page (AR-1, AR-2) ------------------------------------------------------
    def tenant_status(self, tenant_id: object, user_id: str, roles: list[str]) -> dict[str, Any]:
        tid = parse_id(tenant_id)
        business = self._business(tid)
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
            "exports": [self.export_status(e, user_id, roles) for e in reversed(business.exports[-EXPORTS_LISTED:])],
        }


def parse_id(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError("not_found") from None


def when(moment: datetime | None) -> dict[str, str] | None:
    if moment is None:
        return None
    return {"utc": moment.isoformat(), "jalali": jalali_date(moment, "fa"), "jalali_latin": jalali_date(moment, "en")}
