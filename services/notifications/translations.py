"""Notifications' domain events → integration events (pure): delivery results."""

from __future__ import annotations

from typing import Any

from services.notifications.domain import Recipient
from shared.events import notifications as contracts
from shared.events.base import IntegrationEvent


def translate(domain_event: Any) -> IntegrationEvent | None:
    if isinstance(domain_event, Recipient.MessageDelivered):  # type: ignore[attr-defined]
        return contracts.MessageDeliveredV1(message_id=domain_event.message_id, channel="sms",
                                            provider_message_id=domain_event.provider_message_id,
                                            template=domain_event.template)
    if isinstance(domain_event, Recipient.MessageFailed):  # type: ignore[attr-defined]
        return contracts.MessageFailedV1(message_id=domain_event.message_id, channel="sms",
                                         reason=domain_event.reason, template=domain_event.template,
                                         will_retry=False)
    return None
