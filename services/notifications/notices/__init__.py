"""What each integration event tells people by SMS: a table from event type to the notices
it may produce, as data. Each producer's table lives in its own module here (billing.py,
tenancy.py, …): adding a message is adding one NoticeTemplate — its name, whom it tells, when,
and its text in Persian and English. render.py fills the texts (digits, dates, amounts).

A notice names the *user* to tell, not a number: notifications knows each user's mobile and
language from identity's UserRegistered (its contact directory), so other services never
carry a mobile number just to have someone told. A text that sends people to support gives
the configured support line (`{support}`, templates.SupportLine)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.notifications.render import Format, render
from services.notifications.templates import SupportLine
from shared.events.base import IntegrationEvent


@dataclass(frozen=True)
class NoticeTemplate:
    name: str  # stable, shown in the outbox listing; may hold fields: "archival.reminder_{days_before}"
    to: str  # the event's field naming the user told; no notice when it is empty
    fa: str
    en: str
    requires: tuple[str, ...] = ()  # fields that must be set for this notice
    matches: Mapping[str, object] = field(default_factory=dict)  # fields that must have these values
    formats: Mapping[str, Format] = field(default_factory=dict)  # this notice's own formats (render.py)

    def applies(self, values: Mapping[str, Any]) -> bool:
        return (values.get(self.to) is not None and all(values.get(name) is not None for name in self.requires)
                and all(values.get(name) == wanted for name, wanted in self.matches.items()))


@dataclass(frozen=True, eq=False)
class Notice:
    user_id: uuid.UUID
    template: str  # the template's name, e.g. "billing.payment_succeeded"
    source: NoticeTemplate
    values: Mapping[str, Any]  # the event's fields
    support: SupportLine

    def text(self, locale: str) -> str:
        """The message in the user's language: English, or Persian for anything else."""
        language = "en" if locale == "en" else "fa"
        values = {**self.values, "support": self.support.phone(language)}
        return render(self.source.en if language == "en" else self.source.fa, values, language,
                      self.source.formats)


Templates = Mapping[type[IntegrationEvent], tuple[NoticeTemplate, ...]]


def _registry() -> dict[type[IntegrationEvent], tuple[NoticeTemplate, ...]]:
    from services.notifications.notices import archival, billing, provisioning, support, tenancy

    table: dict[type[IntegrationEvent], tuple[NoticeTemplate, ...]] = {}
    for module in (archival, billing, provisioning, tenancy, support):
        clash = set(module.NOTICES) & set(table)
        assert not clash, f"events with notices in two modules: {clash}"
        table.update(module.NOTICES)
    return table


NOTICES = _registry()


def notices_for(event: IntegrationEvent, support: SupportLine | None = None) -> list[Notice]:
    values = dict(event)
    return [Notice(values[each.to], each.name.format(**values), each, values, support or SupportLine())
            for each in NOTICES.get(type(event), ()) if each.applies(values)]


def tells_anyone(event: IntegrationEvent) -> bool:
    """Whether the event produces a notice at all (what notices_for would return, unformatted)."""
    values = dict(event)
    return any(each.applies(values) for each in NOTICES.get(type(event), ()))
