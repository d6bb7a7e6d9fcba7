"""Notifications' settings: read from the environment given, with development defaults."""

from __future__ import annotations

from datetime import timedelta

from services.notifications.settings import NotificationsSettings
from services.notifications.templates import SupportLine


def test_the_defaults_work_on_a_developers_machine() -> None:
    settings = NotificationsSettings.from_env({})
    assert settings == NotificationsSettings()
    assert (settings.sms_provider_url, settings.sms_api_key, settings.sms_sender) == (
        "http://127.0.0.1:8025", "development", "10004346")
    assert settings.code_templates == {"signup": "signup-code", "password_reset": "password-reset-code"}
    assert settings.support == SupportLine()
    assert (settings.delivery_report_wait, settings.status_check_seconds) == (timedelta(hours=24), 30.0)


def test_every_setting_comes_from_its_variable() -> None:
    settings = NotificationsSettings.from_env({
        "SMS_PROVIDER_URL": "https://api.kavenegar.com", "SMS_API_KEY": "k", "SMS_SENDER": "2000",
        "SMS_TEMPLATE_SIGNUP": "su", "SMS_TEMPLATE_PASSWORD_RESET": "pr", "SUPPORT_PHONE": "021-1",
        "SUPPORT_PHONE_EN": "+98 21 1", "SMS_DELIVERY_REPORT_WAIT_HOURS": "1.5", "SMS_STATUS_CHECK_SECONDS": "0.5",
        "PUBLIC_BASE_URL": "https://portal.example.ir"})
    assert (settings.sms_provider_url, settings.sms_api_key, settings.sms_sender) == (
        "https://api.kavenegar.com", "k", "2000")
    assert settings.code_templates == {"signup": "su", "password_reset": "pr"}
    assert settings.support == SupportLine(phone_fa="021-1", phone_en="+98 21 1")
    assert (settings.delivery_report_wait, settings.status_check_seconds) == (timedelta(minutes=90), 0.5)
    assert settings.portal_url == "https://portal.example.ir"  # the invitation's link (#19)
