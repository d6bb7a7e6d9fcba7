"""Who is a registered user (from identity's UserRegistered): the admin adds a member by
mobile number, and only a registered person can be added (TE-3). Two small streams per user:
number → user id (the lookup), and user id → number (to show and announce members)."""

from __future__ import annotations

import uuid

from eventsourcing.domain import Aggregate, event

from shared.kernel.subject_keys import Personal

NAMESPACE = uuid.UUID("a4c2b6de-3f1e-4b7a-9d5c-8e0f1a2b3c4d")


def person_id(user_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"person:{user_id}")


class MobileEntry(Aggregate):
    """A number's owner. Its id is a keyed hash of the number (see the application)."""

    @event("Registered")
    def __init__(self, entry_id: uuid.UUID, user_id: uuid.UUID) -> None:
        self.user_id = user_id

    @staticmethod
    def create_id(entry_id: uuid.UUID, **_: object) -> uuid.UUID:
        return entry_id


class Person(Aggregate):
    @event("Registered")
    def __init__(self, user_id: uuid.UUID, mobile: Personal) -> None:
        self.user_id = user_id
        self.mobile = mobile

    @staticmethod
    def create_id(user_id: uuid.UUID, **_: object) -> uuid.UUID:
        return person_id(user_id)
