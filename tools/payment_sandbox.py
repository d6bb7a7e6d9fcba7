"""A local payment gateway on loopback that speaks Zarinpal's v4 API (see
services/billing/zarinpal.py), so billing runs and is tested without the network.

    python -m tools.payment_sandbox 127.0.0.1:8030

API: POST /pg/v4/payment/{request,verify,inquiry,reverse}.json, POST /api/v4/graphql/ (AddRefund).
The StartPay page GET /pg/StartPay/<authority> is an HTML form; POST it with ``outcome`` =
  success            the money is captured; the browser is sent (303) to the callback, Status=OK
  cancel             nothing is captured; 303 to the callback with Status=NOK
  captured_then_fail the money is captured but verify fails; 303 with Status=OK
  timeout            the bank is still busy: no callback; inquiry says IN_BANK and verify
                     "pending" until ``settle_after`` seconds (default 2) pass, then PAID
and optionally ``paid_amount`` (a tampered amount: verify then answers -50, money captured).
Development: GET /_dev/requests (every API call received), GET /_dev/transactions,
POST /_dev/refund-outage {"seconds": N} (reverse and refund answer 503 meanwhile).
"""

from __future__ import annotations

import html
import json
import sys
import threading
import time
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

_lock = threading.Lock()
_received: list[dict[str, Any]] = []
_transactions: dict[str, dict[str, Any]] = {}
_outage_until = 0.0
OUTCOMES = ("success", "cancel", "captured_then_fail", "timeout")


def _json(data: Any, errors: Any = None, status: int = 200) -> Response:
    body = {"data": data, "errors": errors if errors is not None else []}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _refused(code: int, message: str, status: int = 200) -> Response:
    return _json([], {"code": code, "message": message, "validations": []}, status)


def _settle(tx: dict[str, Any]) -> None:
    if tx["status"] == "IN_BANK" and time.time() >= tx["settles_at"]:
        tx["status"], tx["captured"] = "PAID", True


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
                                    "verify_fails": False, "settles_at": 0.0, "refunded": False}
    return _json({"code": 100, "message": "Success", "authority": authority, "fee_type": "Merchant", "fee": 0})


def _verify(body: dict[str, Any]) -> Response:
    with _lock:
        tx = _transaction(body)
        if tx is None:
            return _refused(-54, "Invalid authority.")
        if tx["status"] in ("NEW", "IN_BANK"):
            return _refused(-52, "pending: the bank has not answered yet")
        if tx["status"] in ("FAILED", "REVERSED"):
            return _refused(-51, "Session is not valid, session is not active paid try.")
        if body.get("amount") != tx["paid_amount"]:
            return _refused(-50, "Session is not valid, amounts values is not the same.")
        if tx["verify_fails"]:
            return _refused(-52, "Oops!! please contact support team")
        code = 101 if tx["status"] == "VERIFIED" else 100
        if code == 100:
            tx["status"], tx["ref_id"] = "VERIFIED", 200_000 + int(tx["authority"][1:])
        return _json({"code": code, "message": "Verified" if code == 100 else "Paid",
                      "card_hash": "0" * 64, "card_pan": "502229******5995", "ref_id": tx["ref_id"],
                      "fee_type": "Merchant", "fee": 0})


def _inquiry(body: dict[str, Any]) -> Response:
    with _lock:
        tx = _transaction(body)
        if tx is None:
            return _refused(-54, "Invalid authority.")
        return _json({"code": 100, "message": "Success", "status": tx["status"]})


def _money_back(tx: dict[str, Any]) -> None:
    tx["status"], tx["refunded"] = "REVERSED", True


def _reverse(body: dict[str, Any]) -> Response:
    if time.monotonic() < _outage_until:
        return _refused(-99, "simulated outage", 503)
    with _lock:
        tx = _transaction(body)
        if tx is None:
            return _refused(-54, "Invalid authority.")
        if not tx["captured"] or tx.get("refunded"):
            return _refused(-63, "Maximum time for reverse this session is expired.")
        _money_back(tx)
        return _json({"code": 100, "message": "Reversed"})


def _graphql(request: Request, body: dict[str, Any]) -> Response:
    if time.monotonic() < _outage_until:
        return Response(json.dumps({"errors": [{"message": "simulated outage"}]}), 503, mimetype="application/json")
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return Response(json.dumps({"errors": [{"message": "Unauthenticated."}]}), 401, mimetype="application/json")
    variables = body.get("variables") or {}
    with _lock:
        tx = _transaction({"authority": variables.get("session_id")})
        if tx is None or not tx["captured"] or tx.get("refunded") or "AddRefund" not in str(body.get("query")):
            return Response(json.dumps({"data": None, "errors": [{"message": "session not refundable"}]}),
                            mimetype="application/json")
        _money_back(tx)
    resource = {"terminal_id": "sandbox", "id": f"R{tx['authority'][1:]}", "amount": variables.get("amount"),
                "timeline": {"refund_amount": variables.get("amount"), "refund_time": time.strftime("%Y-%m-%d %H:%M"),
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
            tx["status"], tx["captured"] = "PAID", True
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
    run_simple(host, int(port), application, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
