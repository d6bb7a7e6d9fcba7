"""The relay's loop (issue #16): it reads the log only when there may be something new, and writes
its checkpoint at most every CHECKPOINT_SECONDS while busy, at once when quiet, and when it
stops — never leaving what it published unrecorded once it rests. In memory: the rules of the
loop; the checkpoint's and the broker's wiring are tests/integration/test_relay.py's."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from services.identity.application import IdentityApplication
from services.identity.translations import translate
from shared.kernel import relay as relay_module
from shared.kernel.publisher import Outgoing
from shared.kernel.relay import Relay
from shared.kernel.store import Cause
from tests.support.identity import identity_in_memory
from tests.support.processes import wait_until
from tests.support.relay import MemoryCheckpoint


class Broker:
    """Confirms every batch after a moment (outside our boundary)."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.published: list[Outgoing] = []
        self.batches, self.seconds = 0, seconds

    def publish_batch(self, outgoing: list[Outgoing]) -> None:
        time.sleep(self.seconds)
        self.published.extend(outgoing)
        self.batches += 1

    def close(self) -> None:
        pass


class Running:
    def __init__(self, app: IdentityApplication, poll_seconds: float, broker: Broker,
                 gather_seconds: float | None = None) -> None:
        settings = dataclasses.replace(app.settings, relay_poll_seconds=poll_seconds)
        if gather_seconds is not None:
            settings = dataclasses.replace(settings, relay_gather_seconds=gather_seconds)
        self.checkpoint, self.broker = MemoryCheckpoint(), broker
        self.relay = Relay(app, translate, settings, checkpoint=self.checkpoint, publisher=broker)  # type: ignore[arg-type]
        self.reads: list[int] = []  # notifications each read of the log returned
        select = app.recorder.select_notifications

        def counted(*args: Any, **kwargs: Any) -> Any:
            found = select(*args, **kwargs)
            self.reads.append(len(found))
            return found

        app.recorder.select_notifications = counted  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.relay.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.relay.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def app() -> Iterator[IdentityApplication]:
    yield identity_in_memory()


def register(app: IdentityApplication, n: int) -> None:
    app.register(f"0912{n:07d}", "Str0ng!pass", Cause.new_request())  # two events: registered, code issued


def test_each_save_is_read_once_and_not_again_for_nothing(app: IdentityApplication) -> None:
    running = Running(app, poll_seconds=30, broker=Broker())  # no polling: only a save wakes it
    try:
        wait_until(lambda: running.reads, what="the first read")
        for n in range(1, 4):
            register(app, n)
            wait_until(lambda n=n: running.relay.position == 2 * n, timeout=5, what=f"save {n} published")
        time.sleep(0.2)
        assert len(running.broker.published) == 6
        # The read at start found nothing; then one read per save, each finding its two events:
        # a short batch means caught up, so no read follows that can only come back empty.
        assert running.reads == [0, 2, 2, 2]
    finally:
        running.stop()


def test_a_quiet_relay_checkpoints_what_it_published_at_once(app: IdentityApplication) -> None:
    running = Running(app, poll_seconds=0.05, broker=Broker())
    try:
        register(app, 1)
        wait_until(lambda: running.checkpoint.position == 2, timeout=2, what="the checkpoint after quiet")
        assert running.checkpoint.saves == 1
        time.sleep(0.3)  # quiet polls with nothing new write nothing
        assert running.checkpoint.saves == 1
    finally:
        running.stop()


def test_a_busy_relay_checkpoints_at_most_every_interval(app: IdentityApplication,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relay_module, "CHECKPOINT_SECONDS", 0.3)
    running = Running(app, poll_seconds=1.0, broker=Broker(seconds=0.02))  # every batch takes 20 ms
    try:
        started = time.monotonic()
        for n in range(1, 41):  # saves arrive faster than the broker confirms
            register(app, n)
            time.sleep(0.01)
        wait_until(lambda: running.relay.position == 80, timeout=10, what="every save published")
        busy = time.monotonic() - started
        wait_until(lambda: running.checkpoint.position == 80, timeout=3, what="the checkpoint once quiet")
        assert running.broker.batches >= 10
        assert running.checkpoint.saves <= busy / 0.3 + 2 < running.broker.batches
    finally:
        running.stop()


def test_a_stopping_relay_checkpoints_what_it_published(app: IdentityApplication,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relay_module, "CHECKPOINT_SECONDS", 60.0)
    running = Running(app, poll_seconds=30, broker=Broker())
    register(app, 1)
    register(app, 2)
    wait_until(lambda: running.relay.position == 4, timeout=5, what="published")
    assert running.checkpoint.position < 4  # busy and not yet due
    running.stop()
    assert running.checkpoint.position == 4


def test_a_busy_relay_reads_the_commits_of_an_interval_together(app: IdentityApplication) -> None:
    running = Running(app, poll_seconds=30, broker=Broker(), gather_seconds=0.25)
    try:
        wait_until(lambda: running.reads, what="the first read")
        started = time.monotonic()
        for n in range(1, 21):  # twenty saves, one after another, as fast as they come
            register(app, n)
        wait_until(lambda: running.relay.position == 40, timeout=10, what="every save published")
        busy = time.monotonic() - started
        assert len(running.broker.published) == 40
        reads = [found for found in running.reads[1:] if found]
        # One read per interval at most (and the first at once): several saves in each read.
        assert len(reads) <= busy / 0.25 + 2 < 20
        assert max(reads) > 2
    finally:
        running.stop()


def test_a_save_after_a_quiet_read_goes_at_once_one_after_a_busy_read_is_gathered(app: IdentityApplication) -> None:
    running = Running(app, poll_seconds=30, broker=Broker(), gather_seconds=5.0)
    try:
        wait_until(lambda: running.reads, what="the first read")  # it found nothing: quiet
        register(app, 1)
        wait_until(lambda: running.relay.position == 2, timeout=2, what="published without gathering")
        register(app, 2)  # right after a read that found something: gathered
        time.sleep(1.0)
        assert running.relay.position == 2
        wait_until(lambda: running.relay.position == 4, timeout=10, what="published after gathering")
    finally:
        running.stop()
