"""Group commit for the PostgreSQL event store: saves that arrive while another is being
committed wait, and the next of them commits all of them in one transaction.

Every save of a service's workers ends in the same place: PostgreSQL's event table, whose
EXCLUSIVE lock (eventsourcing's, so that ids are committed in order) lets one transaction in at
a time. Under load the workers therefore queue anyway, each for a transaction of its own —
BEGIN, lock, NOTIFY, inserts, COMMIT and its WAL flush. Here the queue is in the process
instead, and whoever holds the turn writes every save waiting behind it: all their tracking
rows and all their events, one lock, one NOTIFY, one flush (issue #16).

Nothing changes for a save's outcome. A batch that fails for any reason (a version conflict, a
duplicate tracking row, a lost connection) is not retried as a batch: each of its saves is then
committed alone, the stock way, outside the turn, with the stock retries — so a conflicting or
duplicate save fails alone, as it always did, and its neighbours are stored. A save alone in the
queue is committed the stock way: group commit costs an idle service nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder

from shared.kernel import metrics


@dataclass
class _Save:
    stored_events: list[StoredEvent]
    tracking: Tracking | None
    settled: bool = False
    alone: bool = False  # to be committed by its own caller, outside the turn (its batch failed)
    failure: Exception | None = None
    notification_ids: Sequence[int] | None = None


class GroupCommittingRecorder(PostgresProcessRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: list[_Save] = []
        self._waiting_lock = threading.Lock()  # green under eventlet; real threads in tests
        self._turn = threading.Lock()

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if set(kwargs) - {"tracking"} or self.datastore.enable_db_functions:
            return self._alone(stored_events, **kwargs)
        save = _Save(list(stored_events), kwargs.get("tracking"))
        with self._waiting_lock:
            self._waiting.append(save)
        with self._turn:
            if not save.settled:  # nobody took it along: it takes every save queued behind the last commit
                with self._waiting_lock:
                    batch, self._waiting = self._waiting, []
                self._commit(batch)
        if save.alone:
            metrics.store_committed("alone", 1)
            return self._alone(stored_events, **kwargs)
        if save.failure is not None:
            raise save.failure
        return save.notification_ids

    def _alone(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """eventsourcing's own transaction for one save (retried on a lost connection)."""
        ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        return ids

    def _commit(self, batch: list[_Save]) -> None:
        """In the turn: while it lasts, the next saves queue up for the next batch."""
        decided = False  # stays False only if this worker is killed mid-commit: the others then go alone
        try:
            if len(batch) == 1:  # the stock way (with its retries), its outcome the save's own
                metrics.store_committed("alone", 1)
                only = batch[0]
                try:
                    only.notification_ids = self._alone(only.stored_events, tracking=only.tracking)
                except Exception as exc:  # noqa: BLE001 — handed to its caller, who raises it
                    only.failure = exc
            else:
                try:
                    self._commit_together(batch)
                    metrics.store_committed("together", len(batch))
                except Exception:  # noqa: BLE001 — each save learns its own outcome, committed alone
                    metrics.store_committed("split", len(batch))
                    for save in batch:
                        save.alone = True
            decided = True
        finally:
            for save in batch:
                save.alone = save.alone or not decided
                save.settled = True

    def _commit_together(self, batch: list[_Save]) -> None:
        everything = [event for save in batch for event in save.stored_events]
        ids: list[int] = []
        failure: Exception | None = None
        # As eventsourcing's own insert_events does it: one pipeline, tracking rows first.
        with self.datastore.get_connection() as conn:
            with conn.pipeline() as pipeline, conn.transaction():
                with conn.cursor() as curs:
                    for save in batch:
                        if save.tracking is not None:
                            self._insert_tracking(curs, save.tracking)
                if everything:
                    with conn.cursor() as curs:
                        try:
                            self._insert_stored_events(curs, everything)  # with the lock and the NOTIFY
                            pipeline.sync()  # a conflict raises here, not at COMMIT
                            ids = list(self._fetch_ids_after_insert_events(curs, everything) or [])
                        except Exception as exc:  # noqa: BLE001 — raised once the pipeline is closed (psycopg warns otherwise)
                            failure = exc
                    if failure is None and len(ids) != len(everything):
                        raise RuntimeError(f"{len(ids)} notification ids for {len(everything)} events")  # rolls back
            if failure is not None:
                raise failure
        start = 0
        for save in batch:
            save.notification_ids = ids[start:start + len(save.stored_events)]
            start += len(save.stored_events)
