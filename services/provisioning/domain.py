"""Provisioning's aggregate: one per business (tenant). Each order that reaches it — a
payment, an educational licence, a restore — becomes a plan of steps, and each step done
is an event; the aggregate always says which steps remain, so a crash mid-way resumes where
it stopped and a duplicate order is recognised by its source id (X-2). No I/O here: the
application does each step's work in the business's books and then records it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.kernel.subject_keys import Personal

NAMESPACE = uuid.UUID("9d7a4f0e-3c1b-4e5a-8f21-6b0e7c2d9a44")
BASE_SEATS = 3  # the admin and two more users (PR-3)
SUPPORT_CHANNELS = ("ticket", "phone", "in_person")  # PR-4
BACKUP_SCHEDULE = "daily"  # PR-5
BACKUP_EVERY = timedelta(days=1)

# What each product opens (PR-1, PR-6, PR-7, BI-4).
MODULES_OF = {
    "accounting": ("accounting", "treasury", "inventory", "sales"),
    "payroll": ("payroll",),
    "fixed_assets": ("fixed_assets",),
    "educational": ("educational_accounting",),
}

# Every step a first order can take, in order. Redoing any of them is harmless (see books.py).
FULL_PLAN = ("books_created", "chart_seeded", "modules_activated", "payroll_seeded", "asset_categories_seeded",
             "admin_seated", "support_entitled", "training_offered", "backup_scheduled", "first_backup_taken")


def modules_for(products: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(module for product in products for module in MODULES_OF.get(product, ()))


def plan_for(kind: str, products: tuple[str, ...], first: bool) -> tuple[str, ...]:
    """The steps an order takes. The first order of a business (whatever billing calls it:
    AMQP may deliver an add-on before its business's "new") builds the books from scratch."""
    data_steps = {"payroll_seeded": "payroll" in products, "asset_categories_seeded": "fixed_assets" in products}
    if first and kind != "restore":
        return tuple(step for step in FULL_PLAN if data_steps.get(step, True))
    if kind == "renewal":
        return ("modules_activated", "support_entitled")
    if kind == "add_on":
        return ("modules_activated", *(step for step, wanted in data_steps.items() if wanted))
    return ("modules_activated",)  # restore: the restored books' modules open again


@dataclass(frozen=True)
class Chart:
    """The chart of accounts the books were seeded with (what chart_seeded recorded)."""

    type: str
    version: str
    accounts: int

    @classmethod
    def of(cls, facts: dict[str, Any]) -> Chart:
        return cls(type=str(facts["type"]), version=str(facts["version"]), accounts=int(facts["accounts"]))

    def facts(self) -> dict[str, Any]:
        return {"type": self.type, "version": self.version, "accounts": self.accounts}


@dataclass(frozen=True)
class Backup:
    """A backup taken of the books (what first_backup_taken or BackupTaken recorded)."""

    backup_id: str
    kind: str  # initial | scheduled
    taken_at: datetime
    retained_until: datetime
    size_bytes: int
    sha256: str
    location: str

    @classmethod
    def of(cls, facts: dict[str, Any]) -> Backup:
        return cls(backup_id=str(facts["backup_id"]), kind=str(facts["kind"]),
                   taken_at=datetime.fromisoformat(facts["taken_at"]),
                   retained_until=datetime.fromisoformat(facts["retained_until"]),
                   size_bytes=int(facts["size_bytes"]), sha256=str(facts["sha256"]), location=str(facts["location"]))


@dataclass(frozen=True)
class Branch:
    """An organization tenancy added (TE-1): its detail in «شعب» is seeded in the books."""

    name: str
    kind: str  # office | branch | warehouse


@dataclass
class Order:
    source: str  # payment | educational_licence | restore
    source_id: uuid.UUID
    kind: str
    products: tuple[str, ...]
    modules: tuple[str, ...]
    period_end: datetime
    steps: tuple[str, ...]
    done: dict[str, dict[str, Any]] = field(default_factory=dict)  # step → what it recorded
    completed: bool = False

    @property
    def remaining(self) -> tuple[str, ...]:
        return tuple(step for step in self.steps if step not in self.done)


class Provisioning(Aggregate):
    @event("Started")
    def __init__(self, tenant_id: uuid.UUID, business_name: Personal, business_type: str,
                 admin_user_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self.business_name = business_name
        self.business_type = business_type
        self.admin_user_id = admin_user_id
        self.orders: dict[str, Order] = {}
        self.modules: dict[str, datetime] = {}  # module → active until
        self.chart: Chart | None = None
        self.seats = 0
        self.support_until: datetime | None = None
        self.training_offered = False
        self.backup_schedule: str | None = None
        self.backups: list[Backup] = []
        self.purged_at: datetime | None = None
        self.provisioned = False
        self.branches: dict[str, Branch] = {}  # organization id → its branch (TE-1)
        self.payroll_upgrades: list[dict[str, Any]] = []  # formulas replaced at the admin's request (#18)

    @staticmethod
    def create_id(tenant_id: uuid.UUID, **_: object) -> uuid.UUID:
        return provisioning_id(tenant_id)

    # -- orders --------------------------------------------------------------------------
    def accept(self, source: str, source_id: uuid.UUID, kind: str, products: tuple[str, ...],
               period_end: datetime) -> bool:
        """Plan an order; False when this order was accepted before (a duplicate payment)."""
        if str(source_id) in self.orders:
            return False
        first = not any(o.kind != "restore" for o in self.orders.values())
        self._order_accepted(source=source, source_id=source_id, kind=kind, products=tuple(products),
                             modules=modules_for(tuple(products)), period_end=period_end,
                             steps=plan_for(kind, tuple(products), first))
        return True

    @event("OrderAccepted")
    def _order_accepted(self, source: str, source_id: uuid.UUID, kind: str, products: tuple[str, ...],
                        modules: tuple[str, ...], period_end: datetime, steps: tuple[str, ...]) -> None:
        self.orders[str(source_id)] = Order(source, source_id, kind, tuple(products), tuple(modules), period_end,
                                            tuple(steps))

    def pending_orders(self) -> list[Order]:
        return [order for order in self.orders.values() if not order.completed]

    def order(self, source_id: uuid.UUID) -> Order:
        return self.orders[str(source_id)]

    # -- steps ---------------------------------------------------------------------------
    def record_step(self, source_id: uuid.UUID, step: str, facts: dict[str, Any]) -> None:
        order = self.order(source_id)
        if step in order.done or step not in order.steps:
            return  # done already (by a concurrent worker or before a crash): nothing to record
        self._step_done(tenant_id=self.tenant_id, source_id=source_id, step=step, facts=facts)

    @event("StepDone")
    def _step_done(self, tenant_id: uuid.UUID, source_id: uuid.UUID, step: str, facts: dict[str, Any]) -> None:
        order = self.orders[str(source_id)]
        order.done[step] = facts
        if step == "chart_seeded":
            self.chart = Chart.of(facts)
        elif step == "modules_activated":
            for module in order.modules:
                self.modules[module] = max(order.period_end, self.modules.get(module, order.period_end))
        elif step == "admin_seated":
            self.seats = max(self.seats, int(facts["seats"]))
        elif step == "support_entitled":
            self.support_until = max(order.period_end, self.support_until or order.period_end)
        elif step == "training_offered":
            self.training_offered = True
        elif step == "backup_scheduled":
            self.backup_schedule = facts["schedule"]
        elif step == "first_backup_taken":
            self.backups.append(Backup.of(facts))

    def complete(self, source_id: uuid.UUID) -> None:
        order = self.order(source_id)
        if order.completed or order.remaining:
            return
        self._order_completed(
            tenant_id=self.tenant_id, source=order.source, source_id=source_id, modules=order.modules,
            active_until=order.period_end,
            payroll_formulas=tuple(order.done.get("payroll_seeded", {}).get("formulas", ())),
            asset_categories=tuple(order.done.get("asset_categories_seeded", {}).get("categories", ())))
        if "books_created" in order.steps:  # the business's first order: say what was provisioned
            assert self.chart is not None and self.support_until is not None
            self._tenant_provisioned(
                tenant_id=self.tenant_id, source=order.source, source_id=source_id, business_name=self.business_name,
                business_type=self.business_type, chart=self.chart.facts(), admin_user_id=self.admin_user_id,
                seats=self.seats, support_until=self.support_until, support_channels=SUPPORT_CHANNELS,
                initial_training_offered=self.training_offered)

    @event("OrderCompleted")
    def _order_completed(self, tenant_id: uuid.UUID, source: str, source_id: uuid.UUID, modules: tuple[str, ...],
                         active_until: datetime, payroll_formulas: tuple[str, ...],
                         asset_categories: tuple[str, ...]) -> None:
        self.orders[str(source_id)].completed = True

    @event("TenantProvisioned")
    def _tenant_provisioned(self, tenant_id: uuid.UUID, source: str, source_id: uuid.UUID, business_name: Personal,
                            business_type: str, chart: dict[str, Any], admin_user_id: uuid.UUID, seats: int,
                            support_until: datetime, support_channels: tuple[str, ...],
                            initial_training_offered: bool) -> None:
        self.provisioned = True

    # -- organizations (TE-1) ---------------------------------------------------------------
    def add_branch(self, organization_id: uuid.UUID, name: str, kind: str) -> bool:
        """False when this organization was recorded before (a redelivery)."""
        if str(organization_id) in self.branches:
            return False
        self._branch_added(organization_id=str(organization_id), name=name, kind=kind)
        return True

    @event("BranchAdded")
    def _branch_added(self, organization_id: str, name: str, kind: str) -> None:
        self.branches[organization_id] = Branch(name, kind)

    def branch_details(self) -> tuple[tuple[str, str], ...]:
        """(organization id, name) of each branch, in the order they were added."""
        return tuple((organization_id, branch.name) for organization_id, branch in self.branches.items())

    # -- payroll formulas of an earlier version (#18) -----------------------------------------
    def upgrade_payroll(self, from_version: str, to_version: str, upgraded_by: str, at: datetime,
                        added: list[str], removed: list[str], changed: list[str]) -> None:
        """The admin replaced the books' payroll formulas with the current version's (the old
        ones are kept in the books' history): recorded, never done behind their back."""
        self._payroll_upgraded(from_version=from_version, to_version=to_version, upgraded_by=upgraded_by, at=at,
                               added=tuple(added), removed=tuple(removed), changed=tuple(changed))

    @event("PayrollUpgraded")
    def _payroll_upgraded(self, from_version: str, to_version: str, upgraded_by: str, at: datetime,
                          added: tuple[str, ...], removed: tuple[str, ...], changed: tuple[str, ...]) -> None:
        self.payroll_upgrades.append({"from_version": from_version, "to_version": to_version,
                                      "upgraded_by": upgraded_by, "at": at})

    # -- scheduled backups (PR-5) -----------------------------------------------------------
    def backup_due(self, now: datetime) -> bool:
        """A day after the last backup, while the books can still change: once the last module's
        period has ended, one more backup records the final state and the schedule rests."""
        if not self.provisioned or self.purged_at is not None or self.backup_schedule is None or not self.backups:
            return False
        last = self.backups[-1].taken_at
        return now - last >= BACKUP_EVERY and last < max(self.modules.values(), default=last)

    @event("BackupTaken")
    def backup_taken(self, tenant_id: uuid.UUID, facts: dict[str, Any]) -> None:
        self.backups.append(Backup.of(facts))

    # -- archival --------------------------------------------------------------------------
    def purge(self, purged_at: datetime) -> None:
        if self.purged_at is None:
            self._purged(purged_at=purged_at)

    @event("Purged")
    def _purged(self, purged_at: datetime) -> None:
        self.purged_at = purged_at

    @event("Reopened")
    def reopen(self, restored_at: datetime, backup_id: uuid.UUID) -> None:
        self.purged_at = None

    # -- reading ---------------------------------------------------------------------------
    @property
    def last_backup(self) -> Backup | None:
        return self.backups[-1] if self.backups else None


def provisioning_id(tenant_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"provisioning:{tenant_id}")


def scheduled_backup_id(tenant_id: uuid.UUID, now: datetime) -> uuid.UUID:
    """One a day, derived: a backup redone after a crash overwrites nothing (the first file wins)."""
    return uuid.uuid5(NAMESPACE, f"backup:{tenant_id}:scheduled:{now.date().isoformat()}")


def initial_backup_id(tenant_id: uuid.UUID, source_id: uuid.UUID) -> uuid.UUID:
    """Derived, so a step redone after a crash (or by a concurrent worker) names the same backup."""
    return uuid.uuid5(NAMESPACE, f"backup:{tenant_id}:{source_id}:initial")
