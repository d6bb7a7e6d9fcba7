from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from shared.kernel.config import Settings
from tests.support.processes import Platform


@pytest.fixture
def platform(settings_for: Callable[..., Settings]) -> Iterator[Platform]:
    running = Platform(settings_for("tests"))
    yield running
    running.stop_all()
