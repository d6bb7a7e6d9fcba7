"""Database work per delivery, read from PostgreSQL's own counters (pg_stat_database) for the
bench's databases: transactions (an autocommit read is one) and rows written and read. Unlike
CPU these do not move with what else the machine is doing, so a lever that removes round trips
shows as a figure that is the same run after run.

Where the server has pg_stat_statements loaded (a bench machine's choice, not a platform
dependency: bench/README.md says how), also the statements an onboarding, by service and by
statement: which reads and writes a lever could remove."""

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


def statements(dsn: str, prefix: str) -> dict[tuple[str, str], int] | None:
    """Calls of each statement in each bench database so far; None without pg_stat_statements."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            rows = conn.execute(
                "SELECT d.datname, s.query, sum(s.calls) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                " WHERE d.datname LIKE %s GROUP BY d.datname, s.query", (prefix.replace("_", r"\_") + "%",)).fetchall()
        except psycopg.Error:  # not loaded (shared_preload_libraries) or the extension not created
            return None
    return {(row[0], row[1]): int(row[2]) for row in rows}


def statements_per_onboarding(before: dict[tuple[str, str], int] | None, after: dict[tuple[str, str], int] | None,
                              prefix: str, onboardings: int, top: int = 12) -> dict[str, Any]:
    """Statements an onboarding by service (its keys' database apart) and the most frequent ones."""
    if before is None or after is None or not onboardings:
        return {}
    by_service: dict[str, int] = {}
    by_statement: dict[tuple[str, str], int] = {}
    for (dbname, query), calls in after.items():
        made = calls - before.get((dbname, query), 0)
        service = dbname.removeprefix(prefix).strip("_") or dbname
        by_service[service] = by_service.get(service, 0) + made
        by_statement[(service, " ".join(query.split())[:100])] = made
    return {"all": round(sum(by_service.values()) / onboardings, 1),
            "services": {name: round(made / onboardings, 2)
                         for name, made in sorted(by_service.items(), key=lambda item: -item[1])},
            "top": [[service, query, round(made / onboardings, 2)]
                    for (service, query), made in sorted(by_statement.items(), key=lambda item: -item[1])[:top]]}
