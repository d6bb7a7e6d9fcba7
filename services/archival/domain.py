"""Archival's aggregate: one business's road from lapse to deletion and back (AR-1 … AR-3).
No I/O here: the application drops books, destroys keys and decrypts backups, then tells
the aggregate, which decides what is due and records each step once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from services.archival.calendar import REMINDER_DAYS, deletion_due, reminder_at
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal

NAMESPACE = uuid.UUID("6f1d0c2e-5b8a-4c47-9e3d-0a7b2c9d4e51")
# The purge, one recorded step at a time; a process killed between two steps redoes only
# the step it had not recorded, and each step is harmless to redo.
PURGE_STEPS = ("books_dropped", "exports_deleted", "personal_data_shredded", "purged")
LIVE = ("active", "scheduled", "restored")  # books exist, reports can be taken (AR-2)


def business_id(tenant_id: uuid.UUID) -> uuid.UUID:
    return tenant_id  # one stream per business, named by the business: its events name it


# A shredded subject's key is never made again (old values would no longer open): each life
# of a business, the first and one more per restore, has subjects of its own.
def business_subject(tenant_id: uuid.UUID, generation: int = 0) -> str:
    return f"business:{tenant_id}" + (f":{generation}" if generation else "")  # shredded at the purge


def restorable_subject(tenant_id: uuid.UUID, generation: int = 0) -> str:
    # What a restore needs after the purge (the name) lives only as long as a backup does.
    return f"restorable:{tenant_id}" + (f":{generation}" if generation else "")


def order_id_for(restore_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"restore-order:{restore_id}")  # the contract: billing's order id


@dataclass(frozen=True)
class Backup:
    backup_id: str
    taken_at: datetime
    retained_until: datetime
    sha256: str
    key_destroyed: bool = False

    def retained(self, now: datetime) -> bool:
        return not self.key_destroyed and now < self.retained_until


@dataclass(frozen=True)
class Restore:
    restore_id: str
    order_id: str
    backup_id: str
    requested_by: str
    completed: bool = False


class Business(Aggregate):
    @event("Registered")
    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self.state = "active"  # active | scheduled | purging | purged | restored
        self.name: Personal | None = None
        self.admin_user_id: uuid.UUID | None = None
        self.business_type: str | None = None
        self.products: tuple[str, ...] = ()
        self.members: dict[str, tuple[bool, datetime]] = {}  # user id → (member?, as of)
        self.lapsed_at: datetime | None = None
        self.deletion_due_at: datetime | None = None
        self.reactivated_at: datetime | None = None
        self.reminders_done: tuple[int, ...] = ()
        self.purge_steps: tuple[str, ...] = ()
        self.purge_counts: dict[str, int] = {}
        self.purged_at: datetime | None = None
        self.restorable_name: Personal | None = None
        self.backups: dict[str, Backup] = {}
        self.exports: tuple[str, ...] = ()
        self.restore: Restore | None = None
        self.generation = 0  # restores so far
        self.restore_failure: str | None = None
        self.organizations: tuple[str, ...] = ()  # TE-1: each with separate books, purged with the business

    @property
    def subject(self) -> str:
        return business_subject(self.tenant_id, self.generation)

    @property
    def restorable(self) -> str:
        return restorable_subject(self.tenant_id, self.generation)

    @staticmethod
    def create_id(tenant_id: uuid.UUID) -> uuid.UUID:
        return business_id(tenant_id)

    # -- what tenancy tells ----------------------------------------------------------------
    @event("Activated")
    def activated(self, name: Personal, admin_user_id: uuid.UUID, business_type: str, products: list[str],
                  at: datetime) -> None:
        self.name, self.admin_user_id = name, admin_user_id
        self.business_type, self.products = business_type, tuple(products)
        self.members[str(admin_user_id)] = (True, at)

    def member_changed(self, user_id: uuid.UUID, member: bool, at: datetime) -> None:
        current = self.members.get(str(user_id))
        if current is None or at >= current[1]:  # an older fact arriving late changes nothing
            self._member_changed(user_id=user_id, member=member, at=at)

    @event("MemberChanged")
    def _member_changed(self, user_id: uuid.UUID, member: bool, at: datetime) -> None:
        self.members[str(user_id)] = (member, at)

    def organization_added(self, organization_id: uuid.UUID) -> None:
        if str(organization_id) not in self.organizations:
            self._organization_added(organization_id=str(organization_id))

    @event("OrganizationAdded")
    def _organization_added(self, organization_id: str) -> None:
        self.organizations = (*self.organizations, organization_id)

    def lapse(self, name: Personal, admin_user_id: uuid.UUID, lapsed_at: datetime) -> None:
        if self.state not in ("active", "restored"):
            return  # already scheduled (a redelivery), or already deleted
        if self.reactivated_at is not None and lapsed_at <= self.reactivated_at:
            return  # the reactivation that ended this lapse arrived first
        self._scheduled(name=name, admin_user_id=admin_user_id, lapsed_at=lapsed_at,
                        deletion_due_at=deletion_due(lapsed_at))

    @event("ArchivalScheduled")
    def _scheduled(self, name: Personal, admin_user_id: uuid.UUID, lapsed_at: datetime,
                   deletion_due_at: datetime) -> None:
        self.name, self.admin_user_id = name, admin_user_id
        self.members.setdefault(str(admin_user_id), (True, lapsed_at))
        self.state, self.lapsed_at, self.deletion_due_at = "scheduled", lapsed_at, deletion_due_at
        self.reminders_done = ()

    def reactivate(self, admin_user_id: uuid.UUID, reactivated_at: datetime, now: datetime) -> None:
        if self.state == "scheduled":
            assert self.deletion_due_at is not None
            self._cancelled(deletion_was_due_at=self.deletion_due_at, reactivated_at=reactivated_at,
                            cancelled_at=now)
        elif self.state in ("active", "restored") and (self.reactivated_at is None
                                                      or reactivated_at > self.reactivated_at):
            # its lapse may still arrive
            self._reactivation_noted(admin_user_id=admin_user_id, reactivated_at=reactivated_at)
        # purging or purged: too late, the data is gone (a restore is the way back, AR-3)

    @event("ArchivalCancelled")
    def _cancelled(self, deletion_was_due_at: datetime, reactivated_at: datetime, cancelled_at: datetime) -> None:
        self.state, self.reactivated_at = "active", reactivated_at
        self.deletion_due_at = None

    @event("ReactivationNoted")
    def _reactivation_noted(self, admin_user_id: uuid.UUID, reactivated_at: datetime) -> None:
        self.reactivated_at, self.admin_user_id = reactivated_at, admin_user_id

    # -- who may see what ------------------------------------------------------------------
    def is_member(self, user_id: str) -> bool:
        return self.members.get(user_id, (False, None))[0] or user_id == str(self.admin_user_id)

    def check_may_see(self, user_id: str, roles: list[str]) -> None:
        if "support" not in roles and not self.is_member(user_id):
            raise DomainError("forbidden")

    # -- reminders (NO-1) -----------------------------------------------------------------
    def reminders_due(self, now: datetime) -> list[int]:
        if self.state != "scheduled":
            return []
        assert self.deletion_due_at is not None
        return [d for d in REMINDER_DAYS if d not in self.reminders_done
                and reminder_at(self.deletion_due_at, d) <= now < self.deletion_due_at]

    def remind(self, now: datetime) -> None:
        due = self.reminders_due(now)
        if due:
            # When the clock jumped past several reminders, only the nearest is told; the
            # others are recorded as overtaken, so no reminder is ever sent twice or late.
            self._reminded(days_before=min(due), overtaken=[d for d in due if d != min(due)],
                           deletion_due_at=self.deletion_due_at, name=self.name,
                           admin_user_id=self.admin_user_id)

    @event("DeletionReminderDue")
    def _reminded(self, days_before: int, overtaken: list[int], deletion_due_at: datetime | None,
                  name: Personal | None, admin_user_id: uuid.UUID | None) -> None:
        self.reminders_done = (*self.reminders_done, days_before, *overtaken)

    # -- the purge (AR-1) ------------------------------------------------------------------
    def purge_due(self, now: datetime) -> bool:
        return self.state == "purging" or (
            self.state == "scheduled" and self.deletion_due_at is not None and now >= self.deletion_due_at)

    @property
    def shredded(self) -> bool:
        return "personal_data_shredded" in self.purge_steps

    def next_purge_step(self) -> str:
        return next(step for step in PURGE_STEPS if step not in self.purge_steps)

    def start_purge(self, book_rows: int, now: datetime) -> None:
        """The before-purge note: what is about to go, written before anything goes."""
        name = None
        if self.latest_retained_backup(now) is not None and self.name is not None and not self.name.forgotten:
            name = Personal(self.restorable, self.name.value)
        self._purge_started(counts={"ledgers": book_rows, "members": sum(m for m, _ in self.members.values())},
                            restorable_name=name, started_at=now)

    @event("PurgeStarted")
    def _purge_started(self, counts: dict[str, int], restorable_name: Personal | None, started_at: datetime) -> None:
        self.state, self.purge_steps, self.purge_counts = "purging", (), dict(counts)
        self.restorable_name = restorable_name

    @event("PurgeStepDone")
    def purge_step_done(self, step: str, records: int) -> None:
        self.purge_steps = (*self.purge_steps, step)
        self.purge_counts = {**self.purge_counts, step: records}

    def finish_purge(self, now: datetime) -> None:
        counts = self.purge_counts
        datasets = {"ledgers": counts.get("ledgers", 0), "members": counts.get("members", 0),
                    "organizations": len(self.organizations),
                    "exports": counts.get("exports_deleted", 0),
                    "personal_data_keys": counts.get("personal_data_shredded", 0)}
        self._purged(lapsed_at=self.lapsed_at, purged_at=now, datasets=datasets,
                     backups_retained_until=self.backups_retained_until(now))

    @event("Purged")
    def _purged(self, lapsed_at: datetime | None, purged_at: datetime, datasets: dict[str, int],
                backups_retained_until: datetime | None) -> None:
        self.state, self.purged_at, self.purge_steps = "purged", purged_at, PURGE_STEPS
        self.members = {}

    # -- backups (AR-3) --------------------------------------------------------------------
    def record_backup(self, backup_id: uuid.UUID, taken_at: datetime, retained_until: datetime, sha256: str) -> None:
        if str(backup_id) not in self.backups:
            self._backup_recorded(backup_id=str(backup_id), taken_at=taken_at, retained_until=retained_until,
                                  sha256=sha256)

    @event("BackupRecorded")
    def _backup_recorded(self, backup_id: str, taken_at: datetime, retained_until: datetime, sha256: str) -> None:
        self.backups[backup_id] = Backup(backup_id, taken_at, retained_until, sha256)

    def expired_backups(self, now: datetime) -> list[str]:
        return [b.backup_id for b in self.backups.values() if not b.key_destroyed and now >= b.retained_until]

    def backup_key_destroyed(self, backup_id: str, now: datetime) -> None:
        # The last backup gone after the purge: what a restore would have needed goes too.
        last = self.state == "purged" and not any(
            b.retained(now) for b in self.backups.values() if b.backup_id != backup_id)
        self._backup_key_destroyed(backup_id=backup_id, destroyed_at=now, restorable_gone=last)

    @event("BackupKeyDestroyed")
    def _backup_key_destroyed(self, backup_id: str, destroyed_at: datetime, restorable_gone: bool) -> None:
        self.backups[backup_id] = replace(self.backups[backup_id], key_destroyed=True)
        if restorable_gone:
            self.restorable_name = None

    def latest_retained_backup(self, now: datetime) -> Backup | None:
        retained = [b for b in self.backups.values() if b.retained(now)]
        return max(retained, key=lambda b: b.taken_at) if retained else None

    def backups_retained_until(self, now: datetime) -> datetime | None:
        retained = [b.retained_until for b in self.backups.values() if b.retained(now)]
        return max(retained) if retained else None

    # -- restore (AR-3) --------------------------------------------------------------------
    def request_restore(self, restore_id: uuid.UUID, user_id: str, roles: list[str], now: datetime) -> Restore:
        if "support" not in roles and user_id != str(self.admin_user_id):
            raise DomainError("forbidden")
        if self.state != "purged":
            raise DomainError("not_deleted", state=self.state)
        if self.restore is not None and not self.restore.completed:
            return self.restore  # a double click, or asked again before paying: the same order
        backup = self.latest_retained_backup(now)
        if backup is None or self.restorable_name is None or self.restorable_name.forgotten:
            raise DomainError("no_backup_retained")
        if self.business_type is None:
            raise DomainError("no_backup_retained", reason="business_unknown")
        self._restore_requested(restore_id=str(restore_id), order_id=str(order_id_for(restore_id)),
                                backup_id=backup.backup_id, backup_taken_at=backup.taken_at,
                                requested_by=user_id, name=self.restorable_name,
                                business_type=self.business_type)
        assert self.restore is not None
        return self.restore

    @event("RestoreRequested")
    def _restore_requested(self, restore_id: str, order_id: str, backup_id: str, backup_taken_at: datetime,
                           requested_by: str, name: Personal, business_type: str) -> None:
        self.restore = Restore(restore_id, order_id, backup_id, requested_by)

    def complete_restore(self, fee_rials: int, now: datetime) -> None:
        assert self.restore is not None and self.restorable_name is not None
        backup = self.backups[self.restore.backup_id]
        name = Personal(business_subject(self.tenant_id, self.generation + 1), self.restorable_name.reveal())
        self._restored(restore_id=self.restore.restore_id, backup_id=backup.backup_id,
                       backup_taken_at=backup.taken_at, requested_by=self.restore.requested_by, name=name,
                       business_type=self.business_type, admin_user_id=self.admin_user_id,
                       products=list(self.products), fee_rials=fee_rials, restored_at=now)

    @event("RestoreCompleted")
    def _restored(self, restore_id: str, backup_id: str, backup_taken_at: datetime, requested_by: str,
                  name: Personal, business_type: str | None, admin_user_id: uuid.UUID | None, products: list[str],
                  fee_rials: int, restored_at: datetime) -> None:
        assert self.restore is not None
        self.restore = replace(self.restore, completed=True)
        self.state, self.name, self.generation = "restored", name, self.generation + 1
        self.lapsed_at = self.deletion_due_at = self.purged_at = None
        self.reminders_done, self.purge_steps = (), ()
        self.members = {str(admin_user_id): (True, restored_at)}

    @event("RestoreFailed")
    def restore_failed(self, reason: str, failed_at: datetime) -> None:
        # The paid order could not be fulfilled (its backup's retention ended meanwhile):
        # operators refund it; a new request is refused with the reason.
        self.restore, self.restore_failure = None, reason

    # -- exports (AR-4) --------------------------------------------------------------------
    @event("ExportRecorded")
    def export_recorded(self, export_id: uuid.UUID) -> None:
        self.exports = (*self.exports, str(export_id))

    # -- the agenda ------------------------------------------------------------------------
    def next_due(self) -> datetime | None:
        """When the clock next has something to do here, or None."""
        times = [b.retained_until for b in self.backups.values() if not b.key_destroyed]
        if self.state == "purging":
            assert self.deletion_due_at is not None
            times.append(self.deletion_due_at)
        if self.state == "scheduled":
            assert self.deletion_due_at is not None
            times.append(self.deletion_due_at)
            times += [reminder_at(self.deletion_due_at, d) for d in REMINDER_DAYS if d not in self.reminders_done]
        return min(times) if times else None
