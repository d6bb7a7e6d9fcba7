"""Integration events in → notifications' use cases (pure mapping)."""

from __future__ import annotations

from services.notifications.application import NotificationsApplication
from shared.events.archival import TenantDataPurgedV1
from shared.events.identity import UserRegisteredV1, VerificationCodeIssuedV1
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled


def handle(app: NotificationsApplication, inbound: Inbound) -> None:
    skip_if_handled(app, inbound)
    if handle_platform_event(app, inbound):
        return
    if isinstance(inbound.event, VerificationCodeIssuedV1):
        app.send_verification_code(inbound.event, inbound.cause, inbound.last_attempt)
    elif isinstance(inbound.event, UserRegisteredV1):
        app.remember_contact(inbound.event, inbound.cause)
    elif isinstance(inbound.event, TenantDataPurgedV1):
        app.forget_business(inbound.event, inbound.cause)
    else:
        # Every other event: the notices its producer's module lists (none is fine).
        app.send_notices(inbound.event, inbound.envelope.occurred_at, inbound.cause, inbound.last_attempt)
