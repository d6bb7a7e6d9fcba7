"""Integration events in → provisioning's use cases (pure mapping)."""

from __future__ import annotations

import contextlib
import uuid
from typing import Protocol

from services.provisioning.records import ProvisioningRecords
from services.provisioning.steps import Steps
from shared.events import archival, billing, tenancy
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled
from shared.kernel.store import AlreadyHandled, Cause

ORDERS = (billing.PaymentSucceededV1, billing.EducationalLicenceGrantedV1, archival.RestoreCompletedV1)


class Provisioner(Protocol):
    """What inbound events reach (ProvisioningApplication): its use cases, and through its
    records the store, which handles the platform's own events."""

    @property
    def records(self) -> ProvisioningRecords: ...

    @property
    def steps(self) -> Steps: ...

    def accept_payment(self, paid: billing.PaymentSucceededV1, cause: Cause) -> uuid.UUID | None: ...

    def accept_licence(self, granted: billing.EducationalLicenceGrantedV1, cause: Cause) -> uuid.UUID | None: ...

    def reopen_after_restore(self, restored: archival.RestoreCompletedV1, cause: Cause) -> uuid.UUID: ...

    def purge(self, purged: archival.TenantDataPurgedV1, cause: Cause) -> None: ...

    def add_branch(self, added: tenancy.OrganizationAddedV1, cause: Cause) -> None: ...


def handle(app: Provisioner, inbound: Inbound) -> None:
    event = inbound.event
    if isinstance(event, ORDERS):
        # A redelivered order is not simply skipped: the delivery before it may have died
        # mid-way (a killed process never acked it), so its remaining steps are finished here.
        with contextlib.suppress(AlreadyHandled):
            if isinstance(event, billing.PaymentSucceededV1):
                app.accept_payment(event, inbound.cause)
            elif isinstance(event, billing.EducationalLicenceGrantedV1):
                app.accept_licence(event, inbound.cause)
            else:
                app.reopen_after_restore(event, inbound.cause)
        app.steps.finish_pending(event.tenant_id, inbound.cause.untracked())
        return
    store = app.records.store
    skip_if_handled(store, inbound)
    if handle_platform_event(store, inbound):
        return
    if isinstance(event, archival.TenantDataPurgedV1):
        app.purge(event, inbound.cause)
    elif isinstance(event, tenancy.OrganizationAddedV1):
        app.add_branch(event, inbound.cause)
