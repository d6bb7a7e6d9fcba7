"""Where a timed loop's wall time goes: per-phase stopwatches wrapped around the methods
it calls, this process's CPU time, and the broker's (read from /proc, loopback only)."""

from __future__ import annotations

import os
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class PhaseClock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._wrapped: list[tuple[Any, str]] = []

    def wrap(self, owner: Any, method: str, phase: str) -> None:
        """Time every call of ``owner.method`` as ``phase`` (an instance attribute shadows it)."""
        original: Callable[..., Any] = getattr(owner, method)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - started

        setattr(owner, method, timed)
        self._wrapped.append((owner, method))

    def unwrap(self) -> None:
        for owner, method in self._wrapped:
            delattr(owner, method)
        self._wrapped.clear()


def broker_pid() -> int | None:
    try:
        found = subprocess.run(["pgrep", "-o", "beam.smp"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return int(found.stdout.split()[0]) if found.stdout.strip() else None


def cpu_seconds_of(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


class CpuMeter:
    """CPU seconds used by each named process between start() and stop() (summed over calls)."""

    def __init__(self, pids: dict[str, int | None] | None = None) -> None:
        self.pids = pids if pids is not None else {"bench_process": os.getpid(), "broker": broker_pid()}
        self.seconds: dict[str, float | None] = dict.fromkeys(self.pids, 0.0)
        self._started: dict[str, float | None] = {}

    def start(self) -> None:
        self._started = {name: cpu_seconds_of(pid) for name, pid in self.pids.items()}

    def stop(self) -> None:
        for name, pid in self.pids.items():
            before, after, total = self._started.get(name), cpu_seconds_of(pid), self.seconds[name]
            self.seconds[name] = None if before is None or after is None or total is None else total + after - before


def shares(phases: dict[str, float], wall: float, cpu: CpuMeter) -> dict[str, float | None]:
    """Each phase and each CPU as a percentage of the wall time."""
    def pct(seconds: float | None) -> float | None:
        return None if seconds is None or wall <= 0 else round(100 * seconds / wall, 1)

    result = {f"{name}_pct": pct(seconds) for name, seconds in phases.items()}
    result["unaccounted_pct"] = pct(wall - sum(phases.values()))
    for name, seconds in cpu.seconds.items():
        result[f"{name}_cpu_pct"] = pct(seconds)
    return result
