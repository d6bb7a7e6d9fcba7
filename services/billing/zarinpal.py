"""The payment-gateway adapter: a client for Zarinpal's v4 REST API (payment/request.json,
verify.json, inquiry.json, reverse.json) and its refund mutation (the GraphQL AddRefund),
with timeouts and bounded retries. tools/payment_sandbox.py speaks the same API on loopback.

Amounts are integer rials (``currency: "IRR"``). Zarinpal answers ``{"data": {...}, "errors": []}``
on success and ``{"data": [], "errors": {"code": -NN, "message": ...}}`` on refusal."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from shared.kernel.logging import get_logger

GATEWAY_NAME = "zarinpal"
PAID, ALREADY_VERIFIED = 100, 101  # verify's two successes: 101 = verified before (counts as success)
AMOUNT_MISMATCH, NOT_PAID = -50, -51


class GatewayUnavailable(Exception):
    """No usable answer (network, timeout, 5xx): nothing is known; ask again later."""


@dataclass(frozen=True)
class Verdict:
    """verify.json's answer: ``code`` 100/101 success, negative a refusal."""

    code: int
    ref_id: str | None = None
    message: str = ""

    @property
    def paid(self) -> bool:
        return self.code in (PAID, ALREADY_VERIFIED)


class ZarinpalClient:
    def __init__(self, base_url: str, merchant_id: str, access_token: str = "", timeout: float = 10,
                 retries: int = 2, graphql_url: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.merchant_id = merchant_id
        self.access_token = access_token
        self.timeout = timeout
        self.retries = retries
        self.graphql_url = graphql_url or f"{self.base_url}/api/v4/graphql/"
        self.session = requests.Session()
        self.log = get_logger(component="zarinpal")

    def _post(self, url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        """POST with retries on transport trouble; every call here is safe to repeat
        (request makes an unused authority, verify answers 101, reverse/refund are keyed)."""
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(0.2 * 2 ** attempt)
            try:
                answer = self.session.post(url, json=body, timeout=self.timeout,
                                           headers={"Accept": "application/json"} | (headers or {}))
                if answer.status_code >= 500:
                    raise GatewayUnavailable(f"HTTP {answer.status_code}")
                parsed = answer.json()
                if not isinstance(parsed, dict):
                    raise GatewayUnavailable("not a JSON object")
                return parsed
            except (requests.RequestException, ValueError, GatewayUnavailable) as exc:
                last = exc
                self.log.warning("zarinpal.retry", url=url, attempt=attempt + 1, error=str(exc)[:200])
        raise GatewayUnavailable(str(last))

    def _pg(self, method: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        answer = self._post(f"{self.base_url}/pg/v4/payment/{method}.json", {"merchant_id": self.merchant_id} | body)
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        errors = answer.get("errors") if isinstance(answer.get("errors"), dict) else {}
        return data or {}, errors or {}

    def request(self, amount_rials: int, callback_url: str, description: str, order_id: str) -> tuple[str, str]:
        """Start a payment: (authority, the StartPay URL to send the customer to)."""
        data, errors = self._pg("request", {"amount": amount_rials, "currency": "IRR", "callback_url": callback_url,
                                            "description": description, "metadata": {"order_id": order_id}})
        if data.get("code") != PAID or not data.get("authority"):
            raise GatewayUnavailable(f"request refused: {errors.get('code')} {errors.get('message')}")
        authority = str(data["authority"])
        return authority, f"{self.base_url}/pg/StartPay/{authority}"

    def verify(self, authority: str, amount_rials: int) -> Verdict:
        data, errors = self._pg("verify", {"authority": authority, "amount": amount_rials})
        if data.get("code") in (PAID, ALREADY_VERIFIED):
            return Verdict(int(data["code"]), str(data.get("ref_id")), str(data.get("message", "")))
        code = errors.get("code")
        if not isinstance(code, int):
            raise GatewayUnavailable(f"verify answered neither data nor an error code: {errors}")
        return Verdict(code, None, str(errors.get("message", "")))

    def inquiry(self, authority: str) -> str:
        """The transaction's status: PAID (captured, not verified) | VERIFIED | IN_BANK (the
        customer is still at the bank) | FAILED | REVERSED."""
        data, errors = self._pg("inquiry", {"authority": authority})
        status = data.get("status")
        if not isinstance(status, str):
            raise GatewayUnavailable(f"inquiry gave no status: {errors}")
        return status

    def refund(self, authority: str, amount_rials: int, description: str) -> str:
        """Give the money back: reverse.json while the gateway allows it (soon after payment),
        else the refund API (GraphQL AddRefund, needs the access token). Returns a reference.
        Asks first: a refund made just before a crash, whose record was lost, is not made twice."""
        if self.inquiry(authority) == "REVERSED":
            self.log.info("zarinpal.already_given_back", authority=authority)
            return f"reverse-{authority}"
        data, errors = self._pg("reverse", {"authority": authority})
        if data.get("code") == PAID:
            return f"reverse-{authority}"
        self.log.info("zarinpal.reverse_refused", code=errors.get("code"), message=errors.get("message"))
        mutation = ("mutation AddRefund($session_id: ID!, $amount: BigInteger!, $description: String, "
                    "$method: InstantPayoutActionTypeEnum, $reason: RefundReasonEnum) { resource: AddRefund("
                    "session_id: $session_id, amount: $amount, description: $description, method: $method, "
                    "reason: $reason) { terminal_id id amount timeline { refund_amount refund_time refund_status } } }")
        answer = self._post(self.graphql_url, {"query": mutation, "variables": {
            "session_id": authority, "amount": amount_rials, "description": description, "method": "CARD",
            "reason": "CUSTOMER_REQUEST"}}, headers={"Authorization": f"Bearer {self.access_token}"})
        resource = (answer.get("data") or {}).get("resource") if isinstance(answer.get("data"), dict) else None
        if not isinstance(resource, dict) or not resource.get("id"):
            raise GatewayUnavailable(f"refund refused: {answer.get('errors')}")
        return f"refund-{resource['id']}"
