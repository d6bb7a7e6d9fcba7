"""The bench's own corner of the broker and the database: a random AMQP namespace, a
temporary VAR_DIR and PostgreSQL databases named after the namespace, all removed at the end."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from amqp.exceptions import NotFound
from kombu import Connection

from shared.kernel import topology
from shared.kernel.config import Settings
from shared.kernel.store import postgres_dsn

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
# Exchanges the bench may declare under its namespace, beside the topology's queues.
NAMESPACED_EXCHANGES = ("events", "dead", "unroutable", "rpc")


@dataclass
class BenchEnv:
    namespace: str = field(default_factory=lambda: f"bench{uuid.uuid4().hex[:10]}")
    amqp_uri: str = field(default_factory=lambda: os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-relay-")))
    # Queues and exchanges declared outside the topology (baselines), deleted at the end.
    extra_queues: set[str] = field(default_factory=set)
    extra_exchanges: set[str] = field(default_factory=set)
    # Where measurements may keep files worth a look afterwards (the hop's process logs).
    artifacts: Path | None = None

    @property
    def postgres_prefix(self) -> str:
        return f"bench_{self.namespace}"

    def settings(self, service: str, store: str = "sqlite", var: str = "var", **overrides: Any) -> Settings:
        """Settings for one service of the bench; ``var`` names its VAR_DIR under the temp root."""
        values: dict[str, Any] = dict(
            service=service, namespace=self.namespace, amqp_uri=self.amqp_uri, event_store=store,
            var_dir=self.root / var, postgres_db_prefix=self.postgres_prefix)
        values.update(overrides)
        return Settings(**values)

    def connection(self, **kwargs: Any) -> Connection:
        return Connection(self.amqp_uri, connect_timeout=10, **kwargs)

    def queue_depth(self, name: str) -> int:
        with self.connection() as conn:
            _, count, _ = conn.default_channel.queue_declare(name, passive=True)
            return int(count)

    def delete_later_if_new(self, queue: str) -> None:
        """A queue outside the namespace that a process of the bench will declare (nameko's
        ``rpc-<service>``): deleted at the end only if it did not exist before."""
        with self.connection() as conn:
            try:
                conn.default_channel.queue_declare(queue, passive=True)
            except NotFound:
                self.extra_queues.add(queue)

    def purge(self, *names: str) -> None:
        with self.connection() as conn:
            channel = conn.default_channel
            for name in names:
                with contextlib.suppress(Exception):  # a queue not declared yet has nothing to purge
                    channel.queue_purge(name)

    def purge_topology(self) -> None:
        self.purge(*(q.name for q in topology.all_queues(self.settings("bench"))))

    # -- clean-up ----------------------------------------------------------------------
    def cleanup(self) -> list[str]:
        """Remove everything the bench made; returns what could not be removed."""
        problems = []
        for step in (self._delete_amqp, self._drop_databases, self._remove_files):
            try:
                step()
            except Exception as exc:
                problems.append(f"{step.__name__}: {type(exc).__name__}: {exc}")
        return problems

    def _delete_amqp(self) -> None:
        queues = [q.name for q in topology.all_queues(self.settings("bench"))] + sorted(self.extra_queues)
        exchanges = [f"{self.namespace}.{name}" for name in NAMESPACED_EXCHANGES] + sorted(self.extra_exchanges)
        with self.connection() as conn:
            channel = conn.channel()
            for queue in queues:
                channel.queue_delete(queue)
            for exchange in exchanges:
                channel.exchange_delete(exchange)

    def _drop_databases(self) -> None:
        with psycopg.connect(postgres_dsn(self.settings("bench"), "postgres"), autocommit=True) as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                (self.postgres_prefix.replace("_", r"\_") + "%",)).fetchall()
            for (name,) in rows:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _remove_files(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
