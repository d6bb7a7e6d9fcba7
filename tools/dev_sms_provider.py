"""A development SMS provider on loopback that speaks Kavenegar's REST API (see
services/notifications/sms.py and docs/providers-kavenegar.md), so the platform runs and is
tested without the network.

    python -m tools.dev_sms_provider 127.0.0.1:8025

The API, as documented (GET or POST, form fields; the HTTP status equals `return.status`):
    /v1/{key}/sms/send.json                  receptor, message, sender, localid
    /v1/{key}/verify/lookup.json             receptor, template, token[, token2, token3, token10, token20], type
    /v1/{key}/sms/status.json                messageid (comma-separated, at most 500; unknown → status 100)
    /v1/{key}/sms/statuslocalmessageid.json  localid (comma-separated; unknown or older than 12 h → 100)

`localid` as independent integrations describe it (Kavenegar's page could not be read on
this): a numeric id (the SDKs type it int64; anything else is refused with 400), and a
repeat within 12 hours is not sent again, the first send's record is returned. A lookup
renders its template as the phone would show it, except that the token is written in
Persian digits (people and tests read the code as Persian digits in the first line).

A message is accepted with status 1 (queued; lookups 5, sent to the operator) and takes its
receptor's outcome at the first status query: 10 delivered by default.

Controls for tests:
    GET  /_dev/messages?receptor=…          what was "sent" (every message, in order, with `requests`:
                                            how many sends asked for it, a repeated localid included)
    POST /_dev/outage   {"seconds": 5}      answer 502 to every send and lookup for that long
    POST /_dev/outage   {"sends": 5}        answer 502 to the next 5 sends, however late they come
                                            ({} ends any outage)
    POST /_dev/refuse   {"status": 418, "sends": 2}
                                            answer that status (409, 418, 451, 5xx, any code) to the
                                            next 2 sends or lookups ({} ends it)
    POST /_dev/delivery {"receptor": "+98912…", "outcome": "undelivered"}
                                            what happens to messages sent to that number from now on:
                                            delivered (10), undelivered (11), blocked (14), failed (6),
                                            cancelled (13) or never (stays 4, sent to the operator);
                                            without a receptor: the default for every number
    POST /_dev/templates {"name": "…", "text": "… %token% …"}
                                            approve one more lookup template
    POST /_dev/latency  {"seconds": 0.3}    take that long to answer each send (work in flight)
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from tools.standin_http import serve

LOCAL_ID_WINDOW_SECONDS = 12 * 3600
STATUS_IDS_PER_CALL = 500

# Refusal texts, abridged from the documented table (rest.html, as copied by integrations).
REFUSALS = {
    400: "پارامترها ناقص هستند", 402: "عملیات ناموفق بود", 406: "پارامترهای اجباری خالی ارسال شده اند",
    409: "سرور قادر به پاسخگوئی نیست بعدا تلاش کنید", 411: "دریافت کننده نامعتبر است",
    413: "پیام خالی است و یا طول پیام بیش از حد مجاز می‌باشد", 414: "حجم درخواست بیشتر از حد مجاز است",
    418: "اعتبار حساب شما کافی نیست", 424: "الگوی مورد نظر پیدا نشد",
    428: "ارسال کد از طریق تماس تلفنی امکان پذیر نیست، درصورتی که توکن فقط عددی باشد",
    431: "ساختار کد صحیح نمی‌باشد", 451: "فراخوانی بیش از حد در بازه زمانی مشخص از سمت آی‌پی",
    502: "simulated outage",
}
STATUS_TEXTS = {
    1: "در صف ارسال", 2: "زمان بندی شده", 4: "ارسال شده به مخابرات", 5: "ارسال شده به مخابرات",
    6: "خطا در ارسال پیام", 10: "رسیده به گیرنده", 11: "نرسیده به گیرنده", 13: "لغو شده", 14: "بلاک شده",
    100: "شناسه پیامک نامعتبر است",
}
OUTCOMES = {"delivered": 10, "undelivered": 11, "blocked": 14, "failed": 6, "cancelled": 13, "never": 4}
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# The templates approved in the panel, as the platform's defaults name them
# (SMS_TEMPLATE_SIGNUP, SMS_TEMPLATE_PASSWORD_RESET); the same words as our own texts.
TEMPLATES = {
    "signup-code": "کد ثبت‌نام شما در حسابداری ابری: %token%\nاین کد را به هیچ‌کس ندهید؛ ما هرگز آن را از شما نمی‌خواهیم.",
    "password-reset-code": ("کد فراموشی رمز شما در حسابداری ابری: %token%\n"
                            "این کد را به هیچ‌کس ندهید؛ ما هرگز آن را از شما نمی‌خواهیم."),
}

_lock = threading.Lock()
_sent: list[dict[str, Any]] = []
_by_message_id: dict[str, dict[str, Any]] = {}
_by_local_id: dict[str, dict[str, Any]] = {}
_outcomes: dict[str | None, str] = {}  # receptor (None: every other) → outcome
_templates = dict(TEMPLATES)
_outage_until = 0.0
_outage_sends_left = 0
_refusal: dict[str, int] = {"status": 0, "sends": 0}
_latency_seconds = 0.0


def _answer(status: int, entries: Any = None, message: str | None = None) -> Response:
    body = {"return": {"status": status, "message": message or REFUSALS.get(status, "تایید شد")}, "entries": entries}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _forced_refusal() -> int | None:
    """The status a simulated outage or refusal answers this send with, if any."""
    global _outage_sends_left
    with _lock:
        if _refusal["sends"] > 0:
            _refusal["sends"] -= 1
            return _refusal["status"]
        if _outage_sends_left > 0:
            _outage_sends_left -= 1
            return 502
    return 502 if time.monotonic() < _outage_until else None


def _valid_receptor(receptor: str) -> bool:
    digits = receptor.removeprefix("+")
    return digits.isascii() and digits.isdigit() and 10 <= len(digits) <= 14


def _api_entry(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: entry[key] for key in ("messageid", "message", "status", "statustext", "sender", "receptor",
                                        "date", "cost")}


def _accept(form: Any, fields: dict[str, Any]) -> Response:
    """Record a message once per localid (within the window) and answer its record."""
    local_id = form.get("localid") or None
    if local_id is not None and not (local_id.isascii() and local_id.isdigit()):
        return _answer(400, message="localid must be a number")
    now = int(time.time())
    with _lock:
        entry = _by_local_id.get(local_id) if local_id else None
        if entry is not None and now - entry["date"] < LOCAL_ID_WINDOW_SECONDS:
            entry["requests"] += 1
        else:
            receptor = fields["receptor"]
            outcome = _outcomes.get(receptor, _outcomes.get(None, "delivered"))
            entry = fields | {"messageid": 1_000_000 + len(_sent), "statustext": STATUS_TEXTS[fields["status"]],
                              "sender": form.get("sender", ""), "date": now, "cost": 120, "localid": local_id,
                              "outcome": outcome, "requests": 1}
            _sent.append(entry)
            _by_message_id[str(entry["messageid"])] = entry
            if local_id:
                _by_local_id[local_id] = entry
    return _answer(200, [_api_entry(entry)])


def _send(form: Any) -> Response:
    if "receptor" not in form or "message" not in form:
        return _answer(400)
    receptor, message = form["receptor"], form["message"]
    if not _valid_receptor(receptor):
        return _answer(411)
    if not message.strip():
        return _answer(413)
    return _accept(form, {"receptor": receptor, "message": message, "status": 1})


def _lookup(form: Any) -> Response:
    receptor, template, token = form.get("receptor", ""), form.get("template", ""), form.get("token", "")
    kind = form.get("type") or "sms"
    if not receptor or not template or not token or kind not in ("sms", "call"):
        return _answer(400)
    if not _valid_receptor(receptor):
        return _answer(411)
    tokens = {name: form[name] for name in ("token", "token2", "token3", "token10", "token20") if form.get(name)}
    if any(ch in value for value in tokens.values() for ch in " \n_"):
        return _answer(431)
    if kind == "call" and not token.isdigit():
        return _answer(428)
    with _lock:
        text = _templates.get(template)
    if text is None:
        return _answer(424)
    for name, value in sorted(tokens.items(), key=lambda item: -len(item[0])):  # %token10% before %token%
        text = text.replace(f"%{name}%", value.translate(PERSIAN_DIGITS))
    return _accept(form, {"receptor": receptor, "message": text, "status": 5, "template": template,
                          "tokens": tokens, "type": kind})


def _reported(entry: dict[str, Any]) -> dict[str, Any]:
    """The status a query sees: on the first query the message takes its outcome."""
    if entry["status"] in (1, 5):
        entry["status"] = OUTCOMES[entry["outcome"]]
        entry["statustext"] = STATUS_TEXTS[entry["status"]]
    return entry


def _status(form: Any) -> Response:
    ids = [i.strip() for i in form.get("messageid", "").split(",") if i.strip()]
    if not ids:
        return _answer(400)
    if len(ids) > STATUS_IDS_PER_CALL:
        return _answer(414)
    with _lock:
        found = [_by_message_id.get(i) for i in ids]
        entries = [{"messageid": int(e["messageid"]), "status": _reported(e)["status"], "statustext": e["statustext"]}
                   if e is not None else {"messageid": int(i) if i.isdigit() else i, "status": 100,
                                          "statustext": STATUS_TEXTS[100]}
                   for i, e in zip(ids, found, strict=True)]
    return _answer(200, entries)


def _status_by_local_id(form: Any) -> Response:
    ids = [i.strip() for i in form.get("localid", "").split(",") if i.strip()]
    if not ids:
        return _answer(400)
    now = int(time.time())
    entries = []
    with _lock:
        for local_id in ids:
            entry = _by_local_id.get(local_id)
            if entry is None or now - entry["date"] >= LOCAL_ID_WINDOW_SECONDS:
                entries.append({"messageid": 0, "localid": local_id, "status": 100, "statustext": STATUS_TEXTS[100]})
            else:
                _reported(entry)
                entries.append({"messageid": entry["messageid"], "localid": local_id, "status": entry["status"],
                                "statustext": entry["statustext"]})
    return _answer(200, entries)


def _api(request: Request, method: str) -> Response:
    form = request.values  # Kavenegar takes GET and POST alike
    if method in ("sms/send.json", "verify/lookup.json"):
        if _latency_seconds:
            time.sleep(_latency_seconds)
        refused = _forced_refusal()
        if refused is not None:
            return _answer(refused)
        return _send(form) if method == "sms/send.json" else _lookup(form)
    if method == "sms/status.json":
        return _status(form)
    if method == "sms/statuslocalmessageid.json":
        return _status_by_local_id(form)
    return _answer(404, message="method not found")


def _control(request: Request) -> Response | None:
    global _outage_until, _outage_sends_left, _latency_seconds
    path = request.path
    if request.method == "GET" and path == "/_dev/messages":
        receptor = request.args.get("receptor")
        with _lock:
            found = [dict(m) for m in _sent if receptor is None or m["receptor"] == receptor]
        return _json({"messages": found})
    if request.method != "POST" or not path.startswith("/_dev/"):
        return None
    body = json.loads(request.get_data() or b"{}")
    with _lock:
        if path == "/_dev/outage":
            _outage_until = time.monotonic() + float(body.get("seconds", 0))
            _outage_sends_left = int(body.get("sends", 0))
            return _json({"outage_seconds": max(0.0, _outage_until - time.monotonic()),
                          "sends_refused": _outage_sends_left})
        if path == "/_dev/refuse":
            _refusal.update(status=int(body.get("status", 0)), sends=int(body.get("sends", 0)))
            return _json(dict(_refusal))
        if path == "/_dev/delivery":
            outcome = body.get("outcome", "delivered")
            if outcome not in OUTCOMES:
                return _json({"error": f"outcome must be one of {sorted(OUTCOMES)}"}, 400)
            _outcomes[body.get("receptor")] = outcome
            return _json({"receptor": body.get("receptor"), "outcome": outcome})
        if path == "/_dev/templates":
            _templates[str(body["name"])] = str(body["text"])
            return _json({"templates": sorted(_templates)})
        if path == "/_dev/latency":
            _latency_seconds = float(body.get("seconds", 0))
            return _json({"latency_seconds": _latency_seconds})
    return None


def application(environ: dict[str, Any], start_response: Any) -> Any:
    request = Request(environ)
    path = request.path
    parts = path.split("/", 3)  # "", "v1", key, "scope/method.json"
    if len(parts) == 4 and parts[1] == "v1" and request.method in ("GET", "POST"):
        response = _api(request, parts[3])
    elif path == "/health":
        response = _json({"status": "ok"})
    else:
        response = _control(request) or _answer(404, message="not found")
    return response(environ, start_response)


def main(argv: list[str]) -> int:
    host, _, port = (argv[1] if len(argv) > 1 else "127.0.0.1:8025").partition(":")
    print(f"dev SMS provider (Kavenegar API) on http://{host}:{port}", flush=True)
    serve(host, int(port), application)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
