"""The envelope every integration event travels in, and the base of every event model.

Wire format (AMQP body, JSON): the envelope's fields plus ``payload``, the event's own
fields. The routing key is ``<producer>.<type>.v<version>``; consumers bind to
``<producer>.<type>.*`` so a new version never lands in the void.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shared.kernel import tracing

# Event ids are derived from (producer, position) so a re-publish after a crash carries
# the same id and consumers recognise it as a duplicate.
EVENT_ID_NAMESPACE = uuid.UUID("5b0c1f6e-9a57-4d3c-8f5e-2f1b8f0d6a11")


def event_id_for(producer: str, position: int, index: int = 0) -> uuid.UUID:
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{producer}:{position}:{index}")


class IntegrationEvent(BaseModel):
    """One published fact. Subclasses set ``type``, ``version`` and ``producer``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ClassVar[str]
    version: ClassVar[int] = 1
    producer: ClassVar[str]
    # The payload field naming the business, when the event concerns one (see Envelope.tenant_id).
    tenant_field: ClassVar[str | None] = None

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.producer}.{cls.type}.v{cls.version}"


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    producer: str = Field(min_length=1, max_length=50)
    producer_position: int = Field(ge=0)
    correlation_id: str = Field(min_length=1, max_length=100)
    causation_id: str | None = Field(default=None, max_length=100)
    traceparent: str | None = Field(
        default=None, pattern=tracing.WRITTEN,
        description="W3C trace context of the work that recorded the event; absent before traces. "
                    "A value that is not one is read as absent (the consumer starts a new trace).")
    tenant_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("traceparent", mode="before")
    @classmethod
    def _trace(cls, value: object) -> str | None:
        # Tracing never costs a message: a context that cannot be read only ends the trace here.
        found = tracing.parse(value)
        return str(found) if found is not None else None

    @property
    def routing_key(self) -> str:
        return f"{self.producer}.{self.type}.v{self.version}"

    def to_wire(self) -> dict[str, Any]:
        # mode="json": kombu's JSON would otherwise wrap UUIDs and datetimes in its own markers.
        wire = self.model_dump(mode="json")
        if wire["traceparent"] is None:
            del wire["traceparent"]  # an untraced event's body is what it was before traces
        return wire
