"""How the providers' stand-ins (payment sandbox, SMS provider, tax sandbox) serve HTTP: with
persistent HTTP/1.1 connections, as the real providers do. Werkzeug's development server closes
every connection, so each call of ours paid a TCP connect and the stand-in a new thread: about
a tenth of billing's CPU in the lifecycle bench (issue #16), a cost the real providers do not
impose. eventlet's WSGI server (eventlet is already the services' runtime) keeps them open.

The handlers run on green threads. ``time.sleep`` (the SMS provider's simulated latency) is made
green, or one slow answer would hold every other; their locks stay the standard ones, which is
safe because no handler sleeps or does I/O while holding one."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import eventlet
import eventlet.wsgi

WsgiApp = Callable[..., Any]


def serve(host: str, port: int, application: WsgiApp) -> None:
    """Serve ``application`` until the process is stopped, one access line per request on stdout."""
    eventlet.monkey_patch(time=True)
    eventlet.wsgi.server(eventlet.listen((host, port)), application, log=sys.stdout, debug=False,
                         keepalive=True)
