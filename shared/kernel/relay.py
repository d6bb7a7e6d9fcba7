"""The relay (transactional outbox): follows the service's notification log in order,
translates each domain event into at most one integration event, publishes a batch with
publisher confirms and only then advances its checkpoint. A crash between publish and
checkpoint re-publishes the same events with the same ids, which consumers de-duplicate.

Running, the relay writes its checkpoint at most every ``CHECKPOINT_SECONDS`` while busy, as
soon as it falls quiet (a poll interval with nothing new), and when it stops (issue #16: with
a batch often one event, the checkpoint was one of the relay's three statements per event).
A kill -9 therefore re-publishes up to that much: the same guarantee, a longer window.

Busy, it reads the log at most once every ``RELAY_GATHER_SECONDS`` (20 ms): commits announced
meanwhile are read and published together, one read and one confirmed batch for several saves
instead of one each (issue #16: at 20 onboardings a second a service commits every few
milliseconds). A commit after a read that found nothing is read at once, so only a busy relay
adds that much to a hop.

Only one relay per service publishes at a time (a lock: PostgreSQL advisory lock, or a file
lock beside the SQLite store); replicas wait as hot standbys.

A lost database connection (PostgreSQL restarted, or its backends terminated) does not end
the relay, nor with it the whole service: it waits, connects again and takes the lock again
(the advisory lock died with the connection, so another replica may lead meanwhile) before
it reads its checkpoint and goes on.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import psycopg
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from psycopg import sql

from shared.events.base import Envelope, IntegrationEvent, event_id_for
from shared.kernel import metrics
from shared.kernel.config import Settings
from shared.kernel.degradation import DEGRADATION
from shared.kernel.logging import get_logger
from shared.kernel.publisher import ConfirmedPublisher, Outgoing, PublishFailed
from shared.kernel.schema import create_table_in_turn
from shared.kernel.store import ServiceApplication, postgres_dsn
from shared.kernel.topology import events_exchange
from shared.kernel.tracing import TRACING

Translate = Callable[[DomainEventProtocol[Any]], IntegrationEvent | None]
CHECKPOINT_SECONDS = 0.5
# Listening, the relay still reads once in a while unwoken: a safety net, not its way of learning.
LISTENING_POLL_SECONDS = 1.0
STOP_SLICE_SECONDS = 0.1
# The store or the checkpoint's connection failed: worth waiting for, not worth dying of.
STORE_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, StoreOperationalError, StoreInterfaceError,
                     sqlite3.OperationalError)


class Checkpoint(Protocol):
    def load(self) -> int: ...
    def save(self, position: int) -> None: ...
    def acquire_leadership(self) -> bool: ...
    def listen(self, channel: str) -> bool: ...
    def wait_for_commits(self, seconds: float) -> bool: ...
    def reconnect(self) -> None: ...
    def close(self) -> None: ...


class SQLiteCheckpoint:
    def __init__(self, settings: Settings, name: str = "relay") -> None:
        self._name = name
        self._conn = sqlite3.connect(str(settings.sqlite_path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.execute("CREATE TABLE IF NOT EXISTS relay_checkpoint (name TEXT PRIMARY KEY, position INTEGER)")
        self._lock_path = settings.sqlite_path.with_suffix(f".{name}.lock")
        self._lock_file: Any = None

    def load(self) -> int:
        row = self._conn.execute("SELECT position FROM relay_checkpoint WHERE name=?", (self._name,)).fetchone()
        return int(row[0]) if row else 0

    def save(self, position: int) -> None:
        self._conn.execute(
            "INSERT INTO relay_checkpoint (name, position) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position", (self._name, position))

    def acquire_leadership(self) -> bool:
        if self._lock_file is None:
            self._lock_file = open(self._lock_path, "a+")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def listen(self, channel: str) -> bool:
        return False  # SQLite announces nothing: the relay polls (one process writes a SQLite store)

    def wait_for_commits(self, seconds: float) -> bool:
        raise NotImplementedError("SQLite announces no commits")

    def reconnect(self) -> None:
        pass  # a local file: nothing to lose but a lock this process still holds

    def close(self) -> None:
        self._conn.close()
        if self._lock_file is not None:
            self._lock_file.close()


class PostgresCheckpoint:
    """One connection of its own: the advisory lock lives as long as this session, and so does
    its LISTEN on the store's channel (the store NOTIFYs it with every commit of events, from any
    replica), so the relay sleeps until there is something to read instead of polling."""

    def __init__(self, settings: Settings, name: str = "relay") -> None:
        self._name = name
        self._dsn = postgres_dsn(settings, settings.postgres_dbname)
        self._conn = self._connect()
        self._channel: str | None = None

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._dsn, autocommit=True)
        create_table_in_turn(conn, "CREATE TABLE IF NOT EXISTS relay_checkpoint "
                                   "(name TEXT PRIMARY KEY, position BIGINT)")
        return conn

    def reconnect(self) -> None:
        """A new session after the old one died (its lock died with it: take it again)."""
        with contextlib.suppress(psycopg.Error):
            self._conn.close()
        self._conn = self._connect()
        if self._channel is not None:
            self.listen(self._channel)  # what was announced meanwhile is read when the relay leads again

    def load(self) -> int:
        row = self._conn.execute("SELECT position FROM relay_checkpoint WHERE name=%s", (self._name,)).fetchone()
        return int(row[0]) if row else 0

    def save(self, position: int) -> None:
        self._conn.execute(
            "INSERT INTO relay_checkpoint (name, position) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position", (self._name, position))

    def acquire_leadership(self) -> bool:
        row = self._conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (f"relay:{self._name}",)).fetchone()
        return bool(row and row[0])

    def listen(self, channel: str) -> bool:
        self._conn.execute(sql.SQL("LISTEN {0}").format(sql.Identifier(channel)))
        self._channel = channel
        return True

    def wait_for_commits(self, seconds: float) -> bool:
        """True as soon as a commit is announced, False after ``seconds`` of none. Announcements
        already waiting are taken with it: the one read that follows sees all their events."""
        woken = any(True for _ in self._conn.notifies(timeout=seconds, stop_after=1))
        if woken:
            for _ in self._conn.notifies(timeout=0):
                pass
        return woken

    def close(self) -> None:
        self._conn.close()


def checkpoint_for(settings: Settings) -> Checkpoint:
    return PostgresCheckpoint(settings) if settings.event_store == "postgres" else SQLiteCheckpoint(settings)


def envelope_for(app: ServiceApplication, translate: Translate, service: str, notification: Any) -> Envelope | None:
    """The integration event a notification of the service's log is published as (None: it
    is not published). Also used by operators' tools to read what a service published."""
    domain_event = app.mapper.to_domain_event(notification)
    integration = translate(domain_event)
    if integration is None:
        return None
    event_id = event_id_for(service, notification.id)
    meta = vars(domain_event)
    tenant = getattr(integration, integration.tenant_field) if integration.tenant_field else None
    return Envelope(
        event_id=event_id, type=integration.type, version=integration.version,
        occurred_at=meta["timestamp"], producer=service,
        producer_position=notification.id,
        correlation_id=meta.get("correlation_id") or str(event_id),
        causation_id=meta.get("causation_id"), traceparent=meta.get("traceparent"), tenant_id=tenant,
        payload=integration.model_dump(mode="json"),
    )


class Relay:
    def __init__(self, app: ServiceApplication, translate: Translate, settings: Settings,
                 checkpoint: Checkpoint | None = None, publisher: ConfirmedPublisher | None = None) -> None:
        self.app = app
        self.translate = translate
        self.settings = settings
        self.checkpoint = checkpoint or checkpoint_for(settings)
        self.publisher = publisher or ConfirmedPublisher(settings)
        self.exchange = events_exchange(settings).name
        self.position = self.checkpoint.load()
        self._saved_position, self._saved_at = self.position, time.monotonic()
        self.published_total = 0
        self._wake = threading.Event()
        self._listening = False  # the checkpoint's connection hears the store's commits
        self._stopping = threading.Event()
        self._log = get_logger(component="relay")
        self._last_lag_log = 0.0
        self._read_at, self._read_found = 0.0, False  # when the loop last read the log, and if it found any
        app.on_saved.append(lambda _recordings: self._wake.set())

    # -- one step -------------------------------------------------------------------------
    def envelope_for(self, notification: Any) -> Envelope | None:
        return envelope_for(self.app, self.translate, self.settings.service, notification)

    def publish_next_batch(self) -> int:
        """Publish the next batch and checkpoint it; returns how many notifications it moved past."""
        moved = self._publish_batch()
        if moved:
            self._save_checkpoint()
        return moved

    def _publish_batch(self) -> int:
        """Publish the next batch (the checkpoint is the caller's); how many notifications it moved past."""
        notifications = self.app.recorder.select_notifications(
            start=self.position + 1, limit=self.settings.relay_batch)
        self._read_found = bool(notifications)
        if not notifications:
            return 0
        outgoing = []
        envelopes = []  # for their spans (shared/kernel/tracing.py)
        for notification in notifications:
            envelope = self.envelope_for(notification)
            if envelope is not None:
                envelopes.append(envelope)
                outgoing.append(Outgoing(self.exchange, envelope.routing_key, envelope.to_wire(),
                                         message_id=str(envelope.event_id),
                                         correlation_id=envelope.correlation_id))
        with TRACING.publishing(envelopes):
            self.publisher.publish_batch(outgoing)  # raises unless every message was confirmed
        self.position = notifications[-1].id
        self.published_total += len(outgoing)
        metrics.relay_published(self.settings.service, [e.occurred_at for e in envelopes])
        return len(notifications)

    def _save_checkpoint(self) -> None:
        self.checkpoint.save(self.position)
        self._saved_position, self._saved_at = self.position, time.monotonic()

    def _checkpoint_behind(self) -> bool:
        return self._saved_position != self.position

    def lag(self) -> int:
        return max(0, (self.app.recorder.max_notification_id() or 0) - self.position)

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> None:
        while self._lead():
            self._publish_while_leading()

    def _lead(self) -> bool:
        """Wait for the lock, then read the checkpoint; False when stopping."""
        while not self._stopping.is_set():
            try:
                if self.checkpoint.acquire_leadership():
                    channel = getattr(self.app.recorder, "channel_name", None)  # PostgreSQL's store has one
                    self._listening = channel is not None and self.checkpoint.listen(channel)
                    self.position = self._saved_position = self.checkpoint.load()
                    self._log.info("relay.started", position=self.position)
                    return True
            except STORE_UNAVAILABLE as exc:
                self._store_unavailable(exc)
                continue
            self._stopping.wait(1.0)
        return False

    def _store_unavailable(self, exc: Exception) -> None:
        DEGRADATION.degraded("relay", "store_unavailable")
        self._log.warning("relay.store_unavailable", error=str(exc)[:300], retry_in=1.0)
        self._stopping.wait(1.0)
        try:
            self.checkpoint.reconnect()
        except STORE_UNAVAILABLE as again:
            self._log.warning("relay.reconnect_failed", error=str(again)[:300])

    def _publish_while_leading(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                # Cleared before reading: a save from here on wakes the next round at once.
                self._wake.clear()
                self._read_at = time.monotonic()
                while self._publish_batch() >= self.settings.relay_batch:  # a short batch: caught up
                    if self._stopping.is_set():
                        break
                DEGRADATION.recovered("relay")
                backoff = 0.1
                self._report_lag()
                quiet = not self._wait()
                if not quiet:
                    self._gather()
                # Busy, at most every CHECKPOINT_SECONDS; quiet, at once.
                if self._checkpoint_behind() and (quiet or time.monotonic() - self._saved_at >= CHECKPOINT_SECONDS):
                    self._save_checkpoint()
            except PublishFailed as exc:
                DEGRADATION.degraded("relay", "broker_unavailable")
                self._log.warning("relay.publish_failed", error=str(exc), retry_in=backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except STORE_UNAVAILABLE as exc:
                # Published but perhaps not checkpointed: the next leader publishes those again
                # with the same ids, and consumers de-duplicate them.
                self._store_unavailable(exc)
                return
        self._checkpoint_on_stop()

    def _wait(self) -> bool:
        """Until something may have been saved (True), or a quiet interval passed (False): the
        store's announcement when listening, else this process's saves and a short poll."""
        if not self._listening:
            return self._wake.wait(self.settings.relay_poll_seconds)
        behind = self._checkpoint_behind()  # then a short quiet interval checkpoints soon
        deadline = time.monotonic() + (self.settings.relay_poll_seconds if behind else LISTENING_POLL_SECONDS)
        while (left := deadline - time.monotonic()) > 0:
            # In slices, so that stop() (it sets the wake) is heard within one: a stopping service
            # must not wait out the safety poll.
            if self.checkpoint.wait_for_commits(min(left, STOP_SLICE_SECONDS)) or self._wake.is_set():
                return True
        return False

    def _gather(self) -> None:
        """Woken: read at once after a read that found nothing (quiet), else not before
        RELAY_GATHER_SECONDS since the last read, so that the commits of that interval go in one
        read and one batch."""
        left = self._read_at + self.settings.relay_gather_seconds - time.monotonic()
        if self._read_found and left > 0:
            self._stopping.wait(left)

    def _checkpoint_on_stop(self) -> None:
        if not self._checkpoint_behind():
            return
        try:
            self._save_checkpoint()
        except STORE_UNAVAILABLE as exc:  # the next leader publishes the rest again; consumers de-duplicate
            self._log.warning("relay.checkpoint_on_stop_failed", error=str(exc)[:300])

    def _report_lag(self) -> None:
        now = time.monotonic()
        if now - self._last_lag_log >= 10:
            self._last_lag_log = now
            lag = self.lag()
            metrics.relay_backlog(self.settings.service, lag)
            self._log.info("relay.lag", lag=lag, position=self.position,
                           published_total=self.published_total)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def close(self) -> None:
        self.publisher.close()
        self.checkpoint.close()
