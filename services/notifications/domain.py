"""Notifications' aggregate: the messages addressed to one mobile number (NO-1).
Number and text are personal data, sealed under the recipient's subject key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from shared.kernel.subject_keys import Personal


@dataclass(frozen=True)
class Message:
    message_id: uuid.UUID
    template: str
    text: Personal
    queued_at: datetime


class Recipient(Aggregate):
    @event("Created")
    def __init__(self, recipient_id: uuid.UUID, mobile: Personal) -> None:
        self.mobile = mobile
        self.messages: list[Message] = []

    @staticmethod
    def create_id(recipient_id: uuid.UUID) -> uuid.UUID:
        return recipient_id

    @event("MessageQueued")
    def queue_message(self, message_id: uuid.UUID, template: str, text: Personal, queued_at: datetime) -> None:
        self.messages.append(Message(message_id, template, text, queued_at))
