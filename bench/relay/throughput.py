"""e. Relay throughput: identity's real application and Relay, a backlog of N
VerificationCodeIssued events, timed until the relay has published every one with the
broker's confirm. SQLite and PostgreSQL stores, two RELAY_BATCH sizes, median of REPEATS."""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from bench.relay.env import BenchEnv
from bench.relay.figures import Figure, repeated_rate
from bench.relay.phases import CpuMeter, PhaseClock, shares
from services.identity.application import IdentityApplication
from services.identity.domain import User
from services.identity.service import build_application
from services.identity.translations import translate
from shared.kernel import topology
from shared.kernel.config import Settings
from shared.kernel.relay import Checkpoint, PostgresCheckpoint, Relay, SQLiteCheckpoint
from shared.kernel.store import Cause
from shared.kernel.topology import work_queue_name

EVENTS = 20_000
CHUNK = 500  # events per save while building the backlog
BATCHES = (200, 1000)
STORES = ("sqlite", "postgres")
REPEATS = 5
SETTLE_SECONDS = 1.0  # after purging the last run's 20k messages, the broker is busy for a moment
TARGET = 10_000  # events/s, confirmed (the issue's target)
MOBILE, PASSWORD = "09120000001", "Bench-Passw0rd!"
# A day and a second between codes: the domain's re-send gap and daily cap both hold.
CODE_SPACING = timedelta(days=1, seconds=1)


def append_backlog(app: IdentityApplication, count: int) -> int:
    """One registered user (Registered and its first code), then ``count`` more codes;
    returns how many events the store holds, each of which the relay must publish."""
    user_id = app.register(MOBILE, PASSWORD, Cause("bench")).user_id  # argon2: once only
    user: User = app.repository.get(user_id)
    now = app.clock.now()
    for first in range(0, count, CHUNK):
        for _ in range(min(CHUNK, count - first)):
            now += CODE_SPACING
            user.issue_code("signup", "h", "sealed", now)
        app.save_caused(user, cause=Cause("bench"))
    return int(app.recorder.max_notification_id() or 0)


def checkpoint_named(settings: Settings, name: str) -> Checkpoint:
    """A checkpoint of its own for each run, so every run starts from the first event."""
    if settings.event_store == "postgres":
        return PostgresCheckpoint(settings, name=name)
    return SQLiteCheckpoint(settings, name=name)


@dataclass
class Breakdown:
    """Where the relay's time went, over every run of one configuration."""

    clock: PhaseClock = field(default_factory=PhaseClock)
    cpu: CpuMeter = field(default_factory=CpuMeter)
    wall: float = 0.0

    def time_phases(self, relay: Relay, app: IdentityApplication) -> None:
        self.clock.wrap(app.recorder, "select_notifications", "store_read")
        self.clock.wrap(relay, "envelope_for", "decode_translate_envelope")
        self.clock.wrap(relay.publisher, "publish_batch", "publish_and_confirm")
        self.clock.wrap(relay.checkpoint, "save", "checkpoint_save")

    def as_detail(self) -> dict[str, float | None]:
        return shares(self.clock.seconds, self.wall, self.cpu)


class RelayRuns:
    def __init__(self, env: BenchEnv, app: IdentityApplication, settings: Settings, expected: int) -> None:
        self.env, self.app, self.settings, self.expected = env, app, settings, expected
        self.queues = [work_queue_name(settings, "notifications"), work_queue_name(settings, "tenancy")]
        self.runs = 0
        self.breakdowns: dict[int, Breakdown] = defaultdict(Breakdown)

    def run_once(self, batch: int) -> tuple[int, float]:
        self.env.purge(*self.queues)
        time.sleep(SETTLE_SECONDS)
        self.runs += 1
        settings = dataclasses.replace(self.settings, relay_batch=batch)
        relay = Relay(self.app, translate, settings, checkpoint=checkpoint_named(settings, f"bench-{self.runs}"))
        breakdown = self.breakdowns[batch]
        breakdown.time_phases(relay, self.app)
        try:
            breakdown.cpu.start()
            started = time.perf_counter()
            while relay.publish_next_batch():  # returns only once the broker confirmed the batch
                pass
            elapsed = time.perf_counter() - started
            breakdown.cpu.stop()
            breakdown.wall += elapsed
        finally:
            breakdown.clock.unwrap()
            relay.close()
        self.check_delivered(relay.published_total)
        return relay.published_total, elapsed

    def check_delivered(self, published: int) -> None:
        depth = self.env.queue_depth(self.queues[0])
        if published != self.expected or depth != published:
            raise RuntimeError(f"relay published {published} of {self.expected}; {depth} in {self.queues[0]}")


def measure_store(env: BenchEnv, store: str) -> list[Figure]:
    settings = env.settings("identity", store=store, var=f"relay-{store}")
    topology.declare(settings)
    app = build_application(settings)
    try:
        started = time.perf_counter()
        expected = append_backlog(app, EVENTS)
        append_rate = expected / (time.perf_counter() - started)
        runs = RelayRuns(env, app, settings, expected)
        figures = []
        for batch in BATCHES:
            median, rates = repeated_rate(partial(runs.run_once, batch), REPEATS)
            figures.append(Figure(
                f"e.{store}.batch{batch}", f"relay, {store} store, RELAY_BATCH={batch}, every event confirmed",
                median, "events/s",
                detail={"runs_events_per_s": [round(r) for r in rates], "events": expected,
                        "backlog_append_events_per_s": round(append_rate),
                        "target_events_per_s": TARGET, "verdict": "PASS" if median >= TARGET else "MISS",
                        "time_share": runs.breakdowns[batch].as_detail()}))
        env.purge(*runs.queues)
        return figures
    finally:
        app.close()


def measure(env: BenchEnv) -> list[Figure]:
    return [figure for store in STORES for figure in measure_store(env, store)]
