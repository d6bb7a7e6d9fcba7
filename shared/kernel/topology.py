"""The AMQP topology, derived from the event catalog and declared (idempotently) by every
process at start, so an event is never published before the queues that want it exist.

    <ns>.events          topic exchange; routing key <producer>.<Type>.v<n>
    <ns>.<svc>.events    quorum queue per consuming service, bound to what it consumes;
                         delivery limit + at-least-once dead-lettering catch crash loops
    <ns>.<svc>.retry.<ms>ms  back-off: TTL, then dead-lettered back to <ns>.<svc>.events
    <ns>.<svc>.dead      dead letters, with the reason, for operators to inspect and replay
    <ns>.unroutable      alternate exchange's queue: anything no binding matched
    <ns>.gateway.sessions  stream: ended sessions, kept an hour; each gateway replica reads
                         it from 20 minutes back (longer than an access token lives)
    <ns>.gateway.clock   stream: every ClockAdvanced, read from the first (non-production only)
"""

from __future__ import annotations

from typing import Any

from kombu import Connection, Exchange, Queue, binding

from shared.events.catalog import GATEWAY, OPERATORS, SERVICES, consumed_by
from shared.events.ops import ClockAdvancedV1
from shared.kernel.config import Settings


def events_exchange(settings: Settings) -> Exchange:
    return Exchange(f"{settings.namespace}.events", type="topic", durable=True,
                    arguments={"alternate-exchange": f"{settings.namespace}.unroutable"})


def dead_exchange(settings: Settings) -> Exchange:
    return Exchange(f"{settings.namespace}.dead", type="direct", durable=True)


def work_queue_name(settings: Settings, service: str) -> str:
    return f"{settings.namespace}.{service}.events"


def dead_queue_name(settings: Settings, service: str) -> str:
    return f"{settings.namespace}.{service}.dead"


def retry_queue_name(settings: Settings, service: str, delay_ms: int) -> str:
    return f"{settings.namespace}.{service}.retry.{delay_ms}ms"


def work_queue(settings: Settings, service: str) -> Queue:
    exchange = events_exchange(settings)
    return Queue(
        work_queue_name(settings, service),
        bindings=[binding(exchange, routing_key=spec.binding_key) for spec in consumed_by(service)],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": settings.delivery_limit,
            "x-dead-letter-exchange": dead_exchange(settings).name,
            "x-dead-letter-routing-key": service,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",  # at-least-once dead-lettering requires it
        },
    )


def _service_queues(settings: Settings, service: str) -> list[Queue]:
    queues = [
        work_queue(settings, service),
        Queue(dead_queue_name(settings, service), exchange=dead_exchange(settings), routing_key=service,
              durable=True, queue_arguments={"x-queue-type": "quorum"}),
    ]
    for delay in settings.retry_delays_ms:
        queues.append(Queue(
            retry_queue_name(settings, service, delay), durable=True,
            queue_arguments={
                "x-message-ttl": delay,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": work_queue_name(settings, service),
            },
        ))
    return queues


def gateway_streams(settings: Settings) -> tuple[Queue, Queue]:
    """(ended sessions, clock): RabbitMQ streams every gateway replica reads without taking
    anything off them, each from the offset its memory needs."""
    exchange = events_exchange(settings)
    specs = consumed_by(GATEWAY)
    clock = [s for s in specs if s.type == ClockAdvancedV1.type]
    sessions = [s for s in specs if s.type != ClockAdvancedV1.type]

    def stream(name: str, chosen: list[Any], max_age: str | None, offset: str) -> Queue:
        arguments = {"x-queue-type": "stream"} | ({"x-max-age": max_age} if max_age else {})
        return Queue(f"{settings.namespace}.{GATEWAY}.{name}", durable=True,
                     bindings=[binding(exchange, routing_key=s.binding_key) for s in chosen],
                     queue_arguments=arguments, consumer_arguments={"x-stream-offset": offset})

    return stream("sessions", sessions, "1h", "20m"), stream("clock", clock, None, "first")


def all_queues(settings: Settings) -> list[Queue]:
    queues: list[Queue] = []
    for service in SERVICES:
        if consumed_by(service):
            queues += _service_queues(settings, service)
    exchange = events_exchange(settings)
    # Events only people read (delivery results): bounded, oldest dropped first.
    queues.append(Queue(
        f"{settings.namespace}.{OPERATORS}.events", durable=True,
        bindings=[binding(exchange, routing_key=s.binding_key) for s in consumed_by(OPERATORS)],
        queue_arguments={"x-max-length": 100_000},
    ))
    queues.extend(gateway_streams(settings))
    queues.append(Queue(
        f"{settings.namespace}.unroutable", durable=True,
        exchange=Exchange(f"{settings.namespace}.unroutable", type="fanout", durable=True),
        queue_arguments={"x-max-length": 100_000},
    ))
    return queues


def declare(settings: Settings, connection: Connection | None = None) -> None:
    """Declare every exchange, queue and binding. Safe to run from many processes at once."""
    own = connection is None
    conn = connection or Connection(settings.amqp_uri, connect_timeout=10)
    try:
        channel = conn.default_channel
        Exchange(f"{settings.namespace}.unroutable", type="fanout", durable=True).declare(channel=channel)
        events_exchange(settings).declare(channel=channel)
        dead_exchange(settings).declare(channel=channel)
        for queue in all_queues(settings):
            queue.bind(channel).declare()
    finally:
        if own:
            conn.release()
