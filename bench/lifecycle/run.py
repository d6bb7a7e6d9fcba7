"""bench/lifecycle: onboardings per second and their latency at a fixed offered load, every
service its own process, beside raw broker and store baselines from the same run.

    PYTHONPATH=. .venv/bin/python -m bench.lifecycle.run                 # 20/s for 60 s (make bench)
    PYTHONPATH=. .venv/bin/python -m bench.lifecycle.run --quick         # 20/s for 10 s
    PYTHONPATH=. .venv/bin/python -m bench.lifecycle.run --rate 30 --duration 30

An onboarding: payment verified → business provisioned, admin seated, SMS sent. See
bench/README.md for what each figure means.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko imports eventlet
warnings.filterwarnings("ignore", category=DeprecationWarning)

from shared.kernel import green  # noqa: E402

green.monkey_patch()  # as the services' runner does, before anything imports socket

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import eventlet  # noqa: E402
import structlog  # noqa: E402

from bench.identity.cpu import CpuMeter, broker_pid, group_cpu_seconds, pids_named  # noqa: E402
from bench.lifecycle import analysis, baselines, dbstats, load, stack  # noqa: E402
from bench.lifecycle.env import SERVICES, LifecycleEnv  # noqa: E402
from bench.lifecycle.profile import Profiler  # noqa: E402
from bench.lifecycle.profile import summary as profile_summary  # noqa: E402
from bench.lifecycle.report import RESULTS, lines  # noqa: E402
from bench.lifecycle.tap import Tap  # noqa: E402
from bench.relay import machine  # noqa: E402
from shared.kernel.store import postgres_dsn  # noqa: E402
from shared.kernel.topology import work_queue_name  # noqa: E402

TARGET_RATE, TARGET_SECONDS, TARGET_P99_MS = 20.0, 60.0, 500.0  # issue #8
WARMUP, WARMUP_RATE = 20, 5.0
# Each service's pool at most (stack.POOL_ENV), its relay's checkpoint and its key vault's.
PG_CONNECTIONS_NEEDED = len(SERVICES) * (sum(int(n) for n in stack.POOL_ENV.values()) + 2)


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.lifecycle.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="onboardings offered per second (20)")
    parser.add_argument("--duration", type=float, default=TARGET_SECONDS, help="seconds of offered load (60)")
    parser.add_argument("--quick", action="store_true", help="a short run: 10 s of load, 10 warm-up onboardings")
    parser.add_argument("--warmup", type=int, default=None, help=f"onboardings before the load, at "
                        f"{WARMUP_RATE:g}/s, not counted ({WARMUP})")
    parser.add_argument("--stalled-after", type=float, default=60.0,
                        help="after the last payment, onboardings still open once none has completed for this "
                        "many seconds are lost (60)")
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres",
                        help="the services' event stores (postgres; sqlite only for a smoke test)")
    parser.add_argument("--skip-baselines", action="store_true", help="no broker and store baselines")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="py-spy every process during the load into DIR (raw stacks) and summarise them")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = min(args.duration, 10.0)
        args.warmup = 10 if args.warmup is None else args.warmup
    if args.warmup is None:
        args.warmup = WARMUP
    return args


def queues_idle(env: LifecycleEnv, quiet_seconds: float = 2.0, timeout: float = 300) -> float:
    """Wait until every service's work queue stays empty for ``quiet_seconds``; the seconds waited."""
    started = time.monotonic()
    settings = env.settings("bench")
    names = [work_queue_name(settings, service) for service in SERVICES]
    quiet_since: float | None = None
    while time.monotonic() - started < timeout:
        busy = sum(env.queue_depth(name) for name in names)
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_seconds:
            return round(now - started, 1)
        eventlet.sleep(0.25)
    raise RuntimeError(f"the services' queues were still busy after {timeout:.0f} s")


def wait_complete(tap: Tap, result: load.LoadResult, stalled_after: float, cap: float = 900) -> dict[str, Any]:
    """Wait until every onboarding offered completed. An onboarding still open when no other one
    has completed for ``stalled_after`` s (or after ``cap`` s) counts as lost."""
    started = last_progress = time.monotonic()
    pending = [o.correlation for o in result.offered if not o.error]
    while pending:
        now = time.monotonic()
        if now - last_progress > stalled_after or now - started > cap:
            break
        still = [c for c in pending if not tap.complete(c)]
        if len(still) < len(pending):
            last_progress = now
        pending = still
        eventlet.sleep(0.1)
    return {"waited_s": round(time.monotonic() - started, 1), "still_open": len(pending)}


def load_done(result: load.LoadResult) -> str:
    took = time.time() - result.first_start
    return f"{len(result.offered)} in {took:.1f} s, {sum(1 for o in result.offered if o.error)} errors"


def run(env: LifecycleEnv, args: argparse.Namespace, results: dict[str, Any], artifacts: Path) -> None:
    env.claim_rpc_queues()
    if not args.skip_baselines:
        progress("baselines: raw kombu round trip (quorum, confirmed, acked) and raw psycopg inserts")
        results["baselines"] = baselines.measure(env)
        for name, figures in results["baselines"].items():
            progress(f"  {name}: {figures['per_second']}/s, " + (
                f"p50 {figures['p50']} ms, p99 {figures['p99']} ms" if "p50" in figures
                else f"{figures['cpu_ms_per_hop_total']} ms CPU per hop"))
    if args.store == "postgres":
        results["postgres_connections"] = env.wait_for_connections(PG_CONNECTIONS_NEEDED, progress)
    progress(f"starting {', '.join(SERVICES)} and the gateway on {args.store} (namespace {env.namespace}, {env.root})")
    platform, gateway = stack.start(env, args.store)
    tap = Tap(env, prefix=env.namespace)
    try:
        tap.start()
        count = round(args.rate * args.duration)
        progress(f"preparing {args.warmup} + {count} customers: sign-up, order, payment started (not timed)")
        started = time.perf_counter()
        customers = stack.prepare(platform, gateway, range(args.warmup + count))
        results["prepare_seconds"] = round(time.perf_counter() - started, 1)
        progress(f"  {results['prepare_seconds']} s; waiting for the services' queues to drain")
        results["drain_before_seconds"] = queues_idle(env)
        if args.warmup:
            progress(f"warm-up: {args.warmup} onboardings at {WARMUP_RATE:g}/s")
            warm = load.offer(customers[:args.warmup], env.namespace, "warmup", WARMUP_RATE)
            wait_complete(tap, warm, 60)
            results["warmup"] = analysis.summarise(warm, tap, WARMUP_RATE, TARGET_P99_MS)
            queues_idle(env)
        progress(f"load: {args.rate:g} onboardings/s for {args.duration:g} s ({count} payments)")
        stats_dsn = postgres_dsn(env.settings("bench"), "postgres")
        database_before = dbstats.read(stats_dsn, env.postgres_prefix)
        statements_before = dbstats.statements(stats_dsn, env.postgres_prefix)
        meter = CpuMeter(stack.pids(platform) | ({"broker": pid} if (pid := broker_pid()) else {}))
        meter.start()
        profiler = Profiler(args.profile, stack.pids(platform)) if args.profile else None
        if profiler:
            profiler.start()
        postgres_before = group_cpu_seconds(pids_named("postgres"))
        result = load.offer(customers[args.warmup:], env.namespace, "load", args.rate)
        progress(f"  every callback answered ({load_done(result)}); waiting for the onboardings to complete")
        drained = wait_complete(tap, result, args.stalled_after)
        if profiler:
            profiler.stop()
            results["profile"] = profile_summary(args.profile)
        wall = time.time() - result.first_start
        summary = analysis.summarise(result, tap, TARGET_RATE, TARGET_P99_MS)
        summary["cpu"] = meter.stop(wall, summary["completed"])
        summary["drain"] = drained
        summary["inbox_lag_ms"] = analysis.inbox_lags(platform, f"{env.namespace}-load-")
        postgres_after = group_cpu_seconds(pids_named("postgres"))
        postgres_used = sum(used - postgres_before[pid]
                            for pid, used in postgres_after.items() if pid in postgres_before)
        summary["per_delivery"] = analysis.cpu_per_delivery(
            summary["cpu"], postgres_used, analysis.deliveries(summary["inbox_lag_ms"]),
            results.get("baselines", {}).get("one_hop_floor"))
        summary["database_per_delivery"] = dbstats.per_delivery(
            database_before, dbstats.read(stats_dsn, env.postgres_prefix), env.postgres_prefix,
            summary["per_delivery"]["deliveries"])
        summary["statements_per_onboarding"] = dbstats.statements_per_onboarding(
            statements_before, dbstats.statements(stats_dsn, env.postgres_prefix), env.postgres_prefix,
            summary["completed"])
        if summary["completed"]:
            summary["per_delivery"]["deliveries_per_onboarding"] = round(
                summary["per_delivery"]["deliveries"] / summary["completed"], 1)
        results["load"] = summary
        tap.stop()
        results["tap"] = {"received": tap.received, "not_the_bench": tap.others, "reconnects": tap.reconnects}
    finally:
        try:
            platform.stop_all()
        finally:
            tap.stop()
            if platform.logs.exists():
                analysis.keep_logs(platform, artifacts)


def main(argv: list[str]) -> int:
    args = arguments(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    started_at, started = datetime.now(UTC), time.perf_counter()
    stem = f"lifecycle-{started_at:%Y%m%dT%H%M%SZ}"
    env = LifecycleEnv()
    results: dict[str, Any] = {"started_at": started_at.isoformat(), "namespace": env.namespace,
                               "parameters": {"rate": args.rate, "duration_s": args.duration, "warmup": args.warmup,
                                              "quick": args.quick, "stalled_after_s": args.stalled_after,
                                              "stores": args.store}}
    error = None
    try:
        results["machine"] = machine.describe(env)
        progress(f"namespace {env.namespace}, temp dir {env.root}")
        run(env, args, results, RESULTS / f"{stem}-logs")
    except Exception as exc:
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
    finally:
        progress("cleaning up")
        leftovers = env.cleanup()
    if "machine" in results:
        results["machine"]["python_canary_ms_after"] = machine.python_canary_ms()
        results["machine"]["loadavg_1min_after"] = float(Path("/proc/loadavg").read_text().split()[0])
    results |= {"error": error, "cleanup_leftovers": leftovers, "seconds": round(time.perf_counter() - started, 1)}
    print("\n".join(lines(results)), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stem}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {path}")
    if error or leftovers:
        print(f"FAILED: {error or ''} {leftovers or ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
