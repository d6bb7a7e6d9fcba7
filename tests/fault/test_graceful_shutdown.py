"""Graceful shutdown (X-2, deploy/k8s): SIGTERM — what Kubernetes sends a pod it stops —
during a burst of work. The process stops taking messages, finishes and acknowledges what
it holds, and exits well inside its terminationGracePeriodSeconds; after a restart every
message is handled exactly once: none lost, none redelivered, no SMS asked for twice."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import eventlet
import pytest
import requests
from kombu import Connection
from nameko.containers import ServiceContainer
from nameko.rpc import RpcConsumer, rpc
from nameko.standalone.rpc import ClusterRpcProxy

from shared.kernel.config import REPO_ROOT
from shared.kernel.draining import DrainingQueueConsumer
from shared.kernel.subject_ids import stable_id
from tests.support.infrastructure import AMQP_URI
from tests.support.processes import Platform, e164, mobile_number, wait_until
from tests.support.registrations import assert_exactly_once, register_chunk, register_many
from tools.ops.k8s import TARGETS, render
from tools.ops.stores import open_store

BURST = 40  # registrations: each one a UserRegistered and a VerificationCodeIssued for notifications
# What Kubernetes grants a stopping pod before SIGKILL: the deployed manifests' own figure.
GRACE_SECONDS = min(d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] for d in render(TARGETS["prod"])
                    if d["kind"] == "Deployment" and d["metadata"]["name"] in ("identity", "notifications"))
SMS_LATENCY = 2.0  # the provider answers slowly, so SMS sends are in flight when SIGTERM lands


def handled(log: str) -> int:
    return log.count('"inbox.handled"')


def probe(platform: Platform, *flags: str) -> int:
    """The Kubernetes exec probe, run as the kubelet would."""
    return subprocess.run([sys.executable, "-m", "shared.kernel.probe", "notifications", *flags],
                          cwd=REPO_ROOT, env=platform.env(), capture_output=True, timeout=30).returncode


@pytest.mark.timeout(240)
def test_sigterm_mid_burst_finishes_in_flight_work_and_nothing_is_lost_or_done_twice(platform: Platform) -> None:
    platform.start("identity")
    provider = platform.start_sms_provider()
    requests.post(f"{provider}/_dev/latency", json={"seconds": SMS_LATENCY}, timeout=5)
    register_many(platform, range(BURST))  # 80 events wait in notifications' queue
    platform.start("notifications")
    wait_until(lambda: handled(platform.log_text("notifications")) >= 10, timeout=60, what="the burst to start")
    assert probe(platform) == 0 and probe(platform, "--ready") == 0

    started = time.monotonic()
    exit_code = platform.stop("notifications", timeout=GRACE_SECONDS)
    took = time.monotonic() - started
    first_run = platform.log_text("notifications")
    assert exit_code == 0
    assert probe(platform) == 1 and probe(platform, "--ready") == 1
    assert took < GRACE_SECONDS / 2, f"the drain took {took:.1f}s"
    handled_before_restart = handled(first_run)
    assert handled_before_restart < 2 * BURST, "SIGTERM should land mid-burst"
    # Work that was in flight when the signal came was finished, not abandoned.
    after_signal = first_run.split('"service.stopping"', 1)[1]
    assert handled(after_signal) >= 1, "nothing was in flight at SIGTERM: the test proves nothing"
    assert '"inbox.retry_scheduled"' not in first_run and '"inbox.dead_lettered"' not in first_run

    requests.post(f"{provider}/_dev/latency", json={"seconds": 0}, timeout=5)
    platform.start("notifications")
    assert_exactly_once(platform, range(BURST), timeout=90)
    everything = platform.log_text("notifications")
    # Acknowledged before the exit: the restarted process is handed no message twice.
    assert everything.count('"inbox.duplicate"') == 0
    assert handled(everything) == 2 * BURST
    # ... and the provider was asked for each SMS exactly once.
    sent = [platform.sms_sent_to(e164(i)) for i in range(BURST)]
    assert [len(s) for s in sent] == [1] * BURST
    assert [s[0]["requests"] for s in sent] == [1] * BURST


USERS = 60


def login_chunk(platform: Platform, numbers: list[int], answers: list[dict[str, Any]]) -> None:
    with platform.rpc() as rpc:  # one proxy per green thread; its calls wait out the restart
        for i in numbers:
            # A wrong password: the call records a LoginFailed on the user's stream, so a call
            # run twice would show as two.
            answers.append(rpc.identity.login(mobile_number(i), "Wr0ng!pass"))


@pytest.mark.timeout(240)
def test_sigterm_mid_burst_of_calls_answers_each_call_and_runs_none_twice(platform: Platform) -> None:
    platform.start("identity")
    chunks = [list(range(USERS))[k::10] for k in range(10)]
    registered = [r for chunk in eventlet.GreenPool(10).imap(lambda c: register_chunk(platform, c), chunks)
                  for r in chunk]
    user_ids = [uuid.UUID(str(r["ok"]["user_id"])) for r in registered]  # type: ignore[index]
    answers: list[dict[str, Any]] = []
    pool = eventlet.GreenPool(20)
    for k in range(20):
        pool.spawn(login_chunk, platform, list(range(USERS))[k::20], answers)
    wait_until(lambda: len(answers) >= 10, timeout=60, what="the logins to start")

    signalled = datetime.now(UTC)
    assert platform.stop("identity", timeout=GRACE_SECONDS) == 0
    stopped = datetime.now(UTC)
    assert (stopped - signalled).total_seconds() < GRACE_SECONDS / 2
    assert len(answers) < USERS, "SIGTERM should land mid-burst"
    platform.start("identity")  # the calls still queued are answered by the new process
    pool.waitall()
    assert len(answers) == USERS
    assert all(a.get("error") == "invalid_credentials" for a in answers), answers

    # Failed logins are counted per (number, client address): RPC callers have no address.
    throttles = [stable_id("login", f"{e164(i)}@-", platform.settings.subject_key_secret) for i in range(USERS)]
    store = open_store(replace(platform.settings, service="identity"))
    try:
        failures = [[e for e in store.repository.event_store.get(t) if type(e).__name__ == "Failed"]
                    for t in throttles]
    finally:
        store.close()
    assert user_ids  # every number was registered: the throttles are those of known numbers
    # Calls in flight at SIGTERM were finished by the stopping process ...
    assert any(signalled <= f.timestamp <= stopped for found in failures for f in found)
    # ... and acknowledged: no call was run a second time by the new one.
    assert [len(found) for found in failures] == [1] * USERS


class SlowService:
    name = "graceful_shutdown_probe"

    @rpc
    def slow(self, seconds: float) -> str:
        eventlet.sleep(seconds)
        return "done"


@pytest.mark.parametrize("draining", [True, False], ids=["draining", "stock-nameko-loses-the-ack"])
def test_a_stopping_container_answers_and_acks_a_slow_call_in_flight(
        namespace: str, amqp: Connection, monkeypatch: pytest.MonkeyPatch, draining: bool) -> None:
    """The RPC side of the drain, on a call slow enough that stock nameko loses its ack:
    it closes the connection once the consumer is cancelled, before the worker ends."""
    if draining:
        monkeypatch.setattr(RpcConsumer, "queue_consumer", DrainingQueueConsumer())
    config = {"AMQP_URI": AMQP_URI, "rpc_exchange": f"{namespace}.rpc", "serializer": "json"}
    queue = f"rpc-{SlowService.name}"
    container = ServiceContainer(SlowService, config)
    container.start()
    try:
        with ClusterRpcProxy(config, timeout=30) as proxy:
            reply = proxy.graceful_shutdown_probe.slow.call_async(4)
            eventlet.sleep(0.5)  # the call is in flight
            container.stop()
            assert reply.result() == "done"
        left = amqp.channel().queue_declare(queue, passive=True).message_count
        assert left == (0 if draining else 1)  # acked, or handed out again to the next process
    finally:
        container.kill()
        amqp.channel().queue_delete(queue)
