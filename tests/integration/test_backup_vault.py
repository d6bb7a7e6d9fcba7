"""The backups' key vault is shared by provisioning (which writes backups) and archival (which
reads them for a restore and destroys their keys after retention). Where each service has a
database server of its own, BACKUP_KEYS_DSN names the one vault both use."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.kernel.config import Settings
from shared.kernel.store import ensure_postgres_database, postgres_dsn
from shared.tenant_books import BackupUnreadable, TenantBackups

SettingsFor = Callable[..., Settings]


def copy_of_the_files(settings: Settings, elsewhere: Path) -> Settings:
    """The archival side: the same backup files (a shared volume), another var dir and server."""
    shutil.copytree(settings.var_dir / "backups", elsewhere / "backups")
    return Settings(**{**vars(settings), "service": "archival", "var_dir": elsewhere,
                       "postgres_db_prefix": settings.postgres_db_prefix + "_other"})


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_provisioning_and_archival_share_the_vault_named_by_backup_keys_dsn(
        settings_for: SettingsFor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written = settings_for("provisioning")
    vault = f"{written.postgres_db_prefix}_shared_backup_keys"
    ensure_postgres_database(written, vault)
    monkeypatch.setenv("BACKUP_KEYS_DSN", postgres_dsn(written, vault))
    written = settings_for("provisioning")  # settings are read from the environment once, when made
    tenant, backup = uuid.uuid4(), uuid.uuid4()
    TenantBackups(written).write(tenant, backup, b"SQLite format 3\x00 the books")
    reader = TenantBackups(copy_of_the_files(written, tmp_path / "archival-var"))
    assert reader.read(tenant, backup).startswith(b"SQLite format 3")
    reader.forget(backup)  # retention over: archival destroys the key …
    with pytest.raises(BackupUnreadable):
        TenantBackups(written).read(tenant, backup)  # … and provisioning's side cannot read it either


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_without_it_each_server_would_hold_its_own_vault(settings_for: SettingsFor, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKUP_KEYS_DSN", raising=False)
    written = settings_for("provisioning")
    tenant, backup = uuid.uuid4(), uuid.uuid4()
    TenantBackups(written).write(tenant, backup, b"SQLite format 3\x00 the books")
    with pytest.raises(BackupUnreadable):
        TenantBackups(copy_of_the_files(written, tmp_path / "archival-var")).read(tenant, backup)
