"""Same-run baselines: what the broker and the database do on their own, measured by the bench
process on the same machine minutes before the platform runs.

- broker: raw kombu, a persistent 500-byte JSON message published with a confirm into a
  durable quorum queue (the kind every service consumes from) and consumed with an ack on a
  second connection, one message in flight: the round trip, publish → consumed.
- store: raw psycopg, one 500-byte row inserted and committed per transaction into a table of
  a bench database `bench_<ns>_baseline`: the latency of one commit, and its rate.
- one hop's floor: in one process, consume a delivery from a quorum queue, insert + commit a
  row, publish an event with a confirm to another quorum queue, ack — what one platform hop
  must do at least, with nothing of ours in between. Its CPU (this process, the broker and
  PostgreSQL's backends) per hop is the floor the platform's CPU per delivery is compared with.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import eventlet
import psycopg
from kombu import Consumer, Producer, Queue

from bench.identity.cpu import broker_pid, group_cpu_seconds, pids_named, process_cpu_seconds
from bench.lifecycle.env import LifecycleEnv
from bench.relay.baselines import payload_bytes
from bench.relay.figures import latency_summary
from shared.kernel.store import ensure_postgres_database, postgres_dsn

ROUND_TRIPS, ROUND_TRIP_WARMUP = 1_000, 50
INSERTS, INSERT_WARMUP = 2_000, 50
HOPS, HOP_WARMUP = 1_000, 50


def _summary(samples_ms: list[float], seconds: float) -> dict[str, Any]:
    return {"count": len(samples_ms), "per_second": round(len(samples_ms) / seconds, 1),
            **{k: round(v, 2) for k, v in latency_summary(samples_ms).items()}}


def kombu_round_trip(env: LifecycleEnv, count: int = ROUND_TRIPS) -> dict[str, Any]:
    name = f"{env.namespace}.bench.round-trip"
    env.extra_queues.add(name)
    queue = Queue(name, durable=True, auto_delete=False, queue_arguments={"x-queue-type": "quorum"})
    body = payload_bytes()
    arrived: eventlet.queue.LightQueue = eventlet.queue.LightQueue()

    def on_message(_body: Any, message: Any) -> None:
        message.ack()
        arrived.put(time.perf_counter())

    with env.connection(transport_options={"confirm_publish": True}) as publishing, env.connection() as consuming:
        queue(consuming.default_channel).declare()
        producer = Producer(publishing.channel())
        samples: list[float] = []
        stop = False

        def consume() -> None:
            with Consumer(consuming.channel(), [queue], callbacks=[on_message], accept=["json"], prefetch_count=10):
                while not stop:
                    try:
                        consuming.drain_events(timeout=0.5)
                    except TimeoutError:
                        continue

        thread = eventlet.spawn(consume)
        try:
            eventlet.sleep(0.2)
            began = 0.0
            for n in range(ROUND_TRIP_WARMUP + count):
                if n == ROUND_TRIP_WARMUP:
                    began = time.perf_counter()
                sent = time.perf_counter()
                producer.publish(body, routing_key=name, delivery_mode=2, content_type="application/json",
                                 content_encoding="utf-8")
                got = arrived.get(timeout=10)
                if n >= ROUND_TRIP_WARMUP:
                    samples.append((got - sent) * 1000)
            elapsed = time.perf_counter() - began
        finally:
            stop = True
            thread.wait()
    return _summary(samples, elapsed) | {"queue": "quorum, durable", "message_bytes": len(body),
                                         "publish": "confirmed", "consume": "acked", "in_flight": 1}


def postgres_inserts(env: LifecycleEnv, count: int = INSERTS) -> dict[str, Any]:
    settings = env.settings("bench", store="postgres")
    dbname = f"{env.postgres_prefix}_baseline"
    ensure_postgres_database(settings, dbname)
    body = payload_bytes().decode()
    samples: list[float] = []
    with psycopg.connect(postgres_dsn(settings, dbname), autocommit=True) as conn:
        conn.execute("CREATE TABLE rows (id bigserial PRIMARY KEY, body text NOT NULL)")
        began = 0.0
        for n in range(INSERT_WARMUP + count):
            if n == INSERT_WARMUP:
                began = time.perf_counter()
            started = time.perf_counter()
            conn.execute("INSERT INTO rows (body) VALUES (%s)", (body,))  # autocommit: one commit each
            if n >= INSERT_WARMUP:
                samples.append((time.perf_counter() - started) * 1000)
        elapsed = time.perf_counter() - began
        fsync = conn.execute("SHOW synchronous_commit").fetchone()
    return _summary(samples, elapsed) | {"row_bytes": len(body), "commit": "one per insert",
                                         "synchronous_commit": fsync[0] if fsync else "unknown"}


def _cpu_now() -> dict[str, Any]:
    broker = broker_pid()
    return {"bench": process_cpu_seconds(os.getpid()) or 0.0,
            "broker": (process_cpu_seconds(broker) or 0.0) if broker else 0.0,
            "postgres": group_cpu_seconds(pids_named("postgres"))}


def _cpu_since(before: dict[str, Any]) -> dict[str, float]:
    after = _cpu_now()
    earlier = before["postgres"]
    backends = sum(used - earlier[pid] for pid, used in after["postgres"].items() if pid in earlier)
    return {"bench": after["bench"] - before["bench"], "broker": after["broker"] - before["broker"],
            "postgres": backends}


def one_hop_floor(env: LifecycleEnv, count: int = HOPS) -> dict[str, Any]:
    inbound, outbound = f"{env.namespace}.bench.hop-in", f"{env.namespace}.bench.hop-out"
    env.extra_queues |= {inbound, outbound}
    queues = [Queue(name, durable=True, auto_delete=False, queue_arguments={"x-queue-type": "quorum"})
              for name in (inbound, outbound)]
    settings = env.settings("bench", store="postgres")
    dbname = f"{env.postgres_prefix}_baseline"
    ensure_postgres_database(settings, dbname)
    body = payload_bytes()
    total = HOP_WARMUP + count
    done: list[float] = []
    with env.connection(transport_options={"confirm_publish": True}) as publishing, env.connection() as consuming, \
            psycopg.connect(postgres_dsn(settings, dbname), autocommit=True) as db:
        db.execute("CREATE TABLE IF NOT EXISTS hops (id bigserial PRIMARY KEY, body text NOT NULL)")
        for queue in queues:
            queue(consuming.default_channel).declare()
        producer = Producer(publishing.channel())
        for _ in range(total):
            producer.publish(body, routing_key=inbound, delivery_mode=2, content_type="application/json")

        def hop(payload: Any, message: Any) -> None:
            with db.transaction():
                db.execute("INSERT INTO hops (body) VALUES (%s)", (json.dumps(payload),))
            producer.publish(body, routing_key=outbound, delivery_mode=2, content_type="application/json")
            message.ack()
            done.append(time.perf_counter())

        with Consumer(consuming.channel(), [queues[0]], callbacks=[hop], accept=["json"], prefetch_count=1):
            while len(done) < HOP_WARMUP:
                consuming.drain_events(timeout=10)
            began, cpu = time.perf_counter(), _cpu_now()
            while len(done) < total:
                consuming.drain_events(timeout=10)
            elapsed, used = time.perf_counter() - began, _cpu_since(cpu)
    per_hop = {name: round(1000 * seconds / count, 3) for name, seconds in used.items()}
    return {"count": count, "per_second": round(count / elapsed, 1), "cpu_ms_per_hop": per_hop,
            "cpu_ms_per_hop_total": round(sum(per_hop.values()), 3),
            "hop": "consume (prefetch 1) → INSERT + COMMIT → publish confirmed → ack, one process"}


def measure(env: LifecycleEnv) -> dict[str, Any]:
    return {"kombu_round_trip": kombu_round_trip(env), "postgres_insert": postgres_inserts(env),
            "one_hop_floor": one_hop_floor(env)}
