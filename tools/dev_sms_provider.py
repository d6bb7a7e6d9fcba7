"""A development SMS provider on loopback that speaks Kavenegar's send API (see
services/notifications/sms.py), so the platform runs and is tested without the network.

    python -m tools.dev_sms_provider 127.0.0.1:8025

It keeps what it received, honours `localid` like the real provider (a repeated localid is
not sent again), and lets tests simulate trouble:
    GET  /_dev/messages?receptor=…        what was "sent" (every message, in order)
    POST /_dev/outage   {"seconds": 5}    answer 502 to every send for that long
    POST /_dev/outage   {"sends": 5}      answer 502 to the next 5 sends, however late they come
                                          ({} ends any outage)
    POST /_dev/latency  {"seconds": 0.3}  take that long to answer each send (work in flight)
Each message also counts `requests`: how many sends asked for it (a repeated localid included).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

_lock = threading.Lock()
_sent: list[dict[str, Any]] = []
_by_local_id: dict[str, dict[str, Any]] = {}
_outage_until = 0.0
_refusals_left = 0
_latency_seconds = 0.0


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _refused() -> bool:
    global _refusals_left
    with _lock:
        if _refusals_left > 0:
            _refusals_left -= 1
            return True
    return time.monotonic() < _outage_until


def _send(request: Request) -> Response:
    if _latency_seconds:
        time.sleep(_latency_seconds)
    if _refused():
        return _json({"return": {"status": 502, "message": "simulated outage"}, "entries": None}, 502)
    form = request.form
    receptor, message = form.get("receptor", ""), form.get("message", "")
    if not receptor.lstrip("+").isdigit() or not message:
        return _json({"return": {"status": 411 if message else 400, "message": "invalid receptor or message"},
                      "entries": None}, 400)
    local_id = form.get("localid") or None
    with _lock:
        if local_id and local_id in _by_local_id:
            entry = _by_local_id[local_id]
            entry["requests"] += 1
        else:
            entry = {"messageid": 1_000_000 + len(_sent), "message": message, "status": 1,
                     "statustext": "در صف ارسال", "sender": form.get("sender", ""), "receptor": receptor,
                     "date": int(time.time()), "cost": 120, "localid": local_id, "requests": 1}
            _sent.append(entry)
            if local_id:
                _by_local_id[local_id] = entry
    return _json({"return": {"status": 200, "message": "تایید شد"}, "entries": [entry]})


def application(environ: dict[str, Any], start_response: Any) -> Any:
    global _outage_until, _refusals_left, _latency_seconds
    request = Request(environ)
    path = request.path
    if request.method == "POST" and path.startswith("/v1/") and path.endswith("/sms/send.json"):
        response = _send(request)
    elif request.method == "GET" and path == "/_dev/messages":
        receptor = request.args.get("receptor")
        with _lock:
            found = [m for m in _sent if receptor is None or m["receptor"] == receptor]
        response = _json({"messages": found})
    elif request.method == "POST" and path == "/_dev/outage":
        outage = json.loads(request.get_data() or b"{}")
        with _lock:
            _outage_until = time.monotonic() + float(outage.get("seconds", 0))
            _refusals_left = int(outage.get("sends", 0))
        response = _json({"outage_seconds": max(0.0, _outage_until - time.monotonic()),
                          "sends_refused": _refusals_left})
    elif request.method == "POST" and path == "/_dev/latency":
        _latency_seconds = float(json.loads(request.get_data() or b"{}").get("seconds", 0))
        response = _json({"latency_seconds": _latency_seconds})
    elif path == "/health":
        response = _json({"status": "ok"})
    else:
        response = _json({"return": {"status": 404, "message": "not found"}}, 404)
    return response(environ, start_response)


def main(argv: list[str]) -> int:
    host, _, port = (argv[1] if len(argv) > 1 else "127.0.0.1:8025").partition(":")
    print(f"dev SMS provider (Kavenegar API) on http://{host}:{port}", flush=True)
    run_simple(host, int(port), application, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
