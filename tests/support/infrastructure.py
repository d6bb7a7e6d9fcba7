"""Reaching (and cleaning up after) the real broker and database the tests run against."""

from __future__ import annotations

import os

import psycopg
from kombu import Connection

from shared.events.catalog import SERVICES
from shared.kernel import topology
from shared.kernel.config import Settings
from shared.kernel.store import postgres_dsn

# Tests use their own virtual host (created by `make test`), so a platform started with
# `make run` on the same broker never competes with them for nameko's rpc-<service> queues.
AMQP_URI = os.environ.setdefault("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/platform-tests")


def require_infrastructure() -> None:
    problems = []
    try:
        with Connection(AMQP_URI, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=3)
    except Exception as exc:
        problems.append(f"RabbitMQ at {AMQP_URI}: {exc}")
    try:
        with psycopg.connect(postgres_dsn(Settings(service="tests"), "postgres"), connect_timeout=5):
            pass
    except Exception as exc:
        problems.append(f"PostgreSQL: {exc}")
    if problems:
        raise RuntimeError("Integration tests need RabbitMQ and PostgreSQL (make services-up):\n  "
                         + "\n  ".join(problems))


# Short back-off for tests; also names the retry queues, so cleaning up must use the same.
TEST_RETRY_DELAYS_MS = (100, 200, 400)


def delete_namespace(namespace: str) -> None:
    """Remove every queue and exchange a test declared under its namespace."""
    settings = Settings(service="tests", namespace=namespace, amqp_uri=AMQP_URI,
                        retry_delays_ms=TEST_RETRY_DELAYS_MS)
    with Connection(AMQP_URI) as conn:
        channel = conn.channel()
        for queue in topology.all_queues(settings):
            channel.queue_delete(queue.name)
        for exchange in ("events", "dead", "unroutable", "rpc"):
            channel.exchange_delete(f"{namespace}.{exchange}")
        # nameko's request queues are not namespaced: a request whose ack died with a killed
        # process would otherwise be redelivered to the next test's service.
        for service in (*SERVICES, "gateway"):
            channel.queue_delete(f"rpc-{service}")


def drop_postgres_databases(prefix: str) -> None:
    with psycopg.connect(postgres_dsn(Settings(service="tests"), "postgres"), autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{prefix}%",)).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
