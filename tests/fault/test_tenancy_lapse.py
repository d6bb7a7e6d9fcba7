"""The lapse is emitted exactly once, by the clock, whatever happens to the processes
(AR-1, X-2): two tenancy replicas race their timers over the same ended period, and one of
them is killed with SIGKILL and restarted after the lapse."""

from __future__ import annotations

import signal
import time
import uuid
from datetime import timedelta

from shared.events.base import Envelope
from tests.support.processes import Platform, wait_until
from tests.support.tenancy import drain, new_business_paid, publish


def test_two_replicas_and_a_kill_still_lapse_once(platform: Platform) -> None:
    fast = {"LAPSE_CHECK_SECONDS": "0.3"}
    first = platform.start("tenancy", **fast)
    second = platform.start("tenancy", **fast)  # a competing replica: both timers see the end
    seen: dict[str, dict[str, object]] = {}

    def collect() -> list[dict[str, object]]:
        for body in drain(platform.settings, "archival"):
            seen[str(Envelope.model_validate(body).event_id)] = body
        return [b for b in seen.values() if b["type"] == "TenantLapsed"]

    try:
        tenant = uuid.uuid4()
        publish(platform.settings, new_business_paid(tenant, uuid.uuid4(), ends_in=timedelta(seconds=4)))
        wait_until(collect, timeout=30, what="the lapse")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        platform.start("tenancy", **fast)  # restarted: it finds the business already lapsed
        time.sleep(2)
        lapses = collect()
        assert len(lapses) == 1, lapses
        assert lapses[0]["payload"]["tenant_id"] == str(tenant)  # type: ignore[index]
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(15)
