"""Integration events in → notifications' use cases (pure mapping)."""

from __future__ import annotations

from services.notifications.application import NotificationsApplication
from shared.events.identity import VerificationCodeIssuedV1
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled


def handle(app: NotificationsApplication, inbound: Inbound) -> None:
    skip_if_handled(app, inbound)
    if handle_platform_event(app, inbound):
        return
    if isinstance(inbound.event, VerificationCodeIssuedV1):
        app.send_verification_code(inbound.event, inbound.cause, inbound.last_attempt)
    # Other identity events are consumed for messages the identity issue adds; until then
    # they are recorded as handled by being acknowledged with no effect.
