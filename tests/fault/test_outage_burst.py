"""A broker or database outage in the middle of a burst of paid onboardings, as the paying
customers see it (issue #20; BI-3, X-2, X-3).

60 customers come back from the bank at 8 per second; after the first 20, RabbitMQ (or
PostgreSQL) goes away for 3 seconds. Every browser coming back — before, during and after the
outage — must land on the portal's payment page (a 303, never a 5xx or a JSON error); every
business must be whole (payment succeeded, tenant provisioned, its SMS sent) within two
minutes of the return; and nothing may happen twice. Billing's 10-minute inquiry is left as in
production, so only the gateway's hand-over of missed callbacks can settle them in time."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import eventlet
import pytest
import requests

from shared.events.catalog import SERVICES
from shared.kernel.deadletters import DeadLetters
from tests.support.network import free_port
from tests.support.onboardings import (
    Onboarding,
    all_sms_in,
    expected_templates,
    payment_states,
    prepare,
    provisioned_counts,
    sms_by_receptor,
    start,
    templates_recorded,
)
from tests.support.processes import Platform, wait_until

ONBOARDINGS = 60
PER_SECOND = 8.0
OUTAGE_AFTER = 20  # the outage starts once this many customers are on their way back
OUTAGE_SECONDS = 3.0
WHOLE_WITHIN_SECONDS = 120
# As in production: an event the store could not take is retried over ~36 s, outliving the outage.
PRODUCTION_RETRIES = {"INBOX_RETRY_DELAYS_MS": "1000,5000,30000"}


@dataclass
class BackFromTheBank:
    status: int | str
    location: str
    body: str


def back_from_the_bank(each: Onboarding) -> BackFromTheBank:
    at_bank = requests.post(each.redirect_url, data={"outcome": "success"}, allow_redirects=False, timeout=30)
    assert at_bank.status_code == 303, at_bank.text
    try:
        landed = requests.get(at_bank.headers["Location"], headers={"Accept": "text/html"},
                              allow_redirects=False, timeout=60)
    except requests.RequestException as failed:
        return BackFromTheBank(type(failed).__name__, "", "")
    return BackFromTheBank(landed.status_code, landed.headers.get("Location", ""), landed.text[:300])


def stop_broker() -> Callable[[], None]:
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)

    def back() -> None:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
        subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True, timeout=120)

    return back


def stop_postgres() -> Callable[[], None]:
    (version,) = [p.name for p in Path("/etc/postgresql").iterdir()]
    cluster = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
    subprocess.run([*cluster, "stop", "-m", "fast"], check=True, capture_output=True, timeout=120)

    def back() -> None:
        subprocess.run([*cluster, "start"], check=True, capture_output=True, timeout=120)

    return back


def burst_with_outage(platform: Platform, onboardings: list[Onboarding],
                      outage: Callable[[], Callable[[], None]]) -> tuple[dict[int, BackFromTheBank], float]:
    """The customers come back at PER_SECOND; the outage runs beside them. Returns what each
    browser saw, and when (monotonic) the outage ended."""
    seen: dict[int, BackFromTheBank] = {}
    ended: list[float] = []
    begun = time.monotonic()

    def customer(each: Onboarding) -> None:
        eventlet.sleep(max(0.0, begun + each.i / PER_SECOND - time.monotonic()))
        seen[each.i] = back_from_the_bank(each)

    def the_outage() -> None:
        eventlet.sleep(OUTAGE_AFTER / PER_SECOND)
        platform.drop_proxy()
        restore = outage()
        try:
            eventlet.sleep(OUTAGE_SECONDS)
        finally:
            restore()
            ended.append(time.monotonic())

    outage_thread = eventlet.spawn(the_outage)
    list(eventlet.GreenPool(len(onboardings)).imap(customer, onboardings))
    outage_thread.wait()
    return seen, ended[0]


def whole(platform: Platform, onboardings: list[Onboarding]) -> bool:
    try:
        states = payment_states(platform, onboardings)
    except Exception:  # the test's own proxy may still be reconnecting
        platform.drop_proxy()
        return False
    return (set(states.values()) == {"succeeded"}
            and all(provisioned_counts(platform.settings, onboardings).values())
            and all_sms_in(platform, onboardings))


def run(platform: Platform, outage: Callable[[], Callable[[], None]], name: str) -> None:
    address = f"127.0.0.1:{free_port()}"
    envs = {service: dict(PRODUCTION_RETRIES) for service in SERVICES}
    envs["billing"] |= {"PUBLIC_BASE_URL": f"http://{address}"}  # the 10-minute inquiry stays
    envs["gateway"] = {"WEB_SERVER_ADDRESS": address}
    for service in (*SERVICES, "gateway"):
        start(platform, service, envs)
    onboardings = [Onboarding(i, "success") for i in range(ONBOARDINGS)]
    prepare(platform, onboardings)

    seen, outage_ended = burst_with_outage(platform, onboardings, outage)
    try:
        wait_until(lambda: whole(platform, onboardings), timeout=WHOLE_WITHIN_SECONDS, interval=2,
                   what=f"every business whole within {WHOLE_WITHIN_SECONDS} s of the {name}'s return")
    except AssertionError as late:
        states = payment_states(platform, onboardings)
        provisioned = provisioned_counts(platform.settings, onboardings)
        raise AssertionError(f"{late}; not succeeded: {[p for p, s in states.items() if s != 'succeeded']}; "
                             f"not provisioned: {[t for t, n in provisioned.items() if n != 1]}") from None
    whole_after = time.monotonic() - outage_ended
    time.sleep(2)  # a stray duplicate would have arrived by now

    not_on_portal = {i: back for i, back in seen.items()
                     if back.status != 303 or back.location != f"/#/payments/{onboardings[i].payment_id}"
                     or back.body}
    provisioned = provisioned_counts(platform.settings, onboardings)
    sms = sms_by_receptor(platform)
    wrong_sms = {each.i: (templates_recorded(platform, each), len(sms.get(each.e164, []))) for each in onboardings
                 if templates_recorded(platform, each) != expected_templates(each)
                 or len(sms.get(each.e164, [])) != len(expected_templates(each))}
    bank = requests.get(f"{platform.payment_sandbox_url}/_dev/transactions", timeout=30).json()["data"]
    dead = {service: [letter.reason for letter in DeadLetters(platform.settings, service).list()]
            for service in SERVICES}
    summary = {"outage": name, "onboardings": len(onboardings), "whole_seconds_after_return": round(whole_after, 1),
               "callbacks_not_on_portal": len(not_on_portal),
               "handed_over_log_lines": platform.log_text("gateway").count('"gateway.missed_callbacks"'),
               "degraded_log_lines": {s: platform.log_text(s).count('"degraded"') for s in SERVICES}}
    print(f"\noutage burst: {json.dumps(summary)}")

    assert not not_on_portal, not_on_portal
    assert set(provisioned.values()) == {1}, {t: n for t, n in provisioned.items() if n != 1}
    assert not wrong_sms, wrong_sms
    assert not any(tx["refunded"] for tx in bank)  # no payment was mistaken for a failure
    assert not any(dead.values()), dead
    exited = {service: proc.returncode for service, proc in platform.procs.items() if proc.poll() is not None}
    assert not exited, f"processes died on their own: {exited}"


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
@pytest.mark.timeout(600)
def test_a_broker_restart_mid_burst_leaves_every_customer_on_the_portal_and_every_business_whole(
        platform: Platform) -> None:
    run(platform, stop_broker, "broker")


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
@pytest.mark.timeout(600)
def test_a_database_restart_mid_burst_leaves_every_customer_on_the_portal_and_every_business_whole(
        platform: Platform) -> None:
    run(platform, stop_postgres, "database")
