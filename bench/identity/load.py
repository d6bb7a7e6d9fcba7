"""A bounded HTTP load: a few threads, each with its own keep-alive session, sending one request
after another until a count or a time limit is reached; every answer's latency is kept."""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

Request = Callable[[requests.Session, int], requests.Response]


@dataclass
class LoadResult:
    name: str
    concurrency: int
    expected_status: int
    seconds: float = 0.0
    # (request number, seconds since the load started, latency in ms, status; 0 when no answer)
    samples: list[tuple[int, float, float, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # the first few unexpected answers

    @property
    def ok_latencies_ms(self) -> list[float]:
        return [ms for _, _, ms, status in self.samples if status == self.expected_status]

    @property
    def ok(self) -> int:
        return len(self.ok_latencies_ms)

    @property
    def unexpected(self) -> int:
        return len(self.samples) - self.ok

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        latencies = self.ok_latencies_ms
        ordered = sorted(self.samples)
        first, last = ordered[:50], ordered[-50:]
        return {
            "name": self.name, "concurrency": self.concurrency, "requests": len(self.samples), "ok": self.ok,
            "unexpected": self.unexpected, "statuses": dict(Counter(str(s) for _, _, _, s in self.samples)),
            "seconds": round(self.seconds, 2), "per_second": round(self.per_second, 2),
            "latency_ms": {"p50": percentile(latencies, 50), "p90": percentile(latencies, 90),
                           "p99": percentile(latencies, 99), "max": round(max(latencies), 1) if latencies else None,
                           "mean": round(sum(latencies) / len(latencies), 1) if latencies else None},
            # The same latency at the start and at the end of the load: does it grow with the store?
            "p50_first_50_ms": percentile([ms for _, _, ms, _ in first], 50),
            "p50_last_50_ms": percentile([ms for _, _, ms, _ in last], 50),
            "failures": self.failures,
        }


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)


def run(name: str, send: Request, *, concurrency: int, seconds: float, limit: int | None = None,
        expected_status: int = 200) -> LoadResult:
    """``send(session, n)`` makes request number n (0, 1, 2, …, shared by the threads)."""
    result = LoadResult(name, concurrency, expected_status)
    numbers = itertools.count()
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def worker() -> None:
        with requests.Session() as session:
            while time.perf_counter() < deadline:
                with lock:
                    n = next(numbers)
                if limit is not None and n >= limit:
                    return
                sent = time.perf_counter()
                try:
                    answer = send(session, n)
                    status, text = answer.status_code, answer.text[:300]
                except requests.RequestException as exc:
                    status, text = 0, f"{type(exc).__name__}: {exc}"
                took = time.perf_counter() - sent
                with lock:
                    result.samples.append((n, sent - started, took * 1000, status))
                    if status != expected_status and len(result.failures) < 5:
                        result.failures.append(f"#{n}: {status} {text}")

    threads = [threading.Thread(target=worker, name=f"{name}-{i}", daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    result.seconds = time.perf_counter() - started
    return result
