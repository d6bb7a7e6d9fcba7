"""Baseline d: stock nameko, event_dispatcher → @event_handler in a ServiceContainer run in
this process: events/s and dispatch-to-handler latency (the payload carries time.time())."""

from __future__ import annotations

import time
from typing import Any

import eventlet
from kombu import pools
from nameko.containers import ServiceContainer
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher

from bench.relay.env import BenchEnv
from bench.relay.figures import Figure, latency_summary, rate

EVENTS = 3_000
WARM_UP = 50
EVENT_TYPE = "ping"
HANDLER_TIMEOUT = 60.0


def sink_service(source: str, name: str, latencies_ms: list[float]) -> type:
    """A nameko service class whose one handler records each event's dispatch-to-handler time."""

    @event_handler(source, EVENT_TYPE)
    def handle(self: Any, payload: dict[str, Any]) -> None:
        latencies_ms.append((time.time() - payload["sent"]) * 1000)

    return type("BenchSink", (), {"name": name, "handle": handle})


def wait_for(latencies_ms: list[float], count: int) -> None:
    deadline = time.monotonic() + HANDLER_TIMEOUT
    while len(latencies_ms) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"nameko handled {len(latencies_ms)} of {count} events")
        eventlet.sleep(0.001)


def measure(env: BenchEnv) -> list[Figure]:
    source, sink = f"{env.namespace}-nameko-src", f"{env.namespace}-nameko-sink"
    env.extra_exchanges.add(f"{source}.events")
    env.extra_queues.add(f"evt-{source}-{EVENT_TYPE}--{sink}.handle")
    config = {"AMQP_URI": env.amqp_uri, "serializer": "json"}
    latencies_ms: list[float] = []
    container = ServiceContainer(sink_service(source, sink, latencies_ms), config)
    container.start()
    try:
        dispatch = event_dispatcher(config)
        for _ in range(WARM_UP):  # connections and the consumer settle
            dispatch(source, EVENT_TYPE, {"sent": time.time()})
        wait_for(latencies_ms, WARM_UP)
        latencies_ms.clear()
        started = time.perf_counter()
        for _ in range(EVENTS):
            dispatch(source, EVENT_TYPE, {"sent": time.time()})
        dispatched = time.perf_counter() - started
        wait_for(latencies_ms, EVENTS)
        elapsed = time.perf_counter() - started
    finally:
        container.stop()
        pools.reset()  # the dispatcher's pooled connections
    summary = latency_summary(latencies_ms)
    detail = {"events": EVENTS, "dispatch_only_per_s": round(rate(EVENTS, dispatched))}
    return [
        Figure("d", "nameko dispatch → @event_handler (one confirm in flight)", rate(EVENTS, elapsed),
               "events/s", published="≈ 1.4k events/s", detail=detail),
        Figure("d.p50", "nameko dispatch-to-handler latency p50", summary["p50"], "ms", published="≈ 1 ms"),
        Figure("d.p99", "nameko dispatch-to-handler latency p99", summary["p99"], "ms",
               detail={"p95_ms": summary["p95"], "max_ms": summary["max"]}),
    ]
