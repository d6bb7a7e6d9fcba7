"""The relay on SQLite and PostgreSQL: in order, confirmed, checkpoint only after the broker
confirmed, one leader at a time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from kombu import Connection

from services.identity.application import IdentityApplication
from services.identity.translations import translate
from shared.events.base import event_id_for
from shared.kernel import topology
from shared.kernel.config import Settings
from shared.kernel.publisher import PublishFailed
from shared.kernel.relay import Relay, checkpoint_for
from shared.kernel.sealing import development_keypair
from shared.kernel.store import Cause
from tests.support.processes import wait_until

SettingsFor = Callable[..., Settings]


def identity(settings: Settings) -> IdentityApplication:
    return IdentityApplication(settings, sealing_public_key=development_keypair(settings.var_dir / "keys")[1])


def drain(settings: Settings, service: str) -> list[dict[str, object]]:
    bodies = []
    with Connection(settings.amqp_uri) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(topology.work_queue_name(settings, service), no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies


def test_publishes_in_order_with_stable_ids_and_moves_its_checkpoint(settings_for: SettingsFor) -> None:
    settings = settings_for("identity")
    topology.declare(settings)
    app = identity(settings)
    for i in range(3):
        app.register(f"0912000000{i}", "Str0ng!pass", Cause(f"req-{i}"))
    relay = Relay(app, translate, settings)
    assert relay.lag() == 6
    assert relay.publish_next_batch() == 6
    assert relay.publish_next_batch() == 0
    assert relay.lag() == 0 and checkpoint_for(settings).load() == 6
    received = drain(settings, "notifications")
    positions = [m["producer_position"] for m in received]
    assert positions == [1, 2, 3, 4, 5, 6]  # UserRegistered and VerificationCodeIssued, in log order
    assert [m["event_id"] for m in received] == [str(event_id_for("identity", p)) for p in positions]
    assert [m["correlation_id"] for m in received][::2] == ["req-0", "req-1", "req-2"]
    relay.close()


def test_checkpoint_stays_put_when_the_broker_refuses(settings_for: SettingsFor) -> None:
    settings = settings_for("identity")
    app = identity(settings)  # topology not declared yet: the exchange does not exist
    app.register("09120000001", "Str0ng!pass", Cause("r"))
    relay = Relay(app, translate, settings)
    with pytest.raises(PublishFailed):
        relay.publish_next_batch()
    assert relay.position == 0 and checkpoint_for(settings).load() == 0
    topology.declare(settings)
    assert relay.publish_next_batch() == 2
    assert len(drain(settings, "notifications")) == 2
    relay.close()


def test_a_restarted_relay_resumes_from_its_checkpoint(settings_for: SettingsFor) -> None:
    settings = settings_for("identity")
    topology.declare(settings)
    app = identity(settings)
    app.register("09120000001", "Str0ng!pass", Cause("r1"))
    first = Relay(app, translate, settings)
    first.publish_next_batch()
    first.close()
    app.register("09120000002", "Str0ng!pass", Cause("r2"))
    second = Relay(app, translate, settings)
    assert second.position == 2
    second.publish_next_batch()
    assert [m["producer_position"] for m in drain(settings, "notifications")] == [1, 2, 3, 4]
    second.close()


def test_only_one_relay_leads(settings_for: SettingsFor) -> None:
    settings = settings_for("identity")
    identity(settings)  # creates the store
    leader, standby = checkpoint_for(settings), checkpoint_for(settings)
    assert leader.acquire_leadership()
    assert not standby.acquire_leadership()
    leader.close()
    # PostgreSQL frees a closed session's advisory lock when its backend has exited, a moment later.
    wait_until(standby.acquire_leadership, timeout=10, what="the standby to take over")
    standby.close()


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_relay_whose_database_connections_are_terminated_reconnects_and_goes_on(settings_for: SettingsFor) -> None:
    """pg_terminate_backend (a failover, an operator) used to end the relay's green thread with
    the checkpoint's AdminShutdown, and nameko then killed the whole service."""
    import eventlet
    import psycopg

    from shared.kernel.store import postgres_dsn
    from tests.support.processes import wait_until

    settings = settings_for("identity")
    topology.declare(settings)
    app = identity(settings)
    app.register("09120000001", "Str0ng!pass", Cause("r1"))
    relay = Relay(app, translate, settings)
    thread = eventlet.spawn(relay.run)
    try:
        wait_until(lambda: relay.position == 2, what="the first events published")
        with psycopg.connect(postgres_dsn(settings, "postgres"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                          (settings.postgres_dbname,))
        app.register("09120000002", "Str0ng!pass", Cause("r2"))
        wait_until(lambda: relay.position == 4 and checkpoint_for(settings).load() == 4, timeout=30,
                   what="the relay to publish after the connections were terminated")
        assert not thread.dead
        positions = [m["producer_position"] for m in drain(settings, "notifications")]
        assert sorted(set(positions)) == [1, 2, 3, 4]  # a batch published twice is de-duplicated downstream
    finally:
        relay.stop()
        thread.wait()
        relay.close()


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_relay_on_postgres_sleeps_until_the_store_announces_a_commit(settings_for: SettingsFor,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: the relay listens on the store's channel instead of reading its log 20 times a
    second. Another replica's save (another process: nothing wakes this relay but the store's
    announcement) is published at once, an idle relay reads its log only once a poll, and a stop
    is heard at once."""
    import eventlet

    from shared.kernel import relay as relay_module

    monkeypatch.setattr(relay_module, "LISTENING_POLL_SECONDS", 5.0)  # no polling to hide behind
    settings = settings_for("identity")
    topology.declare(settings)
    app, other_replica = identity(settings), identity(settings)
    relay = Relay(app, translate, settings)
    reads: list[int] = []
    select = app.recorder.select_notifications
    app.recorder.select_notifications = lambda *a, **k: reads.append(1) or select(*a, **k)  # type: ignore[method-assign]
    thread = eventlet.spawn(relay.run)
    try:
        wait_until(lambda: reads, what="the relay's first read")
        eventlet.sleep(1.0)
        assert len(reads) == 1  # idle: no read at all (polling at 50 ms would have read ~20 times)
        other_replica.register("09120000003", "Str0ng!pass", Cause("r3"))
        wait_until(lambda: relay.position == 2, timeout=3, interval=0.05, what="the other replica's events published")
        wait_until(lambda: checkpoint_for(settings).load() == 2, timeout=3, what="the checkpoint once quiet")
        assert [m["producer_position"] for m in drain(settings, "notifications")] == [1, 2]
        asked = time.monotonic()
        relay.stop()
        thread.wait()
        assert time.monotonic() - asked < 1.0  # a stop is heard within a slice, not after the 5-s poll
    finally:
        relay.stop()
        thread.wait()
        relay.close()
        other_replica.close()
