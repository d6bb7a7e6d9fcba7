"""Provisioning's use cases: accept what billing and archival announce, then do each
remaining step in the business's books and record it (steps.py), purge, reopen, read
(PR-1 … PR-7, X-2).

Accepting an order is saved with the inbound event's id (a redelivered event is refused by
the store); the steps are then done one by one, each recorded after its work committed. A
duplicate delivery, a restart or a concurrent worker all call ``finish_pending``, which
does only what the aggregate says remains; a step redone after a crash is harmless."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, OperationalError

from services.provisioning.domain import Provisioning, modules_for, provisioning_id
from services.provisioning.steps import CONFLICT_RETRIES, StepUseCases
from services.provisioning.views import tenant_view
from shared.events import archival, billing
from shared.kernel.errors import DomainError
from shared.kernel.logging import get_logger
from shared.kernel.store import AlreadyHandled, Cause, ServiceApplication
from shared.kernel.subject_keys import Personal, business_subject
from shared.tenant_books import TenantBackups, TenantBooks

IGNORED_KINDS = ("limits", "restore")  # tenancy's limits; a paid restore is archival's, which tells us when done


class ProvisioningApplication(StepUseCases, ServiceApplication):
    name = "provisioning"  # type: ignore[misc]

    def __init__(self, *args: Any, pause_after_step: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.books = TenantBooks(self.settings)
        self.backups = TenantBackups(self.settings)
        self.retention = timedelta(days=int(os.environ.get("BACKUP_RETENTION_DAYS", "183")))
        self.pause_after_step = pause_after_step  # tests only: stop here so a test can kill the process
        self._tenant_locks: defaultdict[uuid.UUID, threading.Lock] = defaultdict(threading.Lock)

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

    def reopen_after_restore(self, restored: archival.RestoreCompletedV1, cause: Cause) -> uuid.UUID | None:
        """AR-3: archival restored the books; their modules open again until the end they had."""
        def attempt() -> uuid.UUID:
            provisioning = self._get_or_start(restored.tenant_id, restored.business_name, restored.business_type,
                                              restored.admin_user_id)
            ends = [provisioning.modules[m] for m in modules_for(tuple(restored.products)) if m in provisioning.modules]
            provisioning.reopen(restored.restored_at, restored.backup_id)
            provisioning.accept("restore", restored.restore_id, "restore", tuple(restored.products),
                                max(ends, default=restored.restored_at))
            self.save_caused(provisioning, cause=cause)
            return restored.tenant_id
        tenant: uuid.UUID | None = self._retrying(attempt)
        return tenant

    def _accept(self, tenant_id: uuid.UUID, source: str, source_id: uuid.UUID, kind: str, products: tuple[str, ...],
                period_end: datetime, business_name: str, business_type: str, admin_user_id: uuid.UUID,
                cause: Cause) -> uuid.UUID | None:
        def attempt() -> uuid.UUID | None:
            provisioning = self._get_or_start(tenant_id, business_name, business_type, admin_user_id)
            if provisioning.purged_at is not None:
                get_logger().warning("provisioning.ignored_after_purge", tenant_id=str(tenant_id), kind=kind)
                self.save_caused(cause=cause)
                return None
            provisioning.accept(source, source_id, kind, products, period_end)  # False: a duplicate order
            self.save_caused(provisioning, cause=cause)
            return tenant_id
        tenant: uuid.UUID | None = self._retrying(attempt)
        return tenant

    def _get_or_start(self, tenant_id: uuid.UUID, business_name: str, business_type: str,
                      admin_user_id: uuid.UUID) -> Provisioning:
        try:
            found: Provisioning = self.repository.get(provisioning_id(tenant_id))
        except AggregateNotFoundError:
            name = Personal(business_subject(tenant_id), business_name)
            found = Provisioning(tenant_id=tenant_id, business_name=name, business_type=business_type,
                                 admin_user_id=admin_user_id)
        return found

    def _retrying(self, attempt: Any) -> Any:
        """get → mutate → save again when another worker changed the aggregate first; the
        store decides, and a duplicate event surfaces as AlreadyHandled."""
        for _ in range(CONFLICT_RETRIES):
            try:
                return attempt()
            except AlreadyHandled:
                raise
            except (IntegrityError, OperationalError):
                time.sleep(0.01)
        raise DomainError("busy_try_again")

    # -- archival ------------------------------------------------------------------------
    def purge(self, purged: archival.TenantDataPurgedV1, cause: Cause) -> None:
        provisioning = self._provisioning(purged.tenant_id)
        if provisioning is None:
            self.save_caused(cause=cause)
            return
        provisioning.purge(purged.purged_at)
        self.save_caused(provisioning, cause=cause)
        # The business's name in our events goes with its data (AR-1): its key is destroyed.
        self.keys.forget(business_subject(purged.tenant_id))

    # -- reading -------------------------------------------------------------------------
    def _provisioning(self, tenant_id: uuid.UUID) -> Provisioning | None:
        try:
            found: Provisioning = self.repository.get(provisioning_id(tenant_id))
        except AggregateNotFoundError:
            return None
        return found

    def tenant(self, tenant_id: object, user_id: object, roles: list[str], locale: str = "fa") -> dict[str, Any]:
        try:
            tenant = uuid.UUID(str(tenant_id))
        except ValueError:
            raise DomainError("tenant_not_found") from None
        provisioning = self._provisioning(tenant)
        if provisioning is None:
            raise DomainError("tenant_not_found")
        if "support" not in roles and str(user_id) != str(provisioning.admin_user_id):
            raise DomainError("forbidden")
        return tenant_view(provisioning, locale)
