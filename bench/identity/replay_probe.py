"""How long loading a ClientAddress takes as its history grows (what every login and every
code request does first): in-process, SQLite in a temporary directory, no broker.

    PYTHONPATH=. .venv/bin/python -m bench.identity.replay_probe
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # services import nameko

import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from services.identity.application import IdentityApplication  # noqa: E402
from services.identity.domain import ClientAddress  # noqa: E402
from services.identity.service import build_application  # noqa: E402
from shared.kernel.config import Settings  # noqa: E402
from shared.kernel.store import Cause  # noqa: E402

# (code requests, apart by): 1 s apart is the bench (every sign-up from 127.0.0.1, cap lifted);
# 2 min apart is an address at the default cap of 30 an hour (a busy NAT), for 10 h or 100 h.
CASES = ((30, timedelta(seconds=1)), (300, timedelta(seconds=1)), (1000, timedelta(seconds=1)),
         (300, timedelta(minutes=2)), (3000, timedelta(minutes=2)))


def load_ms(app: IdentityApplication, requests: int, apart: timedelta) -> float:
    client = ClientAddress(address_id=uuid.uuid4(), window_ends_at=datetime(2100, 1, 1, tzinfo=UTC))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(requests):
        client.request_code(start + i * apart, limit=10**9)
        if i % 500 == 499:
            app.save_caused(client, cause=Cause.new_request())
    app.save_caused(client, cause=Cause.new_request())
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        app.repository.get(client.id)
        best = min(best, time.perf_counter() - began)
    return best * 1000


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-identity-probe-"))
    try:
        app = build_application(Settings(service="identity", var_dir=root, event_store="sqlite"))
        for requests, apart in CASES:
            print(f"{requests:>5} code requests {apart!s:>8} apart: {load_ms(app, requests, apart):8.1f} ms "
                  "to load the address")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
