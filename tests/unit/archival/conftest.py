"""Archival's use cases in memory: the application and the files it writes, under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.archival.application import ArchivalApplication
from shared.kernel.config import Settings
from tests.support.archival import files_of, memory_archival


@pytest.fixture
def files(tmp_path: Path) -> Settings:
    return files_of(tmp_path)


@pytest.fixture
def app(tmp_path: Path) -> ArchivalApplication:
    return memory_archival(tmp_path)
