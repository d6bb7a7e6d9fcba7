"""Doing an order's steps (PR-1 … PR-7, X-2): the first remaining step's work in the books,
committed, then its event recorded; a conflict with a concurrent worker reads again and goes
on from what that worker recorded. Run after every order delivery (a duplicate too: the first
may have died mid-way, unacked) and at start-up for whatever a crash left open."""

from __future__ import annotations

import sqlite3
import uuid
from collections import defaultdict
from functools import partial
from typing import Any

from eventsourcing.utils import get_topic

from services.provisioning import books as seeding
from services.provisioning.backing_up import BackingUp
from services.provisioning.domain import (
    BACKUP_SCHEDULE,
    BASE_SEATS,
    SUPPORT_CHANNELS,
    Order,
    Provisioning,
    initial_backup_id,
)
from services.provisioning.ports import Books, StepHook
from services.provisioning.records import CONFLICT_TRIES, ProvisioningRecords
from shared.kernel.clock import Clock
from shared.kernel.conflicts import retry_on_conflict
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause


class Steps:
    def __init__(self, records: ProvisioningRecords, books: Books, backing_up: BackingUp, clock: Clock,
                 after_step: StepHook | None = None) -> None:
        self.records, self.books, self.backing_up, self.clock = records, books, backing_up, clock
        self.after_step = after_step  # the fault tests' hook; None in production

    def finish_pending(self, tenant_id: uuid.UUID, cause: Cause) -> int:
        """Do every remaining step of the tenant's orders; the number of steps recorded here."""
        recorded = 0
        cause = cause.untracked()  # steps are not the inbound event's handling
        # The aggregate as this worker last saved it: the next round goes on from it instead of
        # reading it again (four reads an order before, one now: issue #16). A round that loses a
        # race keeps nothing, so the retry reads what the other worker recorded.
        saved: list[Provisioning] = []
        with self.records.locks[tenant_id]:  # one worker per tenant in this process; others are fenced by the store
            # Each save records at least one step, so this ends; a conflict reads again (the helper).
            while done := retry_on_conflict(partial(self._next_steps, tenant_id, saved, cause), tries=CONFLICT_TRIES):
                recorded += len(done)
                if (hook := self.after_step) is not None:
                    for step in done:
                        hook(step)
        return recorded

    def _next_steps(self, tenant_id: uuid.UUID, saved: list[Provisioning], cause: Cause) -> list[str]:
        """Do the first pending order's next steps (or complete it) on the last saved aggregate,
        else on a fresh read; save. [] when none remain."""
        provisioning = saved.pop() if saved else self.records.find(tenant_id)
        pending = provisioning.pending_orders() if provisioning else []
        if provisioning is None or not pending:
            return []
        order = pending[0]
        if order.remaining:
            done = self._do_next_steps(provisioning, order)
        else:
            provisioning.complete(order.source_id)
            done = ["completed"]
        self.records.save(provisioning, cause=cause)
        saved.append(provisioning)
        get_logger().info("provisioning.steps", tenant_id=str(tenant_id), steps=done, source_id=str(order.source_id))
        return done

    def _do_next_steps(self, provisioning: Provisioning, order: Order) -> list[str]:
        """The order's next steps, recorded on the aggregate (the caller saves them together). The
        steps in the books share one transaction; the backup goes alone, as it copies committed
        books. A crash between the books' commit and the save redoes them, which is harmless."""
        tenant_id, steps = provisioning.tenant_id, list(order.remaining)
        if steps[0] == "first_backup_taken":
            backup_id = initial_backup_id(tenant_id, order.source_id)
            provisioning.record_step(order.source_id, steps[0], self.backing_up.take(tenant_id, backup_id, "initial"))
            return steps[:1]
        done: list[str] = []
        with self.books.open(tenant_id, create=steps[0] == "books_created") as books:
            for step in steps:
                if step == "first_backup_taken":
                    break
                provisioning.record_step(order.source_id, step, self._book_step(step, provisioning, order, books))
                done.append(step)
                if self.after_step is not None:
                    break  # under a fault hook each step is saved alone, so the hook sees it recorded
        return done

    def _book_step(self, step: str, provisioning: Provisioning, order: Order,
                   books: sqlite3.Connection) -> dict[str, Any]:
        """One step's work in the books (inside the caller's transaction); what its event records."""
        now = self.clock.now()
        if step == "books_created":
            return seeding.create_schema(books)
        if step == "chart_seeded":
            return seeding.seed_chart(books, provisioning.business_type, provisioning.branch_details())
        if step == "modules_activated":
            return seeding.activate_modules(books, order.modules, order.period_end, str(order.source_id))
        if step == "payroll_seeded":
            return seeding.seed_payroll(books)
        if step == "asset_categories_seeded":
            return seeding.seed_asset_categories(books)
        if step == "admin_seated":
            return seeding.seat_admin(books, str(provisioning.admin_user_id), BASE_SEATS, now)
        if step == "support_entitled":
            until = max(order.period_end, provisioning.support_until or order.period_end)
            seeding.put_setting(books, "support_until", until.isoformat())
            seeding.put_setting(books, "support_channels", ",".join(SUPPORT_CHANNELS))
            return {"until": until.isoformat()}
        if step == "training_offered":
            seeding.put_setting(books, "initial_training", "offered")
            return {}
        if step == "backup_scheduled":
            seeding.put_setting(books, "backup_schedule", BACKUP_SCHEDULE)
            return {"schedule": BACKUP_SCHEDULE}
        raise ValueError(f"unknown provisioning step {step!r}")

    def resume_all(self, cause: Cause) -> int:
        """At start-up: finish whatever a crash left half done (orders accepted, not completed)."""
        open_orders: defaultdict[uuid.UUID, int] = defaultdict(int)
        accepted, completed = get_topic(Provisioning.OrderAccepted), get_topic(Provisioning.OrderCompleted)  # type: ignore[attr-defined]
        for notification in self.records.notifications(accepted, completed):
            open_orders[uuid.UUID(str(notification.originator_id))] += 1 if notification.topic == accepted else -1
        resumed = 0
        for aggregate_id, still_open in open_orders.items():
            if still_open <= 0:
                continue
            provisioning = self.records.by_id(aggregate_id)
            try:
                resumed += self.finish_pending(provisioning.tenant_id, cause)
            except Exception:  # noqa: BLE001 - one stuck business (e.g. a restore whose books are missing)
                get_logger().exception("provisioning.resume_failed", tenant_id=str(provisioning.tenant_id))
        return resumed
