"""The gateway's settings (issue #15, item 5): read from the environment once, in service.py;
no other gateway module reads it."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from services.gateway import service
from services.gateway.settings import MAX_BODY_BYTES, GatewaySettings

GATEWAY = Path(service.__file__).resolve().parent


def test_defaults_without_any_variable() -> None:
    found = GatewaySettings.from_env({})
    assert found.max_body_bytes == MAX_BODY_BYTES == 1024 * 1024
    assert found.trust_forwarded_for is False
    assert found.platform.service == "gateway"


def test_the_body_limit_is_read_from_its_variable() -> None:
    assert GatewaySettings.from_env({"GATEWAY_MAX_BODY_BYTES": "2048"}).max_body_bytes == 2048


@pytest.mark.parametrize("value, trusted", [("1", True), ("true", True), ("yes", True), ("0", False),
                                            ("no", False), ("", False), ("TRUE", False)])
def test_forwarded_addresses_are_trusted_only_when_asked(value: str, trusted: bool) -> None:
    assert GatewaySettings.from_env({"TRUST_FORWARDED_FOR": value}).trust_forwarded_for is trusted


def test_settings_cannot_change_once_read() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        GatewaySettings.from_env({}).max_body_bytes = 1  # type: ignore[misc]


def test_production_is_the_platforms_environment() -> None:
    found = GatewaySettings.from_env({})
    assert found.production is found.platform.production


def test_the_service_reads_them_once_and_every_route_sees_the_same() -> None:
    assert isinstance(service.SETTINGS, GatewaySettings)
    assert service.GatewayService.settings is service.SETTINGS


def test_no_gateway_module_but_settings_reads_the_environment() -> None:
    readers = []
    for path in sorted(GATEWAY.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            reads = (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
                     and node.attr in ("environ", "getenv", "environb"))
            imports = isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                alias.name in ("environ", "getenv") for alias in node.names)
            if reads or imports:
                readers.append(path.relative_to(GATEWAY).as_posix())
    assert sorted(set(readers)) == ["settings.py"]
