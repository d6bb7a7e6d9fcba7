"""opsctl relay-lag and events: reading one service's own store."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from shared.events.catalog import SERVICES
from shared.kernel.config import Settings
from shared.kernel.relay import checkpoint_for
from tools.ops.stores import open_store, service_settings, shown, store_exists, when


def _secret(field: str) -> bool:
    """Password and code hashes, sealed codes: never needed by an operator, never shown."""
    return field.endswith("_hash") or field.startswith("sealed_")


def relay_lag(base: Settings, services: list[str], out: TextIO) -> int:
    """The relay's checkpoint against the newest position of the service's log: how many
    stored events are not yet confirmed by the broker, and since when the oldest waits."""
    print(f"{'service':14} {'checkpoint':>10} {'log max':>10} {'lag':>8}  oldest unpublished", file=out)
    for service in services or list(SERVICES):
        settings = service_settings(base, service)
        if not store_exists(settings):
            print(f"{service:14} {'-':>10} {'-':>10} {'-':>8}  no store yet", file=out)
            continue
        app = open_store(settings)
        checkpoint = checkpoint_for(settings)
        try:
            position = checkpoint.load()
            newest = app.recorder.max_notification_id() or 0
            waiting = app.recorder.select_notifications(start=position + 1, limit=1)
            oldest = ""
            if waiting:
                stamp: datetime = vars(app.mapper.to_domain_event(waiting[0]))["timestamp"]
                age = (datetime.now(UTC) - stamp).total_seconds()
                oldest = f"{when(stamp)}  ({age:.0f}s ago)"
            print(f"{service:14} {position:>10} {newest:>10} {max(0, newest - position):>8}  {oldest}", file=out)
        finally:
            checkpoint.close()
            app.close()
    return 0


def events(base: Settings, service: str, stream_id: str, reveal: bool, as_json: bool, out: TextIO) -> int:
    """A stream's stored events, decoded; personal data sealed unless --reveal (and erased
    for good once its subject's key was destroyed)."""
    try:
        originator = uuid.UUID(stream_id)
    except ValueError:
        print(f"not a stream id (a UUID): {stream_id}", file=out)
        return 2
    settings = service_settings(base, service)
    if not store_exists(settings):
        print(f"{service} has no store", file=out)
        return 1
    app = open_store(settings)
    try:
        stored = app.recorder.select_events(originator)
        if not stored:
            print(f"no stream {stream_id} in {service}", file=out)
            return 1
        for record in stored:
            event: Any = app.mapper.to_domain_event(record)
            attributes = {k: "<secret>" if _secret(k) else shown(v, reveal) for k, v in vars(event).items()
                          if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")}
            name = type(event).__qualname__
            if as_json:
                print(json.dumps({"version": event.originator_version, "event": name,
                                  "timestamp": event.timestamp.isoformat(), **attributes},
                                 ensure_ascii=False, default=str), file=out)
                continue
            print(f"v{event.originator_version:<4} {name:32} {when(event.timestamp)}", file=out)
            for key, value in attributes.items():
                print(f"      {key}: {json.dumps(value, ensure_ascii=False, default=str)}", file=out)
    finally:
        app.close()
    return 0
