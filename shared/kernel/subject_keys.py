"""Per-subject encryption keys for personal data (crypto-shredding, AR-1).

Personal fields in stored events are sealed under a key belonging to their subject (a person
or a business). The keys live in their own database, never beside the events nor in the
events' backups; destroying a subject's key makes its data unreadable in every copy of the
event store at once, which an append-only store could not do otherwise.

Each process caches the keys it used, and its application caches aggregates as decrypted. A
key destroyed by one process (one replica carried out the purge) leaves a tombstone row;
every other process reads the tombstones written since it last looked, at most every
``recheck_seconds``, before it uses a key or reads an aggregate, and drops what it cached.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Transcoding

from shared.kernel.schema import create_table_in_turn


@dataclass(frozen=True)
class Personal:
    """A personal value and the subject it belongs to; ``value`` is None once forgotten."""

    subject: str
    value: str | None

    @property
    def forgotten(self) -> bool:
        return self.value is None

    def reveal(self) -> str:
        return self.value if self.value is not None else "[erased]"


class SubjectKeys:
    """The key vault. SQLite by default; a PostgreSQL database (its own) when configured."""

    def __init__(self, *, sqlite_path: Path | None = None, postgres_dsn: str | None = None,
                 recheck_seconds: float = 2.0) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, bytes] = {}
        self.on_forget: list[Callable[[str], None]] = []  # told after a key is destroyed, here or elsewhere
        self.recheck_seconds = recheck_seconds
        self._pg_dsn = postgres_dsn
        self._pg_conn: Any = None  # opened on first use, kept: a connect costs more than a lookup
        if postgres_dsn is None:
            assert sqlite_path is not None
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            self._sqlite = sqlite3.connect(str(sqlite_path), check_same_thread=False, isolation_level=None)
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA busy_timeout=10000")
        self._create_tables()
        # Tombstones from before this process started concern keys it never cached.
        self._tombstones_seen = self._execute("SELECT COALESCE(MAX(seq), 0) FROM subject_keys_forgotten")[0][0]
        self._next_recheck = time.monotonic() + recheck_seconds

    @classmethod
    def in_memory(cls) -> SubjectKeys:
        """A vault in this process's memory (SQLite's :memory:), for tests of the use cases."""
        return cls(sqlite_path=Path(":memory:"))

    def _create_tables(self) -> None:
        serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if self._pg_dsn is None else "BIGSERIAL PRIMARY KEY"
        for sql in ("CREATE TABLE IF NOT EXISTS subject_keys (subject TEXT PRIMARY KEY, key_b64 TEXT NOT NULL)",
                    f"CREATE TABLE IF NOT EXISTS subject_keys_forgotten (seq {serial}, subject TEXT NOT NULL)"):
            if self._pg_dsn is None:
                self._execute(sql)
            else:
                create_table_in_turn(self._pg_connection(), sql)

    def _pg_connection(self) -> Any:
        """The vault's one connection in this process, opened on first use and kept."""
        import psycopg

        if self._pg_conn is None or self._pg_conn.closed:
            assert self._pg_dsn is not None
            self._pg_conn = psycopg.connect(self._pg_dsn, autocommit=True)
        return self._pg_conn

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._in_one_transaction((sql, params))

    def _in_one_transaction(self, *statements: tuple[str, tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Runs the statements atomically; the rows of the last one."""
        if self._pg_dsn is None:
            with self._lock:
                if len(statements) == 1:
                    return self._sqlite.execute(*statements[0]).fetchall()
                with self._sqlite:  # BEGIN … COMMIT, or ROLLBACK on an error
                    self._sqlite.execute("BEGIN IMMEDIATE")
                    rows = [self._sqlite.execute(sql, params).fetchall() for sql, params in statements]
                return rows[-1]
        import psycopg

        def run() -> list[tuple[Any, ...]]:
            conn = self._pg_connection()
            # One statement is atomic alone (autocommit): no BEGIN and COMMIT round trips for it.
            with conn.transaction() if len(statements) > 1 else contextlib.nullcontext():
                for sql, params in statements:
                    cur = conn.execute(sql.replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []

        with self._lock:
            try:
                return run()
            except psycopg.OperationalError:
                # The server dropped the connection (a restart, a terminated backend): once more on
                # a new one. Every statement here may run twice (insert-if-absent, select, delete).
                if self._pg_conn is not None:
                    with contextlib.suppress(psycopg.Error):
                        self._pg_conn.close()
                    self._pg_conn = None
                return run()

    def key_for(self, subject: str, *, create: bool) -> bytes | None:
        self.catch_up()
        if subject in self._cache:
            return self._cache[subject]
        rows: list[tuple[Any, ...]] = []
        if create:
            new_key = base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
            # The key stored: ours, or (RETURNING gives nothing on a conflict) the one there already.
            rows = self._execute(
                "INSERT INTO subject_keys (subject, key_b64) VALUES (?, ?) ON CONFLICT (subject) DO NOTHING "
                "RETURNING key_b64", (subject, new_key))
        rows = rows or self._execute("SELECT key_b64 FROM subject_keys WHERE subject = ?", (subject,))
        if not rows:
            return None
        key = base64.b64decode(rows[0][0])
        self._cache[subject] = key
        return key

    def forget(self, subject: str) -> None:
        self._in_one_transaction(("DELETE FROM subject_keys WHERE subject = ?", (subject,)),
                                 ("INSERT INTO subject_keys_forgotten (subject) VALUES (?)", (subject,)))
        self._dropped(subject)

    def catch_up(self, *, now: bool = False) -> None:
        """Drops what this process cached of keys other processes destroyed since it last looked
        (at most every ``recheck_seconds``, unless ``now``)."""
        if not now and time.monotonic() < self._next_recheck:
            return
        self._next_recheck = time.monotonic() + self.recheck_seconds
        for seq, subject in self._execute("SELECT seq, subject FROM subject_keys_forgotten WHERE seq > ? "
                                          "ORDER BY seq", (self._tombstones_seen,)):
            self._tombstones_seen = max(self._tombstones_seen, seq)
            self._dropped(subject)

    def _dropped(self, subject: str) -> None:
        self._cache.pop(subject, None)
        for listener in self.on_forget:
            listener(subject)


def business_subject(tenant_id: object) -> str:
    """The subject every service seals a business's name under; each destroys it when archival
    purges the business (AR-1)."""
    return f"business:{tenant_id}"


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


class PersonalTranscoding(Transcoding):
    """Stores a Personal as {subject, sealed, key id}: AES-256-GCM under the subject's key, with
    the subject as associated data so a sealed value cannot be moved to another subject. The key
    id (a hash of the key) tells a value sealed under a destroyed key from a tampered one when
    the subject has come back since with a new key (a restored business, a member added again)."""

    type = Personal
    name = "personal"

    def __init__(self, keys: SubjectKeys) -> None:
        self.keys = keys

    def encode(self, obj: Personal) -> dict[str, str]:
        key = self.keys.key_for(obj.subject, create=True)
        assert key is not None and obj.value is not None, "a forgotten value cannot be stored again"
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, obj.value.encode(), obj.subject.encode())
        return {"s": obj.subject, "c": base64.b64encode(nonce + sealed).decode(), "k": key_id(key)}

    def decode(self, data: dict[str, str]) -> Personal:
        key = self.keys.key_for(data["s"], create=False)
        if key is None or ("k" in data and data["k"] != key_id(key)):
            return Personal(data["s"], None)
        raw = base64.b64decode(data["c"])
        try:
            return Personal(data["s"], AESGCM(key).decrypt(raw[:12], raw[12:], data["s"].encode()).decode())
        except InvalidTag:
            if "k" in data:
                raise  # the key that sealed it is this one: the value was tampered with
            return Personal(data["s"], None)  # sealed before key ids, under a key destroyed since
