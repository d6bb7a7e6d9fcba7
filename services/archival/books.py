"""Reading a business's books without ever creating them: TenantBooks.snapshot() would make
an empty file where purged books were; archival reads through a read-only connection."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator

from shared.tenant_books import TenantBooks


@contextlib.contextmanager
def read_only(books: TenantBooks, tenant_id: uuid.UUID) -> Iterator[sqlite3.Connection]:
    """FileNotFoundError when the business has no books."""
    path = books.path(tenant_id)
    if not path.exists():
        raise FileNotFoundError(f"no books for tenant {tenant_id}")
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.OperationalError:
        raise FileNotFoundError(f"no books for tenant {tenant_id}") from None
    try:
        yield connection
    finally:
        connection.close()


def read_only_copy(books: TenantBooks, tenant_id: uuid.UUID) -> sqlite3.Connection:
    """A consistent in-memory copy of the books (SQLite's online backup), so a long export
    neither sees half of a later change nor holds a lock the business's writers wait on."""
    with read_only(books, tenant_id) as source:
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        source.backup(copy)
        return copy


def table_names(books: sqlite3.Connection) -> list[str]:
    rows = books.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                         "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    return [name for (name,) in rows]


def row_count(books: TenantBooks, tenant_id: uuid.UUID) -> int:
    try:
        with read_only(books, tenant_id) as connection:
            return sum(connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                       for t in table_names(connection))
    except FileNotFoundError:
        return 0
