# mypy: disable-error-code="misc"
# (the mixin's methods take `self: ProvisioningApplication`, which mypy cannot see is its subclass)
"""Doing an order's steps (PR-1 … PR-7, X-2): the first remaining step's work in the books,
committed, then its event recorded; a conflict with a concurrent worker just reads again.
Run after every order delivery (a duplicate too: the first may have died mid-way, unacked)
and at start-up for whatever a crash left open. Mixed into ProvisioningApplication."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError, OperationalError
from eventsourcing.utils import get_topic

from services.provisioning import books as seeding
from services.provisioning.domain import (
    BACKUP_SCHEDULE,
    BASE_SEATS,
    SUPPORT_CHANNELS,
    Order,
    Provisioning,
    initial_backup_id,
    scheduled_backup_id,
)
from shared.kernel.errors import DomainError
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause

if TYPE_CHECKING:
    from services.provisioning.application import ProvisioningApplication

CONFLICT_RETRIES = 50


class StepUseCases:
    def finish_pending(self: ProvisioningApplication, tenant_id: uuid.UUID, cause: Cause) -> int:
        """Do every remaining step of the tenant's orders; the number of steps recorded here."""
        recorded = 0
        cause = Cause(cause.correlation_id, cause.causation_id)  # steps are not the inbound event's handling
        with self._tenant_locks[tenant_id]:  # one worker per tenant in this process; others are fenced by the store
            for _ in range(CONFLICT_RETRIES * 4):
                provisioning = self._provisioning(tenant_id)
                pending = provisioning.pending_orders() if provisioning else []
                if not pending or provisioning is None:
                    return recorded
                order = pending[0]
                if order.remaining:
                    done = self._do_next_steps(provisioning, order)
                else:
                    provisioning.complete(order.source_id)
                    done = ["completed"]
                try:
                    self.save_caused(provisioning, cause=cause)
                except (IntegrityError, OperationalError):
                    continue  # another worker recorded them first: read again
                recorded += len(done)
                get_logger().info("provisioning.steps", tenant_id=str(tenant_id), steps=done,
                                  source_id=str(order.source_id))
                if self.pause_after_step in done:
                    get_logger().warning("provisioning.paused", step=self.pause_after_step)
                    time.sleep(3600)
        raise DomainError("busy_try_again")

    def _do_next_steps(self: ProvisioningApplication, provisioning: Provisioning, order: Order) -> list[str]:
        """The order's next steps, recorded on the aggregate (the caller saves them together). The
        steps in the books share one transaction; the backup goes alone, as it copies committed
        books. A crash between the books' commit and the save redoes them, which is harmless."""
        tenant_id, steps = provisioning.tenant_id, list(order.remaining)
        if steps[0] == "first_backup_taken":
            backup_id = initial_backup_id(tenant_id, order.source_id)
            provisioning.record_step(order.source_id, steps[0], self._take_backup(tenant_id, backup_id, "initial"))
            return steps[:1]
        done: list[str] = []
        with self.books.open(tenant_id, create=steps[0] == "books_created") as books:
            for step in steps:
                if step == "first_backup_taken":
                    break
                provisioning.record_step(order.source_id, step, self._book_step(step, provisioning, order, books))
                done.append(step)
                if step == self.pause_after_step:
                    break  # tests: the steps after it stay undone until the process is killed
        return done

    def _book_step(self: ProvisioningApplication, step: str, provisioning: Provisioning, order: Order,
                   books: Any) -> dict[str, Any]:
        """One step's work in the books (inside the caller's transaction); what its event records."""
        now = self.clock.now()
        if step == "books_created":
            return seeding.create_schema(books)
        if step == "chart_seeded":
            return seeding.seed_chart(books, provisioning.business_type)
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

    def _take_backup(self: ProvisioningApplication, tenant_id: uuid.UUID, backup_id: uuid.UUID,
                     kind: str) -> dict[str, Any]:
        taken_at = self.clock.now()
        size, sha256 = self.backups.write(tenant_id, backup_id, self.books.snapshot(tenant_id))
        return {"backup_id": str(backup_id), "kind": kind, "taken_at": taken_at.isoformat(), "size_bytes": size,
                "sha256": sha256, "location": self.backups.location(tenant_id, backup_id),
                "retained_until": (taken_at + self.retention).isoformat()}

    def take_scheduled_backups(self: ProvisioningApplication, cause: Cause) -> int:
        """PR-5's daily backups, by the platform clock; the number taken in this pass."""
        taken = 0
        for tenant_id in self._provisioned_tenants():
            with self._tenant_locks[tenant_id]:
                provisioning, now = self._provisioning(tenant_id), self.clock.now()
                if provisioning is None or not provisioning.backup_due(now) or not self.books.exists(tenant_id):
                    continue  # (books gone: archival purged them before we heard of it)
                try:
                    facts = self._take_backup(tenant_id, scheduled_backup_id(tenant_id, now), "scheduled")
                    provisioning.backup_taken(tenant_id=tenant_id, facts=facts)
                    self.save_caused(provisioning, cause=cause)
                except (IntegrityError, OperationalError):
                    continue  # another worker changed the business: the next pass looks again
                except Exception:  # noqa: BLE001 - one business's books (e.g. being purged) stop no other
                    get_logger().exception("provisioning.backup_failed", tenant_id=str(tenant_id))
                    continue
                taken += 1
                get_logger().info("provisioning.backup_taken", tenant_id=str(tenant_id), backup_id=facts["backup_id"])
        return taken

    def _provisioned_tenants(self: ProvisioningApplication) -> list[uuid.UUID]:
        topic = get_topic(Provisioning.TenantProvisioned)  # type: ignore[attr-defined]
        tenants: list[uuid.UUID] = []
        start: int | None = None
        while True:
            batch = self.recorder.select_notifications(start, 500, topics=(topic,), inclusive_of_start=start is None)
            tenants += [self.repository.get(uuid.UUID(str(n.originator_id))).tenant_id for n in batch]
            if len(batch) < 500:
                return tenants
            start = batch[-1].id

    def resume_all(self: ProvisioningApplication, cause: Cause) -> int:
        """At start-up: finish whatever a crash left half done (orders accepted, not completed)."""
        open_orders: defaultdict[uuid.UUID, int] = defaultdict(int)
        accepted, completed = get_topic(Provisioning.OrderAccepted), get_topic(Provisioning.OrderCompleted)  # type: ignore[attr-defined]
        start: int | None = None
        while True:
            batch = self.recorder.select_notifications(start, 500, topics=(accepted, completed),
                                                       inclusive_of_start=start is None)
            for notification in batch:
                open_orders[uuid.UUID(str(notification.originator_id))] += 1 if notification.topic == accepted else -1
            if len(batch) < 500:
                break
            start = batch[-1].id
        resumed = 0
        for aggregate_id, still_open in open_orders.items():
            if still_open <= 0:
                continue
            provisioning: Provisioning = self.repository.get(aggregate_id)
            try:
                resumed += self.finish_pending(provisioning.tenant_id, cause)
            except Exception:  # noqa: BLE001 - one stuck business (e.g. a restore whose books are missing)
                get_logger().exception("provisioning.resume_failed", tenant_id=str(provisioning.tenant_id))
        return resumed

