"""What a measurement yields: named figures, with the statistics the bench needs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Figure:
    key: str  # stable id in the JSON, e.g. "e.sqlite.batch200"
    label: str
    value: float | None  # None: could not be measured (see ``note``)
    unit: str
    published: str = ""  # this machine's figure from ARCHITECTURE.md, when there is one
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value, "unit": self.unit, "published": self.published or None,
                "note": self.note or None, **self.detail}


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (the value below which ``pct`` % of the samples fall)."""
    if not values:
        raise ValueError("no samples")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    return {"p50": percentile(values_ms, 50), "p95": percentile(values_ms, 95),
            "p99": percentile(values_ms, 99), "max": max(values_ms)}


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def repeated_rate(run_once: Callable[[], tuple[int, float]], repeats: int) -> tuple[float, list[float]]:
    """Median rate of ``repeats`` runs, and every run's rate; ``run_once`` returns (count, seconds)."""
    rates = [rate(*run_once()) for _ in range(repeats)]
    return statistics.median(rates), rates


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started
