"""Integration events in → archival's use cases (pure mapping)."""

from __future__ import annotations

from services.archival.application import ArchivalApplication
from shared.events import billing, provisioning, tenancy
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled

TENANCY_EVENTS = (tenancy.BusinessActivatedV1, tenancy.MemberAddedV1, tenancy.MemberRemovedV1,
                  tenancy.OrganizationAddedV1, tenancy.TenantLapsedV1, tenancy.TenantReactivatedV1)


def handle(app: ArchivalApplication, inbound: Inbound) -> None:
    if isinstance(inbound.event, billing.PaymentSucceededV1) and inbound.event.kind != "restore":
        return  # every payment comes here; only a restore's concerns archival (AR-3), before any read
    skip_if_handled(app, inbound)
    if handle_platform_event(app, inbound):
        return
    event = inbound.event
    if isinstance(event, TENANCY_EVENTS):
        app.record_tenancy_event(event, inbound.envelope.occurred_at, inbound.cause)
    elif isinstance(event, provisioning.BackupTakenV1):
        app.record_backup(event, inbound.cause)
    elif isinstance(event, billing.PaymentSucceededV1):
        app.complete_restore(event, inbound.cause)
