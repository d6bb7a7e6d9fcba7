"""The error table: a domain error code → HTTP status and its Persian and English message.
The gateway answers every error as {"error": code, "message": {"fa", "en"}, ...details}.

The codes common to every route and identity's are here; each other service keeps its own
table beside its request models (shared/http/<service>.py, a dict named ERRORS) and it is
merged below, so a code is documented exactly once."""

from __future__ import annotations

from typing import Any

from shared.http import archival, billing, provisioning, support, tenancy
from shared.http.text import FIELD_LABELS

ErrorTable = dict[str, tuple[int, str, str]]

ERRORS: ErrorTable = {
    "invalid_request": (422, "درخواست نامعتبر است؛ فیلدهای مشخص‌شده را بررسی کنید.",
                        "The request is invalid; check the fields listed."),
    "invalid_json": (400, "بدنهٔ درخواست JSON معتبر نیست.", "The request body is not valid JSON."),
    "json_too_deep": (400, "ساختار بدنهٔ درخواست بیش از حد تودرتو است.", "The request body is nested too deeply."),
    "invalid_text": (422, "«{field_fa}» کاراکتر کنترلی یا نامرئی (مانند تغییر جهت متن) دارد؛ آن را دوباره تایپ کنید. "
                          "نیم‌فاصله مجاز است.",
                     "The {field_en} contains a control or invisible character (such as a direction override); "
                     "type it again. The zero-width non-joiner is allowed."),
    "payload_too_large": (413, "بدنهٔ درخواست بیش از اندازهٔ مجاز است.", "The request body is larger than allowed."),
    "unsupported_media_type": (415, "بدنهٔ درخواست باید JSON باشد (Content-Type: application/json).",
                               "The request body must be JSON (Content-Type: application/json)."),
    "invalid_mobile": (422, "شمارهٔ موبایل معتبر نیست. شماره را به شکل ۰۹۱۲۱۲۳۴۵۶۷ وارد کنید.",
                       "The mobile number is not valid. Enter it like 09121234567."),
    "mobile_already_registered": (
        409, "این شمارهٔ موبایل قبلاً ثبت شده است. اگر رمز عبور را فراموش کرده‌اید از «فراموشی رمز» استفاده کنید.",
        "This mobile number is already registered. If you forgot your password, use password recovery."),
    "weak_password": (422, "رمز عبور با قواعد زیر سازگار نیست.", "The password does not meet the rules below."),
    "invalid_code": (400, "کد وارد‌شده درست نیست.", "The code is not correct."),
    "code_expired": (410, "این کد منقضی شده است؛ کد تازه بخواهید.", "This code has expired; ask for a new one."),
    "too_many_attempts": (429, "تلاش‌های نادرست بیش از حد مجاز بود؛ کد تازه بخواهید.",
                          "Too many wrong tries; ask for a new code."),
    "resend_too_soon": (429, "کمی صبر کنید و دوباره کد بخواهید.", "Please wait a little before asking again."),
    "too_many_codes": (429, "امروز بیش از حد مجاز کد درخواست شده است؛ با پشتیبانی تماس بگیرید.",
                       "Too many codes were requested today; please contact support."),
    "too_many_requests": (429, "درخواست‌های بیش از حد از این نشانی؛ بعداً تلاش کنید یا با پشتیبانی تماس بگیرید.",
                          "Too many requests from this address; try later or contact support."),
    "already_verified": (409, "این شماره قبلاً تأیید شده است؛ وارد شوید.",
                         "This number is already verified; please log in."),
    "mobile_not_verified": (403, "شمارهٔ موبایل هنوز تأیید نشده است.", "The mobile number is not verified yet."),
    "invalid_purpose": (422, "نوع کد درخواستی معتبر نیست.", "The kind of code asked for is not valid."),
    "busy_try_again": (503, "سامانه مشغول است؛ دوباره تلاش کنید.", "The system is busy; please try again."),
    "invalid_credentials": (401, "شمارهٔ موبایل یا رمز عبور درست نیست.", "The mobile number or password is wrong."),
    "account_locked": (423, "به دلیل تلاش‌های نادرست، ورود موقتاً بسته است؛ "
                            "بعداً تلاش کنید یا از «فراموشی رمز» رمز تازه بگیرید.",
                       "Logging in is locked for a while after wrong tries; try later or recover your password."),
    "unauthorized": (401, "ابتدا وارد حساب کاربری شوید.", "Please log in first."),
    "forbidden": (403, "اجازهٔ این کار را ندارید.", "You are not allowed to do this."),
    # shared by billing and tenancy
    "business_not_found": (404, "کسب‌وکار یافت نشد.", "The business was not found."),
    "invalid_period": (422, "دورهٔ اشتراک معتبر نیست؛ ۶ یا ۱۲ ماه انتخاب کنید.",
                       "The subscription period is not valid; choose 6 or 12 months."),
    "not_found": (404, "یافت نشد.", "Not found."),
    "service_unavailable": (503, "سرویس موقتاً در دسترس نیست؛ چند لحظهٔ دیگر دوباره تلاش کنید.",
                            "The service is temporarily unavailable; try again in a moment."),
    "internal_error": (500, "خطای داخلی رخ داد؛ با پشتیبانی تماس بگیرید.",
                       "An internal error occurred; please contact support."),
}

_SERVICE_TABLES: tuple[ErrorTable, ...] = (billing.ERRORS, provisioning.ERRORS, tenancy.ERRORS, archival.ERRORS,
                                              support.ERRORS)
for _table in _SERVICE_TABLES:
    _clash = set(_table) & set(ERRORS)
    assert not _clash, f"error codes documented twice: {_clash}"
    ERRORS.update(_table)

PASSWORD_RULES: dict[str, tuple[str, str]] = {
    "ascii_only": ("رمز عبور فقط باید با حروف، ارقام و نشانه‌های انگلیسی نوشته شود.",
                   "Use English letters, digits and symbols only."),
    "min_length_8": ("دست‌کم ۸ کاراکتر.", "At least 8 characters."),
    "max_length_128": ("حداکثر ۱۲۸ کاراکتر.", "At most 128 characters."),
    "needs_lowercase": ("دست‌کم یک حرف کوچک انگلیسی (a-z).", "At least one lower-case letter (a-z)."),
    "needs_uppercase": ("دست‌کم یک حرف بزرگ انگلیسی (A-Z).", "At least one upper-case letter (A-Z)."),
    "needs_digit": ("دست‌کم یک رقم.", "At least one digit."),
    "needs_special": ("دست‌کم یک نشانهٔ ویژه مانند ! @ # $.", "At least one special character such as ! @ # $."),
}

PASSWORD_HINTS: dict[str, tuple[str, str]] = {
    "persian_keyboard": ("به نظر می‌رسد صفحه‌کلید روی فارسی است؛ آن را انگلیسی کنید.",
                         "Your keyboard seems to be in Persian; switch it to English."),
    "caps_lock": ("به نظر می‌رسد Caps Lock روشن است.", "Caps Lock may be on."),
}


def error_body(code: str, details: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    if code not in ERRORS:
        code, details = "internal_error", {}  # never show clients a code the table does not document
    status, fa, en = ERRORS[code]
    body: dict[str, Any] = {"error": code, "message": {"fa": fa, "en": en}}
    details = dict(details or {})
    if code == "weak_password":
        body["rules"] = [{"rule": r, "message": dict(zip(("fa", "en"), PASSWORD_RULES[r], strict=True))}
                         for r in details.pop("rules", [])]
        body["hints"] = [{"hint": h, "message": dict(zip(("fa", "en"), PASSWORD_HINTS[h], strict=True))}
                         for h in details.pop("hints", [])]
    if code == "invalid_text":
        fa_label, en_label = FIELD_LABELS.get(str(details.get("field")), ("متن", "text"))
        body["message"] = {"fa": fa.format(field_fa=fa_label), "en": en.format(field_en=en_label)}
    body.update(details)
    return status, body
