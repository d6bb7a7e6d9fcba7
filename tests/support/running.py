"""A whole platform for one test module: its own namespace, PostgreSQL databases and var
directory, every service its own process behind the gateway, all removed afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.kernel.config import Settings
from tests.e2e.journey import Gateway, start_platform
from tests.support.infrastructure import AMQP_URI, TEST_RETRY_DELAYS_MS, delete_namespace, drop_postgres_databases
from tests.support.processes import Platform


@contextmanager
def running_platform(var_dir: Path, **service_env: dict[str, str]) -> Iterator[Gateway]:
    """``service_env`` adds environment to a service's start (e.g. identity={...})."""
    namespace = f"t{uuid.uuid4().hex[:10]}"
    prefix = f"test_{namespace}"
    settings = Settings(service="tests", namespace=namespace, event_store="postgres", amqp_uri=AMQP_URI,
                        var_dir=var_dir, postgres_db_prefix=prefix, retry_delays_ms=TEST_RETRY_DELAYS_MS)
    platform = Platform(settings)
    try:
        yield start_platform(platform, extra_env=service_env)
    finally:
        platform.stop_all()
        delete_namespace(namespace)
        drop_postgres_databases(prefix)
