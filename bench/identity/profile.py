"""Where the identity process spends its time under the login load: a py-spy sample (wall
time, idle included), each stack put in the first category whose frame it contains."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

# (category, a piece of a frame as py-spy writes it); the first that matches takes the sample.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("argon2id verify (C, holds the process)", ("argon2/",)),
    ("login: load the user (replay its events)", ("user (services/identity/records.py",)),
    ("login: load the client address (replay its events)", ("client (services/identity/records.py",)),
    ("login: save SessionStarted", ("save_caused (shared/kernel/store.py",)),
    ("login: sign the tokens", ("_tokens (services/identity/sessions.py",)),
    ("login: the rest of the use case", ("login (services/identity/sessions.py",)),
    ("relay (reads the log, publishes)", ("shared/kernel/relay.py",)),
    ("RPC in and out (nameko, kombu, amqp)", ("nameko/", "kombu/", "amqp/")),
    ("idle (eventlet hub waiting)", ("eventlet/hubs/",)),
)


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def categorize(raw: str) -> tuple[Counter[str], int]:
    shares: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        name = next((name for name, marks in CATEGORIES if any(mark in stack for mark in marks)), "other")
        shares[name] += int(count)
    return shares, total


def record(pid: int, seconds: float, output: Path,
           run_load: Callable[[float], dict[str, Any]]) -> dict[str, Any]:
    """py-spy on ``pid`` for ``seconds`` while ``run_load`` sends logins a little longer; the
    collapsed stacks are kept in ``output``."""
    executable = py_spy()
    output.parent.mkdir(parents=True, exist_ok=True)
    if executable is None:
        return {"skipped": "py-spy is not installed (.venv/bin/pip install py-spy)"}
    sampler = subprocess.Popen([executable, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                                "--rate", "200", "--idle", "--nonblocking", "--format", "raw",
                                "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # py-spy attaches
    logins = run_load(seconds + 1.5)
    _, errors = sampler.communicate(timeout=60)
    if sampler.returncode != 0 or not output.exists():
        return {"skipped": f"py-spy failed ({sampler.returncode}): {errors.decode(errors='replace')[-500:]}"}
    raw = output.read_text()
    shares, total = categorize(raw)
    return {
        "samples": total, "stacks": str(output), "per_second": logins["per_second"],
        "shares_pct": {name: round(100 * n / total, 1) for name, n in shares.most_common()} if total else {},
        "leaf_frames_pct": {frame: round(100 * n / total, 1) for frame, n in _leaves(raw).most_common(15)},
        "note": "wall-clock samples of every thread (--idle); the eventlet hub's wait is the idle time",
    }


def _leaves(raw: str) -> Counter[str]:
    leaves: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            leaves[stack.split(";")[-1]] += int(count)
    return leaves
