"""Projections: read models kept as tables in the service's own database, derived from the
service's own event log, so they can be dropped and rebuilt from it at any time
(`python -m tools.opsctl rebuild <service> <projection>`).

A service adds one by subclassing ``TableProjection`` (its tables' DDL, and ``apply`` for
each domain event it cares about) and listing it in ``services/<service>/projections.py``:

    PROJECTIONS = {"business_members": BusinessMembers}

A rebuild runs in one transaction: readers see the old tables until the new ones commit.
SQL is written with ``%s`` placeholders for both stores.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from shared.kernel.config import Settings
from shared.kernel.store import ServiceApplication, postgres_dsn

POSITIONS = "CREATE TABLE IF NOT EXISTS projection_position (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"


@dataclass(frozen=True)
class Rebuilt:
    projection: str
    events_read: int
    events_applied: int
    position: int


class Cursor:
    """One transaction on the service's database, with one placeholder style for both stores."""

    def __init__(self, raw: Any, sqlite: bool) -> None:
        self._raw = raw
        self._sqlite = sqlite

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._raw.execute(sql.replace("%s", "?") if self._sqlite else sql, tuple(params))
        return list(cursor.fetchall()) if cursor.description else []


@contextmanager
def transaction(settings: Settings) -> Iterator[Cursor]:
    if settings.event_store == "postgres":
        import psycopg

        with psycopg.connect(postgres_dsn(settings, settings.postgres_dbname)) as conn, conn.transaction():
            yield Cursor(conn, sqlite=False)
        return
    lite = sqlite3.connect(str(settings.sqlite_path), isolation_level=None, timeout=10)
    try:
        lite.execute("BEGIN IMMEDIATE")
        try:
            yield Cursor(lite, sqlite=True)
        except BaseException:
            lite.execute("ROLLBACK")
            raise
        lite.execute("COMMIT")
    finally:
        lite.close()


class TableProjection:
    name: ClassVar[str]
    description: ClassVar[str]
    tables: ClassVar[dict[str, str]]  # table name → CREATE TABLE statement

    def apply(self, cursor: Cursor, domain_event: Any, position: int) -> bool:
        """Apply one event of the log; True when it changed the read model."""
        raise NotImplementedError

    def rebuild(self, app: ServiceApplication) -> Rebuilt:
        read = applied = position = 0
        with transaction(app.settings) as cursor:
            for table, ddl in self.tables.items():
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(ddl)
            start = 1
            while batch := app.recorder.select_notifications(start=start, limit=500):
                for notification in batch:
                    read += 1
                    applied += self.apply(cursor, app.mapper.to_domain_event(notification), notification.id)
                    position = notification.id
                start = batch[-1].id + 1
            cursor.execute(POSITIONS)
            cursor.execute("INSERT INTO projection_position (name, position) VALUES (%s, %s) "
                           "ON CONFLICT (name) DO UPDATE SET position = excluded.position", (self.name, position))
        return Rebuilt(self.name, read, applied, position)
