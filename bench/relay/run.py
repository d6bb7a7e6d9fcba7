"""make bench: the relay's throughput and hop latency beside same-run baselines.

    PYTHONPATH=. .venv/bin/python -m bench.relay.run [baselines] [nameko] [relay] [hop]

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # eventlet announces its own deprecation

from shared.kernel import green  # noqa: E402

green.monkey_patch()  # as the services' runner and the tests do, before anything imports socket

import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import structlog  # noqa: E402

from bench.relay import baselines, hop, machine, nameko_baseline, report, throughput  # noqa: E402
from bench.relay.env import BenchEnv  # noqa: E402
from bench.relay.figures import Figure  # noqa: E402

Measurement = Callable[[BenchEnv], list[Figure]]
# name on the command line → (what it is, how to measure it); no names: all of them, in order.
MEASUREMENTS: dict[str, tuple[str, Measurement]] = {
    "baselines": ("baselines a–c (raw publishing)", baselines.measure),
    "nameko": ("baseline d (nameko events)", nameko_baseline.measure),
    "relay": ("e (relay throughput)", throughput.measure),
    "hop": ("f (hop latency across processes)", hop.measure),
}


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def quiet_logs() -> None:
    """The relay logs each start at INFO; only its warnings belong in the bench's output."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def run_all(env: BenchEnv, selected: list[str]) -> tuple[list[Figure], dict[str, str]]:
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    for name, measure in (MEASUREMENTS[key] for key in selected):
        progress(f"measuring {name}")
        started = time.perf_counter()
        try:
            figures += measure(env)
        except Exception as exc:  # one failed measurement must not hide the others
            errors[name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        progress(f"  done in {time.perf_counter() - started:.1f} s")
    return figures, errors


def main(argv: list[str]) -> int:
    selected = argv or list(MEASUREMENTS)
    unknown = [name for name in selected if name not in MEASUREMENTS]
    if unknown:
        print(f"unknown measurement {', '.join(unknown)}; choose from {', '.join(MEASUREMENTS)}", file=sys.stderr)
        return 2
    quiet_logs()
    started_at, started = datetime.now(UTC), time.perf_counter()
    env = BenchEnv()
    env.artifacts = report.RESULTS / f"{report.results_stem(started_at)}-logs"
    try:
        described = machine.describe(env)
        print("\n".join(report.machine_lines(described)), flush=True)
        progress(f"namespace {env.namespace}, temp dir {env.root}")
        figures, errors = run_all(env, selected)
    finally:
        progress("cleaning up")
        cleanup = env.cleanup()
    seconds = time.perf_counter() - started
    described["python_canary_ms_after"] = machine.python_canary_ms()
    print("\n" + report.render(figures, errors))
    print(f"\nPython canary {described['python_canary_ms_before']} ms before, "
          f"{described['python_canary_ms_after']} ms after (a change means the machine's speed changed)")
    path = report.write_json(started_at, env.namespace, described, figures, errors, cleanup, seconds)
    print(f"\nwhole run {seconds:.0f} s; figures written to {path}")
    for problem in cleanup:
        print(f"cleanup problem: {problem}", file=sys.stderr)
    return 1 if errors or cleanup else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
