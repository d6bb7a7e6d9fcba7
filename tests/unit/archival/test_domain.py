"""Archival's aggregates, their rules one by one (AR-1 … AR-4), in memory: the business's road
from lapse through the purge to a restore, and one export's life. No store, no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.archival.calendar import deletion_due
from services.archival.domain import PURGE_STEPS, Business, order_id_for
from services.archival.export_job import Export
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal

LAPSE = datetime(2026, 3, 10, 8, 30, tzinfo=UTC)
DUE = deletion_due(LAPSE)
ADMIN = uuid.uuid4()
B: Any = Business  # its event classes are made by eventsourcing's decorators, invisible to mypy


def named(business: Business) -> Personal:
    return Personal(business.subject, "فروشگاه")


def active() -> Business:
    business = Business(uuid.uuid4())
    business.activated(named(business), ADMIN, "trading", ["accounting"], LAPSE - timedelta(days=300))
    return business


def scheduled() -> Business:
    business = active()
    business.lapse(named(business), ADMIN, LAPSE)
    return business


def events_of(business: Business, kind: type) -> list[Any]:
    """The pending events of ``kind`` (collecting them: call once per check)."""
    return [e for e in business.collect_events() if isinstance(e, kind)]


def purged(*, backup_until: datetime | None = DUE + timedelta(days=90)) -> Business:
    """Through every purge step, with one backup retained until ``backup_until`` (None: no backup)."""
    business = scheduled()
    if backup_until is not None:
        business.record_backup(uuid.uuid4(), LAPSE - timedelta(days=1), backup_until, "ab" * 32)
    business.start_purge(42, DUE)
    for step in PURGE_STEPS[:-1]:
        assert business.next_purge_step() == step
        business.purge_step_done(step, 1)
    business.finish_purge(DUE)
    return business


# -- lapse, reactivation ---------------------------------------------------------------------

def test_a_lapse_schedules_deletion_three_calendar_months_later() -> None:
    business = scheduled()
    assert (business.state, business.lapsed_at, business.deletion_due_at) == ("scheduled", LAPSE, DUE)
    assert business.next_due() == DUE - timedelta(days=30)  # the first reminder is the clock's next work


def test_a_second_lapse_is_a_redelivery_and_changes_nothing() -> None:
    business = scheduled()
    business.collect_events()
    business.lapse(named(business), ADMIN, LAPSE + timedelta(days=5))
    assert business.collect_events() == [] and business.deletion_due_at == DUE


def test_a_reactivation_while_scheduled_cancels_the_deletion() -> None:
    business = scheduled()
    business.reactivate(ADMIN, LAPSE + timedelta(days=10), LAPSE + timedelta(days=10))
    (cancelled,) = events_of(business, B.ArchivalCancelled)
    assert cancelled.deletion_was_due_at == DUE
    assert business.state == "active" and business.deletion_due_at is None and business.next_due() is None


def test_a_lapse_older_than_the_reactivation_already_seen_schedules_nothing() -> None:
    business = active()
    business.reactivate(ADMIN, LAPSE + timedelta(days=3), LAPSE + timedelta(days=3))  # arrived first
    business.lapse(named(business), ADMIN, LAPSE)
    assert business.state == "active" and events_of(business, B.ArchivalScheduled) == []
    business.lapse(named(business), ADMIN, LAPSE + timedelta(days=30))  # a later lapse still counts
    assert business.state == "scheduled"


def test_a_reactivation_after_the_purge_began_changes_nothing() -> None:
    business = scheduled()
    business.start_purge(0, DUE)
    business.collect_events()
    business.reactivate(ADMIN, DUE, DUE)
    assert business.state == "purging" and business.collect_events() == []


# -- who may see ------------------------------------------------------------------------------

def test_members_the_admin_and_support_may_see_and_no_one_else() -> None:
    business = active()
    member, outsider = uuid.uuid4(), uuid.uuid4()
    business.member_changed(member, True, LAPSE)
    business.check_may_see(str(member), [])
    business.check_may_see(str(ADMIN), [])
    business.check_may_see(str(outsider), ["support"])
    with pytest.raises(DomainError) as refused:
        business.check_may_see(str(outsider), [])
    assert refused.value.code == "forbidden"


def test_a_removal_ends_membership_but_an_older_fact_arriving_late_changes_nothing() -> None:
    business = active()
    user = uuid.uuid4()
    business.member_changed(user, True, LAPSE)
    business.member_changed(user, False, LAPSE + timedelta(hours=1))
    business.member_changed(user, True, LAPSE - timedelta(hours=1))  # late: the removal stands
    assert not business.is_member(str(user))


def test_organizations_are_recorded_once() -> None:
    business = active()
    branch = uuid.uuid4()
    business.organization_added(branch)
    business.organization_added(branch)
    assert business.organizations == (str(branch),)


# -- reminders (NO-1) ------------------------------------------------------------------------

def test_each_reminder_once_and_a_jump_tells_only_the_nearest() -> None:
    business = scheduled()
    assert business.reminders_due(DUE - timedelta(days=31)) == []
    business.remind(DUE - timedelta(days=30))
    assert business.reminders_due(DUE - timedelta(days=29)) == []
    business.remind(DUE - timedelta(hours=12))  # the clock jumped past the 7- and 1-day marks
    reminded = events_of(business, B.DeletionReminderDue)
    assert [(e.days_before, e.overtaken) for e in reminded] == [(30, []), (1, [7])]
    assert business.reminders_due(DUE - timedelta(hours=1)) == [] and business.purge_due(DUE)


def test_no_reminder_once_the_deletion_date_has_passed() -> None:
    business = scheduled()
    assert business.reminders_due(DUE) == [] and business.purge_due(DUE)
    assert not business.purge_due(DUE - timedelta(seconds=1))


# -- the purge (AR-1) -----------------------------------------------------------------------

def test_the_purge_goes_step_by_step_and_announces_what_went() -> None:
    business = purged()
    pending = business.collect_events()
    (started,) = [e for e in pending if isinstance(e, B.PurgeStarted)]
    assert started.counts == {"ledgers": 42, "members": 1}
    assert [e.step for e in pending if isinstance(e, B.PurgeStepDone)] == list(PURGE_STEPS[:-1])
    (done,) = [e for e in pending if isinstance(e, B.Purged)]
    assert done.datasets == {"ledgers": 42, "members": 1, "organizations": 0, "exports": 1,
                             "personal_data_keys": 1}
    assert business.state == "purged" and business.members == {} and business.purged_at == DUE
    assert business.shredded


def test_the_name_is_kept_for_a_restore_only_while_a_backup_is_retained() -> None:
    assert purged().restorable_name is not None
    assert purged(backup_until=None).restorable_name is None
    assert purged(backup_until=DUE - timedelta(days=1)).restorable_name is None  # retention already over


def test_the_last_backup_key_destroyed_after_the_purge_takes_the_restorable_name() -> None:
    business = purged(backup_until=DUE + timedelta(days=10))
    later = DUE + timedelta(days=10)
    (expired,) = business.expired_backups(later)
    business.backup_key_destroyed(expired, later)
    assert business.restorable_name is None and business.backups_retained_until(later) is None
    assert business.expired_backups(later) == [] and business.next_due() is None


def test_a_backup_is_recorded_once_and_is_the_clock_s_business_when_it_expires() -> None:
    business = active()
    backup, until = uuid.uuid4(), LAPSE + timedelta(days=183)
    business.record_backup(backup, LAPSE, until, "ab" * 32)
    business.record_backup(backup, LAPSE, until + timedelta(days=1), "cd" * 32)
    assert list(business.backups) == [str(backup)] and business.backups[str(backup)].retained_until == until
    assert business.next_due() == until and business.latest_retained_backup(LAPSE).backup_id == str(backup)


# -- restore (AR-3) ----------------------------------------------------------------------------

def test_a_restore_is_only_for_a_purged_business() -> None:
    with pytest.raises(DomainError) as early:
        scheduled().request_restore(uuid.uuid4(), str(ADMIN), [], LAPSE)
    assert early.value.code == "not_deleted" and early.value.details["state"] == "scheduled"


def test_only_the_former_admin_or_support_may_ask_for_a_restore() -> None:
    business = purged()
    with pytest.raises(DomainError) as refused:
        business.request_restore(uuid.uuid4(), str(uuid.uuid4()), [], DUE)
    assert refused.value.code == "forbidden"
    assert business.request_restore(uuid.uuid4(), str(uuid.uuid4()), ["support"], DUE).order_id


def test_asked_again_before_paying_is_the_same_order() -> None:
    business = purged()
    restore_id = uuid.uuid4()
    first = business.request_restore(restore_id, str(ADMIN), [], DUE)
    again = business.request_restore(uuid.uuid4(), str(ADMIN), [], DUE)
    assert first == again and first.order_id == str(order_id_for(restore_id))
    assert len(events_of(business, B.RestoreRequested)) == 1


def test_no_restore_without_a_retained_backup() -> None:
    with pytest.raises(DomainError) as none:
        purged(backup_until=None).request_restore(uuid.uuid4(), str(ADMIN), [], DUE)
    assert none.value.code == "no_backup_retained"


def test_a_completed_restore_is_a_new_life_under_new_subjects() -> None:
    business = purged()
    old_subject = business.subject
    business.request_restore(uuid.uuid4(), str(ADMIN), [], DUE)
    business.complete_restore(50_000_000, DUE + timedelta(days=1))
    assert business.state == "restored" and business.generation == 1 and business.subject != old_subject
    assert business.name == Personal(business.subject, "فروشگاه")
    assert business.lapsed_at is None and business.purge_steps == () and business.is_member(str(ADMIN))
    (completed,) = events_of(business, B.RestoreCompleted)
    assert completed.fee_rials == 50_000_000 and completed.products == ["accounting"]


def test_a_failed_restore_clears_the_request_and_says_why() -> None:
    business = purged()
    business.request_restore(uuid.uuid4(), str(ADMIN), [], DUE)
    business.restore_failed("the backup's key was destroyed", DUE)
    assert business.restore is None and business.restore_failure == "the backup's key was destroyed"


# -- an export (AR-4) ------------------------------------------------------------------------

def test_an_export_goes_queued_building_ready_and_then_deleted() -> None:
    export = Export(uuid.uuid4(), uuid.uuid4(), str(ADMIN), "xlsx", LAPSE)
    assert export.status == "queued" and not export.settled()
    export.progressed(10, 100)
    assert (export.status, export.rows_done, export.rows_total) == ("building", 10, 100)
    export.completed(file_name="x.xlsx", size_bytes=5, sha256="0" * 64, rows_total=100,
                     available_until=LAPSE + timedelta(days=7), tenant_id=export.tenant_id,
                     requested_by=str(ADMIN), format="xlsx")
    assert export.status == "ready" and export.rows_done == 100 and export.settled()
    export.deleted(LAPSE + timedelta(days=7))
    assert export.status == "deleted" and export.settled()


def test_a_failed_export_keeps_its_reason() -> None:
    export = Export(uuid.uuid4(), uuid.uuid4(), str(ADMIN), "csv", LAPSE)
    export.failed("no_books")
    assert export.settled() and export.failure == "no_books"
