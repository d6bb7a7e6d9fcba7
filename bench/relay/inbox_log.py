"""What the notifications process logged: its inbox writes one JSON line per message it
settles (``inbox.handled`` with ``lag_ms``, ``inbox.duplicate``, ...)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.processes import Platform


class InboxLog:
    """Follows the notifications process's log (JSON lines), parsing each inbox line once."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.lines: list[dict[str, Any]] = []
        self._offsets: dict[Path, int] = {}

    def read(self) -> list[dict[str, Any]]:
        for path in sorted(self.platform.logs.glob("notifications.*.log")):
            offset = self._offsets.get(path, 0)
            with open(path, "rb") as log:
                log.seek(offset)
                complete, newline, _ = log.read().rpartition(b"\n")
            if not newline:
                continue
            self._offsets[path] = offset + len(complete) + 1
            for raw in complete.split(b"\n"):
                line = _parsed(raw) if b'"inbox.' in raw else None
                if line is not None:
                    self.lines.append(line)
        return self.lines


def _parsed(raw: bytes) -> dict[str, Any] | None:
    try:
        line = json.loads(raw)
    except ValueError:
        return None
    return line if isinstance(line, dict) else None


def handled_lags(lines: list[dict[str, Any]], tag: str, event_type: str) -> dict[str, float]:
    """event id → lag_ms of each event of this type handled, whose correlation id starts with ``tag``."""
    return {line["event_id"]: float(line["lag_ms"]) for line in lines
            if line.get("event") == "inbox.handled" and line.get("type") == event_type
            and str(line.get("correlation_id", "")).startswith(tag)}


