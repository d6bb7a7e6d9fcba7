from __future__ import annotations

import uuid

import pytest

from services.tenancy.application import TenancyApplication
from tests.support.tenancy import deliver, memory_app, payment, register


@pytest.fixture
def app() -> TenancyApplication:
    return memory_app()


@pytest.fixture
def shop(app: TenancyApplication) -> tuple[uuid.UUID, uuid.UUID]:
    """An active business (tenant id) and its admin, who is registered as +989120000001."""
    admin = register(app, 1)
    tenant = uuid.uuid4()
    deliver(app, payment(tenant, admin))
    return tenant, admin
