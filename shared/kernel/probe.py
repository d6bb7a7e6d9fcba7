"""Kubernetes exec probe for a service process:

    python -m shared.kernel.probe <service> [--ready] [--max-age SECONDS]

Liveness (default): the runner's heartbeat is fresh — the process's event loop is turning,
even while it stops (a draining pod must not be killed by its liveness probe) — and the
process has not stopped.
Readiness (--ready): fresh *and* the service is running (started, not stopping).
Exit 0 healthy, 1 not. Cheap on purpose: it reads one small file (shared/kernel/health_file.py).
"""

from __future__ import annotations

import argparse
import sys
import time

from shared.kernel import health_file
from shared.kernel.config import Settings


def verdict(state: dict[str, object] | None, *, ready: bool, max_age: float, now: float) -> str | None:
    """None when healthy, else why not."""
    if state is None:
        return "no health file yet"
    age = now - float(state.get("at", 0))  # type: ignore[arg-type]
    if age > max_age:
        return f"heartbeat {age:.0f}s old"
    if state.get("state") == "stopped":
        return "stopped"
    if ready and state.get("state") != "running":
        return f"state {state.get('state')}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.kernel.probe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("service")
    parser.add_argument("--ready", action="store_true", help="readiness: running, not starting or stopping")
    parser.add_argument("--max-age", type=float, default=health_file.INTERVAL_SECONDS * 4,
                        help="oldest acceptable heartbeat, seconds (default %(default)s)")
    args = parser.parse_args(argv)
    path = health_file.health_path(Settings(service=args.service))
    problem = verdict(health_file.read(path), ready=args.ready, max_age=args.max_age, now=time.time())
    if problem is not None:
        print(f"{args.service}: {problem} ({path})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
