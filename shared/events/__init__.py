"""Integration-event contracts: the only thing services share (besides shared/kernel)."""

from shared.events.base import Envelope, IntegrationEvent, event_id_for

__all__ = ["Envelope", "IntegrationEvent", "event_id_for"]
