"""Notifications' own settings, read from the environment once, in service.py (the
composition root); nothing below it reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from services.notifications.templates import SupportLine

_SUPPORT = SupportLine()


@dataclass(frozen=True)
class NotificationsSettings:
    sms_provider_url: str = "http://127.0.0.1:8025"  # https://api.kavenegar.com in production
    sms_api_key: str = "development"
    sms_sender: str = "10004346"
    # The provider's approved template for each purpose of a verification code.
    code_templates: dict[str, str] = field(default_factory=lambda: {"signup": "signup-code",
                                                                    "password_reset": "password-reset-code"})
    support: SupportLine = _SUPPORT
    # How long a sent message may wait for its delivery report before it counts as failed.
    delivery_report_wait: timedelta = timedelta(hours=24)
    # Where browsers reach the gateway, which serves the portal (billing's callback base too):
    # an invitation's link opens the portal there (issue #19).
    portal_url: str = "http://127.0.0.1:8000"
    # How often the delivery reports of sent messages are asked for (sms/status.json).
    status_check_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> NotificationsSettings:
        defaults = cls()
        return cls(
            sms_provider_url=env.get("SMS_PROVIDER_URL", defaults.sms_provider_url),
            sms_api_key=env.get("SMS_API_KEY", defaults.sms_api_key),
            sms_sender=env.get("SMS_SENDER", defaults.sms_sender),
            code_templates={"signup": env.get("SMS_TEMPLATE_SIGNUP", defaults.code_templates["signup"]),
                            "password_reset": env.get("SMS_TEMPLATE_PASSWORD_RESET",
                                                      defaults.code_templates["password_reset"])},
            support=SupportLine(phone_fa=env.get("SUPPORT_PHONE", _SUPPORT.phone_fa),
                                phone_en=env.get("SUPPORT_PHONE_EN", _SUPPORT.phone_en)),
            delivery_report_wait=timedelta(hours=float(env.get("SMS_DELIVERY_REPORT_WAIT_HOURS", "24"))),
            status_check_seconds=float(env.get("SMS_STATUS_CHECK_SECONDS", str(defaults.status_check_seconds))),
            portal_url=env.get("PUBLIC_BASE_URL", defaults.portal_url),
        )
