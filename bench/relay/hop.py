"""f. Hop latency at a fixed offered load: identity's application and Relay run here (the
relay in a green thread, as the service runs it), the real notifications service runs as its
own process (with the development SMS provider it sends through, started by Platform).
Each event is one sign-up's VerificationCodeIssued, saved on its own; the notifications inbox
logs ``lag_ms`` per event: the event's creation here → handled there (SMS sent, saved, acked).

The headline load is 500 events/s for 20 s. A lighter load (100 events/s) runs first in the
same set-up, to show the hop's latency when nothing is queueing."""

from __future__ import annotations

import gzip
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import eventlet

from bench.relay.env import BenchEnv
from bench.relay.figures import Figure, latency_summary
from bench.relay.inbox_log import InboxLog, handled_lags
from bench.relay.phases import CpuMeter, broker_pid
from services.identity.application import IdentityApplication
from services.identity.domain import User
from services.identity.service import build_application
from services.identity.translations import translate
from shared.kernel import topology
from shared.kernel.config import Settings
from shared.kernel.relay import Relay
from shared.kernel.sealing import seal
from shared.kernel.store import Cause
from shared.kernel.subject_keys import Personal
from shared.kernel.topology import dead_queue_name, retry_queue_name, work_queue_name
from tests.support.processes import Platform

P99_TARGET_MS = 10.0
WARM_UP = 200  # events before the measured ones (connections, caches), not counted
DRAIN_TIMEOUT = 60.0  # after the last event is offered
SETUP_TIMEOUT = 60.0
SAVE_CHUNK = 500
CODE_TYPE = "VerificationCodeIssued"


@dataclass(frozen=True)
class Load:
    key: str
    rate: int  # events/s offered
    seconds: int
    headline: bool

    @property
    def events(self) -> int:
        return self.rate * self.seconds

    @property
    def tag(self) -> str:  # the correlation-id prefix of this load's events
        return f"hop{self.rate}-"


LOADS = (Load("f.at100", 100, 10, headline=False), Load("f", 500, 20, headline=True))
RATE = next(load.rate for load in LOADS if load.headline)


@dataclass
class Offered:
    events: int
    seconds: float
    worst_behind_ms: float  # how far the producer ever fell behind its schedule


def new_users(app: IdentityApplication, count: int) -> list[User]:
    """Users as registration leaves them, without argon2 (the password hash is never read here)."""
    users = []
    for i in range(count):
        e164 = f"+98912{i:07d}"
        user_id = app.user_id_for(e164)
        users.append(User(user_id=user_id, mobile=Personal(f"user:{user_id}", e164),
                          password_hash="not-a-hash", locale="fa"))
    for first in range(0, count, SAVE_CHUNK):
        app.save_caused(*users[first:first + SAVE_CHUNK], cause=Cause("bench-setup"))
    return users


def offer(app: IdentityApplication, users: list[User], rate: int, sealed_code: str, tag: str) -> Offered:
    """One code per user, one save per code, at ``rate`` events/s (eventlet.sleep paces it
    and lets the relay's green thread run)."""
    interval = 1.0 / rate
    started = time.monotonic()
    worst_behind = 0.0
    for i, user in enumerate(users):
        delay = started + i * interval - time.monotonic()
        worst_behind = max(worst_behind, -delay)
        eventlet.sleep(max(0.0, delay))
        user.issue_code("signup", "h", sealed_code, app.clock.now())
        app.save_caused(user, cause=Cause(f"{tag}{i}"))
    return Offered(len(users), time.monotonic() - started, worst_behind * 1000)


def wait_handled(log: InboxLog, tag: str, event_type: str, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    handled = len(handled_lags(log.read(), tag, event_type))
    while handled < expected and time.monotonic() < deadline:
        time.sleep(0.1)
        handled = len(handled_lags(log.read(), tag, event_type))
    return handled


def queued_in_notifications(env: BenchEnv, settings: Settings) -> dict[str, int]:
    """Where events not handled in time are: still queued, waiting to retry, or dead-lettered."""
    retry = sum(env.queue_depth(retry_queue_name(settings, "notifications", d)) for d in settings.retry_delays_ms)
    return {"still_queued": env.queue_depth(work_queue_name(settings, "notifications")), "in_retry": retry,
            "dead_lettered": env.queue_depth(dead_queue_name(settings, "notifications"))}


def cpu_meter(platform: Platform) -> CpuMeter:
    sms = getattr(platform, "sms_provider", None)  # started by Platform for notifications
    return CpuMeter({"bench_identity_and_relay": os.getpid(), "notifications": platform.procs["notifications"].pid,
                     "dev_sms_provider": sms.pid if sms is not None else None, "broker": broker_pid()})


def cpu_detail(meter: CpuMeter, events: int, wall: float) -> dict[str, Any]:
    """CPU per event by process, and how busy the whole machine was, while a load ran and drained."""
    per_event = {name: None if seconds is None else round(1000 * seconds / events, 3)
                 for name, seconds in meter.seconds.items()}
    measured = sum(seconds for seconds in meter.seconds.values() if seconds is not None)
    cores = len(os.sched_getaffinity(0))
    return {"cpu_ms_per_event": per_event, "these_processes_busy_pct_of_machine": round(
        100 * measured / (wall * cores), 1)}


def figures_for(load: Load, lines: list[dict[str, Any]], offered: Offered, where: dict[str, Any]) -> list[Figure]:
    lags = handled_lags(lines, load.tag, CODE_TYPE)
    duplicates = sum(1 for line in lines if line.get("event") == "inbox.duplicate" and line.get("event_id") in lags)
    lost = offered.events - len(lags)
    detail: dict[str, Any] = {"offered": offered.events, "offered_per_s": round(offered.events / offered.seconds, 1),
              "handled": len(lags), "lost": lost, "duplicates_refused": duplicates,
              "producer_worst_behind_ms": round(offered.worst_behind_ms, 1), **where}
    label = f"hop append → relay → inbox handled at {load.rate}/s"
    if not lags:
        return [Figure(f"{load.key}.p99", f"{label}, p99", None, "ms", note="no event handled", detail=detail)]
    summary = latency_summary(list(lags.values()))
    p99_detail = detail.copy()
    if load.headline:
        p99_detail |= {"target_p99_ms": P99_TARGET_MS,
                       "verdict": "PASS" if summary["p99"] <= P99_TARGET_MS and lost == 0 else "MISS"}
    return [
        Figure(f"{load.key}.p50", f"{label}, p50", summary["p50"], "ms"),
        Figure(f"{load.key}.p95", f"{label}, p95", summary["p95"], "ms"),
        Figure(f"{load.key}.p99", f"{label}, p99", summary["p99"], "ms", detail=p99_detail),
        Figure(f"{load.key}.max", f"{label}, max", summary["max"], "ms"),
        Figure(f"{load.key}.handled", f"  handled of {offered.events} offered at {load.rate}/s (lost {lost})",
               len(lags), "events"),
    ]


def keep_logs(platform: Platform, into: Path | None) -> None:
    """The processes' logs, gzipped beside the results, for a look at what happened."""
    if into is None:
        return
    into.mkdir(parents=True, exist_ok=True)
    for log in platform.logs.glob("*.log"):
        with open(log, "rb") as source, gzip.open(into / f"{log.name}.gz", "wb") as target:
            shutil.copyfileobj(source, target)


# -- the run -----------------------------------------------------------------------------
def run_loads(env: BenchEnv, settings: Settings, app: IdentityApplication, platform: Platform) -> list[Figure]:
    log = InboxLog(platform)
    users = new_users(app, WARM_UP + sum(load.events for load in LOADS))
    if wait_handled(log, "", "UserRegistered", len(users), SETUP_TIMEOUT) < len(users):
        raise RuntimeError("notifications did not take the users' registrations in time")
    sealed_code = seal(app.sealing_public_key, "123456")  # a real seal: notifications opens it
    offer(app, users[:WARM_UP], LOADS[0].rate, sealed_code, "warm-")
    wait_handled(log, "warm-", CODE_TYPE, WARM_UP, SETUP_TIMEOUT)
    figures, first = [], WARM_UP
    for load in LOADS:
        meter, started = cpu_meter(platform), time.monotonic()
        meter.start()
        offered = offer(app, users[first:first + load.events], load.rate, sealed_code, load.tag)
        first += load.events
        wait_handled(log, load.tag, CODE_TYPE, offered.events, DRAIN_TIMEOUT)
        meter.stop()
        where = queued_in_notifications(env, settings) | cpu_detail(meter, offered.events, time.monotonic() - started)
        figures += figures_for(load, log.read(), offered, where)
    return figures


def measure(env: BenchEnv) -> list[Figure]:
    settings = env.settings("identity", var="hop")
    topology.declare(settings)
    env.purge_topology()
    platform = Platform(env.settings("notifications", var="hop"))
    app = build_application(settings)
    relay = Relay(app, translate, settings)
    pump = eventlet.spawn(relay.run)
    env.delete_later_if_new("rpc-notifications")  # nameko's, not namespaced: see bench/README.md
    try:
        platform.start("notifications")
        return run_loads(env, settings, app, platform)
    finally:
        relay.stop()
        pump.wait()
        relay.close()
        platform.stop_all()
        app.close()
        keep_logs(platform, env.artifacts)
