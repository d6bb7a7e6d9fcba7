"""CPU seconds used by each process of the platform (and the machine as a whole) over a phase,
from /proc: which process pays how much per request, and how busy the two cores were."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, all its threads included; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of stat(5)


def broker_pid() -> int | None:
    """RabbitMQ's Erlang VM, when it runs on this machine."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "beam.smp":
                    return int(entry.name)
            except OSError:
                continue
    return None


def pids_named(command: str) -> list[int]:
    """Every process whose command name is ``command`` (e.g. PostgreSQL's backends, "postgres")."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def group_cpu_seconds(pids: list[int]) -> dict[int, float]:
    """Each live process's utime + stime: compare two snapshots pid by pid (backends come and go)."""
    return {pid: used for pid in pids if (used := process_cpu_seconds(pid)) is not None}


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    busy, total, _ = _ticks()
    return busy, total


def _ticks() -> tuple[int, int, int]:
    """(busy, total, stolen by the hypervisor) jiffies of all CPUs since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    steal = fields[7] if len(fields) > 7 else 0
    return sum(fields) - idle, sum(fields), steal


class CpuMeter:
    """Snapshot at start(), again at stop(): CPU seconds per process over the phase."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.before: dict[str, float | None] = {}
        self.machine_before = (0, 0, 0)

    def start(self) -> None:
        self.before = {name: process_cpu_seconds(pid) for name, pid in self.pids.items()}
        self.machine_before = _ticks()

    def stop(self, wall_seconds: float, operations: int) -> dict[str, object]:
        busy, total, steal = _ticks()
        processes: dict[str, dict[str, float]] = {}
        for name, pid in self.pids.items():
            after, before = process_cpu_seconds(pid), self.before.get(name)
            if after is None or before is None:
                continue
            used = after - before
            processes[name] = {
                "cpu_seconds": round(used, 2),
                "cores_busy": round(used / wall_seconds, 2),
                "cpu_ms_per_operation": round(1000 * used / operations, 2) if operations else 0.0,
            }
        elapsed = max(1, total - self.machine_before[1])
        machine_busy = (busy - self.machine_before[0]) / elapsed
        return {"processes": processes, "machine_busy_pct": round(100 * machine_busy, 1),
                "steal_pct": round(100 * (steal - self.machine_before[2]) / elapsed, 1),
                "wall_seconds": round(wall_seconds, 2), "operations": operations}
