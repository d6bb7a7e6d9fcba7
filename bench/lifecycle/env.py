"""The bench's own corner of the broker and the database: a random namespace `bench<random>`
(every exchange and queue under it), PostgreSQL databases `bench_<ns>_*`, a temporary VAR_DIR,
nameko's `rpc-<service>` queues that did not exist before, the gateway's RPC reply queue and
the bench's own event tap; all removed at the end, even after a failure."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from amqp.exceptions import NotFound

from bench.identity.env import _bound_to, claim_rpc_queues
from bench.relay.env import BenchEnv
from shared.kernel.store import postgres_dsn

SERVICES = ("identity", "notifications", "billing", "provisioning", "tenancy", "archival")
# nameko's request queues carry no namespace: the bench's processes declare these.
RPC_QUEUES = tuple(f"rpc-{service}" for service in SERVICES)
RETRY_DELAYS_MS = (1000, 5000, 30000)  # the default: what `make run` uses


@dataclass
class LifecycleEnv(BenchEnv):
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-lifecycle-")))

    @property
    def tap_queue(self) -> str:
        return f"{self.namespace}.bench.lifecycle-tap"

    def claim_rpc_queues(self) -> None:
        """Refuse to run beside another platform on the same vhost (its services would take the
        bench's RPC requests); remember the request queues that are new, to delete them after."""
        self.extra_queues |= claim_rpc_queues(self.connection, RPC_QUEUES, self.amqp_uri)

    def wait_for_connections(self, needed: int, say: Callable[[str], None], timeout: float = 900) -> dict[str, int]:
        """PostgreSQL's max_connections is shared with whatever else runs on this machine (the
        platform alone holds 6 × 12 at rest): wait until ``needed`` are free, at most ``timeout`` s."""
        dsn = postgres_dsn(self.settings("bench"), "postgres")
        deadline, said = time.monotonic() + timeout, 0.0
        while True:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
                limit = int(conn.execute("SHOW max_connections").fetchone()[0])  # type: ignore[index]
                used = int(conn.execute("SELECT count(*) FROM pg_stat_activity").fetchone()[0])  # type: ignore[index]
            if limit - used >= needed:
                return {"max_connections": limit, "in_use_before": used, "needed": needed}
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL has {limit - used} of {limit} connections free after waiting "
                                   f"{timeout:.0f} s; the platform needs about {needed}")
            if time.monotonic() - said > 60:
                say(f"  waiting for PostgreSQL connections: {limit - used} of {limit} free, {needed} needed "
                    "(another run holds them)")
                said = time.monotonic()
            time.sleep(5)

    def cleanup(self) -> list[str]:
        # The gateway's reply queue has a random name; it is bound to <ns>.rpc (found before deleting).
        vhost = str(self.settings("bench").amqp_parts()["virtual_host"])
        with contextlib.suppress(Exception):
            self.extra_queues.update(q for q in _bound_to(f"{self.namespace}.rpc", vhost) if q not in RPC_QUEUES)
        self.extra_queues.add(self.tap_queue)
        problems = super().cleanup()
        return problems + self.leftovers()

    def leftovers(self) -> list[str]:
        """What is still there after clean-up (nothing, or a problem to report)."""
        found = [f"queue {name}" for name in sorted(self.extra_queues) if self._exists(name)]
        with contextlib.suppress(Exception):
            with psycopg.connect(postgres_dsn(self.settings("bench"), "postgres"), autocommit=True) as conn:
                rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                    (self.postgres_prefix.replace("_", r"\_") + "%",)).fetchall()
            found += [f"database {name}" for (name,) in rows]
        if self.root.exists():
            found.append(f"directory {self.root}")
        return [f"{what} is still there" for what in found]

    def _exists(self, queue: str) -> bool:
        with self.connection() as conn:
            try:
                conn.channel().queue_declare(queue, passive=True)
            except NotFound:
                return False
            return True
