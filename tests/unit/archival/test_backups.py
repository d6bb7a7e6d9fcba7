"""The backup file format archival reads (AR-3): provisioning's (shared.tenant_books), encrypted
under its own key in the shared backup key vault, checked by sha256, unreadable once the key is
destroyed or the file altered."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from services.archival.backups import BackupFiles, BackupUnreadable
from shared.kernel.config import Settings
from shared.tenant_books import TenantBackups


@pytest.fixture
def files(tmp_path: Path) -> BackupFiles:
    return BackupFiles(Settings(service="archival", var_dir=tmp_path, event_store="sqlite"))


def test_written_backups_read_back_and_hold_no_plaintext(files: BackupFiles, tmp_path: Path) -> None:
    tenant, backup = uuid.uuid4(), uuid.uuid4()
    location, sha256, size = files.write(tenant, backup, "دفاتر فروشگاه".encode() * 10)
    path = tmp_path / "backups" / str(tenant) / f"{backup}.bin"
    assert location == f"var://backups/{tenant}/{backup}.bin" and size == path.stat().st_size
    assert sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "دفاتر".encode() not in path.read_bytes()
    assert (tmp_path / "keys" / "backups.sqlite").exists()  # the shared backups vault, not archival's
    assert files.read(tenant, backup, sha256) == "دفاتر فروشگاه".encode() * 10


def test_an_altered_or_keyless_backup_is_unreadable(files: BackupFiles, tmp_path: Path) -> None:
    tenant, backup = uuid.uuid4(), uuid.uuid4()
    _, sha256, _ = files.write(tenant, backup, b"books")
    path = tmp_path / "backups" / str(tenant) / f"{backup}.bin"
    body = path.read_bytes()
    path.write_bytes(body[:-1] + bytes([body[-1] ^ 1]))
    with pytest.raises(BackupUnreadable):
        files.read(tenant, backup)  # the cipher's tag catches it even without the sha256
    path.write_bytes(body)
    files.destroy_key(backup)
    with pytest.raises(BackupUnreadable):
        files.read(tenant, backup, sha256)
    with pytest.raises(BackupUnreadable):
        BackupFiles(Settings(service="archival", var_dir=tmp_path, event_store="sqlite")).read(tenant, backup)


def test_archival_reads_the_backups_provisioning_writes(files: BackupFiles, tmp_path: Path) -> None:
    # Provisioning's first backup, as its step writes it (same var dir, same vault).
    tenant, backup = uuid.uuid4(), uuid.uuid4()
    _, sha256 = TenantBackups(Settings(service="provisioning", var_dir=tmp_path, event_store="sqlite")).write(
        tenant, backup, b"the books")
    assert files.read(tenant, backup, sha256) == b"the books"
    with pytest.raises(BackupUnreadable):
        files.read(uuid.uuid4(), backup)  # not that business's backup
    files.destroy_key(backup)  # retention ended: provisioning cannot read it either
    with pytest.raises(Exception, match=str(backup)):
        TenantBackups(Settings(service="provisioning", var_dir=tmp_path, event_store="sqlite")).read(tenant, backup)
