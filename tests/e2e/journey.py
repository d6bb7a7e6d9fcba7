"""Driving the whole platform as its customers do: every service in its own process behind
the gateway, the development SMS provider as their phones, the payment sandbox as their bank.
Nothing here reaches into a service: people sign up, read their SMS, log in, order, pay,
and look at what the gateway answers."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import eventlet
import requests
from openpyxl import load_workbook

from tests.support.network import free_port
from tests.support.processes import Platform, wait_until

PASSWORD = "Str0ng!pass"
PERSIAN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
WAIT = 60  # seconds: the machine is slow and may be shared with another test run

# Each service as `make run` starts it, with the test knobs its own tests use: billing settles
# and refunds at once; tenancy, archival and provisioning's backup schedule look every second.
SERVICE_ENV: dict[str, dict[str, str]] = {
    "identity": {},
    "notifications": {},
    "billing": {"BILLING_RECONCILE_SECONDS": "0.3", "PAYMENT_INQUIRY_AFTER_SECONDS": "0",
                "REFUND_RETRY_BASE_SECONDS": "1"},
    "provisioning": {"BACKUP_CHECK_SECONDS": "1"},
    "tenancy": {"LAPSE_CHECK_SECONDS": "1"},
    "archival": {"ARCHIVAL_TICK_SECONDS": "1"},
}


def free_address() -> str:
    return f"127.0.0.1:{free_port()}"


def expect(answer: requests.Response, status: int, step: str) -> Any:
    """The answer's JSON, once its status is the one this step needs (else a clear failure)."""
    assert answer.status_code == status, (
        f"{step}: expected HTTP {status}, got {answer.status_code} from {answer.request.method} {answer.url}: "
        f"{answer.text[:1000]}")
    return answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else None


def refused(answer: requests.Response, status: int, error: str, step: str) -> dict[str, Any]:
    """A refusal with its code and a message in Persian and English (X-3)."""
    body = expect(answer, status, step)
    assert body["error"] == error, f"{step}: expected error {error!r}, got {body}"
    assert body["message"]["fa"] and body["message"]["en"], f"{step}: the message is not in both languages: {body}"
    return dict(body)


class Gateway:
    """The platform as the outside world sees it: one base URL."""

    def __init__(self, platform: Platform, address: str) -> None:
        self.platform = platform
        self.url = f"http://{address}"
        self.clock_offset = 0  # seconds the platform clock was moved, in total

    def ask(self, method: str, path: str, body: Any = None, token: str | None = None,
            **headers: str) -> requests.Response:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, f"{self.url}{path}", json=body, headers=headers, timeout=60)

    def health(self) -> dict[str, Any]:
        return dict(expect(self.ask("GET", "/health"), 200, "health")["services"])

    def advance_clock(self, seconds: int) -> None:
        """Move every service's clock forward and wait until each running service has taken it."""
        expect(self.ask("POST", "/ops/clock", {"advance": f"PT{seconds}S"}), 202, "moving the clock")
        self.clock_offset += seconds
        running = set(self.platform.procs)  # the gateway too: it dates access tokens by this clock

        def taken() -> bool:
            services = self.health()
            return all(services.get(name, {}).get("clock_offset_seconds", -1) >= self.clock_offset
                       for name in running)

        wait_until(taken, timeout=WAIT, interval=0.5, what=f"every service to move its clock by {self.clock_offset}s")

    def advance_past(self, moment: datetime, margin_seconds: int = 3600) -> None:
        """Move the platform clock to just after ``moment`` (a platform time)."""
        now = datetime.now(UTC).timestamp() + self.clock_offset
        self.advance_clock(max(1, int(moment.timestamp() - now) + margin_seconds))

    def sign_up(self, mobile: str) -> Person:
        """A person who signed up, verified the number with the code from the SMS, and logged in."""
        person = Person(self, mobile)
        person.sign_up()
        person.verify(person.code_from_sms())
        person.log_in()
        return person


class Person:
    """Someone with a phone (the development SMS provider) and a browser (requests)."""

    def __init__(self, gateway: Gateway, mobile: str) -> None:
        self.gateway = gateway
        self.mobile = mobile  # as people type it: 09xxxxxxxxx
        self.e164 = "+98" + mobile[1:]
        self.user_id = ""
        self.registration_id = ""
        self.token = ""

    def ask(self, method: str, path: str, body: Any = None, **headers: str) -> requests.Response:
        answer = self.gateway.ask(method, path, body, token=self.token, **headers)
        if answer.status_code == 401 and self.token:
            # An access token lives 15 minutes of the platform clock, which these journeys move
            # by days: log in again, as the portal sends a person back to the login page.
            self.log_in()
            answer = self.gateway.ask(method, path, body, token=self.token, **headers)
        return answer

    def sign_up(self) -> None:
        answer = self.gateway.ask("POST", "/identity/registrations", {"mobile": self.mobile, "password": PASSWORD})
        registered = expect(answer, 202, f"signing up {self.mobile}")
        self.user_id, self.registration_id = registered["user_id"], registered["registration_id"]

    def sms(self) -> list[dict[str, Any]]:
        """Every SMS this person's phone received, oldest first, as the SMS provider saw them."""
        return self.gateway.platform.sms_sent_to(self.e164)

    def code_from_sms(self, count: int = 1) -> str:
        """The verification code in SMS number ``count`` (Persian digits in its first line)."""
        messages = wait_until(lambda: len(found := self.sms()) >= count and found, timeout=WAIT,
                              what=f"SMS number {count} to {self.e164}")
        text = messages[count - 1]["message"]
        code = "".join(ch for ch in text.split("\n")[0] if ch in "۰۱۲۳۴۵۶۷۸۹").translate(PERSIAN_DIGITS)
        assert len(code) == 6, f"no six-digit code in the SMS: {text!r}"
        return code

    def verify(self, code: str) -> requests.Response:
        answer = self.gateway.ask("POST", "/identity/registrations/verify",
                                  {"mobile": self.mobile, "code": code, "registration_id": self.registration_id})
        if answer.status_code == 200:
            assert answer.json()["status"] == "verified", answer.text
        return answer

    def log_in(self) -> None:
        answer = self.gateway.ask("POST", "/identity/sessions", {"mobile": self.mobile, "password": PASSWORD})
        tokens = expect(answer, 200, f"logging in {self.mobile}")
        assert tokens["user_id"] == self.user_id, tokens
        self.token = tokens["access_token"]

    def texts(self) -> list[str]:
        return [m["message"] for m in self.sms()]

    def outbox(self) -> list[dict[str, Any]]:
        """What notifications says it sent this person (support's listing; open in development)."""
        return list(expect(self.gateway.ask("GET", f"/notifications/messages?to={quote(self.e164)}"), 200,
                           "the outbox listing")["messages"])

    def wait_for_sms(self, *words: str, what: str) -> str:
        """The first SMS holding every word (waits for it)."""
        return str(wait_until(lambda: next((t for t in self.texts() if all(w in t for w in words)), None),
                              timeout=WAIT, what=f"{what} (an SMS to {self.e164} with {words})"))

    # -- the personal page --------------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        return dict(expect(self.ask("GET", "/me"), 200, "the personal page"))

    def business_on_me(self, tenant_id: str) -> dict[str, Any] | None:
        return next((b for b in self.me()["businesses"] if b["tenant_id"] == tenant_id), None)

    def wait_on_me(self, tenant_id: str, what: str, **fields: Any) -> dict[str, Any]:
        """The business as /me shows it, once it shows every given field with its value."""
        return dict(wait_until(lambda: (b := self.business_on_me(tenant_id)) is not None
                               and all(b.get(k) == v for k, v in fields.items()) and b,
                               timeout=WAIT, interval=0.5, what=f"/me of {self.mobile} to show {what} {fields}"))

    # -- billing ------------------------------------------------------------------------------
    def place_order(self, order: dict[str, Any]) -> dict[str, Any]:
        return dict(expect(self.ask("POST", "/billing/orders", order), 201, "placing the order"))

    def start_payment(self, order_id: str) -> dict[str, Any]:
        started = expect(self.ask("POST", f"/billing/orders/{order_id}/payments"), 201, "starting the payment")
        assert started["redirect_url"].startswith(self.gateway.platform.payment_sandbox_url), started
        return dict(started)

    def pay_at_bank(self, redirect_url: str, outcome: str) -> requests.Response:
        """The browser at the sandbox's pay page: submit the outcome, follow every redirect
        (bank → our callback → the portal's result page)."""
        landed = requests.post(redirect_url, data={"outcome": outcome}, allow_redirects=True, timeout=60)
        hops = [(r.status_code, r.headers.get("Location", "")) for r in landed.history]
        assert landed.status_code == 200 and len(hops) == 2 and "/callback?" in hops[0][1], (
            f"paying with outcome {outcome}: redirects {hops}, ended with {landed.status_code} {landed.url}")
        assert landed.url.startswith(self.gateway.url), f"the browser did not come back to the portal: {landed.url}"
        return landed

    def payment(self, payment_id: str) -> dict[str, Any]:
        return dict(expect(self.ask("GET", f"/billing/payments/{payment_id}"), 200, "reading the payment"))

    def order_and_pay(self, order: dict[str, Any], outcome: str = "success") -> tuple[dict[str, Any], dict[str, Any]]:
        placed = self.place_order(order)
        started = self.start_payment(placed["order_id"])
        self.pay_at_bank(started["redirect_url"], outcome)
        return placed, self.payment(started["payment_id"])

    # -- tenancy ------------------------------------------------------------------------------
    def business(self, tenant_id: str) -> dict[str, Any]:
        return dict(expect(self.ask("GET", f"/tenancy/businesses/{tenant_id}"), 200, "reading the business"))

    def wait_active(self, tenant_id: str) -> dict[str, Any]:
        """Tenancy's page of a paid business, once tenancy has activated it."""
        return dict(wait_until(lambda: (a := self.ask("GET", f"/tenancy/businesses/{tenant_id}")).status_code == 200
                               and a.json()["state"] == "active" and a.json(), timeout=WAIT, interval=0.5,
                               what=f"tenancy to activate business {tenant_id}"))

    def add_member(self, tenant_id: str, mobile: str, permissions: list[str]) -> requests.Response:
        """Add a member; tenancy learns of a sign-up by event, so a fresh number may be unknown for a moment."""
        def known() -> list[requests.Response]:  # (a list: a refused Response is falsy)
            answer = self.ask("POST", f"/tenancy/businesses/{tenant_id}/members",
                              {"mobile": mobile, "permissions": permissions})
            return [answer] if answer.status_code != 404 else []

        answers: list[requests.Response] = wait_until(known, timeout=WAIT, interval=0.5,
                                                      what=f"tenancy to know {mobile}")
        return answers[0]

    # -- archival -----------------------------------------------------------------------------
    def archival(self, tenant_id: str) -> dict[str, Any]:
        return dict(expect(self.ask("GET", f"/archival/tenants/{tenant_id}"), 200, "reading the archival status"))

    def wait_archival(self, tenant_id: str, state: str) -> dict[str, Any]:
        return dict(wait_until(lambda: (s := self.archival(tenant_id))["state"] == state and s, timeout=WAIT,
                               interval=0.5, what=f"archival state {state!r}"))

    def export(self, tenant_id: str, file_format: str = "xlsx") -> tuple[str, bytes]:
        """Ask for an export and download it once it is built: (its URL path, the file)."""
        asked = expect(self.ask("POST", f"/archival/tenants/{tenant_id}/exports", {"format": file_format}), 202,
                       f"asking for an {file_format} export")
        path = f"/archival/exports/{asked['export_id']}"

        def ready() -> requests.Response | None:
            answer = self.ask("GET", path)
            assert answer.status_code == 200, f"the export: {answer.status_code} {answer.text[:500]}"
            if answer.headers.get("Content-Disposition", "").startswith("attachment"):
                return answer
            assert answer.json()["status"] in ("queued", "building", "pending", "running"), answer.json()
            return None

        download: requests.Response = wait_until(ready, timeout=WAIT, interval=0.5, what="the export to be built")
        assert download.headers["Content-Disposition"].endswith(f'.{file_format}"'), download.headers
        return path, download.content


def workbook_rows(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet of an xlsx file, opened with openpyxl, as rows of values."""
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}
    finally:
        workbook.close()


def start_platform(platform: Platform, services: tuple[str, ...] = tuple(SERVICE_ENV),
                   extra_env: dict[str, dict[str, str]] | None = None) -> Gateway:
    """The given services, each in its own process, and the gateway in front of them
    (``extra_env``: more environment for a service, by name; "gateway" included)."""
    address = free_address()
    platform.start_sms_provider()
    platform.start_payment_sandbox()
    extra = extra_env or {}
    env = {name: SERVICE_ENV[name] | extra.get(name, {}) for name in SERVICE_ENV}
    env["billing"] |= {"PUBLIC_BASE_URL": f"http://{address}"}
    # Started side by side (each start waits for its process's "service.started"): on a loaded
    # machine one after the other costs several times as long.
    list(eventlet.GreenPool(len(services)).imap(lambda name: platform.start(name, **env[name]), services))
    platform.start("gateway", WEB_SERVER_ADDRESS=address, **extra.get("gateway", {}))
    return Gateway(platform, address)


def moment(value: dict[str, str]) -> datetime:
    """A date as the services show it ({"utc": …} or {"iso": …})."""
    return datetime.fromisoformat(value.get("utc") or value["iso"])


def readable_traces(platform: Platform, needles: list[str]) -> dict[str, list[str]]:
    """Where any needle can still be read: every table of every PostgreSQL database of this
    platform, every file under its VAR_DIR (logs, books, exports, backups). A needle is looked
    for as UTF-8 and as JSON's \\u escapes."""
    import json

    import psycopg

    from shared.kernel.store import postgres_dsn

    forms = {n: [n.encode(), json.dumps(n).strip('"').encode()] for n in needles}
    found: dict[str, list[str]] = {n: [] for n in needles}

    def look(where: str, data: bytes) -> None:
        for needle, encodings in forms.items():
            if any(e in data for e in encodings):
                found[needle].append(where)

    settings = platform.settings
    with psycopg.connect(postgres_dsn(settings, "postgres"), autocommit=True) as server:
        databases = [r[0] for r in server.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                                   (f"{settings.postgres_db_prefix}%",))]
    for database in databases:
        with psycopg.connect(postgres_dsn(settings, database), autocommit=True) as conn:
            tables = conn.execute("SELECT schemaname, tablename FROM pg_tables "
                                  "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").fetchall()
            for schema, table in tables:
                for (row,) in conn.execute(f'SELECT t::text FROM "{schema}"."{table}" t'):
                    text = row.encode()
                    # bytea prints as \\x<hex> inside a row's text: decode it to see the bytes as stored
                    look(f"{database}.{table}", text + b"".join(
                        bytes.fromhex(h.decode()) for h in re.findall(rb"\\+x((?:[0-9a-f]{2})+)", text)))
    for path in settings.var_dir.rglob("*"):
        if path.is_file():
            look(str(path.relative_to(settings.var_dir)), path.read_bytes())
    return {n: places for n, places in found.items() if places}
