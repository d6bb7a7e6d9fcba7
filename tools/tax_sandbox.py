"""A local taxpayer system (سامانه مؤدیان) on loopback speaking the v2 API billing's client
uses (services/billing/moadian.py), so invoices are registered and tested without the network.

    python -m tools.tax_sandbox 127.0.0.1:8040 [--future-allowance-seconds N]   (make run and the tests)

API under /requestsmanager/api/v2/: GET nonce, GET server-information, POST invoice,
GET inquiry-by-reference-id, GET inquiry-by-uid. The token's JWS and each invoice's JWS are
verified against their x5c certificates; each invoice's JWE is opened with this server's key.
An invoice is decided late: PENDING until ``decide_after_seconds`` pass (default 1), then
SUCCESS, or FAILED with the documented codes it breaks (docs/providers.md): 0301 (tax id
malformed, not this memory id's, its date not the invoice's, or a duplicate), 0306 (a
cancelling invoice whose original is unknown, not accepted, or cancelled already), 0303301
(a service id that is not 13 digits), 0100504 (inno not 10 hex characters), 0202 (issued in the
future). Request-level refusals (HTTP 400): 4143 over 1000 invoices, 4144 body not a JSON list,
4145 header field missing, 4162 requestTraceId not a UUID.
A development platform runs its clock ahead (`POST /ops/clock`, by years in the tests), so the
command accepts invoices dated up to `--future-allowance-seconds` (ten years by default) after its
own clock; served in-process (tests/support/billing.py) it keeps a strict system's 30 s, where the
conformance test proves 0202.
Development: POST /_dev/faults {"decide_after_seconds": S, "reject_with": {"code", "message"} |
null, "outage": bool, "unknown_economic_codes": [buyer economic codes the registry does not know:
0312]} ({} restores the defaults), GET /_dev/invoices.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from werkzeug.wrappers import Request, Response

from services.billing import jose
from services.billing.tax_invoice_rules import CANCELLING, days_since_epoch, tax_id_valid
from tools.standin_http import serve

PREFIX = "/requestsmanager/api/v2/"
KEY_ID = "6a2bcd88-a871-4245-a393-2843eafe6e02"
_KEY = jose.new_key()
_PUBLIC = base64.b64encode(_KEY.public_key().public_bytes(serialization.Encoding.DER,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEFAULT_FAULTS: dict[str, Any] = {"decide_after_seconds": 1.0, "reject_with": None, "outage": False,
                                  "unknown_economic_codes": []}
_lock = threading.Lock()
_future_allowance_ms = 30_000  # the platform's clock may run ahead in development: see main()
_faults = dict(DEFAULT_FAULTS)
_nonces: dict[str, float] = {}
_invoices: dict[str, dict[str, Any]] = {}  # by reference number
_by_uid: dict[tuple[str, str], str] = {}  # (fiscalId, uid) → reference number


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _refused(code: str, message: str, status: int = 400) -> Response:
    return _json({"timestamp": int(time.time() * 1000), "errors": [{"code": code, "message": message}]}, status)


def _client(request: Request) -> str | None:
    """The memory id whose signed nonce is the Bearer token, else None."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    try:
        _, content = jose.verified(token)
    except jose.EnvelopeInvalid:
        return None
    with _lock:
        expires = _nonces.get(str(content.get("nonce")))
    return str(content.get("clientId")) if expires is not None and time.time() < expires else None


def _errors_of(invoice: dict[str, Any], fiscal_id: str) -> list[dict[str, str]]:
    header, errors = invoice.get("header") or {}, []
    taxid = str(header.get("taxid") or "")
    indatim = header.get("indatim")
    if (not tax_id_valid(taxid) or taxid[:6] != fiscal_id or not isinstance(indatim, int)
            or int(taxid[6:11], 16) != days_since_epoch(datetime.fromtimestamp(indatim / 1000, UTC))
            or any(i["taxid"] == taxid for i in _invoices.values())):
        errors.append({"code": "0301", "message": "مقدار فیلد شماره مالیاتی صورتحساب با اطلاعات سامانه منطبق نیست"})
    if not re.fullmatch(r"[a-fA-F0-9]{10}", str(header.get("inno") or "")):
        errors.append({"code": "0100504", "message": "الگوی فیلد سریال صورتحساب رعایت نشده است"})
    if isinstance(indatim, int) and indatim > time.time() * 1000 + _future_allowance_ms:
        errors.append({"code": "0202", "message": "تاریخ و زمان صدور صورتحساب معتبر نیست"})
    if any(not re.fullmatch(r"\d{13}", str(line.get("sstid") or "")) for line in invoice.get("body") or []):
        errors.append({"code": "0303301", "message": "مقدار فیلد شناسه کالا/خدمت با اطلاعات سامانه منطبق نیست"})
    if header.get("tinb") and str(header["tinb"]) in _faults["unknown_economic_codes"]:
        # 0312 (inferred, docs/providers-research.md §4): field 12, tinb, does not match the registry
        errors.append({"code": "0312", "message": "مقدار فیلد شماره اقتصادی خریدار با اطلاعات سامانه منطبق نیست"})
    if header.get("ins") == CANCELLING:
        original = next((i for i in _invoices.values() if i["taxid"] == header.get("irtaxid")), None)
        if (original is None or original["fiscal_id"] != fiscal_id or _status(original) != "SUCCESS"
                or original.get("cancelled")):
            errors.append({"code": "0306",
                           "message": "مقدار فیلد شماره مالیاتی صورتحساب مرجع با اطلاعات سامانه منطبق نیست"})
    return errors


def _status(record: dict[str, Any]) -> str:
    if time.time() < record["decides_at"]:
        return "PENDING"
    if record["errors"] is None:  # decided now, once: a cancellation marks its original
        record["errors"] = record["pending_errors"]
        if not record["errors"] and record["ins"] == CANCELLING:
            for other in _invoices.values():
                if other["taxid"] == record["irtaxid"]:
                    other["cancelled"] = True
    return "FAILED" if record["errors"] else "SUCCESS"


def _receive(request: Request, fiscal_id: str) -> Response:
    try:
        packets = json.loads(request.get_data() or b"null")
    except ValueError:
        packets = None
    if not isinstance(packets, list) or not packets:
        return _refused("4144", "بدنهٔ درخواست خالی است یا JSON معتبر نیست")
    if len(packets) > 1000:
        return _refused("4143", "در یک درخواست نمی‌توانید بیشتر از ۱۰۰۰ صورتحساب ارسال نمایید")
    results = []
    with _lock:
        for packet in packets:
            header = packet.get("header") if isinstance(packet, dict) else None
            if not isinstance(header, dict) or not all(header.get(k) for k in ("requestTraceId", "fiscalId")) \
                    or not packet.get("payload"):
                return _refused("4145", "فیلدهای ضروری payload، requestTraceId و fiscalId خالی است")
            if not _UUID.match(str(header["requestTraceId"])):
                return _refused("4162", "شناسه درخواست (requestTraceId) معتبر نیست")
        for packet in packets:
            uid, packet_fiscal = str(packet["header"]["requestTraceId"]), str(packet["header"]["fiscalId"])
            known = _by_uid.get((packet_fiscal, uid))
            if known is not None:  # the same uid again: the receipt it had (no second invoice)
                results.append({"uid": uid, "packetType": "INVOICE.V01", "referenceNumber": known, "data": None})
                continue
            try:
                _, jws = jose.decrypt(str(packet["payload"]), _KEY)
                _, invoice = jose.verified(jws)
            except jose.EnvelopeInvalid as exc:
                results.append({"uid": uid, "referenceNumber": None, "errorCode": "04152", "errorDetail": str(exc)})
                continue
            rejection = _faults["reject_with"]
            errors = [dict(rejection)] if rejection else _errors_of(invoice, packet_fiscal)
            reference = str(uuid.uuid4())
            header = invoice.get("header") or {}
            _invoices[reference] = {"uid": uid, "reference": reference, "fiscal_id": packet_fiscal,
                                    "taxid": header.get("taxid"), "ins": header.get("ins"),
                                    "irtaxid": header.get("irtaxid"), "invoice": invoice, "pending_errors": errors,
                                    "errors": None, "decides_at": time.time() + float(_faults["decide_after_seconds"])}
            _by_uid[(packet_fiscal, uid)] = reference
            results.append({"uid": uid, "packetType": "INVOICE.V01", "referenceNumber": reference, "data": None})
    return _json({"timestamp": int(time.time() * 1000), "result": results})


def _inquiry_rows(records: list[dict[str, Any]]) -> Response:
    rows = []
    for record in records:
        status = _status(record)
        rows.append({"referenceNumber": record["reference"], "uid": record["uid"], "status": status,
                     "data": {"error": record["errors"] or [] if status != "PENDING" else [], "warning": [],
                              "success": status == "SUCCESS"},
                     "packetType": "receive_invoice_confirm", "fiscalId": record["fiscal_id"]})
    return _json(rows)


def application(environ: dict[str, Any], start_response: Any) -> Any:
    request = Request(environ)
    path = request.path
    if path == "/_dev/faults" and request.method == "POST":
        chosen = json.loads(request.get_data() or b"{}")
        with _lock:
            _faults.clear()
            _faults.update(DEFAULT_FAULTS | {k: v for k, v in chosen.items() if k in DEFAULT_FAULTS})
        return _json(_faults)(environ, start_response)
    if path == "/health":
        return _json({"status": "ok"})(environ, start_response)
    if path == "/_dev/invoices":
        with _lock:
            listed = [{k: v for k, v in r.items() if k != "invoice"} | {"status": _status(r), "invoice": r["invoice"]}
                      for r in _invoices.values()]
        return _json(listed)(environ, start_response)
    if not path.startswith(PREFIX):
        return _json({"errors": [{"code": "404", "message": "not found"}]}, 404)(environ, start_response)
    if _faults["outage"]:
        return Response("upstream unavailable", status=503)(environ, start_response)
    name = path.removeprefix(PREFIX)
    if name == "nonce":
        nonce = str(uuid.uuid4())
        ttl = min(max(int(request.args.get("timeToLive", "20") or 20), 10), 200)
        with _lock:
            _nonces[nonce] = time.time() + ttl
        return _json({"nonce": nonce, "expDate": int((time.time() + ttl) * 1000)})(environ, start_response)
    fiscal_id = _client(request)
    if fiscal_id is None:
        return _refused("401", "توکن معتبر نیست", 401)(environ, start_response)
    if name == "server-information":
        answer = _json({"serverTime": int(time.time() * 1000),
                        "publicKeys": [{"key": _PUBLIC, "id": KEY_ID, "algorithm": "RSA", "purpose": 1}]})
    elif name == "invoice" and request.method == "POST":
        answer = _receive(request, fiscal_id)
    elif name == "inquiry-by-reference-id":
        with _lock:
            answer = _inquiry_rows([_invoices[r] for r in request.args.getlist("referenceIds") if r in _invoices
                                    and _invoices[r]["fiscal_id"] == fiscal_id])
    elif name == "inquiry-by-uid":
        owner = request.args.get("fiscalId", fiscal_id)
        with _lock:
            answer = _inquiry_rows([_invoices[_by_uid[(owner, u)]] for u in request.args.getlist("uidList")
                                    if (owner, u) in _by_uid and owner == fiscal_id])
    else:
        answer = _refused("404", "not found", 404)
    return answer(environ, start_response)


def main(argv: list[str]) -> int:
    global _future_allowance_ms
    parser = argparse.ArgumentParser(prog="python -m tools.tax_sandbox")
    parser.add_argument("address", nargs="?", default="127.0.0.1:8040")
    parser.add_argument("--future-allowance-seconds", type=float, default=10 * 366 * 86_400,
                        help="an invoice dated more than this after now is refused with 0202 (ten years: "
                        "development moves the platform clock ahead)")
    args = parser.parse_args(argv)
    _future_allowance_ms = int(args.future_allowance_seconds * 1000)
    host, _, port = args.address.rpartition(":")
    serve(host or "127.0.0.1", int(port), application)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
