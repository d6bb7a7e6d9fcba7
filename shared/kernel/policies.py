"""What every service does with the platform's own events (ops)."""

from __future__ import annotations

from shared.events.ops import ClockAdvancedV1
from shared.kernel.inbox import Inbound
from shared.kernel.store import AlreadyHandled, ServiceApplication


def skip_if_handled(app: ServiceApplication, inbound: Inbound) -> None:
    """Raise AlreadyHandled for an event handled before, before any side effect outside the
    store (an SMS, a payment call) is repeated. The store still decides races at save."""
    if app.has_handled(inbound.envelope.event_id):
        raise AlreadyHandled(str(inbound.envelope.event_id))


def handle_platform_event(app: ServiceApplication, inbound: Inbound) -> bool:
    """True when the event was the platform's and has been handled."""
    if isinstance(inbound.event, ClockAdvancedV1):
        if not app.settings.production:
            app.advance_clock(inbound.event.seconds, inbound.cause)
        return True
    return False
