"""Reaching (and cleaning up after) the real broker and database the tests run against."""

from __future__ import annotations

import hashlib
import os
import subprocess

import psycopg
from kombu import Connection

from shared.events.catalog import SERVICES
from shared.kernel import topology
from shared.kernel.config import REPO_ROOT, Settings
from shared.kernel.store import postgres_dsn

# Tests use their own virtual host, one per checkout, so neither a platform started with
# `make run` nor a test run in another checkout on the same broker ever competes with them
# for nameko's rpc-<service> queues (which are not namespaced: a request could be answered
# by another run's service).
TEST_VHOST = "platform-tests-" + hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:8]
AMQP_URI = os.environ.setdefault("AMQP_URI", f"amqp://guest:guest@127.0.0.1:5672/{TEST_VHOST}")


def ensure_test_vhost() -> None:
    """Create this checkout's virtual host when the tests use it (idempotent)."""
    if not AMQP_URI.endswith(f"/{TEST_VHOST}"):
        return  # AMQP_URI given from outside: its vhost is the caller's business
    for command in (["rabbitmqctl", "-q", "add_vhost", TEST_VHOST],
                    ["rabbitmqctl", "-q", "set_permissions", "-p", TEST_VHOST, "guest", ".*", ".*", ".*"]):
        subprocess.run(command, capture_output=True, timeout=60, check=False)


def require_infrastructure() -> None:
    ensure_test_vhost()
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


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_tool(why: str) -> None:
    """A tool a test needs is not installed: skipped on a developer's machine, a failure in CI
    (.ci/run sets CI=true), where a skipped test would prove nothing."""
    import pytest

    if in_ci():
        pytest.fail(f"{why} (CI must not skip it)", pytrace=False)
    pytest.skip(why)
