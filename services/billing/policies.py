"""Integration events in → billing's use cases (pure mapping)."""

from __future__ import annotations

from typing import Protocol

from services.billing.limits import Limits
from services.billing.settlement import Settlement
from shared.events.archival import RestoreRequestedV1, TenantDataPurgedV1
from shared.events.billing import RefundBlockedV1
from shared.events.tenancy import BusinessActivatedV1, LimitsCappedV1, LimitsRaisedV1
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled
from shared.kernel.store import Cause, ServiceApplication


class UseCases(Protocol):
    """What the inbox reaches of billing (BillingApplication is one)."""

    @property
    def settlement(self) -> Settlement: ...

    @property
    def limits(self) -> Limits: ...

    def open_restore_order(self, event: RestoreRequestedV1, cause: Cause) -> None: ...

    def forget_business(self, purged: TenantDataPurgedV1, cause: Cause) -> None: ...


def handle(store: ServiceApplication, use_cases: UseCases, inbound: Inbound) -> None:
    skip_if_handled(store, inbound)
    if handle_platform_event(store, inbound):
        return
    if isinstance(inbound.event, RestoreRequestedV1):
        use_cases.open_restore_order(inbound.event, inbound.cause)
    elif isinstance(inbound.event, TenantDataPurgedV1):
        use_cases.forget_business(inbound.event, inbound.cause)
    elif isinstance(inbound.event, BusinessActivatedV1 | LimitsRaisedV1):  # TE-2's caps (issue #19)
        use_cases.limits.learn(inbound.event.tenant_id, inbound.event.max_organizations,
                               inbound.event.max_concurrent_users, inbound.cause)
    elif isinstance(inbound.event, LimitsCappedV1):
        use_cases.limits.flag_capped(inbound.event, inbound.cause)
    elif isinstance(inbound.event, RefundBlockedV1):  # only ever a dead letter an operator replayed
        use_cases.settlement.unblock_refund(inbound.event.payment_id, inbound.cause)
