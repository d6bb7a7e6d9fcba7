"""Many customers onboarding through the platform at once, as the fault tests drive them: each
signs up, orders and starts a payment before the faults (`prepare`); afterwards the checks
read what happened — payment states, TenantProvisioned in provisioning's store, the SMS each
number got (`payment_states`, `provisioned_counts`, `sms_by_receptor`, …)."""

from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import eventlet
import psycopg
import requests
from nameko.exceptions import RemoteError

from services.provisioning.domain import provisioning_id
from shared.kernel.config import Settings
from shared.kernel.store import postgres_dsn
from shared.kernel.subject_ids import stable_id
from tests.support.billing import NEW_ORDER
from tests.support.processes import Platform, e164, mobile_number, wait_until
from tools.ops.stores import open_store

PREP_CONCURRENCY = 10
# Seven processes share one PostgreSQL server (max_connections 100, maybe another test run too).
SMALL_POOLS = {"POSTGRES_POOL_SIZE": "2", "POSTGRES_MAX_OVERFLOW": "8"}
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
SUCCESS_SMS = ("verification_code.signup", "billing.payment_succeeded", "provisioning.tenant_provisioned")
REFUND_SMS = ("verification_code.signup", "billing.payment_failed", "billing.refund_scheduled",
              "billing.refund_completed")


@dataclass
class Onboarding:
    i: int
    outcome: str
    user_id: str = ""
    order_id: str = ""
    tenant_id: str = ""
    payment_id: str = ""
    redirect_url: str = ""
    callback_status: int | str | None = None  # what the browser saw coming back from the bank

    @property
    def mobile(self) -> str:
        return mobile_number(self.i)

    @property
    def e164(self) -> str:
        return e164(self.i)


# -- preparing users and orders (before the faults) -------------------------------------------
def _in_chunks(platform: Platform, items: list[Onboarding], work: Any) -> None:
    chunks = [items[k::PREP_CONCURRENCY] for k in range(PREP_CONCURRENCY)]

    def run(chunk: list[Onboarding]) -> None:
        with platform.rpc() as rpc:  # one proxy per green thread: a proxy is not shareable
            for each in chunk:
                work(rpc, each)

    list(eventlet.GreenPool(PREP_CONCURRENCY).imap(run, chunks))


def again_if_crowded(call: Any) -> Any:
    """Preparing is not under test: a call PostgreSQL refused a connection (another test run
    on the same server may hold many for a moment) is made again."""
    for attempt in range(20):
        try:
            answer = call()
        except RemoteError as refused:  # a service from before stores answered their outages
            if "too many clients" not in str(refused) or attempt == 19:
                raise
        else:
            # A store that refused the connection is answered "service_unavailable" (issue #20).
            if not (isinstance(answer, dict) and answer.get("error") == "service_unavailable") or attempt == 19:
                return answer
        eventlet.sleep(1)
    raise AssertionError("unreachable")


def _register(rpc: Any, each: Onboarding) -> None:
    answer = again_if_crowded(lambda: rpc.identity.register(each.mobile, "Str0ng!pass"))
    assert "ok" in answer or answer.get("error") == "mobile_already_registered", answer
    each.user_id = str(stable_id("user", each.e164, Settings(service="identity").subject_key_secret))


def _codes(platform: Platform, wanted: set[str]) -> dict[str, str]:
    sent = requests.get(f"{platform.sms_url}/_dev/messages", timeout=30).json()["messages"]
    codes = {}
    for message in sent:
        if message["receptor"] in wanted:
            digits = "".join(ch for ch in message["message"].split("\n")[0] if ch in "۰۱۲۳۴۵۶۷۸۹")
            codes[message["receptor"]] = digits.translate(PERSIAN)
    return codes


def _order(rpc: Any, each: Onboarding) -> None:
    body = NEW_ORDER | {"business_name": f"فروشگاه انفجار {each.i}", "products": ["accounting"]}
    order = again_if_crowded(lambda: rpc.billing.place_order(each.user_id, body, f"burst-order-{each.i}"))
    assert "ok" in order, order
    each.order_id, each.tenant_id = order["ok"]["order_id"], order["ok"]["tenant_id"]
    started = again_if_crowded(lambda: rpc.billing.start_payment(each.user_id, each.order_id, f"burst-pay-{each.i}"))
    assert "ok" in started, started
    each.payment_id, each.redirect_url = started["ok"]["payment_id"], started["ok"]["redirect_url"]


def prepare(platform: Platform, onboardings: list[Onboarding]) -> None:
    _in_chunks(platform, onboardings, _register)
    by_number = {each.e164: each for each in onboardings}
    codes = wait_until(lambda: (found := _codes(platform, set(by_number))) and len(found) == len(by_number)
                       and found, timeout=120, interval=1, what="every sign-up code")
    _in_chunks(platform, onboardings,
               lambda rpc, each: again_if_crowded(lambda: rpc.identity.verify(each.mobile, codes[each.e164]))["ok"])
    _in_chunks(platform, onboardings, _order)


# -- the faults ---------------------------------------------------------------------------------
def terminate_backends(settings: Settings) -> int:
    with psycopg.connect(postgres_dsn(settings, "postgres"), autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname LIKE %s AND pid <> pg_backend_pid()",
                            (f"{settings.postgres_db_prefix}%",)).fetchall()
    return sum(1 for (killed,) in rows if killed)


def restart_broker(platform: Platform) -> None:
    platform.drop_proxy()
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    time.sleep(2)
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True, timeout=120)


def start(platform: Platform, service: str, envs: dict[str, dict[str, str]]) -> None:
    """Start a service; again when PostgreSQL had no connection slot left for it (another test
    run on the same server may hold many for a moment)."""
    for attempt in range(5):
        try:
            platform.start(service, **SMALL_POOLS, **envs.get(service, {}))
            return
        except AssertionError as failed:
            if "too many clients" not in str(failed) or attempt == 4:
                raise
            time.sleep(3)


def answers_health(platform: Platform, service: str) -> bool:
    try:
        with platform.rpc() as rpc:
            return bool(getattr(rpc, service).health())
    except Exception:
        return False


# -- what happened --------------------------------------------------------------------------
def payment_states(platform: Platform, onboardings: list[Onboarding]) -> dict[str, str]:
    states = {}
    for each in onboardings:
        answer = platform.call("billing", "payment", None, each.payment_id)
        states[each.payment_id] = answer["ok"]["state"] if "ok" in answer else f"error {answer}"
    return states


def settled(platform: Platform, onboardings: list[Onboarding]) -> bool:
    want = {each.payment_id: "succeeded" if each.outcome == "success" else "refunded" for each in onboardings}
    try:
        return payment_states(platform, onboardings) == want
    except Exception:
        platform.drop_proxy()
        return False


def provisioned_counts(settings: Settings, onboardings: list[Onboarding]) -> dict[str, int]:
    store = open_store(replace(settings, service="provisioning"))
    try:
        counts = {}
        for each in onboardings:
            events = store.repository.event_store.get(provisioning_id(uuid.UUID(each.tenant_id)))
            counts[each.tenant_id] = sum(1 for e in events if type(e).__name__ == "TenantProvisioned")
        return counts
    finally:
        store.close()


def sms_by_receptor(platform: Platform) -> dict[str, list[dict[str, Any]]]:
    sent = requests.get(f"{platform.sms_url}/_dev/messages", timeout=30).json()["messages"]
    found: dict[str, list[dict[str, Any]]] = {}
    for message in sent:
        found.setdefault(message["receptor"], []).append(message)
    return found


def templates_recorded(platform: Platform, each: Onboarding) -> list[str]:
    return sorted(m["template"] for m in platform.call("notifications", "messages_to", each.mobile)["ok"])


def expected_templates(each: Onboarding) -> list[str]:
    return sorted(SUCCESS_SMS if each.outcome == "success" else REFUND_SMS)


def all_sms_in(platform: Platform, onboardings: list[Onboarding]) -> bool:
    got = sms_by_receptor(platform)
    return all(len(got.get(each.e164, [])) >= len(expected_templates(each)) for each in onboardings)
