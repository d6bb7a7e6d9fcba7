"""Integration events in → billing's use cases (pure mapping)."""

from __future__ import annotations

from services.billing.application import BillingApplication
from shared.events.archival import RestoreRequestedV1, TenantDataPurgedV1
from shared.events.billing import RefundBlockedV1
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled


def handle(app: BillingApplication, inbound: Inbound) -> None:
    skip_if_handled(app, inbound)
    if handle_platform_event(app, inbound):
        return
    if isinstance(inbound.event, RestoreRequestedV1):
        app.open_restore_order(inbound.event, inbound.cause)
    elif isinstance(inbound.event, TenantDataPurgedV1):
        app.forget_business(inbound.event, inbound.cause)
    elif isinstance(inbound.event, RefundBlockedV1):  # only ever a dead letter an operator replayed
        app.unblock_refund(inbound.event.payment_id, inbound.cause)
