"""Database work per delivery, read from PostgreSQL's own counters (pg_stat_database) for the
bench's databases: transactions (an autocommit read is one) and rows written and read. Unlike
CPU these do not move with what else the machine is doing, so a lever that removes round trips
shows as a figure that is the same run after run."""

from __future__ import annotations

import time
from typing import Any

import psycopg

COUNTERS = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_fetched")


def read(dsn: str, prefix: str) -> dict[str, dict[str, int]]:
    """Each bench database's counters now (flushed: backends report at most once a second)."""
    time.sleep(1.5)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = conn.execute(f"SELECT datname, {', '.join(COUNTERS)} FROM pg_stat_database WHERE datname LIKE %s",
                            (prefix.replace("_", r"\_") + "%",)).fetchall()
    return {row[0]: dict(zip(COUNTERS, (int(v) for v in row[1:]), strict=True)) for row in rows}


def per_delivery(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]], prefix: str,
                 deliveries: int) -> dict[str, Any]:
    """Transactions and rows per delivery, by service (its events' and its keys' databases
    together) and in all."""
    by_service: dict[str, dict[str, int]] = {}
    for dbname, now in after.items():
        then = before.get(dbname, dict.fromkeys(COUNTERS, 0))
        service = dbname.removeprefix(prefix).strip("_").removesuffix("_keys") or dbname
        totals = by_service.setdefault(service, dict.fromkeys(COUNTERS, 0))
        for counter in COUNTERS:
            totals[counter] += now[counter] - then[counter]

    def figures(counts: dict[str, int]) -> dict[str, float]:
        transactions = counts["xact_commit"] + counts["xact_rollback"]
        return {"transactions": round(transactions / deliveries, 2),
                "rows_written": round((counts["tup_inserted"] + counts["tup_updated"]) / deliveries, 2),
                "rows_read": round(counts["tup_fetched"] / deliveries, 2)}

    if not deliveries:
        return {}
    everything = {c: sum(s[c] for s in by_service.values()) for c in COUNTERS}
    return {"all": figures(everything),
            "services": {name: figures(counts) for name, counts in sorted(by_service.items())}}
