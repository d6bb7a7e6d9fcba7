"""The support desk's HTTP bodies and error table (issue #19: PR-4's ticket channel)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.text import PlainLine, PlainText

# The FAQ's "contact support" promises, and everything else.
Category = Literal["code_not_received",  # ID-2
                   "educational_licence",  # BI-4
                   "more_organizations",  # TE-2
                   "restore_backup",  # AR-3
                   "data_conversion",  # AR-5
                   "other"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TicketRequest(_Body):
    category: Category
    subject: PlainLine = Field(min_length=1, max_length=120)
    text: PlainText = Field(min_length=1, max_length=4000)


class TicketMessage(_Body):
    text: PlainText = Field(min_length=1, max_length=4000)


class CodeResend(_Body):
    purpose: Literal["signup", "password_reset"]


ERRORS: dict[str, tuple[int, str, str]] = {
    "ticket_closed": (409, "این درخواست بسته شده است؛ برای موضوع تازه درخواست تازه‌ای ثبت کنید.",
                      "This request is closed; open a new one for a new matter."),
    "ticket_too_long": (409, "این گفت‌وگو بیش از حد طولانی شده است؛ درخواست تازه‌ای ثبت کنید.",
                        "This conversation is too long; open a new request."),
    "invalid_category": (422, "موضوع درخواست معتبر نیست.", "The kind of request is not valid."),
}
