"""Identity's settings (services/identity/settings.py): read from the environment once, by
build_application; defaults that serve a developer's machine."""

from __future__ import annotations

import pytest

from services.identity.settings import IdentitySettings


def test_defaults() -> None:
    assert IdentitySettings.from_env({}) == IdentitySettings(codes_per_client_address_per_hour=30)


def test_the_per_address_cap_comes_from_the_environment() -> None:
    settings = IdentitySettings.from_env({"CODES_PER_CLIENT_ADDRESS_PER_HOUR": "1000000"})
    assert settings.codes_per_client_address_per_hour == 1_000_000


def test_a_cap_that_is_not_a_number_stops_the_start() -> None:
    with pytest.raises(ValueError):
        IdentitySettings.from_env({"CODES_PER_CLIENT_ADDRESS_PER_HOUR": "many"})


def test_support_staff_are_listed_by_number_in_any_script() -> None:
    settings = IdentitySettings.from_env({"SUPPORT_MOBILES": "۰۹۱۲۱۲۳۴۵۶۷, +989351112233,"})
    assert settings.support_mobiles == {"+989121234567", "+989351112233"}
    assert IdentitySettings.from_env({}).support_mobiles == frozenset()


def test_a_support_number_that_is_not_one_stops_the_start() -> None:
    with pytest.raises(ValueError, match="SUPPORT_MOBILES"):
        IdentitySettings.from_env({"SUPPORT_MOBILES": "09121234567,support"})
