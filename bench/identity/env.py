"""The bench's own corner of the broker: a random AMQP namespace on vhost "/" and a temporary
VAR_DIR, both removed at the end (the few lines of tests/support/infrastructure.py it needs are
copied here: that module pins AMQP_URI to the tests' vhost on import)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from amqp.exceptions import NotFound
from kombu import Connection

from shared.kernel import topology
from shared.kernel.config import Settings

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
RETRY_DELAYS_MS = (100, 200, 400)  # also names the retry queues: cleaning up must use the same
NAMESPACED_EXCHANGES = ("events", "dead", "unroutable", "rpc")
# nameko's request queues carry no namespace; the bench's processes declare these two.
RPC_QUEUES = ("rpc-identity", "rpc-notifications")


def claim_rpc_queues(connection: Callable[[], Connection], queues: Iterable[str], amqp_uri: str) -> set[str]:
    """Refuse to run beside a platform that consumes these RPC queues (nameko's, without a
    namespace); the queues that do not exist yet, which the bench must delete after itself."""
    busy, new = [], set()
    for queue in queues:
        with connection() as conn:
            try:
                _, _, consumers = conn.default_channel.queue_declare(queue, passive=True)
            except NotFound:
                new.add(queue)
                continue
        if consumers:
            busy.append(f"{queue} ({consumers} consumer(s))")
    if busy:
        raise RuntimeError(f"another platform consumes {', '.join(busy)} on {amqp_uri}: stop it (make run) "
                           "or point AMQP_URI at another vhost")
    return new


@dataclass
class BenchEnv:
    namespace: str = field(default_factory=lambda: f"bench{uuid.uuid4().hex[:10]}")
    amqp_uri: str = field(default_factory=lambda: os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-identity-")))
    # nameko's rpc-<service> queues that did not exist before the bench (deleted at the end).
    new_rpc_queues: set[str] = field(default_factory=set)

    def settings(self) -> Settings:
        return Settings(service="bench", namespace=self.namespace, var_dir=self.root / "var",
                        amqp_uri=self.amqp_uri, event_store="sqlite", retry_delays_ms=RETRY_DELAYS_MS)

    def vhost(self) -> str:
        return str(self.settings().amqp_parts()["virtual_host"])

    def connection(self) -> Connection:
        return Connection(self.amqp_uri, connect_timeout=10)

    def claim_rpc_queues(self) -> None:
        """Refuse to run beside another platform on the same vhost: its identity process would
        take the bench's RPC requests (nameko names the queue ``rpc-identity``, no namespace)."""
        self.new_rpc_queues |= claim_rpc_queues(self.connection, RPC_QUEUES, self.amqp_uri)

    # -- clean-up ----------------------------------------------------------------------
    def queue_names(self) -> list[str]:
        """Every queue the bench's processes declared: the topology, nameko's request queues
        that are new, and the gateway's RPC reply queue (bound to ``<ns>.rpc``)."""
        names = [q.name for q in topology.all_queues(self.settings())] + sorted(self.new_rpc_queues)
        reply = [q for q in _bound_to(f"{self.namespace}.rpc", self.vhost()) if q not in names and q not in RPC_QUEUES]
        return names + reply

    def exchange_names(self) -> list[str]:
        return [f"{self.namespace}.{name}" for name in NAMESPACED_EXCHANGES]

    def cleanup(self) -> list[str]:
        """Remove everything the bench made; returns what is still there afterwards."""
        queues, exchanges = self.queue_names(), self.exchange_names()
        problems: list[str] = []
        try:
            with self.connection() as conn:
                channel = conn.channel()
                for queue in queues:
                    channel.queue_delete(queue)
                for exchange in exchanges:
                    channel.exchange_delete(exchange)
        except Exception as exc:
            problems.append(f"deleting from the broker: {type(exc).__name__}: {exc}")
        problems += [f"queue {name} is still there" for name in queues if self._exists("queue", name)]
        problems += [f"exchange {name} is still there" for name in exchanges if self._exists("exchange", name)]
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root.exists():
            problems.append(f"{self.root} is still there")
        return problems

    def _exists(self, kind: str, name: str) -> bool:
        with self.connection() as conn:
            channel = conn.channel()
            try:
                if kind == "queue":
                    channel.queue_declare(name, passive=True)
                else:
                    channel.exchange_declare(name, "topic", passive=True)
            except NotFound:
                return False
            return True


def _bound_to(exchange: str, vhost: str) -> list[str]:
    """Queues bound to an exchange, from rabbitmqctl when it is at hand (nameko's reply queue has
    a random name; without rabbitmqctl it is left to expire after its five-minute TTL)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(["rabbitmqctl", "-q", "list_bindings", "-p", vhost, "source_name", "destination_name",
                               "destination_kind"], capture_output=True, text=True, timeout=30, check=True)
        rows = (line.split("\t") for line in done.stdout.splitlines())
        return sorted({row[1] for row in rows if len(row) == 3 and row[0] == exchange and row[2] == "queue"})
    return []
