"""opsctl timeline: every public integration event about one business, across services, in
order, with UTC and Jalali times.

Read from each service's own store, not from the broker: each service's log (its outbox) is
replayed through that service's own translations (exactly what its relay publishes, with the
same event ids) and kept when the event names the business. It needs no service running and
no queue of its own, sees history from the beginning (a queue sees only what came after it
was bound), and what it shows is what was published or is about to be. It reads every log
in full: an operator's query, not a hot path. A service whose code or store is absent here is
reported and skipped."""

from __future__ import annotations

import json
import uuid
from typing import TextIO

from shared.events.base import Envelope
from shared.events.catalog import SERVICES
from shared.kernel.config import Settings
from shared.kernel.timeline import events_about as events_in
from shared.kernel.timeline import payload_shown
from tools.ops.stores import open_store, service_settings, store_exists, translations_of, when


def events_about(base: Settings, tenant_id: uuid.UUID, out: TextIO) -> list[Envelope]:
    found: list[Envelope] = []
    for service in SERVICES:
        translate = translations_of(service)
        settings = service_settings(base, service)
        if translate is None or not store_exists(settings):
            print(f"({service}: {'no code' if translate is None else 'no store'} here, skipped)", file=out)
            continue
        app = open_store(settings)
        try:
            found.extend(events_in(app, translate, service, [tenant_id]))
        finally:
            app.close()
    return sorted(found, key=lambda e: (e.occurred_at, e.producer, e.producer_position))


def timeline(base: Settings, tenant: str, reveal: bool, as_json: bool, out: TextIO) -> int:
    try:
        tenant_id = uuid.UUID(tenant)
    except ValueError:
        print(f"not a business id (a UUID): {tenant}", file=out)
        return 2
    found = events_about(base, tenant_id, out)
    if not as_json:
        print(f"{len(found)} event(s) about business {tenant_id}", file=out)
    for envelope in found:
        payload = payload_shown(envelope.payload, reveal)
        if as_json:
            print(json.dumps({"occurred_at": envelope.occurred_at.isoformat(), "producer": envelope.producer,
                              "type": envelope.type, "version": envelope.version,
                              "event_id": str(envelope.event_id), "correlation_id": envelope.correlation_id,
                              "payload": payload}, ensure_ascii=False), file=out)
            continue
        print(f"{when(envelope.occurred_at)}  {envelope.producer:13} {envelope.type}.v{envelope.version}", file=out)
        print(f"      {json.dumps(payload, ensure_ascii=False)}", file=out)
    return 0
