"""The business timeline (opsctl timeline, and the support desk's case view, issue #19): the
public integration events of one service's log that name given businesses, read from the
service's own store — its log replayed through its own translations, exactly what its relay
publishes, with the same event ids. It reads the whole log: a person's query, not a hot path."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from shared.events.base import Envelope
from shared.kernel.i18n import when
from shared.kernel.relay import Translate, envelope_for
from shared.kernel.store import ServiceApplication

BATCH = 500
# Payload fields that carry personal data: shown to operators only when they ask, never to support.
PERSONAL_FIELDS = {"mobile", "business_name", "name", "national_id", "email", "address", "text", "sealed_code",
                   "institution_name"}


def whole_log(app: ServiceApplication, start: int = 1) -> Iterator[Any]:
    """The service's whole log (the outbox), in order, a batch at a time."""
    while batch := app.recorder.select_notifications(start=start, limit=BATCH):
        yield from batch
        start = batch[-1].id + 1


def events_about(app: ServiceApplication, translate: Translate, service: str,
                 tenant_ids: Iterable[uuid.UUID]) -> list[Envelope]:
    wanted = set(tenant_ids)
    found = []
    for notification in whole_log(app):
        envelope = envelope_for(app, translate, service, notification)
        if envelope is not None and envelope.tenant_id in wanted:
            found.append(envelope)
    return found


def payload_shown(payload: dict[str, Any], reveal: bool) -> dict[str, Any]:
    return {k: (v if reveal or k not in PERSONAL_FIELDS else "<personal>") for k, v in payload.items()}


def entry(envelope: Envelope) -> dict[str, Any]:
    """One event as the support desk shows it: when (ISO and Jalali), who, what, without personal data."""
    return {"occurred_at": when(envelope.occurred_at), "producer": envelope.producer, "type": envelope.type,
            "tenant_id": str(envelope.tenant_id), "payload": payload_shown(envelope.payload, False)}


def timeline_of(app: ServiceApplication, translate: Translate, service: str, tenant_ids: object,
                newest: int = 100) -> list[dict[str, Any]]:
    """A service's RPC answer: its newest events about these businesses (ids that are not UUIDs
    name nothing), oldest first."""
    ids = set()
    for value in tenant_ids if isinstance(tenant_ids, list) else []:
        try:
            ids.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    return [entry(e) for e in events_about(app, translate, service, ids)[-newest:]] if ids else []
