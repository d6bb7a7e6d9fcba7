"""f. Hop latency at a fixed offered load: identity's application and Relay run here (the
relay in a green thread, as the service runs it), the real notifications service runs as its
own process. Each event is one sign-up's VerificationCodeIssued, saved on its own; the
notifications inbox logs ``lag_ms`` (the event's creation → handled, its SMS saved) per event."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import eventlet

from bench.relay.env import BenchEnv
from bench.relay.figures import Figure, latency_summary
from services.identity.application import IdentityApplication
from services.identity.domain import User
from services.identity.service import build_application
from services.identity.translations import translate
from shared.kernel import topology
from shared.kernel.relay import Relay
from shared.kernel.sealing import seal
from shared.kernel.store import Cause
from shared.kernel.subject_keys import Personal
from tests.support.processes import Platform

RATE = 500  # events/s offered
SECONDS = 20
WARM_UP = 200  # events before the measured ones, at the same rate
DRAIN_TIMEOUT = 60.0
SETUP_TIMEOUT = 60.0
SAVE_CHUNK = 500
P99_TARGET_MS = 10.0
MEASURED, WARMING = "hop-", "warm-"


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


def offer(app: IdentityApplication, users: list[User], sealed_code: str, tag: str) -> Offered:
    """One code per user, one save per code, at RATE events/s (eventlet.sleep paces it and
    lets the relay's green thread run)."""
    interval = 1.0 / RATE
    started = time.monotonic()
    worst_behind = 0.0
    for i, user in enumerate(users):
        delay = started + i * interval - time.monotonic()
        worst_behind = max(worst_behind, -delay)
        eventlet.sleep(max(0.0, delay))
        user.issue_code("signup", "h", sealed_code, app.clock.now())
        app.save_caused(user, cause=Cause(f"{tag}{i}"))
    return Offered(len(users), time.monotonic() - started, worst_behind * 1000)


def inbox_lines(platform: Platform) -> list[dict[str, Any]]:
    """The notifications inbox's log lines (one JSON object per line)."""
    lines = []
    for raw in platform.log_text("notifications").splitlines():
        if '"inbox.' not in raw:
            continue
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def handled_lags(lines: list[dict[str, Any]], tag: str, event_type: str) -> dict[str, float]:
    """event id → lag_ms of each event of this type handled, whose correlation id starts with ``tag``."""
    return {line["event_id"]: float(line["lag_ms"]) for line in lines
            if line.get("event") == "inbox.handled" and line.get("type") == event_type
            and str(line.get("correlation_id", "")).startswith(tag)}


def wait_handled(platform: Platform, tag: str, event_type: str, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    handled = len(handled_lags(inbox_lines(platform), tag, event_type))
    while handled < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        handled = len(handled_lags(inbox_lines(platform), tag, event_type))
    return handled


def figures_from(lines: list[dict[str, Any]], offered: Offered) -> list[Figure]:
    lags = handled_lags(lines, MEASURED, "VerificationCodeIssued")
    duplicates = sum(1 for line in lines if line.get("event") == "inbox.duplicate" and line.get("event_id") in lags)
    lost = offered.events - len(lags)
    detail = {"offered": offered.events, "offered_per_s": round(offered.events / offered.seconds, 1),
              "handled": len(lags), "lost": lost, "duplicates_refused": duplicates,
              "producer_worst_behind_ms": round(offered.worst_behind_ms, 1)}
    if not lags:
        return [Figure("f.p99", "hop latency p99", None, "ms", note="no event handled", detail=detail)]
    summary = latency_summary(list(lags.values()))
    verdict = "PASS" if summary["p99"] <= P99_TARGET_MS and lost == 0 else "MISS"
    label = f"hop append → relay → inbox handled at {RATE}/s"
    return [
        Figure("f.p50", f"{label}, p50", summary["p50"], "ms"),
        Figure("f.p95", f"{label}, p95", summary["p95"], "ms"),
        Figure("f.p99", f"{label}, p99", summary["p99"], "ms",
               detail=detail | {"target_p99_ms": P99_TARGET_MS, "verdict": verdict}),
        Figure("f.max", f"{label}, max", summary["max"], "ms"),
        Figure("f.handled", f"hop events handled of {offered.events} offered (lost = {lost})",
               len(lags), "events"),
    ]


def measure(env: BenchEnv) -> list[Figure]:
    settings = env.settings("identity", var="hop")
    topology.declare(settings)
    env.purge_topology()
    platform = Platform(env.settings("notifications", var="hop"))
    app = build_application(settings)
    relay = Relay(app, translate, settings)
    pump = eventlet.spawn(relay.run)
    try:
        platform.start("notifications")
        users = new_users(app, WARM_UP + RATE * SECONDS)
        if wait_handled(platform, "", "UserRegistered", len(users), SETUP_TIMEOUT) < len(users):
            raise RuntimeError("notifications did not take the users' registrations in time")
        sealed_code = seal(app.sealing_public_key, "123456")
        offer(app, users[:WARM_UP], sealed_code, WARMING)
        offered = offer(app, users[WARM_UP:], sealed_code, MEASURED)
        wait_handled(platform, MEASURED, "VerificationCodeIssued", offered.events, DRAIN_TIMEOUT)
        return figures_from(inbox_lines(platform), offered)
    finally:
        relay.stop()
        pump.wait()
        relay.close()
        platform.stop_all()
        app.close()
