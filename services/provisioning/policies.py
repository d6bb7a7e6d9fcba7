"""Integration events in → provisioning's use cases (pure mapping)."""

from __future__ import annotations

import contextlib

from services.provisioning.application import ProvisioningApplication
from shared.events import archival, billing
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled
from shared.kernel.store import AlreadyHandled, Cause

ORDERS = (billing.PaymentSucceededV1, billing.EducationalLicenceGrantedV1, archival.RestoreCompletedV1)


def handle(app: ProvisioningApplication, inbound: Inbound) -> None:
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
        steps = Cause(correlation_id=inbound.envelope.correlation_id, causation_id=str(inbound.envelope.event_id))
        app.finish_pending(event.tenant_id, steps)
        return
    skip_if_handled(app, inbound)
    if handle_platform_event(app, inbound):
        return
    if isinstance(event, archival.TenantDataPurgedV1):
        app.purge(event, inbound.cause)
