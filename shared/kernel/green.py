"""Eventlet, set up the one way for every process that runs the platform's code under it: the
service runner, the tests and the benches. Call ``monkey_patch()`` before anything else imports
socket, threading or psycopg."""

from __future__ import annotations

import os
import sys
from typing import TextIO

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

STACKS_MARKER = "--- stacks of"


def dump_stacks(out: TextIO) -> None:
    """Every green thread's stack, for an operator (``kill -USR1 <pid>``) or a failed test to
    see what a stalled process waits on; green threads are invisible to faulthandler."""
    import gc
    import traceback

    import greenlet

    threads = [g for g in gc.get_objects() if isinstance(g, greenlet.greenlet) and g.gr_frame is not None]
    out.write(f"{STACKS_MARKER} {len(threads)} green threads ---\n")
    for thread in threads:
        out.write("".join(traceback.format_stack(thread.gr_frame)) + "---\n")
    out.flush()
