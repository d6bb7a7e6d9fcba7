"""What every use-case group of billing reads and writes through: the application's store
and clock, the lookups by id that answer 404 for what a caller may not see, the conflict
retry, and creation named by an Idempotency-Key."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from services.billing.domain import EducationalApplication, Order, Payment
from shared.kernel.conflicts import CONFLICTS, retry_on_conflict
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.kernel.store import Cause, ServiceApplication

LOG_PAGE = 500

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


class Records:
    def __init__(self, store: ServiceApplication) -> None:
        self.store = store

    @property
    def name(self) -> str:
        return self.store.name

    def now(self) -> datetime:
        return self.store.clock.now()

    def log_after(self, position: int) -> Iterator[Any]:
        """Billing's own event log after ``position``, read a page at a time: what the read models
        kept in memory (the reconciler's open payments, the official invoices) follow."""
        while batch := self.store.recorder.select_notifications(position + 1, LOG_PAGE):
            yield from batch
            position = batch[-1].id

    def get(self, aggregate_id: uuid.UUID) -> Aggregate | None:
        try:
            found: Aggregate = self.store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found

    def one(self, kind: type[A], aggregate_id: object) -> A:
        """The ``kind`` named ``aggregate_id`` (as it arrived), else not_found."""
        found = self.get(parse_id(aggregate_id))
        if not isinstance(found, kind):
            raise DomainError("not_found")
        return found

    def order_of(self, user_id: object, order_id: object) -> Order:
        order = self.one(Order, order_id)
        order.check_customer(parse_id(user_id))
        return order

    def payment(self, payment_id: object) -> Payment:
        return self.one(Payment, payment_id)

    def application(self, application_id: object) -> EducationalApplication:
        return self.one(EducationalApplication, application_id)

    def save(self, *aggregates: Aggregate | None, cause: Cause) -> None:
        self.store.save_caused(*aggregates, cause=cause)

    @staticmethod
    def retrying(change: Callable[[], T]) -> T:
        """get → mutate → save again when another request changed the aggregate first."""
        return retry_on_conflict(change)

    def created_once(self, aggregate_id: uuid.UUID, print_: str, create: Callable[[], T],
                     answer: Callable[[Any], T]) -> T:
        """Create what an Idempotency-Key names once: a repeat with the same body gets the same
        answer, with another body 422. The store decides (the id collides), not a read."""
        existing = self.get(aggregate_id)
        if existing is None:
            try:
                return create()
            except CONFLICTS:
                existing = self.get(aggregate_id)
                if existing is None:
                    raise
        if getattr(existing, "fingerprint", None) != print_:
            raise DomainError("idempotency_key_reused")
        return answer(existing)
