"""Integration events in → tenancy's use cases (pure mapping)."""

from __future__ import annotations

from services.tenancy.directory_use_cases import DirectoryUseCases
from services.tenancy.subscription_use_cases import SubscriptionUseCases
from shared.events import archival, billing, identity
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled
from shared.kernel.store import ServiceApplication


def handle(store: ServiceApplication, directory: DirectoryUseCases, subscription: SubscriptionUseCases,
           inbound: Inbound) -> None:
    skip_if_handled(store, inbound)
    event, cause = inbound.event, inbound.cause
    if handle_platform_event(store, inbound):
        # A moved clock may have ended periods: lapse them now rather than at the next tick.
        subscription.lapse_due(inbound.cause.untracked())
        return
    if isinstance(event, identity.UserRegisteredV1 | identity.MobileVerifiedV1):
        directory.record_user(event.user_id, event.mobile, cause)
    elif isinstance(event, billing.PaymentSucceededV1):
        subscription.apply_payment(event, cause)
    elif isinstance(event, billing.EducationalLicenceGrantedV1):
        subscription.grant_licence(event, cause)
    elif isinstance(event, archival.ArchivalScheduledV1):
        subscription.note_deletion(event.tenant_id, event.deletion_due_at, cause)
    elif isinstance(event, archival.ArchivalCancelledV1):
        subscription.note_deletion(event.tenant_id, None, cause)
    elif isinstance(event, archival.TenantDataPurgedV1):
        subscription.note_purge(event.tenant_id, event.purged_at, cause)
    elif isinstance(event, archival.RestoreCompletedV1):
        subscription.note_restore(event.tenant_id, event.restore_id, event.business_name, event.admin_user_id,
                                  tuple(event.products), event.restored_at, cause)
    else:
        store.save_caused(cause=cause)  # provisioning's facts: nothing to do yet, but seen once
