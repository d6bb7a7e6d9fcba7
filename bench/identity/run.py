"""bench/identity: argon2id's raw rates, and sign-ups and logins through the real gateway.

    PYTHONPATH=. .venv/bin/python -m bench.identity.run [--profile]

--profile adds a py-spy sample of the identity process under the login load (needs
`.venv/bin/pip install py-spy`). See bench/identity/README.md for what each figure means.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko imports eventlet

import functools  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import requests  # noqa: E402

from bench.identity import cpu, hashing, load, machine, profile, report, stack  # noqa: E402
from bench.identity.env import BenchEnv  # noqa: E402
from tests.support.processes import Platform, wait_until  # noqa: E402

RAW_SECONDS, RAW_REPEATS = 1.0, 3  # each raw rate: the median of 3 runs of 1 s
SIGNUPS, SIGNUP_SECONDS = 300, 20.0
LOGIN_SECONDS = 20.0
CONCURRENCY = 4
WARMUP_USERS = 8  # signed up before the timed sign-ups, one at a time
VERIFIED_USERS = 20
PROFILE_SECONDS = 10.0
TARGET = 0.80  # logins/s ≥ 80 % of the raw verify rate (issue #3)


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def measure_raw(seconds: float) -> dict[str, Any]:
    found: dict[str, Any] = {"parameters": hashing.parameters()}
    for kind in ("hash", "verify"):
        for processes in (1, 2):
            found[f"{kind}_{processes}p"] = hashing.rate(kind, seconds, processes, RAW_REPEATS)
            progress(f"  argon2id {kind}, {processes} process(es): {found[f'{kind}_{processes}p']['per_second']}/s")
    return found


def measure_signups(platform: Platform, gateway: str) -> tuple[dict[str, Any], list[str]]:
    with requests.Session() as session:
        for i in range(WARMUP_USERS):
            answer = stack.sign_up(session, gateway, stack.mobile(i))
            if answer.status_code != 202:
                raise RuntimeError(f"warm-up sign-up: {answer.status_code} {answer.text[:300]}")
    meter = cpu.CpuMeter(stack.pids(platform) | _broker())
    meter.start()
    result = load.run("signups", lambda s, n: stack.sign_up(s, gateway, stack.mobile(WARMUP_USERS + n)),
                      concurrency=CONCURRENCY, seconds=SIGNUP_SECONDS, limit=SIGNUPS, expected_status=202)
    found = result.summary() | {"cpu": meter.stop(result.seconds, result.ok)}
    registered = [stack.mobile(i) for i in range(WARMUP_USERS)]
    registered += [stack.mobile(WARMUP_USERS + n) for n, _, _, status in sorted(result.samples) if status == 202]
    return found, registered


def verify_users(platform: Platform, env: BenchEnv, gateway: str, registered: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    users = registered[:VERIFIED_USERS]
    with requests.Session() as session:
        for number in users:
            stack.verify(session, gateway, number)
        stack.signup_code(session, gateway, registered[-1])  # every sign-up's SMS was sent
    queue = f"{env.namespace}.notifications.events"
    wait_until(lambda: _ready(env, queue) == 0, timeout=60, what="notifications to drain its queue")
    time.sleep(1.0)  # the relays' last polls
    return {"users": users, "seconds": round(time.perf_counter() - started, 2),
            "sms_backlog_drained": True}


def fresh_address(user: int) -> str:
    """A client address with no history in identity, one per user: a label in X-Forwarded-For
    (the requests still go to the gateway on 127.0.0.1)."""
    return f"127.0.1.{user + 1}"


def measure_logins(platform: Platform, gateway: str, users: list[str], seconds: float,
                   fresh: bool = False) -> dict[str, Any]:
    """Round robin over verified users, the right password every time (a success never locks).
    ``fresh``: each user logs in from an address of its own with no history, instead of from
    127.0.0.1, the address every sign-up came from."""
    def send(session: requests.Session, n: int) -> requests.Response:
        user = n % len(users)
        return stack.log_in(session, gateway, users[user], fresh_address(user) if fresh else None)

    load.run("login-warmup", send, concurrency=CONCURRENCY, seconds=2.0)
    meter = cpu.CpuMeter(stack.pids(platform) | _broker())
    meter.start()
    result = load.run("logins", send, concurrency=CONCURRENCY, seconds=seconds)
    return result.summary() | {"cpu": meter.stop(result.seconds, result.ok)}


def _broker() -> dict[str, int]:
    pid = cpu.broker_pid()
    return {"broker": pid} if pid else {}


def _ready(env: BenchEnv, queue: str) -> int:
    with env.connection() as conn:
        _, count, _ = conn.default_channel.queue_declare(queue, passive=True)
        return int(count)


def run(env: BenchEnv, results: dict[str, Any], with_profile: bool, stacks: Path) -> None:
    env.claim_rpc_queues()
    progress("raw argon2id rates (before the platform starts)")
    results["argon2"] = measure_raw(RAW_SECONDS)
    progress(f"starting identity, notifications and the gateway (namespace {env.namespace}, {env.root})")
    platform, gateway = stack.start(env)
    try:
        progress(f"sign-ups: {SIGNUPS} or {SIGNUP_SECONDS:.0f} s, {CONCURRENCY} clients")
        results["signups"], registered = measure_signups(platform, gateway)
        progress(f"  {results['signups']['per_second']}/s; verifying {VERIFIED_USERS} users by their SMS codes")
        results["verification"] = verify_users(platform, env, gateway, registered)
        users = results["verification"]["users"]
        # The machine's speed drifts from minute to minute: each login load is bracketed by a raw
        # verify measurement (platform idle), and compared with the mean of its two brackets.
        bracket = results["raw_verify_brackets"] = []
        for phase, fresh, what in (("logins", False, "from 127.0.0.1, where every sign-up came from"),
                                   ("logins_fresh_address", True, "each user from a fresh client address")):
            if not bracket:
                bracket.append(hashing.rate("verify", RAW_SECONDS, 1, RAW_REPEATS))
            progress(f"{phase}: {LOGIN_SECONDS:.0f} s, {CONCURRENCY} clients, round robin over {len(users)} users, "
                     f"{what}")
            results[phase] = measure_logins(platform, gateway, users, LOGIN_SECONDS, fresh)
            bracket.append(hashing.rate("verify", RAW_SECONDS, 1, RAW_REPEATS))
            progress(f"  {results[phase]['per_second']}/s; raw verify {bracket[-2]['per_second']}/s before, "
                     f"{bracket[-1]['per_second']}/s after")
        if with_profile:
            results["profile"] = {}
            for fresh, key in ((False, "logins"), (True, "logins_fresh_address")):
                progress(f"profile: py-spy on identity for {PROFILE_SECONDS:.0f} s of {key}")
                results["profile"][key] = profile.record(
                    platform.procs["identity"].pid, PROFILE_SECONDS, stacks / f"{key}.txt",
                    functools.partial(measure_logins, platform, gateway, users, fresh=fresh))
    finally:
        platform.stop_all()


def main(argv: list[str]) -> int:
    with_profile = "--profile" in argv
    started_at, started = datetime.now(UTC), time.perf_counter()
    results: dict[str, Any] = {"started_at": started_at.isoformat(), "machine": machine.describe()}
    print("\n".join(machine.lines(results["machine"])), flush=True)
    env = BenchEnv()
    results["namespace"] = env.namespace
    error = None
    try:
        run(env, results, with_profile, report.RESULTS / f"{report.stem(started_at)}-pyspy")
    except Exception as exc:
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
    finally:
        leftovers = env.cleanup()
    results |= {"error": error, "cleanup_leftovers": leftovers,
                "seconds": round(time.perf_counter() - started, 1),
                "verdict": report.verdict(results, TARGET)}
    print("\n".join(report.lines(results)), flush=True)
    path = report.write(results, started_at)
    print(f"\nwritten to {path}")
    unexpected = sum(results.get(phase, {}).get("unexpected", 0) for phase in report.LOADS)
    if error or leftovers or unexpected:
        print(f"FAILED: {error or ''} {leftovers or ''} {unexpected} unexpected answers", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
