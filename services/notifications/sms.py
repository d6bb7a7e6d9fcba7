"""The SMS provider adapter: Kavenegar's REST API (https://kavenegar.com/rest.html), with
`requests`. Switching to the real provider is configuration: SMS_PROVIDER_URL
(https://api.kavenegar.com), SMS_API_KEY and SMS_SENDER.

    POST {base}/v1/{api_key}/sms/send.json      receptor, message, sender, localid
    POST {base}/v1/{api_key}/verify/lookup.json receptor, template, token, type=sms (codes)
    POST {base}/v1/{api_key}/sms/status.json    messageid (comma-separated, at most 500)
    → {"return": {"status": 200, "message": …}, "entries": [{"messageid": …, "status": …, …}]}

A refusal carries its code in `return.status` (the SDKs read it from the body, and the HTTP
status mirrors it); kavenegar_codes.py says which codes are final and which mean "later".

`localid` is derived from our message id (kavenegar_codes.local_id_of). Independent
integrations report that a repeated localid is not sent again and the first send's record
comes back, so a message re-sent after a crash (between sending and recording it) reaches
the phone once; Kavenegar's own page could not be read on this point (docs/providers-kavenegar.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from services.notifications.delivery import (
    DeliveryReport,
    ProviderOutOfCredit,
    ProviderRejected,
    ProviderUnavailable,
    Receipt,
)
from services.notifications.kavenegar_codes import ACCEPTED, failure_for, local_id_of, report_for
from shared.kernel import metrics
from shared.kernel.outbound import provider_session

__all__ = ["KavenegarClient", "ProviderRejected", "ProviderUnavailable", "Receipt"]

STATUS_IDS_PER_CALL = 500  # sms/status.json refuses more with 414
# The provider_calls outcome of a refused call (kavenegar_codes.failure_for); an outage is "failed"
# or, when requests timed out, "timeout".
OUTCOMES = ((ProviderOutOfCredit, "credit_exhausted"), (ProviderRejected, "rejected"))


class KavenegarClient:
    def __init__(self, base_url: str, api_key: str, sender: str, timeout: float = 5.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.sender = sender
        self.timeout = timeout
        self.session = session or provider_session(self.base_url)

    def send(self, receptor: str, message: str, message_id: str) -> Receipt:
        """Any text, from our own line (sms/send.json)."""
        entries = self._call("sms/send.json", {"receptor": receptor, "message": message, "sender": self.sender,
                                               "localid": str(local_id_of(message_id))})
        return _receipt(entries)

    def lookup(self, receptor: str, template: str, token: str, message_id: str) -> Receipt:
        """A verification code through a template approved in Kavenegar's panel
        (verify/lookup.json): the channel operators deliver even to numbers that refuse
        advertising lines. `localid` is not among lookup's documented parameters: it is sent
        anyway, and if the provider ignores it a retry after a crash repeats the same code."""
        entries = self._call("verify/lookup.json", {"receptor": receptor, "template": template, "token": token,
                                                    "type": "sms", "localid": str(local_id_of(message_id))})
        return _receipt(entries)

    def delivery_reports(self, provider_message_ids: Iterable[str]) -> dict[str, DeliveryReport]:
        """Where each message stands (sms/status.json), asked in calls of 500 ids at most; an
        id the answer leaves out, or an entry that cannot be read, has no report yet."""
        wanted = list(dict.fromkeys(provider_message_ids))
        found: dict[str, DeliveryReport] = {}
        for start in range(0, len(wanted), STATUS_IDS_PER_CALL):
            batch = wanted[start:start + STATUS_IDS_PER_CALL]
            for entry in self._call("sms/status.json", {"messageid": ",".join(batch)}):
                try:
                    found[str(entry["messageid"])] = report_for(int(entry["status"]))
                except (KeyError, TypeError, ValueError):
                    continue
        return found

    def _call(self, method: str, data: dict[str, str]) -> list[dict[str, Any]]:
        with metrics.provider_call("kavenegar", method.removesuffix(".json"), OUTCOMES):
            return self._answer(method, data)

    def _answer(self, method: str, data: dict[str, str]) -> list[dict[str, Any]]:
        url = f"{self.base_url}/v1/{self.api_key}/{method}"
        try:
            response = self.session.post(url, data=data, timeout=(3.05, self.timeout))
        except requests.RequestException as exc:
            raise ProviderUnavailable(type(exc).__name__) from None
        try:
            body = response.json()
            status = int(body["return"]["status"])
        except (ValueError, KeyError, TypeError):
            raise ProviderUnavailable(f"unreadable answer, HTTP {response.status_code}") from None
        entries = body.get("entries")
        if status == ACCEPTED and isinstance(entries, list):
            return entries
        if status == ACCEPTED:
            raise ProviderUnavailable(f"accepted without entries, HTTP {response.status_code}")
        raise failure_for(status, str(body["return"].get("message", "")))


def _receipt(entries: list[dict[str, Any]]) -> Receipt:
    if not entries or "messageid" not in entries[0]:
        raise ProviderUnavailable("accepted without a message id")
    entry = entries[0]
    return Receipt(str(entry["messageid"]), str(entry.get("statustext", "")))

