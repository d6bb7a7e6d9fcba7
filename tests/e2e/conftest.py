"""One platform shared by the unhappy paths of a module (starting seven processes costs more
than most of those tests): its own namespace, PostgreSQL databases and var directory, all
removed afterwards. Each test signs up its own people and buys its own business."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shared.kernel.config import Settings
from tests.e2e.journey import Gateway, start_platform
from tests.support.infrastructure import AMQP_URI, TEST_RETRY_DELAYS_MS, delete_namespace, drop_postgres_databases
from tests.support.processes import Platform


@pytest.fixture(scope="module")
def shared_gateway(infrastructure: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    namespace = f"t{uuid.uuid4().hex[:10]}"
    prefix = f"test_{namespace}"
    settings = Settings(service="tests", namespace=namespace, event_store="postgres", amqp_uri=AMQP_URI,
                        var_dir=tmp_path_factory.mktemp("e2e") / "var", postgres_db_prefix=prefix,
                        retry_delays_ms=TEST_RETRY_DELAYS_MS)
    platform = Platform(settings)
    try:
        yield start_platform(platform)
    finally:
        platform.stop_all()
        delete_namespace(namespace)
        drop_postgres_databases(prefix)
