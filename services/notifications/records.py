"""Where notifications' aggregates are found, shared by its use cases (application.py,
following.py): a number's Recipient, a user's Contact, a purged business, a shard of the
index of messages awaiting a report; and the per-number locks its handlers take."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar

from eventsourcing.application import AggregateNotFoundError

from services.notifications.domain import Contact, DeletedBusiness, Recipient
from services.notifications.pending import PendingDeliveries, pending_id
from shared.kernel.conflicts import StripedLocks, retry_on_conflict
from shared.kernel.store import ServiceApplication
from shared.kernel.subject_ids import stable_id
from shared.kernel.subject_keys import Personal

T = TypeVar("T")
NUMBER_LOCK_STRIPES = 64


class Records:
    def __init__(self, store: ServiceApplication) -> None:
        self.store = store
        self._number_locks = StripedLocks(NUMBER_LOCK_STRIPES)
        self._shard_locks = StripedLocks()  # taken last, inside a number's: never the other way round

    def recipient_id(self, e164: str) -> uuid.UUID:
        return stable_id("recipient", e164, self.store.settings.subject_key_secret)

    def recipient(self, e164: str) -> Recipient:
        """The number's Recipient, new when nothing was sent to it yet."""
        recipient_id = self.recipient_id(e164)
        found = self.existing(recipient_id)
        return found or Recipient(recipient_id=recipient_id, mobile=Personal(f"recipient:{recipient_id}", e164))

    def existing(self, recipient_id: uuid.UUID) -> Recipient | None:
        return self._get(recipient_id, Recipient)

    def contact(self, user_id: uuid.UUID) -> Contact | None:
        return self._get(Contact.create_id(user_id), Contact)

    def deleted_business(self, tenant_id: uuid.UUID) -> DeletedBusiness | None:
        return self._get(DeletedBusiness.create_id(tenant_id), DeletedBusiness)

    def pending(self, shard: int) -> PendingDeliveries:
        return self._get(pending_id(shard), PendingDeliveries) or PendingDeliveries(shard)

    def _get(self, aggregate_id: uuid.UUID, kind: type[T]) -> T | None:
        try:
            found: object = self.store.repository.get(aggregate_id, kind=kind)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, kind)
        return found

    def numbers_held(self, numbers: Iterable[str]) -> contextlib.AbstractContextManager[None]:
        """One handler at a time per number in this process: two events for one number no longer
        race on its Recipient, where the loser's retry asked the provider again (refused by
        localid, but a wasted call)."""
        return self._number_locks.held(numbers)

    def shards_held(self, shards: Iterable[int]) -> contextlib.AbstractContextManager[None]:
        """One save at a time per shard of the pending index in this process (taken innermost)."""
        return self._shard_locks.held(shards)

    @staticmethod
    def retrying(change: Callable[[], T]) -> T:
        """Saves that lose a race (another replica, the inbox) run again on fresh state; the last
        try's conflict goes to the caller (the inbox, the timer), which tries again later."""
        return retry_on_conflict(change, give_up=change)
