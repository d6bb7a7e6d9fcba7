"""Tenancy's settings: read from the environment once, by service.py."""

from __future__ import annotations

from datetime import timedelta

from services.tenancy.settings import TenancySettings


def test_defaults_are_a_two_minute_lease_and_a_lapse_check_every_thirty_seconds() -> None:
    settings = TenancySettings.from_env({})
    assert settings == TenancySettings(seat_lease_seconds=120, lapse_check_seconds=30.0)
    assert settings.seat_lease == timedelta(minutes=2)


def test_the_environment_sets_both() -> None:
    settings = TenancySettings.from_env({"SEAT_LEASE_SECONDS": "45", "LAPSE_CHECK_SECONDS": "0.3"})
    assert settings.seat_lease == timedelta(seconds=45) and settings.lapse_check_seconds == 0.3


def test_an_invitation_lasts_seven_days_unless_the_environment_says_otherwise() -> None:
    assert TenancySettings.from_env({}).invitation_lifetime == timedelta(days=7)
    assert TenancySettings.from_env({"INVITATION_DAYS": "2"}).invitation_lifetime == timedelta(days=2)
