"""Backups of a business's books as archival reads them (AR-3). Provisioning writes them with
``shared.tenant_books.TenantBackups``, and archival goes through the same class, so the file
format, the associated data and the key vault cannot drift apart (they once did: archival had
a format and a vault of its own, and no backup provisioning took could ever be restored).

Format (``shared/tenant_books.py``): ``<VAR_DIR>/backups/<tenant_id>/<backup_id>.bin`` =
``b"TBK1" + nonce (12 bytes) + AES-256-GCM(key, snapshot, aad = "backup:<backup_id>:<tenant_id>")``
where the snapshot is TenantBooks.snapshot()'s bytes, and the key is the subject key
``backup:<backup_id>`` in the backup key vault that provisioning (which creates keys) and
archival (which destroys them when retention ends) share: ``var/keys/backups.sqlite`` or the
``<prefix>_backup_keys`` PostgreSQL database. ``sha256`` (in BackupTaken) is of the file as
stored, so its integrity is checked here before the key is used."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from shared.kernel.config import Settings
from shared.kernel.subject_keys import SubjectKeys
from shared.tenant_books import BackupUnreadable as UnreadableBackup
from shared.tenant_books import TenantBackups


class BackupUnreadable(Exception):
    """The backup's key was destroyed (retention ended), or the file is missing or damaged."""


def backup_subject(backup_id: uuid.UUID | str) -> str:
    return TenantBackups.key_subject(uuid.UUID(str(backup_id)))


class BackupFiles:
    def __init__(self, settings: Settings, keys: SubjectKeys | None = None) -> None:
        self.backups = TenantBackups(settings, keys)
        self.keys = self.backups.keys

    def path(self, tenant_id: uuid.UUID, backup_id: uuid.UUID | str) -> Path:
        return self.backups.path(uuid.UUID(str(tenant_id)), uuid.UUID(str(backup_id)))

    def write(self, tenant_id: uuid.UUID, backup_id: uuid.UUID, snapshot: bytes) -> tuple[str, str, int]:
        """Encrypt and store as provisioning does; returns (location, sha256, size) as BackupTaken
        announces them (tests use it to stand in for provisioning)."""
        size, sha256 = self.backups.write(tenant_id, backup_id, snapshot)
        return self.backups.location(tenant_id, backup_id), sha256, size

    def read(self, tenant_id: uuid.UUID, backup_id: uuid.UUID | str, sha256: str | None = None) -> bytes:
        if self.keys.key_for(backup_subject(backup_id), create=False) is None:
            raise BackupUnreadable("the backup's key was destroyed")
        try:
            body = self.path(tenant_id, backup_id).read_bytes()
        except FileNotFoundError:
            raise BackupUnreadable("the backup file is missing") from None
        if sha256 is not None and hashlib.sha256(body).hexdigest() != sha256:
            raise BackupUnreadable("the backup file is damaged")
        try:
            return self.backups.read(uuid.UUID(str(tenant_id)), uuid.UUID(str(backup_id)))
        except UnreadableBackup:
            raise BackupUnreadable("the backup file is damaged or not this business's") from None

    def destroy_key(self, backup_id: uuid.UUID | str) -> None:
        self.backups.forget(uuid.UUID(str(backup_id)))  # the file stays; without its key it is noise
