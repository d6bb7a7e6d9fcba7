"""Provisioning's aggregates as its use cases read and write them: one Provisioning per
business, found by tenant id, with a lock per business in this process (other processes are
fenced by the store's optimistic concurrency)."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Notification

from services.provisioning.domain import Provisioning, provisioning_id
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal, business_subject

CONFLICT_TRIES = 50  # concurrent deliveries of one business's orders (twenty at once in the tests)
PAGE = 500


class ProvisioningRecords:
    def __init__(self, store: ServiceApplication) -> None:
        self.store = store
        self.locks: defaultdict[uuid.UUID, threading.Lock] = defaultdict(threading.Lock)

    def find(self, tenant_id: uuid.UUID) -> Provisioning | None:
        try:
            found: Provisioning = self.store.repository.get(provisioning_id(tenant_id))
        except AggregateNotFoundError:
            return None
        return found

    def get_or_start(self, tenant_id: uuid.UUID, business_name: str, business_type: str,
                     admin_user_id: uuid.UUID) -> Provisioning:
        found = self.find(tenant_id)
        if found is None:
            name = Personal(business_subject(tenant_id), business_name)
            found = Provisioning(tenant_id=tenant_id, business_name=name, business_type=business_type,
                                 admin_user_id=admin_user_id)
        return found

    def by_id(self, aggregate_id: uuid.UUID) -> Provisioning:
        found: Provisioning = self.store.repository.get(aggregate_id)
        return found

    def save(self, *aggregates: Provisioning | None, cause: Cause) -> None:
        self.store.save_caused(*aggregates, cause=cause)

    def notifications(self, *topics: str) -> Iterator[Notification]:
        """Every stored event of these topics, oldest first, a page at a time."""
        start: int | None = None
        while True:
            batch = self.store.recorder.select_notifications(start, PAGE, topics=topics,
                                                             inclusive_of_start=start is None)
            yield from batch
            if len(batch) < PAGE:
                return
            start = batch[-1].id
