"""Raw argon2id rates with the service's own parameters (services.identity.passwords.PASSWORD_HASHER):
hashes and verifications per second in one process, and summed over two processes at once."""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections.abc import Callable
from typing import Any

from services.identity.passwords import PASSWORD_HASHER

PASSWORD = "Str0ng!pass-bench"


def _operation(kind: str) -> Callable[[], Any]:
    if kind == "hash":
        return lambda: PASSWORD_HASHER.hash(PASSWORD)
    stored = PASSWORD_HASHER.hash(PASSWORD)
    return lambda: PASSWORD_HASHER.verify(stored, PASSWORD)


def timed_loop(kind: str, seconds: float, start_at: float = 0.0) -> tuple[int, float]:
    """(operations done, seconds taken): as many as fit in ``seconds``, after ``start_at``
    (time.time(), so that parallel workers start together)."""
    operation = _operation(kind)
    operation()  # warm-up: the first call pays for allocating the 19 MiB
    while time.time() < start_at:
        time.sleep(0.001)
    done, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        operation()
        done += 1
        now = time.perf_counter()
        if now >= deadline:
            return done, now - started


def rate(kind: str, seconds: float, processes: int = 1, repeats: int = 3) -> dict[str, Any]:
    """Operations per second over ``processes`` processes running at the same time: the median
    of ``repeats`` runs of ``seconds`` each (this virtual machine's speed drifts)."""
    runs: list[list[tuple[int, float]]] = []
    if processes == 1:
        runs = [[timed_loop(kind, seconds)] for _ in range(repeats)]
    else:
        # fork: the bench process has started no thread yet when this runs.
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for _ in range(repeats):
                start_at = time.time() + 0.5  # every worker has hashed once and waits
                runs.append(pool.starmap(timed_loop, [(kind, seconds, start_at)] * processes))
    rates = [sum(done / took for done, took in run) for run in runs]
    per_second = statistics.median(rates)
    return {"kind": kind, "processes": processes, "per_second": round(per_second, 2),
            "ms_per_operation": round(1000 * processes / per_second, 2),
            "runs_per_second": [round(r, 2) for r in rates],
            "runs": [[{"operations": done, "seconds": round(took, 3)} for done, took in run] for run in runs]}


def parameters() -> dict[str, int]:
    return {"time_cost": PASSWORD_HASHER.time_cost, "memory_cost_kib": PASSWORD_HASHER.memory_cost,
            "parallelism": PASSWORD_HASHER.parallelism, "hash_len": PASSWORD_HASHER.hash_len,
            "salt_len": PASSWORD_HASHER.salt_len}
