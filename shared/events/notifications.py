"""Integration events published by notifications (NO-1): delivery results, for operators."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import Field

from shared.events.base import IntegrationEvent


class _Notifications(IntegrationEvent):
    producer: ClassVar[str] = "notifications"


class MessageDeliveredV1(_Notifications):
    type: ClassVar[str] = "MessageDelivered"
    message_id: uuid.UUID
    channel: Literal["sms", "email"]
    provider_message_id: str = Field(max_length=100)
    template: str = Field(max_length=100)


class MessageFailedV1(_Notifications):
    type: ClassVar[str] = "MessageFailed"
    message_id: uuid.UUID
    channel: Literal["sms", "email"]
    reason: str = Field(max_length=500)
    template: str = Field(max_length=100)
    will_retry: bool
