"""A whole number as people type it: a JSON integer, or digits in any script (Persian,
Arabic-Indic or Latin) inside a string. Never a float, even 12.0, and never a bool: a
value that is not plainly a whole number is refused, not rounded (issue #13)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from shared.kernel.mobile import to_latin_digits

_DIGITS = re.compile(r"[0-9]{1,12}")


def whole_number(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(text := to_latin_digits(value.strip())):
        return int(text)
    raise PydanticCustomError("not_a_whole_number", "a whole number is expected (digits only)")


WholeNumber = Annotated[int, BeforeValidator(whole_number)]
