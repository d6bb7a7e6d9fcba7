"""Baselines a–c: the broker's own speed for 500-byte persistent messages into one durable
queue, measured by the same process the relay figures come from."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

from kombu import Connection, Producer

from bench.relay.env import BenchEnv
from bench.relay.figures import Figure, repeated_rate
from shared.kernel.publisher import ConfirmedPublisher, Outgoing

MESSAGE_BYTES = 500
NO_CONFIRM_MESSAGES = 20_000
ONE_IN_FLIGHT_MESSAGES = 3_000
BATCH_MESSAGES = 20_000
BATCH = 100
REPEATS = 3


def payload() -> dict[str, str]:
    """A JSON object whose encoding is exactly MESSAGE_BYTES long."""
    body = {"pad": ""}
    body["pad"] = "x" * (MESSAGE_BYTES - len(json.dumps(body)))
    return body


def payload_bytes() -> bytes:
    encoded = json.dumps(payload()).encode()
    assert len(encoded) == MESSAGE_BYTES
    return encoded


def declare_queue(env: BenchEnv, name: str, quorum: bool = False) -> None:
    arguments = {"x-queue-type": "quorum"} if quorum else {}
    with env.connection() as conn:
        conn.default_channel.queue_declare(name, durable=True, auto_delete=False, arguments=arguments)
    env.extra_queues.add(name)


def wait_for_depth(env: BenchEnv, queue: str, expected: int, timeout: float = 20) -> int:
    """Messages published without confirms may still be on their way; wait (untimed) to check."""
    deadline = time.monotonic() + timeout
    depth = env.queue_depth(queue)
    while depth < expected and time.monotonic() < deadline:
        time.sleep(0.1)
        depth = env.queue_depth(queue)
    return depth


def kombu_run(env: BenchEnv, queue: str, count: int, confirms: bool) -> Callable[[], tuple[int, float]]:
    body = payload_bytes()

    def run_once() -> tuple[int, float]:
        env.purge(queue)
        options = {"confirm_publish": True} if confirms else {}
        with Connection(env.amqp_uri, transport_options=options) as conn:
            producer = Producer(conn.channel())
            producer.publish(body, routing_key=queue, delivery_mode=2,  # warm the connection
                             content_type="application/json", content_encoding="utf-8")
            started = time.perf_counter()
            for _ in range(count):
                producer.publish(body, routing_key=queue, delivery_mode=2,
                                 content_type="application/json", content_encoding="utf-8")
            elapsed = time.perf_counter() - started
        landed = wait_for_depth(env, queue, count + 1) - 1
        if landed != count:
            raise RuntimeError(f"{landed} of {count} messages reached {queue}")
        return count, elapsed

    return run_once


def batch_run(env: BenchEnv, queue: str, count: int) -> Callable[[], tuple[int, float]]:
    body = payload()

    def run_once() -> tuple[int, float]:
        env.purge(queue)
        publisher = ConfirmedPublisher(env.settings("bench"))
        try:
            publisher.publish_batch([Outgoing("", queue, body, message_id="warm-up")])
            started = time.perf_counter()
            for first in range(0, count, BATCH):
                publisher.publish_batch([Outgoing("", queue, body, message_id=str(uuid.uuid4()))
                                         for _ in range(min(BATCH, count - first))])
            elapsed = time.perf_counter() - started
        finally:
            publisher.close()
        landed = env.queue_depth(queue) - 1
        if landed != count:
            raise RuntimeError(f"{landed} of {count} confirmed messages in {queue}")
        return count, elapsed

    return run_once


def measure(env: BenchEnv) -> list[Figure]:
    classic = f"{env.namespace}.bench.baseline"
    quorum = f"{env.namespace}.bench.baseline-quorum"
    declare_queue(env, classic)
    declare_queue(env, quorum, quorum=True)
    runs = [
        ("a", "raw kombu publish, no confirms", kombu_run(env, classic, NO_CONFIRM_MESSAGES, confirms=False),
         "≈ 20k msg/s"),
        ("b", "raw kombu publish, one confirm in flight",
         kombu_run(env, classic, ONE_IN_FLIGHT_MESSAGES, confirms=True), "≈ 2.3k msg/s"),
        ("c", "py-amqp batch of 100, every confirm awaited (ConfirmedPublisher)",
         batch_run(env, classic, BATCH_MESSAGES), "≈ 19–24k msg/s"),
        ("c.quorum", "as c, into a quorum queue (what the relay publishes into)",
         batch_run(env, quorum, BATCH_MESSAGES), ""),
    ]
    figures = []
    for key, label, run_once, published in runs:
        median, rates = repeated_rate(run_once, REPEATS)
        figures.append(Figure(key, label, median, "msg/s", published=published,
                              detail={"runs_msg_per_s": [round(r) for r in rates]}))
    env.purge(classic, quorum)
    return figures

