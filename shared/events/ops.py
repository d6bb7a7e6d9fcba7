"""Operations events: not business facts, instructions every service obeys (non-production)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.events.base import IntegrationEvent


class ClockAdvancedV1(IntegrationEvent):
    """Moves the platform clock forward by ``seconds``; a service's clock offset is the
    sum over every ClockAdvanced it has recorded (so a restart keeps the offset)."""

    producer: ClassVar[str] = "ops"
    type: ClassVar[str] = "ClockAdvanced"
    seconds: int = Field(gt=0, le=10 * 366 * 24 * 3600)
    requested_by: str = Field(default="operator", max_length=100)
