"""Test set-up shared by every layer.

eventlet is monkey-patched first (nameko's RPC client and containers need it; without it
pytest hangs). Every test gets its own AMQP namespace and var directory, so tests never
see each other's queues or stores; ``store`` parametrizes a test over SQLite and PostgreSQL.
"""

from __future__ import annotations

from shared.kernel import green

green.monkey_patch()

import uuid  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from kombu import Connection  # noqa: E402

from shared.kernel.config import Settings  # noqa: E402
from tests.support.infrastructure import (  # noqa: E402
    AMQP_URI,
    TEST_RETRY_DELAYS_MS,
    delete_namespace,
    drop_postgres_databases,
    require_infrastructure,
)
from tests.support.processes import Platform  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
STORES = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def infrastructure() -> None:
    # A missing broker or database fails the run; it is never a reason to skip.
    # (Unit and contract tests do not ask for it, so they run anywhere.)
    require_infrastructure()


@pytest.fixture
def namespace(infrastructure: None) -> Iterator[str]:
    name = f"t{uuid.uuid4().hex[:10]}"
    yield name
    delete_namespace(name)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_for(namespace: str, tmp_path: Path, store: str) -> Iterator[object]:
    """settings_for("identity") → Settings for that service in this test's namespace/store."""
    prefix = f"test_{namespace}"

    def make(service: str, **overrides: object) -> Settings:
        values: dict[str, object] = dict(service=service, namespace=namespace, event_store=store, amqp_uri=AMQP_URI,
                                         var_dir=tmp_path / "var", postgres_db_prefix=prefix,
                                         retry_delays_ms=TEST_RETRY_DELAYS_MS)
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    yield make
    if store == "postgres":
        drop_postgres_databases(prefix)


@pytest.fixture
def amqp() -> Iterator[Connection]:
    conn = Connection(AMQP_URI)
    yield conn
    conn.release()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def platform(request: pytest.FixtureRequest, settings_for: Callable[..., Settings]) -> Iterator[Platform]:
    """Services as real processes, in this test's namespace and store. When the test failed,
    the report shows each live service's green-thread stacks and the end of its log."""
    running = Platform(settings_for("tests"))
    yield running
    if request.node.stash.get(CALL_FAILED, False):
        print(running.post_mortem())
    running.stop_all()
