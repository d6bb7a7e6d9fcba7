"""Text a person typed, as it may be kept: one line, NFC-normalised, without the characters
that change how text looks without being seen (issue #13).

Refused: C0/C1 controls, line and paragraph separators, bidi overrides and isolates
(U+202A…U+202E, U+2066…U+2069), zero-width space (U+200B), BOM (U+FEFF) and every other
format character (Unicode category Cf), private-use and unassigned code points, and lone
surrogates. Kept: U+200C (ZWNJ, the Persian نیم‌فاصله, as in «می‌شود») and U+200D (ZWJ),
which Persian and emoji need."""

from __future__ import annotations

import unicodedata

NEEDED_JOINERS = frozenset("\u200c\u200d")
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})


def hidden_characters(value: str) -> list[str]:
    """The code points (as U+XXXX) that would hide or disguise text, in order of appearance."""
    found = [c for c in value if unicodedata.category(c) in _HIDDEN_CATEGORIES and c not in NEEDED_JOINERS]
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in found))


def plain_line(value: object, max_length: int = 200) -> str | None:
    """``value`` as kept (NFC, trimmed), or None when it is not one plain, non-empty line of at
    most ``max_length`` characters."""
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFC", value).strip()
    if not text or len(text) > max_length or hidden_characters(text):
        return None
    return text


def plain_text(value: object, max_length: int = 4000) -> str | None:
    """Like ``plain_line``, for what is written in lines (a support ticket, an answer): line
    breaks are kept (CRLF and CR become LF, at most two in a row); everything else hidden is
    refused the same way."""
    if not isinstance(value, str):
        return None
    lines = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = [line.strip() for line in lines]
    if any(hidden_characters(line) for line in kept):
        return None
    text = "\n".join(kept).strip()
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text if text and len(text) <= max_length else None
