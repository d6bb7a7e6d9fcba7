"""The one renderer of SMS texts: a template per locale with `{field}` or `{field:format}`
holes, filled from an event's fields (notices/) or a code's (templates.py). How a value
reads is decided here, once, by locale: in Persian every number in Persian digits and every
date in the Jalali calendar in Persian digits; in English the same calendar, Latin digits.

Formats a template may name (after the colon):
  (none)    a number → its digits; a date → its Jalali date; text as it is
  datetime  Jalali date and time (Tehran)
  rials     an amount with thousands separators (٬ in Persian)
  digits    a text's digits in the locale's (a code, a phone number)
and the formats a notice adds of its own (named(), optional())."""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from shared.kernel.i18n import jalali_date, jalali_datetime, persian_digits

Format = Callable[[Any, str], str]  # a value and the locale ("fa" | "en") → how it reads


def number(value: object, locale: str) -> str:
    return persian_digits(str(value)) if locale == "fa" else str(value)


def plain(value: object, locale: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return jalali_date(value, locale)
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value, locale)
    return str(value)


def rials(amount: int, locale: str) -> str:
    text = f"{amount:,}"
    return persian_digits(text.replace(",", "٬")) if locale == "fa" else text


FORMATS: dict[str, Format] = {"": plain, "datetime": jalali_datetime, "rials": rials, "digits": number}


def named(names: Mapping[str, Mapping[str, str]]) -> Format:
    """A code (a chart's kind, a file format) as people say it in each language."""
    return lambda value, locale: names[value][locale]


def optional(texts: Mapping[str, str], shown: Callable[[Any], bool] = bool) -> Format:
    """A fragment told only when its value is worth telling, the value in it as a number."""
    return lambda value, locale: texts[locale].format(number(value, locale)) if shown(value) else ""


class _Filler(string.Formatter):
    def __init__(self, locale: str, formats: Mapping[str, Format]) -> None:
        super().__init__()
        self.locale = locale
        self.formats = formats

    def format_field(self, value: Any, format_spec: str) -> str:
        return self.formats[format_spec](value, self.locale)


def render(template: str, values: Mapping[str, Any], locale: str, formats: Mapping[str, Format] | None = None) -> str:
    """``template`` (in ``locale``) with its holes filled from ``values``."""
    return _Filler(locale, FORMATS | dict(formats or {})).vformat(template, (), values)
