"""Notifications' domain events → integration events (pure). Delivery results
(MessageDelivered / MessageFailed) come with the provider adapter."""

from __future__ import annotations

from typing import Any

from shared.events.base import IntegrationEvent


def translate(domain_event: Any) -> IntegrationEvent | None:
    return None
