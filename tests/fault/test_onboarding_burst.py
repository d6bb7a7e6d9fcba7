"""A burst of onboardings under every fault at once (X-2, BI-2, NO-1, issue #8): while
BURST_ONBOARDINGS customers (200 by default) pay in the sandbox — most succeed, every tenth
is captured and then fails verification, so its money must go back — each service (and the
gateway, which carries the bank's callbacks) is killed with SIGKILL and restarted in turn,
the PostgreSQL backends of the test's databases are terminated once and RabbitMQ is
restarted once. The payments are spread over the faults (the i-th waits for its share of
them), so each fault lands mid-burst; a callback lost to a fault is settled by the reconciler.

Afterwards: every paid business provisioned exactly once (TenantProvisioned in provisioning's
store), every captured failure refunded (in billing, and at the bank: exactly those
transactions reversed), every SMS sent once (each number's record holds each expected notice
once, and the provider received exactly that many messages; a repeat ask with the same localid,
which the provider refuses, is counted), no dead letter in any service's `.dead` queue, and no
process dead on its own. The counts are printed and written to the test's log directory
(burst-summary.json). BURST_ONBOARDINGS and BURST_FAULTS (comma-separated: service names,
"postgres", "rabbitmq") change the load and the plan while developing."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field

import eventlet
import pytest
import requests

from shared.events.catalog import SERVICES
from shared.kernel.deadletters import DeadLetters
from tests.support.network import free_port
from tests.support.onboardings import (
    Onboarding,
    all_sms_in,
    answers_health,
    expected_templates,
    payment_states,
    prepare,
    provisioned_counts,
    restart_broker,
    settled,
    sms_by_receptor,
    start,
    templates_recorded,
    terminate_backends,
)
from tests.support.processes import Platform, wait_until

ONBOARDINGS = int(os.environ.get("BURST_ONBOARDINGS", "200"))
REFUND_EVERY = 10  # every tenth payment is captured by the bank and then fails verification
PAY_CONCURRENCY = 6
FAULT_GAP_SECONDS = 2.0  # between one fault's recovery and the next fault


@dataclass
class Faults:
    done: list[str] = field(default_factory=list)
    took: dict[str, float] = field(default_factory=dict)


# -- the burst: the customers' browsers at the bank -------------------------------------------
def pay(each: Onboarding) -> None:
    """The browser submits the sandbox's page and follows the 303 to our callback (through the
    gateway). A callback lost to a fault is left lost: the reconciler asks the bank."""
    at_bank = requests.post(each.redirect_url, data={"outcome": each.outcome}, allow_redirects=False, timeout=30)
    assert at_bank.status_code == 303, at_bank.text
    try:
        back = requests.get(at_bank.headers["Location"], allow_redirects=False, timeout=30,
                            headers={"Accept": "application/json"})
        each.callback_status = back.status_code
    except requests.RequestException as exc:
        each.callback_status = type(exc).__name__


def run_faults(platform: Platform, envs: dict[str, dict[str, str]], faults: Faults,
               plan: list[str]) -> None:
    for fault in plan:
        started = time.monotonic()
        if fault == "postgres":
            killed = terminate_backends(platform.settings)
            faults.done.append(f"postgres: {killed} backends terminated")
        elif fault == "rabbitmq":
            restart_broker(platform)
            for service in SERVICES:
                wait_until(lambda s=service: answers_health(platform, s), timeout=90, interval=1,
                           what=f"{service} to answer after the broker restart")
            faults.done.append("rabbitmq: restarted")
        else:
            platform.kill9(fault)
            start(platform, fault, envs)
            faults.done.append(f"{fault}: kill -9 and restart")
        faults.took[fault] = round(time.monotonic() - started, 1)
        time.sleep(FAULT_GAP_SECONDS)


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
@pytest.mark.timeout(900)
def test_a_burst_of_onboardings_survives_every_fault(platform: Platform) -> None:
    began = time.monotonic()
    address = f"127.0.0.1:{free_port()}"
    envs = {
        "billing": {"PUBLIC_BASE_URL": f"http://{address}", "BILLING_RECONCILE_SECONDS": "0.5",
                    "PAYMENT_INQUIRY_AFTER_SECONDS": "0", "REFUND_RETRY_BASE_SECONDS": "1"},
        "gateway": {"WEB_SERVER_ADDRESS": address},
    }
    for service in (*SERVICES, "gateway"):
        start(platform, service, envs)
    onboardings = [Onboarding(i, "captured_then_fail" if i % REFUND_EVERY == REFUND_EVERY - 1 else "success")
                   for i in range(ONBOARDINGS)]
    prepare(platform, onboardings)
    prepared = time.monotonic()

    faults = Faults()
    plan = os.environ.get("BURST_FAULTS", "identity,billing,provisioning,postgres,tenancy,notifications,"
                          "rabbitmq,archival,gateway").split(",")
    plan = [fault for fault in plan if fault]
    fault_thread = eventlet.spawn(run_faults, platform, envs, faults, plan)

    def pay_in_step(each: Onboarding) -> None:
        # Spread the payments over the whole fault plan, whatever the machine's speed: the
        # i-th waits for its share of the faults to be done, so every fault lands mid-burst.
        wait_until(lambda: len(faults.done) >= each.i * len(plan) // len(onboardings) or fault_thread.dead,
                   timeout=300, interval=0.2, what="the faults to move on")
        pay(each)

    list(eventlet.GreenPool(PAY_CONCURRENCY).imap(pay_in_step, onboardings))
    paid = time.monotonic()
    fault_thread.wait()
    faulted = time.monotonic()

    wait_until(lambda: settled(platform, onboardings), timeout=180, interval=2,
               what="every payment to succeed or be refunded")
    paid_ones = [each for each in onboardings if each.outcome == "success"]
    wait_until(lambda: all(provisioned_counts(platform.settings, paid_ones).values()), timeout=180, interval=2,
               what="every paid business to be provisioned")
    wait_until(lambda: all_sms_in(platform, onboardings), timeout=120, interval=2, what="every SMS")
    time.sleep(2)  # a stray duplicate would have arrived by now
    drained = time.monotonic()

    provisioned = provisioned_counts(platform.settings, paid_ones)
    states = Counter(payment_states(platform, onboardings).values())
    sms = sms_by_receptor(platform)
    recorded = {each.i: templates_recorded(platform, each) for each in onboardings}
    dead = {service: DeadLetters(platform.settings, service).list() for service in SERVICES}
    bank = requests.get(f"{platform.payment_sandbox_url}/_dev/transactions", timeout=30).json()["data"]
    refund_calls = Counter(r["body"].get("authority") or (r["body"].get("variables") or {}).get("session_id")
                           for r in requests.get(f"{platform.payment_sandbox_url}/_dev/requests", timeout=30)
                           .json()["data"] if r["method"] in ("reverse", "graphql"))
    summary = {
        "onboardings": len(onboardings),
        "paid": len(paid_ones),
        "captured_then_failed": len(onboardings) - len(paid_ones),
        "payment_states": dict(states),
        "provisioned_once": sum(1 for n in provisioned.values() if n == 1),
        "provisioned_twice_or_more": sum(1 for n in provisioned.values() if n > 1),
        "refunded_at_bank": sum(1 for tx in bank if tx["refunded"]),
        "refund_requests_to_bank": sum(refund_calls.values()),
        "sms_sent": sum(len(found) for found in sms.values()),
        "sms_asked_again_refused_by_localid": sum(m["requests"] - 1 for found in sms.values() for m in found),
        "callbacks_lost": sum(1 for each in onboardings if not isinstance(each.callback_status, int)
                              or each.callback_status >= 400),
        # What the faults made the platform do (from the processes' logs):
        "logged": {line: sum(platform.log_text(service).count(f'"{line}"') for service in SERVICES)
                   for line in ("inbox.retry_scheduled", "inbox.duplicate", "relay.store_unavailable",
                                "relay.publish_failed", "amqp.settle_lost", "billing.reconciled")},
        "dead_letters": {service: [letter.reason for letter in letters] for service, letters in dead.items()
                         if letters},
        "faults": faults.done,
        "fault_seconds": faults.took,
        "kills": sum(1 for f in faults.done if "kill -9" in f),
        "seconds": {"prepare": round(prepared - began, 1), "payments": round(paid - prepared, 1),
                    "faults": round(faulted - prepared, 1), "drain": round(drained - faulted, 1),
                    "total": round(drained - began, 1)},
    }
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    print(f"\nonboarding burst: {text}")
    (platform.logs / "burst-summary.json").write_text(text)

    assert len(faults.done) == len(plan)
    exited = {service: proc.returncode for service, proc in platform.procs.items() if proc.poll() is not None}
    assert not exited, f"processes died on their own: {exited}"
    assert states == Counter({"succeeded": len(paid_ones), "refunded": len(onboardings) - len(paid_ones)})
    assert set(provisioned.values()) == {1}, {t: n for t, n in provisioned.items() if n != 1}
    refunded_at_bank = {tx["authority"] for tx in bank if tx["refunded"]}
    failing = {each.redirect_url.rsplit("/", 1)[1] for each in onboardings if each.outcome != "success"}
    assert refunded_at_bank == failing
    wrong = {each.i: (recorded[each.i], len(sms.get(each.e164, []))) for each in onboardings
             if recorded[each.i] != expected_templates(each) or len(sms.get(each.e164, [])) != len(recorded[each.i])}
    assert not wrong, wrong
    assert not summary["dead_letters"], summary["dead_letters"]
