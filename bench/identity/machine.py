"""The machine the figures were measured on, and how busy it was before the bench started."""

from __future__ import annotations

import time
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.identity.cpu import machine_ticks
from bench.relay.machine import _command, host_facts  # one way to read machine facts

LIBRARIES = ("argon2-cffi", "argon2-cffi-bindings", "nameko", "eventlet", "eventsourcing", "kombu", "requests")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def busy_before(seconds: float = 1.0) -> float:
    busy0, total0 = machine_ticks()
    time.sleep(seconds)
    busy1, total1 = machine_ticks()
    return round(100 * (busy1 - busy0) / max(1, total1 - total0), 1)


def describe() -> dict[str, Any]:
    commit = _command("git", "rev-parse", "--short", "HEAD") or "unknown"
    return {
        **host_facts(),
        "rabbitmq": _command("rabbitmqctl", "-q", "version") or "unknown",
        "libraries": {name: _version(name) for name in LIBRARIES},
        "commit": commit + ("+uncommitted changes" if _command("git", "status", "--porcelain") else ""),
        "loadavg_1min_before": float(Path("/proc/loadavg").read_text().split()[0]),
        "cpu_busy_pct_before": busy_before(),
    }


def lines(described: dict[str, Any]) -> list[str]:
    libraries = ", ".join(f"{name} {version}" for name, version in described["libraries"].items())
    return [
        f"machine: {described['nproc']} CPUs ({described['cpu']}), {described['ram_gib']} GiB RAM, "
        f"{described['os']}, Python {described['python']}, RabbitMQ {described['rabbitmq']}",
        f"         {libraries}; commit {described['commit']}",
        f"         before the run: load {described['loadavg_1min_before']}, "
        f"{described['cpu_busy_pct_before']} % CPU busy over 1 s",
    ]
