"""Archival's settings, read once in service.py, and the fault hook it builds from them."""

from __future__ import annotations

from services.archival.service import killed_after
from services.archival.settings import ArchivalSettings


def test_the_defaults_when_nothing_is_set() -> None:
    assert ArchivalSettings.from_env({}) == ArchivalSettings(tick_seconds=30.0, restore_price_rials=50_000_000,
                                                             kill_after_purge_step=None)


def test_each_setting_from_its_variable() -> None:
    own = ArchivalSettings.from_env({"ARCHIVAL_TICK_SECONDS": "1", "RESTORE_PRICE_RIALS": "70000000",
                                     "ARCHIVAL_KILL_AFTER_PURGE_STEP": "books_dropped"})
    assert (own.tick_seconds, own.restore_price_rials, own.kill_after_purge_step) == (1.0, 70_000_000,
                                                                                      "books_dropped")


def test_production_has_no_fault_hook_and_the_hook_spares_other_steps() -> None:
    assert killed_after(None) is None
    assert ArchivalSettings.from_env({"ARCHIVAL_KILL_AFTER_PURGE_STEP": ""}).kill_after_purge_step is None
    hook = killed_after("personal_data_shredded")
    assert hook is not None
    hook("books_dropped")  # not the step named: this process lives on (or the test run would end here)
