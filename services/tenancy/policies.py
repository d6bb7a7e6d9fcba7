"""Integration events in → tenancy's use cases (pure mapping)."""

from __future__ import annotations

from services.tenancy.application import TenancyApplication
from shared.events import archival, billing, identity
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled
from shared.kernel.store import Cause


def handle(app: TenancyApplication, inbound: Inbound) -> None:
    skip_if_handled(app, inbound)
    event, cause = inbound.event, inbound.cause
    if handle_platform_event(app, inbound):
        # A moved clock may have ended periods: lapse them now rather than at the next tick.
        envelope = inbound.envelope
        app.lapse_due(Cause(correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id)))
        return
    if isinstance(event, identity.UserRegisteredV1 | identity.MobileVerifiedV1):
        app.record_user(event.user_id, event.mobile, cause)
    elif isinstance(event, billing.PaymentSucceededV1):
        app.apply_payment(event, cause)
    elif isinstance(event, billing.EducationalLicenceGrantedV1):
        app.grant_licence(event, cause)
    elif isinstance(event, archival.ArchivalScheduledV1):
        app.note_deletion(event.tenant_id, event.deletion_due_at, cause)
    elif isinstance(event, archival.ArchivalCancelledV1):
        app.note_deletion(event.tenant_id, None, cause)
    elif isinstance(event, archival.TenantDataPurgedV1):
        app.note_purge(event.tenant_id, event.purged_at, cause)
    elif isinstance(event, archival.RestoreCompletedV1):
        app.note_restore(event.tenant_id, event.restore_id, event.business_name, event.admin_user_id,
                         tuple(event.products), event.restored_at, cause)
    else:
        app.save_caused(cause=cause)  # provisioning's facts: nothing to do yet, but seen once
