"""Provisioning across real processes on the real broker (X-2): a process killed with
SIGKILL in the middle of provisioning finishes after restart with exactly one
TenantProvisioned; twenty identical PaymentSucceeded deliveries provision once."""

from __future__ import annotations

import time
import uuid

from tests.support.processes import Platform, wait_until
from tests.support.provisioning_orders import Listener, envelope, payment, publish


def distinct_ids(listener: Listener, event_type: str) -> set[str]:
    return {body["event_id"] for body in listener.of_type(event_type)}


def test_killed_mid_way_provisioning_finishes_after_restart_exactly_once(platform: Platform) -> None:
    platform.start("provisioning", PROVISIONING_PAUSE_AFTER_STEP="chart_seeded")
    listener = Listener(platform.settings, "provisioning.#")
    try:
        paid = payment(business_type="manufacturing", products=("accounting", "payroll", "fixed_assets"))
        delivery = envelope(paid)
        publish(platform.settings, delivery)
        wait_until(lambda: '"provisioning.paused"' in platform.log_text("provisioning"), what="the pause")
        platform.kill9("provisioning")  # books created and the chart seeded; eight steps to go
        time.sleep(0.5)
        assert distinct_ids(listener, "TenantProvisioned") == set()

        platform.start("provisioning")  # the unacked delivery comes back and the rest is done
        publish(platform.settings, delivery, envelope(paid))  # and duplicates, for good measure
        wait_until(lambda: distinct_ids(listener, "TenantProvisioned"), timeout=60, what="TenantProvisioned")
        view = platform.call("provisioning", "tenant", str(paid.tenant_id), None, ["support"])["ok"]
        assert view["state"] == "active" and view["pending"] == []
        assert view["chart"]["type"] == "manufacturing" and view["chart"]["accounts"] > 100
        assert {"payroll", "fixed_assets", "accounting"} <= {m["module"] for m in view["modules"]}
        time.sleep(1.5)  # a stray second announcement would have arrived by now
        assert len(distinct_ids(listener, "TenantProvisioned")) == 1
        assert len(distinct_ids(listener, "ModulesActivated")) == 1
        assert len(distinct_ids(listener, "BackupTaken")) == 1
    finally:
        listener.close()


def test_twenty_identical_payments_through_the_broker_provision_once(platform: Platform) -> None:
    platform.start("provisioning")
    listener = Listener(platform.settings, "provisioning.#")
    try:
        paid = payment(business_type="service")
        event_id = uuid.uuid4()
        publish(platform.settings, *[envelope(paid, event_id) for _ in range(20)])
        wait_until(lambda: distinct_ids(listener, "TenantProvisioned"), timeout=60, what="TenantProvisioned")
        time.sleep(1.5)
        assert len(distinct_ids(listener, "TenantProvisioned")) == 1
        assert len(distinct_ids(listener, "ModulesActivated")) == 1
        [body] = listener.of_type("TenantProvisioned")[:1]
        assert body["payload"]["seats"] == 3 and body["payload"]["chart_of_accounts"] == "service"
    finally:
        listener.close()
