"""The SMS provider adapter: Kavenegar's REST API (https://kavenegar.com/rest.html), with
`requests`. Switching to the real provider is configuration: SMS_PROVIDER_URL
(https://api.kavenegar.com), SMS_API_KEY and SMS_SENDER.

    POST {base}/v1/{api_key}/sms/send.json   receptor, message, sender, localid
    → {"return": {"status": 200, "message": …}, "entries": [{"messageid": …, "status": …, …}]}

`localid` is our message id: the provider refuses to send the same localid twice, so a
message re-sent after a crash (between sending and recording it) reaches the phone once.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

# Kavenegar's return statuses that no retry will fix (bad parameters, bad key or sender,
# an invalid receptor, a blocked number); anything else is treated as an outage.
PERMANENT_STATUSES = {400, 401, 402, 403, 404, 405, 406, 407, 409, 411, 412, 413, 414, 415, 417, 422, 431}


class ProviderUnavailable(Exception):
    """Try again later: the provider could not be reached or is having trouble."""


class ProviderRejected(Exception):
    """The provider refused this message for good."""


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str
    status_text: str


class KavenegarClient:
    def __init__(self, base_url: str, api_key: str, sender: str, timeout: float = 5.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.sender = sender
        self.timeout = timeout
        self.session = session or requests.Session()

    def send(self, receptor: str, message: str, local_id: str) -> Receipt:
        url = f"{self.base_url}/v1/{self.api_key}/sms/send.json"
        data = {"receptor": receptor, "message": message, "sender": self.sender, "localid": local_id}
        try:
            response = self.session.post(url, data=data, timeout=(3.05, self.timeout))
        except requests.RequestException as exc:
            raise ProviderUnavailable(type(exc).__name__) from None
        try:
            body = response.json()
            status = int(body["return"]["status"])
        except (ValueError, KeyError, TypeError):
            raise ProviderUnavailable(f"unreadable answer, HTTP {response.status_code}") from None
        if status == 200 and body.get("entries"):
            entry = body["entries"][0]
            return Receipt(str(entry["messageid"]), str(entry.get("statustext", "")))
        reason = f"provider status {status}: {body['return'].get('message', '')}"[:300]
        if status in PERMANENT_STATUSES:
            raise ProviderRejected(reason)
        raise ProviderUnavailable(reason)
