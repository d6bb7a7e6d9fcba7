"""One platform shared by the unhappy paths of a module (starting seven processes costs more
than most of those tests). Each test signs up its own people and buys its own business."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.journey import Gateway
from tests.support.running import running_platform


@pytest.fixture(scope="module")
def shared_gateway(infrastructure: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running_platform(tmp_path_factory.mktemp("e2e") / "var") as gateway:
        yield gateway
