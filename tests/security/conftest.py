"""The attacker's view: the whole platform as real processes behind the gateway on loopback,
attacked only through HTTP, as a script from outside would (issue #13). One platform serves
the folder; every test uses its own mobile numbers and its own client addresses (the gateway
trusts X-Forwarded-For here, as behind the Ingress, so one machine can be many callers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.journey import Gateway
from tests.support.running import running_platform


@pytest.fixture(scope="package")
def gateway(infrastructure: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running_platform(tmp_path_factory.mktemp("security") / "var", gateway={"TRUST_FORWARDED_FOR": "1"}) as running:
        yield running
