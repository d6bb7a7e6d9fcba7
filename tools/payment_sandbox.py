"""A local payment gateway on loopback that speaks Zarinpal's v4 API (see
services/billing/zarinpal.py), so billing runs and is tested without the network.

    python -m tools.payment_sandbox 127.0.0.1:8030

API: POST /pg/v4/payment/{request,verify,inquiry,reverse}.json; POST /api/v4/graphql/ (the
Session query by reference_id and the AddRefund mutation by numeric session id, Bearer token),
which production serves on its own host (billing's PAYMENT_GRAPHQL_URL).
The StartPay page GET /pg/StartPay/<authority> is an HTML form; POST it with ``outcome`` =
  success            the money is captured; the browser is sent (303) to the callback, Status=OK
  cancel             nothing is captured; 303 to the callback with Status=NOK
  captured_then_fail the money is captured but verify fails; 303 with Status=OK
  timeout            the bank is still busy: no callback; inquiry says IN_BANK and verify
                     "pending" until ``settle_after`` seconds (default 2) pass, then PAID
and optionally ``paid_amount`` (a tampered amount: verify then answers -50, money captured).
Development: GET /_dev/requests (every API call received), GET /_dev/transactions,
POST /_dev/refund-outage {"seconds": N} (reverse and refund answer 503 meanwhile),
POST /_dev/faults {"reverse_window_seconds": S, "reverse_ip_registered": bool, "verify_code": N,
"refund_refused": bool} (the documented failures on demand; {} restores the defaults).
Codes as Zarinpal documents them (docs/providers.md): -51 not paid, -50 amount mismatch,
-52 unexpected, -61 not reversible, -62 server address not registered, -63 past 30 minutes.
"""

from __future__ import annotations

import hashlib
import html
import json
import sys
import threading
import time
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from tools.standin_http import serve

_lock = threading.Lock()
_received: list[dict[str, Any]] = []
_transactions: dict[str, dict[str, Any]] = {}
_outage_until = 0.0
OUTCOMES = ("success", "cancel", "captured_then_fail", "timeout")
DEFAULT_FAULTS: dict[str, Any] = {"reverse_window_seconds": 30 * 60, "reverse_ip_registered": True,
                                  "verify_code": None, "refund_refused": False}
_faults = dict(DEFAULT_FAULTS)
SMALLEST_REFUND = 20_000


def _json(data: Any, errors: Any = None, status: int = 200) -> Response:
    body = {"data": data, "errors": errors if errors is not None else []}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _refused(code: int, message: str, status: int = 200) -> Response:
    return _json([], {"code": code, "message": message, "validations": []}, status)


def _settle(tx: dict[str, Any]) -> None:
    if tx["status"] == "IN_BANK" and time.time() >= tx["settles_at"]:
        tx["status"], tx["captured"], tx["captured_at"] = "PAID", True, tx["settles_at"]


def _transaction(body: dict[str, Any]) -> dict[str, Any] | None:
    tx = _transactions.get(str(body.get("authority", "")))
    if tx is not None:
        _settle(tx)
    return tx


def _request(body: dict[str, Any]) -> Response:
    amount, callback = body.get("amount"), body.get("callback_url")
    if len(str(body.get("merchant_id", ""))) != 36:
        return _refused(-9, "The merchant_id must be 36 characters.")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1000 or not callback:
        return _refused(-9, "The input params invalid, validation error.")
    with _lock:
        authority = f"A{len(_transactions) + 1:035d}"
        _transactions[authority] = {"authority": authority, "amount": amount, "callback_url": callback,
                                    "description": body.get("description", ""), "status": "NEW",
                                    "captured": False, "paid_amount": None, "ref_id": None,
                                    "verify_fails": False, "settles_at": 0.0, "refunded": False,
                                    "captured_at": None, "session_id": str(380_000_000 + len(_transactions) + 1)}
    return _json({"code": 100, "message": "Success", "authority": authority, "fee_type": "Merchant", "fee": 0})


def _verify(body: dict[str, Any]) -> Response:
    with _lock:
        tx = _transaction(body)
        if tx is None:
            return _refused(-54, "Invalid authority.")
        if _faults["verify_code"] is not None:
            return _refused(int(_faults["verify_code"]), "simulated refusal")
        if tx["status"] in ("NEW", "IN_BANK"):
            return _refused(-51, "Session is not valid, session is not active paid try.")
        if tx["status"] in ("FAILED", "REVERSED"):
            return _refused(-51, "Session is not valid, session is not active paid try.")
        if body.get("amount") != tx["paid_amount"]:
            return _refused(-50, "Session is not valid, amounts values is not the same.")
        if tx["verify_fails"]:
            return _refused(-52, "Oops!! please contact support team")
        code = 101 if tx["status"] == "VERIFIED" else 100
        if code == 100:
            tx["status"], tx["ref_id"] = "VERIFIED", 200_000 + int(tx["authority"][1:])
        return _json({"code": code, "message": "Paid" if code == 100 else "Verified",
                      "card_hash": hashlib.sha256(b"5022291012345995").hexdigest().upper(),
                      "card_pan": "502229******5995", "ref_id": tx["ref_id"], "fee_type": "Merchant",
                      "fee": max(1000, tx["amount"] // 100)})


def _inquiry(body: dict[str, Any]) -> Response:
    with _lock:
        tx = _transaction(body)
        if tx is None:
            return _refused(-54, "Invalid authority.")
        status = "IN_BANK" if tx["status"] == "NEW" else tx["status"]  # NEW is ours, not Zarinpal's
        return _json({"code": 100, "message": "Success", "status": status})


def _money_back(tx: dict[str, Any]) -> None:
    tx["status"], tx["refunded"] = "REVERSED", True


def _refunded(tx: dict[str, Any]) -> None:
    """AddRefund: the transaction stays VERIFIED/PAID for inquiry; its Session says REFUNDED."""
    tx["refunded"] = True


def _reverse(body: dict[str, Any]) -> Response:
    if time.monotonic() < _outage_until:
        return _refused(-99, "simulated outage", 503)
    with _lock:
        tx = _transaction(body)
        if tx is None:
            return _refused(-54, "Invalid authority.")
        if not tx["captured"] or tx.get("refunded"):
            return _refused(-61, "Session is not in success status.")
        if not _faults["reverse_ip_registered"]:
            return _refused(-62, "Terminal ip limit most be active.")
        if time.time() - (tx["captured_at"] or 0) > float(_faults["reverse_window_seconds"]):
            return _refused(-63, "Maximum time for reverse this session is expired.")
        _money_back(tx)
        return _json({"code": 100, "message": "Reversed"})


def _graphql(request: Request, body: dict[str, Any]) -> Response:
    if time.monotonic() < _outage_until:
        return Response(json.dumps({"errors": [{"message": "simulated outage"}]}), 503, mimetype="application/json")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        return Response(json.dumps({"errors": [{"message": "Unauthenticated."}]}), 401, mimetype="application/json")
    variables = body.get("variables") or {}
    query = str(body.get("query"))
    if "AddRefund" in query:
        return _add_refund(variables)
    if "Session" in query:
        return _sessions(variables)
    return _graphql_errors("unknown operation")


def _graphql_errors(message: str) -> Response:
    return Response(json.dumps({"data": None, "errors": [{"message": message}]}), mimetype="application/json")


def _session_view(tx: dict[str, Any]) -> dict[str, Any]:
    status = "REFUNDED" if tx.get("refunded") else ("VERIFIED" if tx["status"] == "VERIFIED" else "PAID")
    return {"id": tx["session_id"], "status": status, "amount": tx["amount"]}


def _sessions(variables: dict[str, Any]) -> Response:
    """Session(terminal_id, reference_id): the transactions verification gave that reference."""
    if not variables.get("terminal_id"):
        return _graphql_errors("The terminal id field is required.")
    with _lock:
        found = [_session_view(tx) for tx in _transactions.values()
                 if tx["ref_id"] is not None and str(tx["ref_id"]) == str(variables.get("reference_id"))]
    return Response(json.dumps({"data": {"Session": found}}), mimetype="application/json")


def _add_refund(variables: dict[str, Any]) -> Response:
    session_id, amount = str(variables.get("session_id", "")), variables.get("amount")
    with _lock:
        tx = next((t for t in _transactions.values() if t["session_id"] == session_id), None)
        if _faults["refund_refused"]:
            return _graphql_errors("simulated refusal")
        if tx is None:  # an authority is not a session id: production answers the same
            return _graphql_errors("session not found")
        if not isinstance(amount, int) or amount < SMALLEST_REFUND or amount > tx["amount"]:
            return _graphql_errors(f"The amount must be at least {SMALLEST_REFUND} rials and at most the payment.")
        if not tx["captured"] or tx.get("refunded"):
            return _graphql_errors("session not refundable")
        _refunded(tx)
    resource = {"terminal_id": "sandbox", "id": tx["session_id"], "amount": amount,
                "timeline": {"refund_amount": amount, "refund_time": time.strftime("%Y-%m-%d %H:%M"),
                             "refund_status": "PENDING"}}
    return Response(json.dumps({"data": {"resource": resource}}), mimetype="application/json")


PAGE = """<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>درگاه آزمایشی</title></head>
<body><h1>درگاه پرداخت آزمایشی (Zarinpal sandbox)</h1><p>مبلغ: {amount} ریال — {description}</p>
<form method="post"><select name="outcome">{options}</select>
<label>مبلغ پرداختی <input name="paid_amount" value="{amount}"></label>
<button type="submit">پرداخت</button></form></body></html>"""


def _start_pay(request: Request, authority: str) -> Response:
    with _lock:
        tx = _transactions.get(authority)
    if tx is None:
        return Response("unknown authority", 404)
    if request.method == "GET":
        options = "".join(f'<option value="{o}">{o}</option>' for o in OUTCOMES)
        return Response(PAGE.format(amount=tx["amount"], description=html.escape(tx["description"]),
                                    options=options), mimetype="text/html")
    outcome = request.form.get("outcome", "")
    if outcome not in OUTCOMES:
        return Response(f"outcome must be one of {', '.join(OUTCOMES)}", 400)
    paid = request.form.get("paid_amount") or str(tx["amount"])
    with _lock:
        if tx["status"] != "NEW":
            return Response("this payment was already attempted", 409)
        tx["paid_amount"] = int(paid) if paid.isdigit() else tx["amount"]
        if outcome == "timeout":
            tx["status"], tx["settles_at"] = "IN_BANK", time.time() + float(request.form.get("settle_after", "2"))
            return Response("<p>بانک در حال پردازش است… (the bank is still processing)</p>", 202, mimetype="text/html")
        if outcome == "cancel":
            tx["status"] = "FAILED"
        else:
            tx["status"], tx["captured"], tx["captured_at"] = "PAID", True, time.time()
            tx["verify_fails"] = outcome == "captured_then_fail"
    status = "NOK" if outcome == "cancel" else "OK"
    separator = "&" if "?" in tx["callback_url"] else "?"
    return Response("", 303, headers={
        "Location": f"{tx['callback_url']}{separator}{urlencode({'Authority': authority, 'Status': status})}"})


API = {"request": _request, "verify": _verify, "inquiry": _inquiry, "reverse": _reverse}


def application(environ: dict[str, Any], start_response: Any) -> Any:
    global _outage_until
    request = Request(environ)
    path = request.path
    body: dict[str, Any] = {}
    if request.method == "POST" and request.mimetype == "application/json":
        try:
            parsed = json.loads(request.get_data() or b"{}")
            body = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            body = {}
    method = path.removeprefix("/pg/v4/payment/").removesuffix(".json")
    if request.method == "POST" and path.startswith("/pg/v4/payment/") and method in API:
        with _lock:
            _received.append({"method": method, "body": body, "at": time.time()})
        response = API[method](body)
    elif request.method == "POST" and path.rstrip("/") == "/api/v4/graphql":
        with _lock:
            _received.append({"method": "graphql", "body": body, "at": time.time()})
        response = _graphql(request, body)
    elif path.startswith("/pg/StartPay/"):
        response = _start_pay(request, path.removeprefix("/pg/StartPay/").strip("/"))
    elif path == "/_dev/requests":
        with _lock:
            response = _json(list(_received))
    elif path == "/_dev/transactions":
        with _lock:
            for tx in _transactions.values():
                _settle(tx)
            response = _json(list(_transactions.values()))
    elif request.method == "POST" and path == "/_dev/faults":
        with _lock:
            _faults.clear()
            _faults.update(DEFAULT_FAULTS | {k: v for k, v in body.items() if k in DEFAULT_FAULTS})
            response = _json(dict(_faults))
    elif request.method == "POST" and path == "/_dev/refund-outage":
        _outage_until = time.monotonic() + float(body.get("seconds", 0))
        response = _json({"outage_seconds": max(0.0, _outage_until - time.monotonic())})
    elif path == "/health":
        response = _json({"status": "ok"})
    else:
        response = _refused(-404, "not found", 404)
    return response(environ, start_response)


def main(argv: list[str]) -> int:
    host, _, port = (argv[1] if len(argv) > 1 else "127.0.0.1:8030").partition(":")
    print(f"payment sandbox (Zarinpal v4 API) on http://{host}:{port}", flush=True)
    serve(host, int(port), application)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
