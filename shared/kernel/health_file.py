"""A process's health file: the runner rewrites it every few seconds; the Kubernetes probe
(`python -m shared.kernel.probe`) reads it. Reading a small file is all a probe costs, where
an RPC `health` call would open a connection and leave a reply queue behind every time."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from shared.kernel.config import Settings

INTERVAL_SECONDS = 5.0


def health_path(settings: Settings) -> Path:
    return settings.health_path


def write(path: Path, state: str) -> None:
    """Atomically: a probe never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"pid": os.getpid(), "state": state, "at": time.time()}))
    temporary.replace(path)


def read(path: Path) -> dict[str, object] | None:
    try:
        found: dict[str, object] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found
