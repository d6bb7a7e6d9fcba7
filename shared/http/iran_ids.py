"""Iranian identity numbers as people type them (issue #19): کد ملی (a person's national code,
10 digits), شناسه ملی (a legal entity's national id, 11 digits), کد اقتصادی (economic code)
and کد پستی (postal code, 10 digits). Persian or Arabic-Indic digits are accepted; a value whose
check digit is wrong is refused, not corrected (docs/providers-research.md §4 names the sources)."""

from __future__ import annotations

import re

from shared.kernel.mobile import to_latin_digits

_LEGAL_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def digits_of(value: object, length: int | tuple[int, ...]) -> str | None:
    """``value`` as Latin digits of one of the given lengths (blanks and dashes people type
    between groups dropped), else None."""
    if not isinstance(value, str):
        return None
    text = re.sub(r"[\s\-\u200c]", "", to_latin_digits(value))
    lengths = (length,) if isinstance(length, int) else length
    return text if text.isascii() and text.isdigit() and len(text) in lengths else None


def national_code_valid(code: str) -> bool:
    """کد ملی: nine digits weighted 10…2, sum mod 11; the tenth digit is that remainder when
    it is below 2, else 11 minus it. Ten equal digits pass the sum but are never issued."""
    if len(code) != 10 or not code.isdigit() or len(set(code)) == 1:
        return False
    remainder = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    check = remainder if remainder < 2 else 11 - remainder
    return int(code[9]) == check


def legal_id_valid(code: str) -> bool:
    """شناسه ملی: each of the first ten digits plus (the tenth digit + 2), weighted 29, 27, 23,
    19, 17 twice, sum mod 11 (10 counts as 0) is the eleventh digit."""
    if len(code) != 11 or not code.isdigit() or len(set(code)) == 1:
        return False
    shift = int(code[9]) + 2
    remainder = sum((int(code[i]) + shift) * _LEGAL_WEIGHTS[i] for i in range(10)) % 11
    return int(code[10]) == (0 if remainder == 10 else remainder)


def postal_code_valid(code: str) -> bool:
    """Ten digits that do not start with 0 and are not one digit repeated (the post's finer
    rules are not published where we could read them: docs/providers-research.md §4)."""
    return len(code) == 10 and code.isdigit() and code[0] != "0" and len(set(code)) > 1
