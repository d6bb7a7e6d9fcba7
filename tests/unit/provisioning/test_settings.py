"""Provisioning's settings, read once at its composition root, and the fault tests' hook it
builds from them (never in production)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.provisioning import service
from services.provisioning.settings import ProvisioningSettings
from shared.kernel.config import Settings


def test_defaults_without_an_environment() -> None:
    own = ProvisioningSettings.from_env({})
    assert own == ProvisioningSettings() and own.pause_after_step is None
    assert own.backup_retention == timedelta(days=183) and own.backup_check_seconds == 600.0


def test_the_environment_overrides_each_setting() -> None:
    own = ProvisioningSettings.from_env({"BACKUP_RETENTION_DAYS": "30", "BACKUP_CHECK_SECONDS": "1",
                                         "PROVISIONING_PAUSE_AFTER_STEP": "chart_seeded"})
    assert own.backup_retention == timedelta(days=30) and own.backup_check_seconds == 1.0
    assert own.pause_after_step == "chart_seeded"
    assert ProvisioningSettings.from_env({"PROVISIONING_PAUSE_AFTER_STEP": ""}).pause_after_step is None


def test_no_fault_hook_in_production_or_unasked() -> None:
    paused = ProvisioningSettings(pause_after_step="chart_seeded")
    assert service.fault_hook(Settings(service="provisioning", environment="production"), paused) is None
    assert service.fault_hook(Settings(service="provisioning", environment="test"), ProvisioningSettings()) is None
    assert service.fault_hook(Settings(service="provisioning", environment="test"), paused) is not None


def test_the_fault_hook_pauses_after_its_step_only(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(service.time, "sleep", slept.append)
    hook = service.pause_after("chart_seeded")
    hook("books_created")
    assert slept == []
    hook("chart_seeded")
    assert slept == [3600]
