"""The password policy (ID-3): every failed rule is named, with a hint at the usual cause."""

from __future__ import annotations

import re
import secrets
import string

from argon2 import PasswordHasher

from shared.kernel.errors import DomainError

# OWASP's minimum for argon2id: 19 MiB, two passes, one lane (ID-3).
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the number is unknown, so both answers take the same time.
UNKNOWN_USER_HASH = PASSWORD_HASHER.hash("unknown-user-" + secrets.token_hex(8))

SPECIALS = set(string.punctuation)
_PERSIAN = re.compile(r"[\u0600-\u06FF\u200c]")


def password_problems(password: str) -> tuple[list[str], list[str]]:
    """(failed rules, hints). Rule and hint codes are translated by the gateway's table."""
    rules: list[str] = []
    hints: list[str] = []
    if not all(32 <= ord(ch) < 127 for ch in password):
        rules.append("ascii_only")
    if len(password) < 8:
        rules.append("min_length_8")
    if len(password) > 128:
        rules.append("max_length_128")
    if not any(ch.islower() and ch.isascii() for ch in password):
        rules.append("needs_lowercase")
    if not any(ch.isupper() and ch.isascii() for ch in password):
        rules.append("needs_uppercase")
    if not any(ch.isdigit() and ch.isascii() for ch in password):
        rules.append("needs_digit")
    if not any(ch in SPECIALS for ch in password):
        rules.append("needs_special")
    if _PERSIAN.search(password):
        hints.append("persian_keyboard")
    letters = [ch for ch in password if ch.isascii() and ch.isalpha()]
    # Caps Lock inverts the usual shape: a lower-case first letter followed by capitals.
    if len(letters) >= 2 and letters[0].islower() and all(ch.isupper() for ch in letters[1:]):
        hints.append("caps_lock")
    return rules, hints


def check_password(password: object) -> str:
    if not isinstance(password, str):
        raise DomainError("weak_password", rules=["min_length_8"], hints=[])
    rules, hints = password_problems(password)
    if rules:
        raise DomainError("weak_password", rules=rules, hints=hints)
    return password
