"""Where the relay's CPU goes: one relay run over a SQLite backlog under cProfile.

    PYTHONPATH=. .venv/bin/python -m bench.relay.profile_relay [postgres] [batch]

Not part of ``make bench`` (the profiler roughly halves the rate it observes). With PostgreSQL,
psycopg waits through the eventlet hub and cProfile charges those green-thread switches to
the wrong callers; read the SQLite profile for shares."""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

from shared.kernel import green  # noqa: E402

green.monkey_patch()

import cProfile  # noqa: E402
import dataclasses  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402

from bench.relay.env import BenchEnv  # noqa: E402
from bench.relay.run import quiet_logs  # noqa: E402
from bench.relay.throughput import EVENTS, append_backlog, checkpoint_named  # noqa: E402
from services.identity.service import build_application  # noqa: E402
from services.identity.translations import translate  # noqa: E402
from shared.kernel import topology  # noqa: E402
from shared.kernel.relay import Relay  # noqa: E402


def profile(env: BenchEnv, store: str, batch: int) -> pstats.Stats:
    settings = dataclasses.replace(env.settings("identity", store=store, var="profile"), relay_batch=batch)
    topology.declare(settings)
    app = build_application(settings)
    try:
        append_backlog(app, EVENTS)
        relay = Relay(app, translate, settings, checkpoint=checkpoint_named(settings, "profile"))
        profiler = cProfile.Profile()
        try:
            profiler.enable()
            while relay.publish_next_batch():
                pass
            profiler.disable()
        finally:
            relay.close()
        return pstats.Stats(profiler)
    finally:
        app.close()


def main(argv: list[str]) -> int:
    store = argv[0] if argv else "sqlite"
    batch = int(argv[1]) if len(argv) > 1 else 200
    quiet_logs()
    env = BenchEnv()
    try:
        stats = profile(env, store, batch)
    finally:
        problems = env.cleanup()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats("relay.py|publisher.py|persistence.py|channel.py|pydantic", 25)
    for problem in problems:
        print(f"cleanup problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
