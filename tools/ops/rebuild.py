"""opsctl rebuild: drop a projection and rebuild it from the service's own log
(shared/kernel/projections.py; each service lists its own in services/<service>/projections.py)."""

from __future__ import annotations

import importlib
from typing import Any, TextIO

from shared.kernel.config import Settings
from tools.ops.stores import open_store, service_settings, store_exists


def projections_of(service: str) -> dict[str, Any]:
    try:
        module = importlib.import_module(f"services.{service}.projections")
    except ModuleNotFoundError:
        return {}
    found: dict[str, Any] = module.PROJECTIONS
    return found


def rebuild(base: Settings, service: str, projection: str | None, out: TextIO) -> int:
    known = projections_of(service)
    if projection is None or projection not in known:
        if projection is not None:
            print(f"{service} has no projection {projection!r}", file=out)
        listing = ", ".join(f"{name} ({cls.description})" for name, cls in known.items()) or "none"
        print(f"projections of {service}: {listing}", file=out)
        return 0 if projection is None else 1
    settings = service_settings(base, service)
    if not store_exists(settings):
        print(f"{service} has no store", file=out)
        return 1
    app = open_store(settings)
    try:
        result = known[projection]().rebuild(app)
    finally:
        app.close()
    print(f"rebuilt {service}.{result.projection}: read {result.events_read} event(s), "
          f"applied {result.events_applied}, up to position {result.position}", file=out)
    return 0
