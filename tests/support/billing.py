"""Billing test helpers: the payment sandbox served in this process, an application wired to
it, and a browser's trip through the sandbox's pay page back to the callback."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from werkzeug.serving import make_server

from services.billing.application import BillingApplication
from services.billing.catalog import Catalog
from services.billing.zarinpal import ZarinpalClient
from shared.kernel.config import Settings
from shared.kernel.store import Cause
from tools import payment_sandbox

MERCHANT = "11111111-2222-3333-4444-555555555555"
CAUSE = Cause("test")
NEW_ORDER = {"business_name": "کافه نارنج", "business_type": "trading", "products": ["accounting", "payroll"],
             "period_months": 12}


@contextmanager
def sandbox_server() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, payment_sandbox.application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    requests.post(f"{url}/_dev/faults", json={}, timeout=5).raise_for_status()  # in-process: reset any test's faults
    try:
        yield url
    finally:
        server.shutdown()


def billing_app(settings: Settings, sandbox_url: str, **overrides: Any) -> BillingApplication:
    options: dict[str, Any] = {"inquiry_after": timedelta(0), "give_up_after": timedelta(hours=1),
                               "refund_retry_base": timedelta(seconds=30)} | overrides
    gateway = ZarinpalClient(sandbox_url, MERCHANT, access_token="t", timeout=5, retries=0,
                             graphql_url=f"{sandbox_url}/api/v4/graphql/", terminal_id="sandbox")
    return BillingApplication(settings, catalog=Catalog.from_env({}), gateway=gateway,
                              public_base_url="http://portal.test", **options)


def pay_at_sandbox(redirect_url: str, outcome: str, **form: str) -> tuple[str, str] | None:
    """Submit the sandbox's pay page; the (Authority, Status) of the callback it redirects
    to, or None when no callback comes (timeout)."""
    answer = requests.post(redirect_url, data={"outcome": outcome, **form}, allow_redirects=False, timeout=10)
    if answer.status_code != 303:
        assert answer.status_code == 202, answer.text
        return None
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    return query["Authority"][0], query["Status"][0]


def user() -> uuid.UUID:
    return uuid.uuid4()
