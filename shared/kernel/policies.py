"""What every service does with the platform's own events (ops)."""

from __future__ import annotations

from shared.events.ops import ClockAdvancedV1
from shared.kernel.inbox import Inbound
from shared.kernel.store import ServiceApplication


def handle_platform_event(app: ServiceApplication, inbound: Inbound) -> bool:
    """True when the event was the platform's and has been handled."""
    if isinstance(inbound.event, ClockAdvancedV1):
        if not app.settings.production:
            app.advance_clock(inbound.event.seconds, inbound.cause)
        return True
    return False
