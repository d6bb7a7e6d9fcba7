"""Provisioning in memory for its unit tests: the application on eventsourcing's POPO store,
with fakes of the business's books (SQLite in memory, the real schema and seeding) and of the
backup vault; what its relay would publish; and a backup's facts as the domain records them."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from services.provisioning.application import ProvisioningApplication
from services.provisioning.ports import StepHook
from services.provisioning.translations import translate
from shared.events.base import IntegrationEvent
from shared.kernel.clock import PlatformClock
from tests.support.memory import in_memory


class MemoryBooks:
    """Each business's books as an SQLite database in memory; a transaction per `open`."""

    def __init__(self) -> None:
        self.databases: dict[uuid.UUID, sqlite3.Connection] = {}

    def exists(self, tenant_id: uuid.UUID) -> bool:
        return tenant_id in self.databases

    @contextlib.contextmanager
    def open(self, tenant_id: uuid.UUID, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        if not create and tenant_id not in self.databases:
            raise FileNotFoundError(f"no books for tenant {tenant_id}")
        connection = self.databases.setdefault(tenant_id, sqlite3.connect(":memory:", isolation_level=None))
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def snapshot(self, tenant_id: uuid.UUID) -> bytes:
        return self.databases[tenant_id].serialize()

    def drop(self, tenant_id: uuid.UUID) -> None:
        self.databases.pop(tenant_id).close()

    def rows(self, tenant_id: uuid.UUID, sql: str) -> list[tuple[Any, ...]]:
        return list(self.databases[tenant_id].execute(sql).fetchall())


class MemoryVault:
    """Backups kept as bytes (unsealed: sealing is tests/integration's and shared/tenant_books')."""

    def __init__(self) -> None:
        self.files: dict[tuple[uuid.UUID, uuid.UUID], bytes] = {}

    def write(self, tenant_id: uuid.UUID, backup_id: uuid.UUID, snapshot: bytes) -> tuple[int, str]:
        content = self.files.setdefault((tenant_id, backup_id), snapshot)  # the first writer wins
        return len(content), hashlib.sha256(content).hexdigest()

    def location(self, tenant_id: uuid.UUID, backup_id: uuid.UUID) -> str:
        return f"memory://backups/{tenant_id}/{backup_id}.bin"


class Hook:
    """A fault hook that records the steps it is told of, and stops the worker at one of them."""

    def __init__(self, fail_after: str | None = None) -> None:
        self.seen: list[str] = []
        self.fail_after = fail_after

    def __call__(self, step: str) -> None:
        self.seen.append(step)
        if step == self.fail_after:
            raise RuntimeError(f"killed after {step}")


def provisioning_app(clock: PlatformClock | None = None, after_step: StepHook | None = None,
                     retention: timedelta = timedelta(days=183)) -> ProvisioningApplication:
    return in_memory(ProvisioningApplication, "provisioning", clock=clock, books=MemoryBooks(),
                     backups=MemoryVault(), retention=retention, after_step=after_step)


def domain_events(app: ProvisioningApplication) -> list[Any]:
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(None, 10_000)]


def published(app: ProvisioningApplication, kind: type[IntegrationEvent] | None = None) -> list[Any]:
    """What the relay would publish, in order."""
    events = [translate(e) for e in domain_events(app)]
    return [e for e in events if e is not None and (kind is None or isinstance(e, kind))]


def steps_recorded(app: ProvisioningApplication) -> list[str]:
    return [e.step for e in domain_events(app) if type(e).__name__ == "StepDone"]


def backup_facts(taken_at: datetime, kind: str = "initial", backup_id: uuid.UUID | None = None,
                 retention: timedelta = timedelta(days=183)) -> dict[str, Any]:
    """What the backup steps record (BackingUp.take)."""
    return {"backup_id": str(backup_id or uuid.uuid4()), "kind": kind, "taken_at": taken_at.isoformat(),
            "size_bytes": 4096, "sha256": "0" * 64, "location": "memory://backups/x.bin",
            "retained_until": (taken_at + retention).isoformat()}
