"""The event store every service uses: the `eventsourcing` library on SQLite (default) or on
the service's own PostgreSQL database, with per-subject encryption of personal data, the
causal metadata the relay needs, and inbox de-duplication in the same transaction."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError, Application, LRUCache, ProcessingEvent, Repository
from eventsourcing.domain import Aggregate, CanInitAggregate, CanMutateAggregate, event
from eventsourcing.persistence import IntegrityError, OperationalError, ProcessRecorder, Tracking, Transcoder

from shared.kernel.clock import PlatformClock
from shared.kernel.config import Settings
from shared.kernel.subject_keys import PersonalTranscoding, SubjectKeys


@dataclass(frozen=True)
class Cause:
    """Why a change is made: the request or the integration event behind it."""

    correlation_id: str
    causation_id: str | None = None
    # Set when handling an integration event: recorded atomically with the change, so a
    # redelivery of the same event is refused by the store.
    inbox_event_id: uuid.UUID | None = None
    # The W3C trace context of the work making the change (shared/kernel/tracing.py): recorded on
    # each of its events, so the relay puts it in their envelopes and consumers continue the trace.
    traceparent: str | None = None

    @classmethod
    def new_request(cls, correlation_id: str | None = None, traceparent: str | None = None) -> Cause:
        return cls(correlation_id=correlation_id or str(uuid.uuid4()), traceparent=traceparent)

    def untracked(self) -> Cause:
        """The same cause for a save that must not record the inbound event as handled (the
        work that follows a handling, in its own transactions)."""
        return replace(self, inbox_event_id=None)


class AlreadyHandled(Exception):
    """The integration event was handled before (a duplicate delivery)."""


def postgres_dsn(settings: Settings, dbname: str) -> str:
    password = f" password={settings.postgres_password}" if settings.postgres_password else ""
    return (f"host={settings.postgres_host} port={settings.postgres_port} "
            f"user={settings.postgres_user} dbname={dbname}{password}")


def ensure_postgres_database(settings: Settings, dbname: str) -> None:
    import psycopg

    with psycopg.connect(postgres_dsn(settings, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone() is None:
            # Another process won the race (it may also show as a unique violation on pg_database).
            with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                conn.execute(f'CREATE DATABASE "{dbname}"')


AGGREGATE_CACHE_SIZE = 5000


def store_environment(settings: Settings) -> dict[str, str]:
    common = {"SINGLE_ROW_TRACKING": "f",  # out-of-order ids; a repeated one is refused
              # A read takes the cached aggregate and only the events stored since (fast-forward),
              # so every process still sees what the others saved; see ServiceApplication.
              "AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE_SIZE)}
    if settings.event_store == "postgres":
        ensure_postgres_database(settings, settings.postgres_dbname)
        return common | {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": settings.postgres_dbname,
            "POSTGRES_HOST": settings.postgres_host,
            "POSTGRES_PORT": settings.postgres_port,
            "POSTGRES_USER": settings.postgres_user,
            "POSTGRES_PASSWORD": settings.postgres_password,
            # The pool opens POOL_SIZE connections at start and grows by up to MAX_OVERFLOW under
            # load: seven processes idle at 14 connections, not 70, so a server's default 100 serves
            # a whole platform and its tests (a run once failed with "too many clients").
            "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.postgres_max_overflow),
            "POSTGRES_PRE_PING": "n",
            # Saves queued behind one another share a transaction (shared/kernel/group_commit.py).
            "PROCESS_RECORDER_TOPIC": "shared.kernel.group_commit:GroupCommittingRecorder",
        }
    if settings.event_store != "sqlite":
        raise ValueError(f"EVENT_STORE must be sqlite or postgres, not {settings.event_store!r}")
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return common | {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(settings.sqlite_path),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def memory_environment() -> dict[str, str]:
    """The event store in this process's memory (eventsourcing's POPO persistence): the same
    applications and rules, without a database — for the use-case tests and nothing else."""
    return {"PERSISTENCE_MODULE": "eventsourcing.popo", "SINGLE_ROW_TRACKING": "f",
            "AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE_SIZE)}


def subject_keys_for(settings: Settings) -> SubjectKeys:
    if settings.event_store == "postgres":
        dbname = f"{settings.postgres_dbname}_keys"
        ensure_postgres_database(settings, dbname)
        return SubjectKeys(postgres_dsn=postgres_dsn(settings, dbname))
    return SubjectKeys(sqlite_path=settings.keys_path)


CLOCK_ID = uuid.UUID("00000000-0000-4000-8000-00000000c10c")


class ClockOffset(Aggregate):
    """The platform clock's offset as this service has recorded it (non-production)."""

    @event("Created")
    def __init__(self) -> None:
        self.offset_seconds = 0

    @staticmethod
    def create_id() -> uuid.UUID:
        return CLOCK_ID

    @event("Advanced")
    def advance(self, seconds: int) -> None:
        self.offset_seconds += seconds


class ShreddingAwareRepository(Repository[uuid.UUID]):
    """Learns, before a read, which subject keys other processes destroyed (at most every few
    seconds, see SubjectKeys.catch_up): the aggregates it caches hold values as they were
    decrypted, and must not outlive a purge another replica carried out (AR-1).

    A read that names the aggregate's class (``kind``) of one the application never snapshots
    skips the snapshot table: a read that misses the cache — every new aggregate, every look-up of
    one that does not exist — is then one round trip, not two (issue #16). Without ``kind``, or
    for a snapshotting class, the stock read.

    A class the application declares written once (no event but its creation, checked by
    ``check_written_once``) is served from the cache as it is: nothing stored later can change it, so
    the stock read's query for newer events would always come back empty."""

    def __init__(self, keys: SubjectKeys, snapshotting: tuple[type[Any], ...] = (),
                 written_once: tuple[type[Aggregate], ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = keys
        self.snapshotting = snapshotting
        self.written_once = written_once
        self._reading = threading.local()  # green-local under eventlet: one flag per worker

    def get(self, aggregate_id: uuid.UUID, *, kind: type[Any] | None = None, **kwargs: Any) -> Any:
        self.keys.catch_up()  # may drop the cache (ServiceApplication._drop_cached_aggregates)
        if kind in self.written_once and self.cache is not None and not kwargs:
            with contextlib.suppress(KeyError):
                return self.cache.get(aggregate_id)  # no copy either: it has no command to change it
        plain = kind is not None and self.snapshot_store is not None and not issubclass(kind, self.snapshotting)
        self._reading.without_snapshots = plain
        try:
            return super().get(aggregate_id, **kwargs)
        finally:
            self._reading.without_snapshots = False

    def remember_written_once(self, saved: Iterable[Any]) -> None:
        """A class written once, just stored, is what any later read would build: cached now, its
        first read costs nothing either (a contact learned at sign-up, read at the first notice)."""
        if self.cache is not None:
            for aggregate in saved:
                if type(aggregate) in self.written_once:
                    self.cache.put(aggregate.id, aggregate)

    def _reconstruct_aggregate(self, aggregate_id: uuid.UUID, version: int | None, projector_func: Any) -> Any:
        if not getattr(self._reading, "without_snapshots", False):
            return super()._reconstruct_aggregate(aggregate_id, version, projector_func)
        aggregate = projector_func(None, self.event_store.get(originator_id=aggregate_id, lte=version))
        if aggregate is None:
            raise AggregateNotFoundError(f"Aggregate {aggregate_id!r} version {version!r} not found.")
        return aggregate


def check_written_once(*kinds: type[Aggregate]) -> tuple[type[Aggregate], ...]:
    """Aggregate classes whose only event is their creation, checked: a class that gains a
    second event can no longer be read from the cache without asking the store for newer
    events, so declaring it fails at once instead of serving stale copies."""
    for kind in kinds:
        changes = [name for name, value in vars(kind).items()
                   if isinstance(value, type) and issubclass(value, CanMutateAggregate)
                   and not issubclass(value, CanInitAggregate) and value is not kind.Event]
        if changes:
            raise TypeError(f"{kind.__name__} is not written once: it has the events {changes}")
    return kinds


class ServiceApplication(Application[uuid.UUID]):
    """Base of each service's application: one method per use case, each ending in
    `self.save_caused(...)`. Knows nothing of nameko or AMQP."""

    name = "service"
    # Aggregates never changed once created (see ShreddingAwareRepository): read from the cache as they are.
    written_once: ClassVar[tuple[type[Aggregate], ...]] = ()
    # Aggregates the application snapshots itself (take_snapshot), beside snapshotting_intervals':
    # a read naming their class still starts from the snapshot.
    snapshotted_by_hand: ClassVar[tuple[type[Aggregate], ...]] = ()
    relay: Any = None  # the relay following this application's log, when one runs here

    def __init__(self, settings: Settings, keys: SubjectKeys | None = None,
                 clock: PlatformClock | None = None, env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.keys = keys or subject_keys_for(settings)
        self.clock = clock or PlatformClock()
        self.on_saved: list[Any] = []  # callables told after each save (the relay wakes up)
        super().__init__(env=env if env is not None else store_environment(settings))
        self.keys.on_forget.append(self._drop_cached_aggregates)
        self.clock.set_offset(self._recorded_clock_offset())

    recorder: ProcessRecorder
    repository: ShreddingAwareRepository

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)  # type: ignore[arg-type]
        transcoder.register(PersonalTranscoding(self.keys))  # type: ignore[attr-defined]

    def save_caused(self, *aggregates: Aggregate | None, cause: Cause) -> None:
        # A duplicate is refused by the tracking record's key in the same transaction (handlers
        # have asked has_handled before any side effect: shared/kernel/policies.py).
        tracking = (Tracking(f"inbox:{cause.inbox_event_id}", 1)
                    if cause.inbox_event_id is not None else None)
        processing = ProcessingEvent[uuid.UUID](tracking)
        processing.collect_events(*aggregates)
        for domain_event in processing.events:
            object.__setattr__(domain_event, "correlation_id", cause.correlation_id)
            object.__setattr__(domain_event, "causation_id", cause.causation_id)
            if cause.traceparent is not None:  # untraced work stores its events as before
                object.__setattr__(domain_event, "traceparent", cause.traceparent)
        try:
            recordings = self._record(processing)
        except (IntegrityError, OperationalError):
            # PostgreSQL pipelines the tracking insert, so a duplicate there surfaces as an
            # aborted pipeline (OperationalError) rather than an IntegrityError.
            if cause.inbox_event_id is not None and self.has_handled(cause.inbox_event_id):
                raise AlreadyHandled(str(cause.inbox_event_id)) from None
            raise
        self.repository.remember_written_once(processing.aggregates.values())
        self._take_snapshots(processing)  # for aggregates an application snapshots (its intervals)
        for listener in self.on_saved:
            listener(recordings)

    def construct_repository(self) -> ShreddingAwareRepository:
        stock = super().construct_repository()
        snapshotting = (*(self.snapshotting_intervals or ()), *self.snapshotted_by_hand)
        return ShreddingAwareRepository(self.keys, snapshotting, self.written_once,
                                        event_store=stock.event_store, snapshot_store=stock.snapshot_store,
                                        cache_maxsize=AGGREGATE_CACHE_SIZE if stock.cache is not None else None,
                                        fastforward=stock.fastforward, fastforward_skipping=stock.fastforward_skipping,
                                        deepcopy_from_cache=stock.deepcopy_from_cache)

    def _drop_cached_aggregates(self, _subject: str) -> None:
        # Cached aggregates hold personal values as they were decrypted: once a key is destroyed
        # (crypto-shredding, AR-1) nothing read before may be served again.
        if self.repository.cache is not None:
            self.repository.cache = LRUCache(maxsize=AGGREGATE_CACHE_SIZE)

    def has_handled(self, event_id: uuid.UUID) -> bool:
        return self.recorder.has_tracking_id(f"inbox:{event_id}", 1)

    # -- the platform clock (every service obeys ClockAdvanced) --------------------------
    def _recorded_clock_offset(self) -> int:
        try:
            offset: ClockOffset = self.repository.get(CLOCK_ID, kind=ClockOffset)
        except AggregateNotFoundError:  # no advance recorded yet
            return 0
        return offset.offset_seconds

    def advance_clock(self, seconds: int, cause: Cause) -> None:
        try:
            offset: ClockOffset = self.repository.get(CLOCK_ID, kind=ClockOffset)
        except AggregateNotFoundError:
            offset = ClockOffset()
        offset.advance(seconds)
        self.save_caused(offset, cause=cause)
        self.clock.set_offset(offset.offset_seconds)
