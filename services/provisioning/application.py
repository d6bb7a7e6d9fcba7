"""Provisioning's use cases: accept what billing and archival announce, purge, reopen, read
(PR-1 … PR-7, X-2); and the composition of the other groups: `steps` (do each remaining
step in the business's books and record it, resume at start-up) and `backing_up` (PR-5).

Accepting an order is saved with the inbound event's id (a redelivered event is refused by
the store); the steps are then done one by one, each recorded after its work committed. A
duplicate delivery, a restart or a concurrent worker all call ``steps.finish_pending``, which
does only what the aggregate says remains; a step redone after a crash is harmless."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from services.provisioning.backing_up import BackingUp
from services.provisioning.charts import add_branch_detail, branch_detail_codes
from services.provisioning.depreciation import asset_from_request, schedule, to_view
from services.provisioning.domain import Provisioning, modules_for
from services.provisioning.payroll import PayrollInputError
from services.provisioning.payroll_books import formulas_version, upgrade_formulas
from services.provisioning.payslip import OutdatedFormulas
from services.provisioning.payslip import preview as payslip_preview
from services.provisioning.ports import BackupVault, Books, StepHook
from services.provisioning.records import CONFLICT_TRIES, ProvisioningRecords
from services.provisioning.settings import ProvisioningSettings
from services.provisioning.steps import Steps
from services.provisioning.views import tenant_view
from shared.events import archival, billing, tenancy
from shared.kernel.clock import PlatformClock
from shared.kernel.config import Settings
from shared.kernel.conflicts import retry_on_conflict
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import SubjectKeys, business_subject
from shared.tenant_books import TenantBackups, TenantBooks

IGNORED_KINDS = ("limits", "restore")  # tenancy's limits; a paid restore is archival's, which tells us when done
T = TypeVar("T")


class NotProvisionedYet(LookupError):
    """An organization arrived before the business's first order (AMQP does not order one
    producer's events against another's): raised, so the inbox delivers it again later."""


class ProvisioningApplication(ServiceApplication):
    name = "provisioning"

    def __init__(self, settings: Settings, keys: SubjectKeys | None = None, clock: PlatformClock | None = None,
                 env: dict[str, str] | None = None, *, books: Books | None = None,
                 backups: BackupVault | None = None,
                 retention: timedelta = ProvisioningSettings().backup_retention,
                 after_step: StepHook | None = None) -> None:
        super().__init__(settings, keys=keys, clock=clock, env=env)
        self.books: Books = books if books is not None else TenantBooks(settings)
        self.backups: BackupVault = backups if backups is not None else TenantBackups(settings)
        self.records = ProvisioningRecords(self)
        self.backing_up = BackingUp(self.records, self.books, self.backups, self.clock, retention)
        self.steps = Steps(self.records, self.books, self.backing_up, self.clock, after_step)

    # -- orders in -----------------------------------------------------------------------
    def accept_payment(self, paid: billing.PaymentSucceededV1, cause: Cause) -> uuid.UUID | None:
        if paid.kind in IGNORED_KINDS:
            self.save_caused(cause=cause)  # handled: nothing to provision
            return None
        return self._accept(paid.tenant_id, "payment", paid.payment_id, paid.kind, tuple(paid.products),
                            paid.period_end, paid.business_name, paid.business_type, paid.payer_user_id, cause)

    def accept_licence(self, granted: billing.EducationalLicenceGrantedV1, cause: Cause) -> uuid.UUID | None:
        return self._accept(granted.tenant_id, "educational_licence", granted.application_id, "new",
                            tuple(granted.products), granted.period_end, granted.institution_name,
                            granted.business_type, granted.applicant_user_id, cause)

    def reopen_after_restore(self, restored: archival.RestoreCompletedV1, cause: Cause) -> uuid.UUID:
        """AR-3: archival restored the books; their modules open again until the end they had."""
        def attempt() -> uuid.UUID:
            provisioning = self.records.get_or_start(restored.tenant_id, restored.business_name,
                                                     restored.business_type, restored.admin_user_id)
            ends = [provisioning.modules[m] for m in modules_for(tuple(restored.products)) if m in provisioning.modules]
            provisioning.reopen(restored.restored_at, restored.backup_id)
            provisioning.accept("restore", restored.restore_id, "restore", tuple(restored.products),
                                max(ends, default=restored.restored_at))
            self.save_caused(provisioning, cause=cause)
            return restored.tenant_id
        return self._retrying(attempt)

    def _accept(self, tenant_id: uuid.UUID, source: str, source_id: uuid.UUID, kind: str, products: tuple[str, ...],
                period_end: datetime, business_name: str, business_type: str, admin_user_id: uuid.UUID,
                cause: Cause) -> uuid.UUID | None:
        def attempt() -> uuid.UUID | None:
            provisioning = self.records.get_or_start(tenant_id, business_name, business_type, admin_user_id)
            if provisioning.purged_at is not None:
                get_logger().warning("provisioning.ignored_after_purge", tenant_id=str(tenant_id), kind=kind)
                self.save_caused(cause=cause)
                return None
            provisioning.accept(source, source_id, kind, products, period_end)  # False: a duplicate order
            self.save_caused(provisioning, cause=cause)
            return tenant_id
        return self._retrying(attempt)

    @staticmethod
    def _retrying(attempt: Callable[[], T]) -> T:
        """get → mutate → save again when another worker changed the aggregate first; the
        store decides, and a duplicate event surfaces as AlreadyHandled (not retried)."""
        return retry_on_conflict(attempt, tries=CONFLICT_TRIES)

    # -- archival ------------------------------------------------------------------------
    def purge(self, purged: archival.TenantDataPurgedV1, cause: Cause) -> None:
        provisioning = self.records.find(purged.tenant_id)
        if provisioning is None:
            self.save_caused(cause=cause)
            return
        provisioning.purge(purged.purged_at)
        self.save_caused(provisioning, cause=cause)
        # The business's name in our events goes with its data (AR-1): its key is destroyed.
        self.keys.forget(business_subject(purged.tenant_id))

    # -- tenancy (TE-1) --------------------------------------------------------------------
    def add_branch(self, added: tenancy.OrganizationAddedV1, cause: Cause) -> None:
        """An organization becomes a branch detail (تفصیلی «شعب») in the business's books, for
        حساب جاری شعب / حساب جاری دفتر مرکزی. Books not seeded yet get it with the chart (the
        aggregate remembers the branch); a redelivery finds the detail already there."""
        def attempt() -> None:
            provisioning = self.records.find(added.tenant_id)
            if provisioning is None:
                raise NotProvisionedYet(str(added.tenant_id))
            if provisioning.purged_at is not None:
                self.save_caused(cause=cause)  # the books are gone (AR-1)
                return
            if provisioning.chart is not None and self.books.exists(added.tenant_id):
                with self.books.open(added.tenant_id) as books:
                    add_branch_detail(books, provisioning.business_type, str(added.organization_id), added.name)
            provisioning.add_branch(added.organization_id, added.name, added.kind)
            self.save_caused(provisioning, cause=cause)
        self._retrying(attempt)

    # -- reading -------------------------------------------------------------------------
    def _readable(self, tenant_id: object, user_id: object, roles: list[str]) -> Provisioning:
        """The business, for its admin or support only."""
        provisioning = self.records.find(parse_id(tenant_id, "tenant_not_found"))
        if provisioning is None:
            raise DomainError("tenant_not_found")
        if "support" not in roles and str(user_id) != str(provisioning.admin_user_id):
            raise DomainError("forbidden")
        return provisioning

    def tenant(self, tenant_id: object, user_id: object, roles: list[str], locale: str = "fa") -> dict[str, Any]:
        provisioning = self._readable(tenant_id, user_id, roles)
        codes: dict[str, tuple[str, str]] = {}
        if provisioning.purged_at is None and self.books.exists(provisioning.tenant_id):
            with self.books.open(provisioning.tenant_id) as books:
                codes = branch_detail_codes(books)
        return tenant_view(provisioning, locale, codes)

    def payslip_preview(self, tenant_id: object, user_id: object, roles: list[str], record: dict[str, Any],
                        year: int, month: int, locale: str = "fa") -> dict[str, Any]:
        """PR-6: a payslip for one employee record and Jalali month with the formulas and
        tables in the business's own books (services/provisioning/payslip.py); writes nothing."""
        provisioning = self._readable(tenant_id, user_id, roles)
        if "payroll" not in provisioning.modules or not self.books.exists(provisioning.tenant_id):
            raise DomainError("payroll_not_active")
        try:
            with self.books.open(provisioning.tenant_id) as books:
                return payslip_preview(books, record, year, month, locale)
        except PayrollInputError as refused:
            raise DomainError(refused.code, field=refused.field) from None
        except OutdatedFormulas as outdated:
            raise DomainError("payroll_formulas_outdated", version=str(outdated)) from None
        except LookupError:
            raise DomainError("payroll_not_active") from None

    def upgrade_payroll(self, tenant_id: object, user_id: object, roles: list[str], cause: Cause) -> dict[str, Any]:
        """#18, books seeded before 1405.2: the admin asks for the current payroll formulas. The
        old ones go to the books' history and the aggregate records PayrollUpgraded, saved
        before the books commit (a failed save leaves the books as they were); asking again
        once current changes nothing."""
        def attempt() -> dict[str, Any]:
            provisioning = self._readable(tenant_id, user_id, roles)
            if "payroll" not in provisioning.modules or not self.books.exists(provisioning.tenant_id):
                raise DomainError("payroll_not_active")
            now = self.clock.now()
            with self.books.open(provisioning.tenant_id) as books:
                done = upgrade_formulas(books, now.isoformat())
                if done is None:
                    return {"upgraded": False, "version": formulas_version(books)}
                provisioning.upgrade_payroll(upgraded_by=str(user_id), at=now, **done)
                self.save_caused(provisioning, cause=cause)
            return {"upgraded": True, **done}
        return self._retrying(attempt)

    def depreciation_schedule(self, tenant_id: object, user_id: object, roles: list[str], asset: dict[str, Any],
                              locale: str = "fa") -> dict[str, Any]:
        """PR-7: an asset's schedule by the 1395 table's rules and its category, with the
        accounts of the business's chart (services/provisioning/depreciation.py); writes nothing."""
        provisioning = self._readable(tenant_id, user_id, roles)
        if "fixed_assets" not in provisioning.modules:
            raise DomainError("fixed_assets_not_active")
        idle = tuple((period["first"], period["last"]) for period in asset.get("idle", ()))
        built = asset_from_request(asset["cost"], asset["category"], asset["in_service"],
                                   business_type=provisioning.business_type, idle=idle,
                                   salvage=asset.get("salvage", 0), method=asset.get("method"),
                                   rate_percent=asset.get("rate_percent"),
                                   useful_life_years=asset.get("useful_life_years"))
        return to_view(schedule(built, through_year=asset.get("through_year")), locale)
