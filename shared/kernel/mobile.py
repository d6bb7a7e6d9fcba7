"""Iranian mobile numbers (ID-1): whatever people type, stored as E.164 (+989xxxxxxxxx)."""

from __future__ import annotations

import re

from shared.kernel.errors import DomainError

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SEPARATORS = re.compile(r"[\s\-\u200c().]")
EXPECTED_FORM = "09121234567"


def to_latin_digits(text: str) -> str:
    return text.translate(_DIGITS)


def normalize_mobile(text: object) -> str:
    if not isinstance(text, str) or len(text) > 40:
        raise DomainError("invalid_mobile", expected=EXPECTED_FORM)
    compact = _SEPARATORS.sub("", to_latin_digits(text.strip()))
    for prefix in ("+98", "0098", "98", "0"):
        if compact.startswith(prefix) and len(compact) - len(prefix) == 10:
            compact = compact[len(prefix):]
            break
    if not re.fullmatch(r"9[0-9]{9}", compact):  # not \d: it admits every script's digits
        raise DomainError("invalid_mobile", expected=EXPECTED_FORM)
    return "+98" + compact
