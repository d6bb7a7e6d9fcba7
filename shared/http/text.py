"""Text fields of request bodies: one plain line (shared/kernel/text.py). The gateway answers
a refused one as ``invalid_text`` naming the field in Persian and English."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from shared.kernel.text import hidden_characters, plain_text

HIDDEN_TEXT = "hidden_characters"


def _plain(value: str) -> str:
    text = unicodedata.normalize("NFC", value).strip()
    if found := hidden_characters(text):
        raise PydanticCustomError(HIDDEN_TEXT, "control or invisible characters: {found}", {"found": found})
    if not text:
        raise PydanticCustomError("string_too_short", "empty after trimming")
    return text


# Give it its length with Field(max_length=...) on the model's field.
PlainLine = Annotated[str, AfterValidator(_plain)]


# How each text field is named to the person who typed it.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "business_name": ("نام کسب‌وکار", "business name"),
    "institution_name": ("نام مؤسسهٔ آموزشی", "institution name"),
    "licence_number": ("شمارهٔ مجوز", "licence number"),
    "reason": ("دلیل", "reason"),
    "name": ("نام سازمان", "organization name"),
    "subject": ("موضوع", "subject"),  # support tickets (issue #19)
    "text": ("متن", "text"),
}


def _plain_lines(value: str) -> str:
    """Text in lines (shared/kernel/text.py ``plain_text``): each line as ``PlainLine`` is."""
    lines = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if found := hidden_characters("".join(lines)):
        raise PydanticCustomError(HIDDEN_TEXT, "control or invisible characters: {found}", {"found": found})
    text = plain_text(value)
    if text is None:
        raise PydanticCustomError("string_too_short", "empty after trimming")
    return text


PlainText = Annotated[str, AfterValidator(_plain_lines)]
