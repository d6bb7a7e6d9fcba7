"""The user directory from identity's UserRegistered / MobileVerified (TE-3): who owns a number,
and a user's number, so the admin adds members by mobile and members are shown with theirs."""

from __future__ import annotations

import uuid

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from services.tenancy.directory import MobileEntry, Person, person_id
from services.tenancy.records import Records, retrying
from shared.kernel.mobile import normalize_mobile
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_ids import stable_id
from shared.kernel.subject_keys import Personal


class DirectoryUseCases:
    def __init__(self, store: ServiceApplication, records: Records) -> None:
        self.store, self.records = store, records

    def _entry_id(self, e164: str) -> uuid.UUID:
        # A keyed hash: the stream's id does not tell the number to whoever reads the store.
        return stable_id("tenancy-directory", e164, self.store.settings.subject_key_secret)

    def record_user(self, user_id: uuid.UUID, mobile: str, cause: Cause) -> None:
        e164 = normalize_mobile(mobile)

        def attempt() -> None:
            entry_id = self._entry_id(e164)
            fresh: list[Aggregate] = [] if self.records.exists(entry_id) else [MobileEntry(entry_id, user_id)]
            if not self.records.exists(person_id(user_id)):
                fresh.append(Person(user_id, Personal(f"user:{user_id}", e164)))
            self.store.save_caused(*fresh, cause=cause)  # nothing new: the event id alone is recorded

        retrying(attempt)

    def user_with_mobile(self, e164: str) -> uuid.UUID | None:
        try:
            entry: MobileEntry = self.store.repository.get(self._entry_id(e164), kind=MobileEntry)
        except AggregateNotFoundError:
            return None
        return entry.user_id

    def mobile_of(self, user_id: uuid.UUID) -> Personal | None:
        try:
            person: Person = self.store.repository.get(person_id(user_id), kind=Person)
        except AggregateNotFoundError:
            return None
        return person.mobile
