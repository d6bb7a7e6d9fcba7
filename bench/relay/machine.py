"""The machine the figures were measured on."""

from __future__ import annotations

import os
import platform
import subprocess
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


def describe(env: BenchEnv) -> dict[str, object]:
    mem_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    commit = _command("git", "rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(_command("git", "status", "--porcelain"))
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": _first("/proc/cpuinfo", "model name"),
        "ram_gib": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb.isdigit() else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "rabbitmq": rabbitmq_version(env),
        "postgresql": postgres_version(env),
        "libraries": {name: metadata.version(name) for name in LIBRARIES},
        "commit": commit + ("+uncommitted changes" if dirty else ""),
        "amqp_uri_host": env.settings("bench").amqp_parts()["host"],
    }
