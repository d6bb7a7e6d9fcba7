"""The machine the figures were measured on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

import psycopg

from bench.relay.env import BenchEnv
from shared.kernel.config import REPO_ROOT
from shared.kernel.store import postgres_dsn

LIBRARIES = ("kombu", "amqp", "nameko", "eventlet", "eventsourcing", "psycopg", "pydantic")


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _command(*argv: str, timeout: float = 30) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=True, cwd=REPO_ROOT)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def rabbitmq_version(env: BenchEnv) -> str:
    version = _command("rabbitmqctl", "-q", "version")
    if version:
        return version
    with env.connection() as conn:  # the broker says so itself when rabbitmqctl is not at hand
        conn.connect()
        properties = conn.connection.server_properties
    raw = properties.get("version", "unknown")
    return f"{raw.decode() if isinstance(raw, bytes) else raw} (from the AMQP handshake)"


def postgres_version(env: BenchEnv) -> str:
    with psycopg.connect(postgres_dsn(env.settings("bench"), "postgres"), connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_before_start(seconds: float = 1.0) -> float:
    """How busy the machine is before the bench starts (anything else running skews the figures)."""
    busy0, total0 = _cpu_ticks()
    time.sleep(seconds)
    busy1, total1 = _cpu_ticks()
    return round(100 * (busy1 - busy0) / max(1, total1 - total0), 1)


def python_canary_ms() -> float:
    """A fixed piece of pure-Python work (JSON round trips), timed: this machine's speed at the
    moment. Shared virtual machines vary; compare it between runs before comparing figures."""
    record = {"event_id": "5b0c1f6e-9a57-4d3c-8f5e-2f1b8f0d6a11", "type": "VerificationCodeIssued",
              "payload": {"mobile": "+989120000001", "purpose": "signup", "n": list(range(20))}}
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(5_000):
            json.loads(json.dumps(record))
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def host_facts() -> dict[str, object]:
    """Cores, CPU, memory, OS and Python: what every bench prints first."""
    mem_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": _first("/proc/cpuinfo", "model name"),
        "ram_gib": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb.isdigit() else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def describe(env: BenchEnv) -> dict[str, object]:
    commit = _command("git", "rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(_command("git", "status", "--porcelain"))
    return {
        **host_facts(),
        "rabbitmq": rabbitmq_version(env),
        "postgresql": postgres_version(env),
        "libraries": {name: metadata.version(name) for name in LIBRARIES},
        "commit": commit + ("+uncommitted changes" if dirty else ""),
        "amqp_uri_host": env.settings("bench").amqp_parts()["host"],
        "loadavg_1min_before": float(Path("/proc/loadavg").read_text().split()[0]),
        "cpu_busy_pct_before": busy_before_start(),
        "python_canary_ms_before": python_canary_ms(),
    }
