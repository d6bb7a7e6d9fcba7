"""A stalled service can be asked what it waits on: SIGUSR1 writes every green thread's stack
to its log and changes nothing else (operators: ``kill -USR1``; failed tests do it themselves)."""

from __future__ import annotations

import signal

from shared.kernel.green import STACKS_MARKER
from tests.support.processes import Platform, messages_for, wait_until


def test_sigusr1_writes_every_green_threads_stack_and_the_service_goes_on(platform: Platform) -> None:
    proc = platform.start("notifications")
    proc.send_signal(signal.SIGUSR1)
    wait_until(lambda: STACKS_MARKER in platform.log_text("notifications"), timeout=10, what="the stacks")
    stacks = platform.log_text("notifications").split(STACKS_MARKER, 1)[1]
    assert "kombu" in stacks and "shared/kernel/runner.py" in stacks  # the consumer loop and the main one
    assert proc.poll() is None
    assert messages_for(platform, "+989120000000") == []  # still answering
