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
    """What one change touches: the business, its shard of the agenda (read only when the change
    needs it), and anything else saved with them."""

    business: Business
    read_agenda: Callable[[], Agenda]
    others: list[Aggregate] = field(default_factory=list)
    _agenda: Agenda | None = None

    @property
    def agenda(self) -> Agenda:
        if self._agenda is None:
            self._agenda = self.read_agenda()
        return self._agenda

    @property
    def agenda_read(self) -> bool:
        return self._agenda is not None


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
        self._shards = StripedLocks()

    def get(self, tenant_id: uuid.UUID) -> Business | None:
        try:
            # Its class named: never snapshotted, a business new to the store costs one query, not two.
            found: Business = self.store.repository.get(business_id(tenant_id), kind=Business)
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
            found: Agenda = self.store.repository.get(agenda_id(shard), kind=Agenda)
        except AggregateNotFoundError:
            found = Agenda(shard)
        return found

    def agendas(self) -> list[Agenda]:
        return [self.agenda(shard=shard) for shard in range(SHARDS)]

    def change(self, tenant_id: uuid.UUID, mutate: Callable[[Unit], T], cause: Cause, *,
               sync_agenda: bool = False) -> T:
        """``mutate`` may do harmless-to-repeat I/O before the save (it runs again on a conflict).

        The agenda holds each business's next deadline as of its last change (both are saved
        together), so a change that leaves the deadline where it was — most of them: a member
        added, a business activated — does not read the agenda at all. ``sync_agenda``: read it
        anyway and set the deadline (the clock's work, which must never find a business due
        again and again should the rule for deadlines change between versions)."""

        def attempt() -> T:
            with contextlib.ExitStack() as held:
                return attempt_holding(held)

        def attempt_holding(held: contextlib.ExitStack) -> T:
            business = self.get(tenant_id) or Business(tenant_id)
            due_before = business.next_due()

            def read_agenda() -> Agenda:
                held.enter_context(self.agenda_held(tenant_id))  # until the save is done
                return self.agenda(tenant_id)

            unit = Unit(business, read_agenda)
            result = mutate(unit)
            due = unit.business.next_due()
            if due != due_before or unit.agenda_read or sync_agenda:
                unit.agenda.set_due(tenant_id, due)
            changed = [a for a in (unit.business, *unit.others) if a.pending_events]
            if unit.agenda_read and unit.agenda.pending_events:
                changed.insert(1, unit.agenda)
            if not changed:
                return result
            try:
                self.store.save_caused(*changed, cause=cause)
            except CONFLICTS as conflict:
                if cause.inbox_event_id is not None and self.store.has_handled(cause.inbox_event_id):
                    raise _Handled(conflict) from conflict
                raise
            if unit.agenda_read and unit.agenda in changed:
                self.snapshot_agenda(unit.agenda)
            return result

        try:
            # One change of a business at a time in this process (its events arrive together);
            # eventlet.sleep: the losers of a race with another replica are green threads too.
            with self._tenants.held([tenant_id]):
                return retry_on_conflict(attempt, sleep=eventlet.sleep)
        except _Handled as handled:
            raise handled.conflict from None

    def agenda_held(self, tenant_id: uuid.UUID) -> contextlib.AbstractContextManager[None]:
        """One change of an agenda shard at a time in this process, from its read to its save
        (taken inside a business's): two saves of one shard never meet in a group commit, where
        the conflict would split the batch and send every save in it alone."""
        return self._shards.held([shard_of(tenant_id)])

    def snapshot_agenda(self, agenda: Agenda) -> None:
        if agenda.version % AGENDA_SNAPSHOT_EVERY == 0:
            with contextlib.suppress(IntegrityError):  # another process took it: a snapshot is only a shortcut
                self.store.take_snapshot(agenda.id, version=agenda.version)
