"""`--profile DIR`: py-spy samples every process of the platform during the load, so a lever
is chosen from where the CPU goes, not from a guess (issue #16: "profile first").

Each process gets `py-spy record --format raw` (collapsed stacks, one line per distinct stack
with its sample count) for the load and its drain; `summary()` then reads the files and answers
the two questions a lever needs: which process, and which of our functions (self and total).
Only samples that hold the GIL count (`--gil`): under eventlet py-spy cannot tell a green thread
waiting on the hub from one working, and without it a process busy a third of the time showed
three times as many samples as its CPU seconds. py-spy is a development tool (`pip install py-spy`),
not a dependency of the platform."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

SAMPLING_RATE = 50  # per second: enough for shares of a minute's load, cheap for the process


class Profiler:
    def __init__(self, directory: Path, pids: dict[str, int]) -> None:
        self.directory = directory
        self.pids = pids
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        beside = Path(sys.executable).with_name("py-spy")  # the venv's, when PATH lacks it
        spy = shutil.which("py-spy") or (str(beside) if beside.exists() else None)
        if spy is None:
            raise RuntimeError("--profile needs py-spy (pip install py-spy)")
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            self.procs[name] = subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--format", "raw", "--rate", str(SAMPLING_RATE),
                 "--nonblocking", "--gil", "--output", str(self.directory / f"{name}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def summary(directory: Path, top: int = 25) -> dict[str, Any]:
    """Per process: samples, and the functions with the largest self and total shares."""
    found: dict[str, Any] = {}
    for path in sorted(directory.glob("*.txt")):
        self_time: Counter[str] = Counter()
        total_time: Counter[str] = Counter()
        samples = 0
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = stack.split(";")
            samples += count
            self_time[frames[-1]] += count
            for frame in set(frames):
                total_time[frame] += count
        if samples:
            found[path.stem] = {
                "samples": samples,
                "self": [(frame, round(100 * n / samples, 1)) for frame, n in self_time.most_common(top)],
                "total": [(frame, round(100 * n / samples, 1)) for frame, n in total_time.most_common(top * 2)],
            }
    return found
