"""Reading a business and the agenda, and the one way a business changes: get → mutate →
save, with the business's next deadline written to the agenda in the same transaction, run
again when another change got there first. Every use-case group changes businesses here."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import eventlet
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, OperationalError

from services.archival.agenda import SHARDS, Agenda, agenda_id, shard_of
from services.archival.domain import Business, business_id
from shared.kernel.conflicts import CONFLICTS, StripedLocks, retry_on_conflict
from shared.kernel.store import Cause, ServiceApplication

AGENDA_SNAPSHOT_EVERY = 100  # the agenda is read on every change: its replay stays short
T = TypeVar("T")


@dataclass
class Unit:
    """What one change touches: the business, the agenda, and anything else saved with them."""

    business: Business
    agenda: Agenda
    others: list[Aggregate] = field(default_factory=list)


class _Handled(Exception):
    """Carries a conflict out of the retry loop untouched: the inbound event behind it was
    handled meanwhile, so trying again is pointless (the inbox learns it on redelivery)."""

    def __init__(self, conflict: IntegrityError | OperationalError) -> None:
        super().__init__(str(conflict))
        self.conflict = conflict


class Businesses:
    def __init__(self, store: ServiceApplication) -> None:
        self.store = store
        self._tenants = StripedLocks()

    def get(self, tenant_id: uuid.UUID) -> Business | None:
        try:
            found: Business = self.store.repository.get(business_id(tenant_id))
        except AggregateNotFoundError:
            return None
        if found.shredded and found.name is not None and not found.name.forgotten:
            # Another replica shredded it while this one still had the key cached: drop the
            # cached key too, and read the business again as it now is (AR-1).
            self.store.keys.forget(found.subject)
            return self.get(tenant_id)
        return found

    def agenda(self, tenant_id: uuid.UUID | None = None, shard: int | None = None) -> Agenda:
        shard = shard_of(tenant_id) if tenant_id is not None else shard
        assert shard is not None
        try:
            found: Agenda = self.store.repository.get(agenda_id(shard))
        except AggregateNotFoundError:
            found = Agenda(shard)
        return found

    def agendas(self) -> list[Agenda]:
        return [self.agenda(shard=shard) for shard in range(SHARDS)]

    def change(self, tenant_id: uuid.UUID, mutate: Callable[[Unit], T], cause: Cause) -> T:
        """``mutate`` may do harmless-to-repeat I/O before the save (it runs again on a conflict)."""

        def attempt() -> T:
            unit = Unit(self.get(tenant_id) or Business(tenant_id), self.agenda(tenant_id))
            result = mutate(unit)
            unit.agenda.set_due(tenant_id, unit.business.next_due())
            changed = [a for a in (unit.business, unit.agenda, *unit.others) if a.pending_events]
            if not changed:
                return result
            try:
                self.store.save_caused(*changed, cause=cause)
            except CONFLICTS as conflict:
                if cause.inbox_event_id is not None and self.store.has_handled(cause.inbox_event_id):
                    raise _Handled(conflict) from conflict
                raise
            if unit.agenda in changed:
                self.snapshot_agenda(unit.agenda)
            return result

        try:
            # One change of a business at a time in this process (its events arrive together);
            # eventlet.sleep: the losers of a race with another replica are green threads too.
            with self._tenants.held([tenant_id]):
                return retry_on_conflict(attempt, sleep=eventlet.sleep)
        except _Handled as handled:
            raise handled.conflict from None

    def snapshot_agenda(self, agenda: Agenda) -> None:
        if agenda.version % AGENDA_SNAPSHOT_EVERY == 0:
            with contextlib.suppress(IntegrityError):  # another process took it: a snapshot is only a shortcut
                self.store.take_snapshot(agenda.id, version=agenda.version)
