"""A purge killed mid-way (kill -9 after a step's effect, before its record) finishes after
a restart, each step recorded once, and TenantDataPurged is announced once (AR-1, X-2)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.archival.application import ArchivalApplication
from services.archival.domain import Business
from tests.support.archival import lapsed, publish, published, seed_books
from tests.support.processes import Platform, wait_until


@pytest.mark.parametrize("killed_after", ["personal_data_shredded"])
def test_a_purge_killed_mid_way_finishes_after_restart(platform: Platform, killed_after: str) -> None:
    settings = platform.settings
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(settings, tenant)
    (settings.var_dir / "exports" / str(tenant)).mkdir(parents=True)
    (settings.var_dir / "exports" / str(tenant) / "old.xlsx").write_bytes(b"an earlier export")
    doomed = platform.start("archival", ARCHIVAL_TICK_SECONDS="1", ARCHIVAL_KILL_AFTER_PURGE_STEP=killed_after)
    platform.procs.pop("archival")
    # Lapsed over three months ago: the purge is due at once.
    publish(settings, lapsed(tenant, admin, datetime.now(UTC) - timedelta(days=100)))
    wait_until(lambda: doomed.poll() is not None, timeout=30, what="the kill mid-purge")
    assert doomed.returncode == -9
    assert not (settings.var_dir / "tenants" / f"{tenant}.sqlite").exists()

    platform.start("archival", ARCHIVAL_TICK_SECONDS="1")
    wait_until(lambda: platform.call("archival", "tenant_status", str(tenant), "support", ["support"])["ok"]
               ["state"] == "purged", timeout=30, what="the purge to finish after the restart")
    wait_until(lambda: platform.call("archival", "health")["relay_lag"] == 0, timeout=30, what="the relay")
    platform.stop("archival")

    app = ArchivalApplication(dataclasses.replace(settings, service="archival"))
    events = list(app.repository.event_store.get(tenant))
    steps = [e.step for e in events if isinstance(e, Business.PurgeStepDone)]  # type: ignore[attr-defined]
    assert steps == ["books_dropped", "exports_deleted", "personal_data_shredded"]
    assert len([e for e in events if isinstance(e, Business.Purged)]) == 1  # type: ignore[attr-defined]
    assert not (settings.var_dir / "exports" / str(tenant)).exists()
    assert app.repository.get(tenant).name.forgotten
    # (ArchivalScheduled was published before the purge; replayed now, the shredded name makes it silent.)
    assert [type(e).__name__ for e in published(app)] == ["TenantDataPurgedV1"]
