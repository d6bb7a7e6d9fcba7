"""The taxpayer system's documented rejection codes, told to support in Persian and English
with what to do (issue #19). Sources: docs/providers-research.md §4 (S: several public pages
agree; I: inferred from the codes' documented structure — 0 error, then the kind of check, then
the header field's number). A code not listed is shown with the system's own message."""

from __future__ import annotations

from typing import Any

# code → (Persian, English)
EXPLAINED: dict[str, tuple[str, str]] = {
    "0301": ("شمارهٔ مالیاتی صورت‌حساب با اطلاعات سامانه منطبق نیست (تکراری، حافظهٔ دیگر، تاریخ یا رقم کنترل).",
             "The invoice's tax id does not match the system (a duplicate, another memory id, its date or its "
             "check digit)."),
    "0306": ("شمارهٔ مالیاتی صورت‌حساب مرجع با اطلاعات سامانه منطبق نیست (مرجع ناشناخته یا هنوز تأیید نشده).",
             "The referenced invoice's tax id does not match the system (unknown or not accepted yet)."),
    "0312": ("کد اقتصادی خریدار با اطلاعات سامانه منطبق نیست؛ شناسهٔ خریدار را اصلاح کنید.",
             "The buyer's economic code does not match the system; correct the buyer's identity."),
    "0101104": ("الگوی شناسهٔ ملی یا کد اقتصادی خریدار رعایت نشده است؛ شناسهٔ خریدار را اصلاح کنید.",
                "The buyer's national id or economic code has the wrong form; correct the buyer's identity."),
    "0303301": ("شناسهٔ کالا/خدمت با اطلاعات سامانه منطبق نیست؛ فهرست شناسه‌ها باید به‌روز شود.",
                "The goods/service id does not match the system; the id list must be updated."),
    "0100504": ("الگوی سریال صورت‌حساب (۱۰ کاراکتر در مبنای شانزده) رعایت نشده است.",
                "The invoice serial does not have the form of 10 hexadecimal characters."),
    "0202": ("تاریخ و زمان صدور صورت‌حساب معتبر نیست (آینده یا خارج از بازهٔ مجاز).",
             "The invoice's issue time is not valid (in the future or outside the allowed window)."),
}
BUYER_CODES = frozenset({"0312", "0101104"})  # put right by correcting the buyer


def explained(errors: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Each error as the system gave it, with its Persian and English explanation."""
    shown = []
    for error in errors:
        code, message = str(error.get("code", "")), str(error.get("message", ""))
        fa, en = EXPLAINED.get(code, (message or f"خطای {code} سامانهٔ مؤدیان",
                                      f"The tax system's error {code}: see its message."))
        shown.append({"code": code, "message": message, "fa": fa, "en": en, "buyer": code in BUYER_CODES})
    return shown
