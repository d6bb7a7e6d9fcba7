"""SMS texts in Persian (default) and English, with Jalali dates and Persian digits (NO-1)."""

from __future__ import annotations

from datetime import datetime

from shared.kernel.i18n import jalali_date, persian_digits


def verification_code(code: str, purpose: str, expires_at: datetime, locale: str) -> str:
    if locale == "en":
        what = "sign-up" if purpose == "signup" else "password reset"
        return f"Your {what} code: {code}\nValid until {jalali_date(expires_at, 'en')}."
    what = "ثبت‌نام" if purpose == "signup" else "بازیابی رمز عبور"
    return f"کد {what} شما: {persian_digits(code)}\nمعتبر تا {jalali_date(expires_at, 'fa')}"
