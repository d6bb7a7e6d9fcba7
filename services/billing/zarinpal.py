"""The payment-gateway adapter: a client for Zarinpal's v4 REST API (payment/request.json,
verify.json, inquiry.json, reverse.json) and its GraphQL API (the ``Session`` query and the
``AddRefund`` mutation), with timeouts and bounded retries. tools/payment_sandbox.py speaks
the same API on loopback; docs/providers.md maps every endpoint and code to its page.

Amounts are integer rials (``currency: "IRR"``). Zarinpal answers ``{"data": {...}, "errors": []}``
on success and ``{"data": {} or [], "errors": {"code": -NN, "message": ...}}`` on refusal.
The GraphQL API lives on its own host (``DEFAULT_GRAPHQL_URL``), authenticated with the
account's access token, and knows a transaction by its numeric session id, not by authority."""

from __future__ import annotations

import time
from typing import Any

import requests

from services.billing.gateway import ALREADY_VERIFIED, PAID, GatewayUnavailable, RefundRefused, Verdict
from shared.kernel import metrics
from shared.kernel.logging import get_logger
from shared.kernel.outbound import provider_session

__all__ = ["GatewayUnavailable", "RefundRefused", "Verdict", "ZarinpalClient"]

GATEWAY_NAME = "zarinpal"
DEFAULT_GRAPHQL_URL = "https://next.zarinpal.com/api/v4/graphql/"
# verify codes that say nothing about this payment: ask again later (and tell an operator when
# it is our configuration: merchant, terminal, account level).
ASK_AGAIN = {-12}
MISCONFIGURED = {-9, -10, -11, -15, -16, -53, -54, -55}
REVERSE_IP_NOT_REGISTERED = -62
SMALLEST_REFUND_RIALS = 20_000  # AddRefund refuses less (refunds are then by hand)


class ZarinpalClient:
    """services.billing.gateway.PaymentGateway over Zarinpal's REST and GraphQL APIs."""

    def __init__(self, base_url: str, merchant_id: str, access_token: str = "", timeout: float = 10,
                 retries: int = 2, graphql_url: str = DEFAULT_GRAPHQL_URL, terminal_id: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.merchant_id = merchant_id
        self.access_token = access_token
        self.timeout = timeout
        self.retries = retries
        self.graphql_url = graphql_url
        self.terminal_id = terminal_id
        self.session = provider_session(self.base_url, self.graphql_url)
        self.log = get_logger(component="zarinpal")

    def _post(self, url: str, body: dict[str, Any], headers: dict[str, str] | None = None,
              retries: int | None = None) -> dict[str, Any]:
        """POST with retries on transport trouble. Only calls safe to repeat are retried here
        (request makes an unused authority, verify answers 101, inquiry, reverse, Session);
        AddRefund is sent once (it has no idempotency key: see ``refund``)."""
        last: Exception | None = None
        for attempt in range((self.retries if retries is None else retries) + 1):
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
        raise GatewayUnavailable(str(last)) from last  # a timeout stays readable (metrics.provider_call)

    def _pg(self, method: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        with metrics.provider_call(GATEWAY_NAME, method) as call:
            answer = self._post(f"{self.base_url}/pg/v4/payment/{method}.json",
                                {"merchant_id": self.merchant_id} | body)
            data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
            errors = answer.get("errors") if isinstance(answer.get("errors"), dict) else {}
            if isinstance((errors or {}).get("code"), int):
                call.outcome = "rejected"  # a documented refusal code (-51 not paid, -63 too late to reverse, …)
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
            fee = data.get("fee")
            return Verdict(int(data["code"]), str(data.get("ref_id")), str(data.get("message", "")),
                           card_pan=_text(data.get("card_pan")), card_hash=_text(data.get("card_hash")),
                           fee=fee if isinstance(fee, int) and not isinstance(fee, bool) else None,
                           fee_type=_text(data.get("fee_type")))
        code = errors.get("code")
        if not isinstance(code, int):
            raise GatewayUnavailable(f"verify answered neither data nor an error code: {errors}")
        if code in ASK_AGAIN or code in MISCONFIGURED:
            if code in MISCONFIGURED:
                self.log.error("zarinpal.misconfigured", code=code, message=str(errors.get("message", ""))[:200])
            raise GatewayUnavailable(f"verify answered {code}: {errors.get('message', '')}")
        return Verdict(code, None, str(errors.get("message", "")))

    def inquiry(self, authority: str) -> str:
        """The transaction's status: PAID (captured, not verified) | VERIFIED | IN_BANK (the
        customer is still at the bank) | FAILED | REVERSED."""
        data, errors = self._pg("inquiry", {"authority": authority})
        status = data.get("status")
        if not isinstance(status, str):
            raise GatewayUnavailable(f"inquiry gave no status: {errors}")
        return status

    def reverse(self, authority: str) -> bool:
        """reverse.json: the whole amount back, no fee, within 30 minutes of the payment, and
        only from a server address registered for the terminal (else -62: an operator's job)."""
        data, errors = self._pg("reverse", {"authority": authority})
        if data.get("code") == PAID:
            return True
        if errors.get("code") == REVERSE_IP_NOT_REGISTERED:
            self.log.error("zarinpal.reverse_ip_not_registered", message=str(errors.get("message", ""))[:200])
        self.log.info("zarinpal.reverse_refused", code=errors.get("code"), message=errors.get("message"))
        return False

    def refund(self, authority: str, ref_id: str | None, amount_rials: int, description: str) -> str:
        """Give the money back; returns a reference. Reverse first (the gateway alone knows
        whether its 30 minutes have passed: -63 after), else the refund API: find the
        transaction's session id by the bank reference verification returned, and ask for the
        refund unless the session is refunded already (AddRefund has no key: a refund whose
        answer was lost is not asked for twice). Raises RefundRefused when only a person can
        give it back."""
        if self.inquiry(authority) == "REVERSED":
            self.log.info("zarinpal.already_given_back", authority=authority)
            return "reversed"
        if self.reverse(authority):
            return "reversed"
        if not ref_id:
            raise RefundRefused("never verified and past the reverse window: no transaction number to refund by API")
        if amount_rials < SMALLEST_REFUND_RIALS:
            raise RefundRefused(f"AddRefund refuses less than {SMALLEST_REFUND_RIALS} rials")
        session = self._session_of(ref_id)
        if session.get("status") == "REFUNDED":
            return f"refund-{session['id']}"
        mutation = ("mutation AddRefund($session_id: ID!, $amount: BigInteger!, $description: String, "
                    "$method: InstantPayoutActionTypeEnum, $reason: RefundReasonEnum) { resource: AddRefund("
                    "session_id: $session_id, amount: $amount, description: $description, method: $method, "
                    "reason: $reason) { terminal_id id amount timeline { refund_amount refund_time refund_status } } }")
        answer = self._graphql(mutation, {"session_id": session["id"], "amount": amount_rials,
                                          "description": description, "method": "CARD",
                                          "reason": "CUSTOMER_REQUEST"}, retries=0)
        resource = (answer.get("data") or {}).get("resource") if isinstance(answer.get("data"), dict) else None
        if not isinstance(resource, dict) or not resource.get("id"):
            raise RefundRefused(f"AddRefund refused: {str(answer.get('errors'))[:200]}")
        return f"refund-{resource['id']}"

    def _session_of(self, ref_id: str) -> dict[str, Any]:
        """The transaction (its numeric session id and status) that verification gave ``ref_id``."""
        query = ("query Session($terminal_id: ID!, $reference_id: String) { Session(terminal_id: $terminal_id, "
                 "reference_id: $reference_id) { id status amount } }")
        answer = self._graphql(query, {"terminal_id": self.terminal_id, "reference_id": str(ref_id)})
        sessions = (answer.get("data") or {}).get("Session") if isinstance(answer.get("data"), dict) else None
        if not isinstance(sessions, list) or not sessions or not isinstance(sessions[0], dict):
            raise RefundRefused(f"no transaction with reference {ref_id}: {str(answer.get('errors'))[:200]}")
        return sessions[0]

    def _graphql(self, query: str, variables: dict[str, Any], retries: int | None = None) -> dict[str, Any]:
        operation = "add_refund" if query.startswith("mutation") else "session"
        with metrics.provider_call(GATEWAY_NAME, operation, ((RefundRefused, "rejected"),)) as call:
            answer = self._post(self.graphql_url, {"query": query, "variables": variables},
                                headers={"Authorization": f"Bearer {self.access_token}"}, retries=retries)
            if answer.get("message") == "Unauthenticated." or _unauthenticated(answer):
                self.log.error("zarinpal.graphql_unauthenticated")
                raise RefundRefused("the access token was refused (PAYMENT_ACCESS_TOKEN)")
            if answer.get("errors"):
                call.outcome = "rejected"
        return answer


def _text(value: object) -> str | None:
    return str(value)[:200] if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _unauthenticated(answer: dict[str, Any]) -> bool:
    errors = answer.get("errors")
    return isinstance(errors, list) and any(isinstance(e, dict) and e.get("message") == "Unauthenticated."
                                            for e in errors)
