"""Integration events in → archival's use cases (pure mapping)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from services.archival.restoring import Restoring
from shared.events import billing, provisioning, tenancy
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled
from shared.kernel.store import Cause, ServiceApplication

TENANCY_EVENTS = (tenancy.BusinessActivatedV1, tenancy.MemberAddedV1, tenancy.MemberRemovedV1,
                  tenancy.OrganizationAddedV1, tenancy.TenantLapsedV1, tenancy.TenantReactivatedV1)


class UseCases(Protocol):
    """What the inbox asks of archival (application.py's ArchivalApplication)."""

    restores: Restoring

    def record_tenancy_event(self, event: Any, occurred_at: datetime, cause: Cause) -> None: ...

    def record_backup(self, event: provisioning.BackupTakenV1, cause: Cause) -> None: ...


def handle(store: ServiceApplication, use_cases: UseCases, inbound: Inbound) -> None:
    """``store`` answers what every service does (duplicates, the platform's events);
    ``use_cases`` the rest — the same application in production."""
    if isinstance(inbound.event, billing.PaymentSucceededV1) and inbound.event.kind != "restore":
        return  # every payment comes here; only a restore's concerns archival (AR-3), before any read
    skip_if_handled(store, inbound)
    if handle_platform_event(store, inbound):
        return
    event = inbound.event
    if isinstance(event, TENANCY_EVENTS):
        use_cases.record_tenancy_event(event, inbound.envelope.occurred_at, inbound.cause)
    elif isinstance(event, provisioning.BackupTakenV1):
        use_cases.record_backup(event, inbound.cause)
    elif isinstance(event, billing.PaymentSucceededV1):
        use_cases.restores.complete(event, inbound.cause)
