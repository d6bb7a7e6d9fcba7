"""Billing test helpers: an in-memory payment gateway that answers as Zarinpal documents
(the one unit tests use), the payment sandbox served in this process with an application
wired to it (integration tests), the customer's trip through the bank and back to the
callback for either, and a signed-in customer of the running platform (``Client``)."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import requests
from werkzeug.serving import make_server

from services.billing import jose
from services.billing.application import BillingApplication
from services.billing.catalog import Catalog
from services.billing.gateway import ALREADY_VERIFIED, AMOUNT_MISMATCH, NOT_PAID, PAID, Verdict
from services.billing.moadian import MoadianClient, Status, Submitted, TaxSystemUnavailable, VendorKey
from services.billing.tax_invoice_rules import CANCELLING
from services.billing.tax_invoices import Vendor
from services.billing.translations import translate
from services.billing.zarinpal import (
    ASK_AGAIN,
    MISCONFIGURED,
    SMALLEST_REFUND_RIALS,
    GatewayUnavailable,
    RefundRefused,
    ZarinpalClient,
)
from shared.kernel.clock import PlatformClock
from shared.kernel.config import REPO_ROOT, Settings
from shared.kernel.store import Cause
from shared.kernel.tokens import development_signing_keys, issue_access_token
from tests.support.memory import in_memory
from tests.support.network import free_port
from tests.support.processes import answers, wait_until
from tools import tax_sandbox

if TYPE_CHECKING:
    from tests.support.processes import Platform

MERCHANT = "11111111-2222-3333-4444-555555555555"
CAUSE = Cause("test")
NEW_ORDER = {"business_name": "کافه نارنج", "business_type": "trading", "products": ["accounting", "payroll"],
             "period_months": 12}
HTTP_ORDER = {"business_name": "کافه نارنج", "business_type": "trading", "products": ["accounting"],
              "period_months": "۱۲"}
TIMINGS: dict[str, Any] = {"inquiry_after": timedelta(0), "give_up_after": timedelta(hours=1),
                           "refund_retry_base": timedelta(seconds=30)}



def user() -> uuid.UUID:
    return uuid.uuid4()


# -- the in-memory gateway ---------------------------------------------------------------------


@dataclass
class Transaction:
    authority: str
    amount: int
    session_id: str
    status: str = "NEW"  # ours until the customer is at the bank (inquiry says IN_BANK)
    paid_amount: int | None = None
    captured: bool = False
    verify_fails: bool = False
    ref_id: str | None = None
    refunded: bool = False  # given back by AddRefund: inquiry still says VERIFIED


class FakeGateway:
    """services.billing.gateway.PaymentGateway in memory, answering what ZarinpalClient reads
    from Zarinpal (and tools/payment_sandbox.py serves): inquiry's statuses, verify's codes (100,
    101, -50, -51, -52; the codes that say nothing raise GatewayUnavailable), a reverse within
    its window, else AddRefund by the bank's reference, never twice, refused under 20,000 rials."""

    START_PAY = "https://bank.test/pg/StartPay/"

    def __init__(self) -> None:
        self.transactions: dict[str, Transaction] = {}
        self.calls: list[tuple[str, str]] = []  # (method, authority): what billing asked
        self.unavailable = False  # every call: no usable answer
        self.refund_outage = False  # reverse and the refund API: no usable answer
        self.reverse_window_open = True  # False: more than 30 minutes after capture (-63)
        self.reverse_ip_registered = True  # False: -62
        self.verify_code: int | None = None  # verify refuses with this code
        self.refund_refused = False  # AddRefund refuses

    # -- what billing calls ------------------------------------------------------------------
    def request(self, amount_rials: int, callback_url: str, description: str, order_id: str) -> tuple[str, str]:
        self._answer("request", "")
        if amount_rials < 1000 or not callback_url:
            raise GatewayUnavailable("request refused: -9 The input params invalid, validation error.")
        authority = f"A{len(self.transactions) + 1:035d}"
        self.transactions[authority] = Transaction(authority, amount_rials, str(380_000_000 + len(self.transactions)))
        return authority, f"{self.START_PAY}{authority}"

    def inquiry(self, authority: str) -> str:
        tx = self._transaction("inquiry", authority)
        return "IN_BANK" if tx.status == "NEW" else tx.status

    def verify(self, authority: str, amount_rials: int) -> Verdict:
        tx = self._transaction("verify", authority)
        if self.verify_code is not None:
            if self.verify_code in ASK_AGAIN | MISCONFIGURED:
                raise GatewayUnavailable(f"verify answered {self.verify_code}")
            return Verdict(self.verify_code, None, "simulated refusal")
        if tx.status not in ("PAID", "VERIFIED"):
            return Verdict(NOT_PAID, None, "Session is not valid, session is not active paid try.")
        if amount_rials != tx.paid_amount:
            return Verdict(AMOUNT_MISMATCH, None, "Session is not valid, amounts values is not the same.")
        if tx.verify_fails:
            return Verdict(-52, None, "Oops!! please contact support team")
        code = ALREADY_VERIFIED if tx.status == "VERIFIED" else PAID
        tx.status, tx.ref_id = "VERIFIED", tx.ref_id or str(200_000 + int(authority[1:]))
        return Verdict(code, tx.ref_id, "Paid", card_pan="502229******5995", card_hash="F" * 64,
                       fee=max(1000, tx.amount // 100), fee_type="Merchant")

    def refund(self, authority: str, ref_id: str | None, amount_rials: int, description: str) -> str:
        tx = self._transaction("refund", authority)
        if tx.status == "REVERSED":
            return "reversed"
        if self.refund_outage:
            raise GatewayUnavailable("HTTP 503")
        if tx.captured and not tx.refunded and self.reverse_ip_registered and self.reverse_window_open:
            tx.status, tx.refunded = "REVERSED", True
            self.calls.append(("reverse", authority))
            return "reversed"
        if not ref_id:
            raise RefundRefused("never verified and past the reverse window: no transaction number to refund by API")
        if amount_rials < SMALLEST_REFUND_RIALS:
            raise RefundRefused(f"AddRefund refuses less than {SMALLEST_REFUND_RIALS} rials")
        session = next((t for t in self.transactions.values() if t.ref_id == ref_id), None)
        if session is None:
            raise RefundRefused(f"no transaction with reference {ref_id}")
        if session.refunded:
            return f"refund-{session.session_id}"
        if self.refund_refused or amount_rials > session.amount or not session.captured:
            raise RefundRefused("AddRefund refused: simulated refusal")
        session.refunded = True
        self.calls.append(("add_refund", authority))
        return f"refund-{session.session_id}"

    # -- the customer at the bank (the StartPay page) ----------------------------------------
    def pay(self, redirect_url: str, outcome: str, paid_amount: str | None = None) -> tuple[str, str] | None:
        """The bank's answer to the customer: (Authority, Status) of the callback it sends the
        browser to, or None when the bank is still busy (``timeout``; ``settle`` finishes it)."""
        tx = self.transactions[redirect_url.removeprefix(self.START_PAY)]
        assert tx.status == "NEW", "this payment was already attempted"
        tx.paid_amount = int(paid_amount) if paid_amount else tx.amount
        if outcome == "timeout":
            tx.status = "IN_BANK"
            return None
        if outcome == "cancel":
            tx.status = "FAILED"
            return tx.authority, "NOK"
        assert outcome in ("success", "captured_then_fail"), outcome
        tx.status, tx.captured, tx.verify_fails = "PAID", True, outcome == "captured_then_fail"
        return tx.authority, "OK"

    def settle(self, authority: str) -> None:
        """The bank finishes a payment it was still busy with: the money is captured."""
        tx = self.transactions[authority]
        assert tx.status == "IN_BANK"
        tx.status, tx.captured = "PAID", True

    def asked(self, method: str, authority: str) -> int:
        return self.calls.count((method, authority))

    def _answer(self, method: str, authority: str) -> None:
        self.calls.append((method, authority))
        if self.unavailable:
            raise GatewayUnavailable("connection refused")

    def _transaction(self, method: str, authority: str) -> Transaction:
        self._answer(method, authority)
        tx = self.transactions.get(authority)
        if tx is None:
            raise GatewayUnavailable("-54 Invalid authority.")  # ZarinpalClient: a configuration error
        return tx


class FakeTaxSystem:
    """services.billing.moadian.TaxSystem in memory, answering as tools/tax_sandbox.py does:
    a receipt per uid (the same uid: the same receipt), PENDING for ``late`` inquiries, then
    SUCCESS or FAILED with ``reject_with``; a cancelling invoice whose original is not accepted
    fails with 0306; ``down`` raises TaxSystemUnavailable (no answer)."""

    def __init__(self, late: int = 1) -> None:
        self.late, self.down = late, False
        self.reject_with: dict[str, str] | None = None
        self.invoices: dict[str, dict[str, Any]] = {}  # by reference
        self.sends = 0

    def _check(self) -> None:
        if self.down:
            raise TaxSystemUnavailable("tax system down (test)")

    def send(self, invoices: Any) -> list[Submitted]:
        self._check()
        receipts = []
        for uid, payload in invoices:
            self.sends += 1
            known = next((r for r, i in self.invoices.items() if i["uid"] == uid), None)
            if known is None:
                known = f"ref-{len(self.invoices) + 1}"
                header = payload["header"]
                errors = [dict(self.reject_with)] if self.reject_with else []
                if header["ins"] == CANCELLING and not any(
                        i["payload"]["header"]["taxid"] == header["irtaxid"] and i["status"] == "SUCCESS"
                        for i in self.invoices.values()):
                    errors.append({"code": "0306", "message": "reference invoice not accepted"})
                self.invoices[known] = {"uid": uid, "payload": payload, "errors": errors, "asked": 0,
                                        "status": "PENDING"}
            receipts.append(Submitted(uid=uid, reference=known))
        return receipts

    def _status(self, reference: str) -> Status:
        record = self.invoices[reference]
        record["asked"] += 1
        if record["asked"] > self.late:
            record["status"] = "FAILED" if record["errors"] else "SUCCESS"
        return Status(uid=record["uid"], reference=reference, status=record["status"],
                      errors=record["errors"] if record["status"] == "FAILED" else [])

    def by_reference(self, references: Any) -> list[Status]:
        self._check()
        return [self._status(r) for r in references if r in self.invoices]

    def by_uid(self, uids: Any) -> list[Status]:
        self._check()
        return [self._status(r) for r, i in self.invoices.items() if i["uid"] in uids]


VENDOR = Vendor(memory_id="A1B2C3", seller_tin="14100000004")


def memory_app(gateway: FakeGateway | None = None, *, clock: PlatformClock | None = None,
               catalog: Catalog | None = None, tax_system: FakeTaxSystem | None = None,
               **timings: Any) -> BillingApplication:
    """Billing in memory (POPO store, in-memory keys) paying through ``gateway`` and
    registering invoices with ``tax_system``."""
    return in_memory(BillingApplication, "billing", clock=clock, catalog=catalog or Catalog.from_env({}),
                     gateway=gateway or FakeGateway(), public_base_url="http://portal.test",
                     tax_system=tax_system or FakeTaxSystem(), vendor=VENDOR,
                     **(TIMINGS | timings))


# -- the sandbox over HTTP ---------------------------------------------------------------------


@contextmanager
def served(application: Any) -> Iterator[str]:
    """A sandbox's WSGI application in this process, its faults reset; its base URL."""
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    requests.post(f"{url}/_dev/faults", json={}, timeout=5).raise_for_status()  # in-process: reset any test's faults
    try:
        yield url
    finally:
        server.shutdown()


@contextmanager
def sandbox_server() -> Iterator[str]:
    """The payment sandbox in a process of its own, as the platform runs it: served in the test's
    process it shared eventlet's hub with the client, and one call in some hundreds hung until its
    timeout (a CI failure twice). Its faults are reset on start; its base URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tools.payment_sandbox", f"127.0.0.1:{port}"], cwd=REPO_ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(f"{url}/health"), timeout=20, what="tools.payment_sandbox")
        yield url
    finally:
        process.terminate()
        process.wait(10)



def sandbox_client(sandbox_url: str, **options: Any) -> ZarinpalClient:
    defaults: dict[str, Any] = {"access_token": "t", "timeout": 5, "retries": 0, "terminal_id": "sandbox",
                                "graphql_url": f"{sandbox_url}/api/v4/graphql/"}
    return ZarinpalClient(sandbox_url, MERCHANT, **(defaults | options))


def billing_app(settings: Settings, sandbox_url: str, **overrides: Any) -> BillingApplication:
    return BillingApplication(settings, catalog=Catalog.from_env({}), gateway=sandbox_client(sandbox_url),
                              public_base_url="http://portal.test", tax_system=FakeTaxSystem(), vendor=VENDOR,
                              **(TIMINGS | overrides))


def pay_at_sandbox(redirect_url: str, outcome: str, **form: str) -> tuple[str, str] | None:
    """Submit the sandbox's pay page; the (Authority, Status) of the callback it redirects
    to, or None when no callback comes (timeout)."""
    answer = requests.post(redirect_url, data={"outcome": outcome, **form}, allow_redirects=False, timeout=10)
    if answer.status_code != 303:
        assert answer.status_code == 202, answer.text
        return None
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    return query["Authority"][0], query["Status"][0]


# -- a payment's life, whichever gateway the application has ----------------------------------


def at_the_bank(app: BillingApplication, redirect_url: str, outcome: str, **form: str) -> tuple[str, str] | None:
    if isinstance(app.gateway, FakeGateway):
        return app.gateway.pay(redirect_url, outcome, form.get("paid_amount"))
    return pay_at_sandbox(redirect_url, outcome, **form)


def start(app: BillingApplication, customer: uuid.UUID | None = None, body: dict[str, Any] | None = None
          ) -> tuple[uuid.UUID, str, dict[str, Any]]:
    customer = customer or uuid.uuid4()
    order_id = app.place_order(customer, body or NEW_ORDER, None, CAUSE)["order_id"]
    return customer, order_id, app.start_payment(customer, order_id, None, CAUSE)


def published(app: BillingApplication, payment_id: str) -> list[Any]:
    """The integration events the relay would publish for an aggregate."""
    events = [translate(e) for e in app.repository.event_store.get(uuid.UUID(payment_id))]
    return [e for e in events if e is not None]


def later(app: BillingApplication, delta: timedelta) -> None:
    app.clock.set_offset(app.clock.offset_seconds + int(delta.total_seconds()))


def callback(app: BillingApplication, payment_id: str, redirect: str, outcome: str, **form: str) -> dict[str, Any]:
    back = at_the_bank(app, redirect, outcome, **form)
    assert back is not None
    return app.settlement.payment_callback(payment_id, back[0], back[1], CAUSE)


def late_success(app: BillingApplication) -> str:
    """A payment we gave up on whose money arrived after all: the next reconcile verifies it
    (the bank's reference is kept) and schedules its refund."""
    _, _, started = start(app)
    fake = app.gateway if isinstance(app.gateway, FakeGateway) else None
    assert at_the_bank(app, started["redirect_url"], "timeout", settle_after="0.2") is None
    later(app, timedelta(hours=2))
    assert app.settlement.reconcile(CAUSE)["gave_up"] == 1
    if fake is not None:
        fake.settle(app.repository.get(uuid.UUID(started["payment_id"])).authority)
    else:
        time.sleep(0.3)
    later(app, timedelta(minutes=10))
    return str(started["payment_id"])


# -- a customer of the running platform (integration and fault tests over HTTP) ----------------


class Client:
    """A signed-in customer: registered through identity (so notifications can text them)."""

    def __init__(self, gateway: str, platform: Platform, roles: tuple[str, ...] = ()) -> None:
        self.gateway = gateway
        self.mobile = f"+98912{random.randrange(10**7):07d}"
        answer = requests.post(f"{gateway}/identity/registrations",
                               json={"mobile": self.mobile, "password": "Str0ng!pass", "locale": "fa"}, timeout=30)
        assert answer.status_code == 202, answer.text
        self.user_id = answer.json()["user_id"]
        self.private_key = development_signing_keys(platform.settings.var_dir / "keys")[0]
        self.roles = list(roles)
        self.clock_offset = 0  # seconds the platform clock was moved: tokens are dated by it

    @property
    def headers(self) -> dict[str, str]:
        now = datetime.now(UTC) + timedelta(seconds=self.clock_offset)
        return {"Authorization": f"Bearer {issue_access_token(self.private_key, self.user_id, self.roles, now)}"}

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> requests.Response:
        return requests.request(method, f"{self.gateway}{path}", json=body, headers=self.headers | headers, timeout=30)

    def order_and_pay(self) -> dict[str, Any]:
        order = self.send("POST", "/billing/orders", HTTP_ORDER)
        assert order.status_code == 201, order.text
        payment = self.send("POST", f"/billing/orders/{order.json()['order_id']}/payments")
        assert payment.status_code == 201, payment.text
        return dict(payment.json())

    def payment(self, payment_id: str) -> dict[str, Any]:
        answer = self.send("GET", f"/billing/payments/{payment_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def sms_templates(self) -> list[str]:
        answer = requests.get(f"{self.gateway}/notifications/messages", params={"to": self.mobile}, timeout=10)
        return [m["template"] for m in answer.json()["messages"]]


# -- the taxpayer system's sandbox over HTTP (issue #19) ----------------------------------------


@contextmanager
def tax_sandbox_server() -> Iterator[str]:
    """tools/tax_sandbox.py in this process; the API's base URL. Faults reset for each test."""
    with served(tax_sandbox.application) as url:
        yield url + tax_sandbox.PREFIX


def tax_client(base_url: str, memory_id: str = VENDOR.memory_id, key: VendorKey | None = None) -> MoadianClient:
    if key is None:
        private = jose.new_key()
        key = VendorKey(private, jose.self_signed(private, "test vendor", datetime.now(UTC)))
    return MoadianClient(base_url, memory_id, key, timeout=5)
