"""Each business's own accounting database (its "books"): created and seeded by provisioning,
exported, backed up, restored and deleted by archival. It is the customer's data, not a
service's event store, which is why two services may open it; they open it only through here.

By default a SQLite file per business under ``<VAR_DIR>/tenants/`` (PostgreSQL schemas per
business are the production option, see docs/decisions.md). Table names and columns are the
books' schema, owned by provisioning's seeding code; archival treats every table generically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.kernel.config import Settings
from shared.kernel.subject_keys import SubjectKeys


class TenantBooks:
    def __init__(self, settings: Settings) -> None:
        self.root = settings.var_dir / "tenants"

    def path(self, tenant_id: uuid.UUID) -> Path:
        return self.root / f"{uuid.UUID(str(tenant_id))}.sqlite"  # a UUID only: no path tricks

    def exists(self, tenant_id: uuid.UUID) -> bool:
        return self.path(tenant_id).exists()

    @contextlib.contextmanager
    def open(self, tenant_id: uuid.UUID, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction: committed when the block ends, rolled back if it raises."""
        path = self.path(tenant_id)
        if not create and not path.exists():
            raise FileNotFoundError(f"no books for tenant {tenant_id}")
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def tables(self, tenant_id: uuid.UUID) -> list[str]:
        with self.open(tenant_id) as books:
            rows = books.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                 "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
        return [name for (name,) in rows]

    def snapshot(self, tenant_id: uuid.UUID) -> bytes:
        """A consistent copy of the whole database as bytes (SQLite's online backup). Read-only:
        books that are gone (purged) raise instead of coming back as an empty file."""
        source = sqlite3.connect(f"{self.path(tenant_id).as_uri()}?mode=ro", timeout=30, uri=True)
        try:
            copy = sqlite3.connect(":memory:")
            source.backup(copy)
            return copy.serialize()
        finally:
            source.close()

    def restore(self, tenant_id: uuid.UUID, snapshot: bytes) -> None:
        """Recreate the books from a snapshot; refuses to overwrite live books."""
        path = self.path(tenant_id)
        if path.exists():
            raise FileExistsError(f"books for tenant {tenant_id} exist; restore goes into new books")
        path.parent.mkdir(parents=True, exist_ok=True)
        loaded = sqlite3.connect(":memory:")
        loaded.deserialize(snapshot)
        partial = path.with_suffix(".restoring")
        partial.unlink(missing_ok=True)
        target = sqlite3.connect(partial)
        loaded.backup(target)
        target.close()
        partial.rename(path)  # all or nothing: a crash leaves no half-restored books

    def drop(self, tenant_id: uuid.UUID) -> bool:
        """Delete the live books; True when there was something to delete."""
        path = self.path(tenant_id)
        existed = path.exists()
        for leftover in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal"),
                         path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        return existed


# --- backups (PR-5, AR-3) --------------------------------------------------------------------
# Provisioning writes them, archival reads them to restore; both go through here. Format of
# var/backups/<tenant_id>/<backup_id>.bin:
#   b"TBK1" | 12-byte nonce | AES-256-GCM(snapshot of the books, aad = b"backup:<backup_id>:<tenant_id>")
# The key is the subject key "backup:<backup_id>" in the backup key vault (its own database,
# apart from the backups): forgetting it makes that backup unreadable everywhere it was copied.

BACKUP_MAGIC = b"TBK1"


class BackupUnreadable(Exception):
    """The backup's key was destroyed, or the file is not a backup of that tenant."""


def backup_keys_for(settings: Settings) -> SubjectKeys:
    """Provisioning writes backups and archival reads and destroys their keys: both must reach
    the same vault. BACKUP_KEYS_DSN names it where each service has a database server of its own
    (production); otherwise it is `<prefix>_backup_keys` beside the service's store."""
    if settings.backup_keys_dsn:
        return SubjectKeys(postgres_dsn=settings.backup_keys_dsn)
    if settings.event_store == "postgres":
        from shared.kernel.store import ensure_postgres_database, postgres_dsn

        dbname = f"{settings.postgres_db_prefix}_backup_keys"
        ensure_postgres_database(settings, dbname)
        return SubjectKeys(postgres_dsn=postgres_dsn(settings, dbname))
    return SubjectKeys(sqlite_path=settings.var_dir / "keys" / "backups.sqlite")


class TenantBackups:
    def __init__(self, settings: Settings, keys: SubjectKeys | None = None) -> None:
        self.var_dir = settings.var_dir
        self.root = settings.var_dir / "backups"
        self.keys = keys or backup_keys_for(settings)

    @staticmethod
    def key_subject(backup_id: uuid.UUID) -> str:
        return f"backup:{backup_id}"

    def path(self, tenant_id: uuid.UUID, backup_id: uuid.UUID) -> Path:
        return self.root / str(uuid.UUID(str(tenant_id))) / f"{uuid.UUID(str(backup_id))}.bin"

    def location(self, tenant_id: uuid.UUID, backup_id: uuid.UUID) -> str:
        """Where BackupTaken says the file is: relative to VAR_DIR, so any process sharing it finds it."""
        return f"var://{self.path(tenant_id, backup_id).relative_to(self.var_dir).as_posix()}"

    def write(self, tenant_id: uuid.UUID, backup_id: uuid.UUID, snapshot: bytes) -> tuple[int, str]:
        """Encrypt and store; (size in bytes, sha256 hex) of the file. The first writer of a
        backup id wins: writing it again (a redone step) keeps the file already there."""
        path = self.path(tenant_id, backup_id)
        if not path.exists():
            key = self.keys.key_for(self.key_subject(backup_id), create=True)
            assert key is not None
            nonce = os.urandom(12)
            sealed = AESGCM(key).encrypt(nonce, snapshot, self._aad(tenant_id, backup_id))
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{uuid.uuid4().hex}.partial")
            with open(partial, "wb") as out:
                out.write(BACKUP_MAGIC + nonce + sealed)
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(partial, path)  # atomic, and never replaces a backup already there
            partial.unlink()
        content = path.read_bytes()
        return len(content), hashlib.sha256(content).hexdigest()

    def read(self, tenant_id: uuid.UUID, backup_id: uuid.UUID) -> bytes:
        """The books' snapshot (for TenantBooks.restore); BackupUnreadable once its key is gone."""
        content = self.path(tenant_id, backup_id).read_bytes()
        key = self.keys.key_for(self.key_subject(backup_id), create=False)
        if key is None or not content.startswith(BACKUP_MAGIC):
            raise BackupUnreadable(str(backup_id))
        nonce, sealed = content[4:16], content[16:]
        try:
            return AESGCM(key).decrypt(nonce, sealed, self._aad(tenant_id, backup_id))
        except InvalidTag:
            raise BackupUnreadable(str(backup_id)) from None

    def forget(self, backup_id: uuid.UUID) -> None:
        """Crypto-shred one backup: its file stays, unreadable."""
        self.keys.forget(self.key_subject(backup_id))

    @staticmethod
    def _aad(tenant_id: uuid.UUID, backup_id: uuid.UUID) -> bytes:
        return f"backup:{backup_id}:{tenant_id}".encode()


# --- the chart of accounts as other parts read it (PR-2, AR-5) ----------------------------------
# Provisioning seeds these tables (services/provisioning/books.py, charts.py); this is how the
# rest of the platform reads them: posting accounts (معین) with the detail groups each takes.


@dataclass(frozen=True)
class PostingAccount:
    """A معین, the only level a voucher or an opening balance posts to."""

    name: str  # Persian (name_fa)
    nature: str  # debit | credit | either
    detail_groups: tuple[str, ...]  # a posting names one detail (تفصیلی) of one of these; () takes none
    name_en: str = ""
    optional_detail_groups: tuple[str, ...] = ()  # it may also name one of these (a project, a cost centre)
    contra: bool = False
    ledger: str = ""  # its کل's code


@dataclass(frozen=True)
class DetailAccount:
    """A floating detail ledger (تفصیلی شناور): a person, a bank account, a cost centre, a project, a branch."""

    group: str
    name: str
    name_en: str = ""
    active: bool = True


def _has_table(books: sqlite3.Connection, name: str) -> bool:
    return books.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                         (name,)).fetchone() is not None


def posting_accounts(books: sqlite3.Connection) -> dict[str, PostingAccount]:
    """code → PostingAccount for every معین in the books; {} when no chart was seeded. Books
    seeded before detail ledgers existed (chart 1405.1) have accounts that take no details."""
    if not _has_table(books, "accounts"):
        return {}
    groups: dict[str, tuple[list[str], list[str]]] = {}
    if _has_table(books, "account_detail_groups"):
        for code, group, required in books.execute(
                "SELECT account_code, group_code, required FROM account_detail_groups "
                "ORDER BY account_code, group_code"):
            groups.setdefault(str(code), ([], []))[0 if required else 1].append(str(group))
    return {str(code): PostingAccount(
                name=str(fa), nature=str(nature), detail_groups=tuple(groups.get(str(code), ([], []))[0]),
                name_en=str(en), optional_detail_groups=tuple(groups.get(str(code), ([], []))[1]),
                contra=bool(contra), ledger=str(parent or ""))
            for code, fa, en, nature, contra, parent in books.execute(
                "SELECT code, name_fa, name_en, nature, contra, parent_code FROM accounts "
                "WHERE level = 'subsidiary' ORDER BY code")}


def detail_accounts(books: sqlite3.Connection) -> dict[str, DetailAccount]:
    """code → DetailAccount for every تفصیلی in the books; {} before detail ledgers existed."""
    if not _has_table(books, "details"):
        return {}
    return {str(code): DetailAccount(group=str(group), name=str(fa), name_en=str(en), active=bool(active))
            for code, group, fa, en, active in books.execute(
                "SELECT code, group_code, name_fa, name_en, active FROM details ORDER BY code")}
