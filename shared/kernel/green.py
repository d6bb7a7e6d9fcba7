"""Eventlet, set up the one way for every process that runs the platform's code under it: the
service runner, the tests and the benches. Call ``monkey_patch()`` before anything else imports
socket, threading or psycopg."""

from __future__ import annotations

import os
import sys

import eventlet


def monkey_patch() -> None:
    # psycopg's C build (psycopg-binary) would wait for the server inside C, where eventlet
    # cannot switch: every green thread of the process would stall on each query, and one
    # waiting for a lock another holds would never get it. Its select() wait is the green one,
    # and psycopg reads this choice once, when first imported.
    if "psycopg" in sys.modules and os.environ.get("PSYCOPG_WAIT_FUNC") != "wait_select":
        raise RuntimeError("psycopg was imported before eventlet was set up; its waits would block")
    os.environ["PSYCOPG_WAIT_FUNC"] = "wait_select"
    eventlet.monkey_patch()
