"""The taxpayer system's v2 API (سامانه مؤدیان, ``/requestsmanager/api/v2/``) as billing uses
it, and the Protocol billing sends invoices through (docs/providers.md "Taxpayer system"):

- ``GET nonce?timeToLive=20`` → ``{nonce, expDate}``; the token is a JWS of ``{nonce, clientId}``
  signed with the vendor's key, sent as ``Authorization: Bearer``;
- ``GET server-information`` → ``publicKeys[{key, id}]``: the key invoices are encrypted for;
- ``POST invoice``: ``[{header: {requestTraceId, fiscalId}, payload: JWE(JWS(invoice))}]`` →
  ``result[{uid, referenceNumber, errorCode, errorDetail}]``;
- ``GET inquiry-by-reference-id?referenceIds=…`` and ``GET inquiry-by-uid?uidList=…&fiscalId=…``
  → ``[{referenceNumber, uid, status, data: {error: [{code, message}], warning, success}}]``
  with status ``SUCCESS`` | ``FAILED`` | ``PENDING`` | ``IN_PROGRESS`` | ``TIMEOUT``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from services.billing import jose
from shared.kernel.outbound import provider_session

FINAL_STATUSES = {"SUCCESS": True, "FAILED": False}  # the rest (PENDING, IN_PROGRESS, TIMEOUT): ask again


class TaxSystemUnavailable(Exception):
    """No answer we can read (transport error, 5xx, a body that is not the API's): try later."""


class TaxSystemRefused(TaxSystemUnavailable):
    """The whole request was refused (its shape, our token or signature): nothing about one
    invoice is known, so it is tried again too, but a person must look (logged at error level)."""


@dataclass(frozen=True)
class Submitted:
    """The system's receipt of one invoice: its reference number, or the packet's refusal."""

    uid: str
    reference: str | None
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Status:
    uid: str
    reference: str | None
    status: str  # SUCCESS, FAILED, PENDING, IN_PROGRESS, TIMEOUT, or NOT_FOUND (our reading of an empty answer)
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def accepted(self) -> bool:
        return FINAL_STATUSES.get(self.status, False)


class TaxSystem(Protocol):
    def send(self, invoices: Sequence[tuple[str, dict[str, Any]]]) -> list[Submitted]: ...

    def by_reference(self, references: Sequence[str]) -> list[Status]: ...

    def by_uid(self, uids: Sequence[str]) -> list[Status]: ...


@dataclass(frozen=True)
class VendorKey:
    """The vendor's signing key and the certificate the system knows it by (x5c)."""

    private_key: rsa.RSAPrivateKey
    certificate_der: bytes


class MoadianClient:
    def __init__(self, base_url: str, memory_id: str, key: VendorKey, *, timeout: float = 10.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 session: requests.Session | None = None, system_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        # The system's public key as configured (base64 DER, MOADIAN_SYSTEM_KEY_FILE): invoices are
        # encrypted only for it, whatever server-information says; None: the key it announces.
        self.system_key = system_key
        self.memory_id, self.key, self.timeout, self.clock = memory_id, key, timeout, clock
        self.session = session or provider_session(self.base_url)
        self._server_key: tuple[str, str] | None = None  # (key, id), read once per process

    # -- calls ------------------------------------------------------------------------------
    def send(self, invoices: Sequence[tuple[str, dict[str, Any]]]) -> list[Submitted]:
        token = self._token()
        key, key_id = self._server_public_key(token)
        packets = [{"header": {"requestTraceId": uid, "fiscalId": self.memory_id},
                    "payload": jose.encrypt(jose.sign(invoice, self.key.private_key, self.key.certificate_der,
                                                      self.clock()), key, key_id)}
                   for uid, invoice in invoices]
        answer = self._call("POST", "invoice", token, json=packets)
        results = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise TaxSystemUnavailable("invoice: no result list")
        return [Submitted(uid=str(r.get("uid")), reference=r.get("referenceNumber") or None,
                          errors=[{"code": str(r["errorCode"]), "message": str(r.get("errorDetail") or "")}]
                          if r.get("errorCode") else []) for r in results if isinstance(r, dict)]

    def by_reference(self, references: Sequence[str]) -> list[Status]:
        return self._statuses(self._call("GET", "inquiry-by-reference-id", self._token(),
                                         params={"referenceIds": list(references)}))

    def by_uid(self, uids: Sequence[str]) -> list[Status]:
        return self._statuses(self._call("GET", "inquiry-by-uid", self._token(),
                                         params={"uidList": list(uids), "fiscalId": self.memory_id}))

    # -- the protocol's parts ---------------------------------------------------------------
    def _token(self) -> str:
        answer = self._call("GET", "nonce", None, params={"timeToLive": 20})
        if not isinstance(answer, dict) or not isinstance(answer.get("nonce"), str):
            raise TaxSystemUnavailable("nonce: no nonce in the answer")
        return jose.sign({"nonce": answer["nonce"], "clientId": self.memory_id}, self.key.private_key,
                         self.key.certificate_der, self.clock())

    def _server_public_key(self, token: str) -> tuple[str, str]:
        if self._server_key is None:
            answer = self._call("GET", "server-information", token)
            keys = answer.get("publicKeys") if isinstance(answer, dict) else None
            if not keys or not isinstance(keys[0], dict):
                raise TaxSystemUnavailable("server-information: no public key")
            if self.system_key is not None and str(keys[0]["key"]) != self.system_key:
                raise TaxSystemRefused("server-information: a public key other than MOADIAN_SYSTEM_KEY_FILE's")
            self._server_key = (str(keys[0]["key"]), str(keys[0]["id"]))
        return self._server_key

    def _call(self, method: str, path: str, token: str | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            answer = self.session.request(method, self.base_url + path, headers=headers, timeout=self.timeout,
                                          **kwargs)
        except requests.RequestException as exc:
            raise TaxSystemUnavailable(f"{path}: {type(exc).__name__}") from None
        try:
            body = answer.json()
        except ValueError:
            raise TaxSystemUnavailable(f"{path}: HTTP {answer.status_code}, not JSON") from None
        if answer.status_code >= 500 or (answer.status_code >= 400 and not _errors(body)):
            raise TaxSystemUnavailable(f"{path}: HTTP {answer.status_code}")
        if answer.status_code >= 400:
            raise TaxSystemRefused(f"{path}: refused {_errors(body)[:3]}")
        return body

    @staticmethod
    def _statuses(body: Any) -> list[Status]:
        rows = body if isinstance(body, list) else (body.get("result", {}) or {}).get("data") \
            if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise TaxSystemUnavailable("inquiry: no list of statuses")
        statuses = []
        for row in rows:
            if not isinstance(row, dict):
                continue
            data = row["data"] if isinstance(row.get("data"), dict) else {}
            errors = [{"code": str(e.get("code", "")), "message": str(e.get("message", ""))}
                      for e in data.get("error") or [] if isinstance(e, dict)]
            statuses.append(Status(uid=str(row.get("uid")), reference=row.get("referenceNumber"),
                                   status=str(row.get("status", "")).upper(), errors=errors))
        return statuses


def _errors(body: Any) -> list[Any]:
    found = body.get("errors") if isinstance(body, dict) else None
    return found if isinstance(found, list) else []
