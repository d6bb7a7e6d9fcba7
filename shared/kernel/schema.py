"""Tables the kernel creates on PostgreSQL when a process starts."""

from __future__ import annotations

from typing import Any


def create_table_in_turn(conn: Any, ddl: str) -> None:
    """CREATE TABLE IF NOT EXISTS, safe when processes start together on one database.

    PostgreSQL's IF NOT EXISTS alone is not: the loser of the race fails on pg_type or
    pg_class. A transaction-scoped advisory lock makes the creators take turns."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('create-table'))")
        conn.execute(ddl)
