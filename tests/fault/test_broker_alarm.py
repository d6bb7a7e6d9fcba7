"""RabbitMQ's memory alarm as a customer sees it (issue #20): while the broker blocks
publishers, the gateway answers 503 with Retry-After at once instead of letting each request
hang for its RPC timeout, /health names the cause, and all is as before once it clears."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from services.gateway.broker_alarm import PROBE_SECONDS
from tests.support.network import free_port
from tests.support.processes import Platform, wait_until


def rabbitmqctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, text=True, timeout=60).stdout


@contextmanager
def memory_alarm() -> Iterator[None]:
    """Sets the memory watermark below what the broker uses (the alarm goes off), and back."""
    before = rabbitmqctl("eval", "vm_memory_monitor:get_vm_memory_high_watermark().").strip()
    rabbitmqctl("set_vm_memory_high_watermark", "0.0000001")
    try:
        yield
    finally:
        rabbitmqctl("set_vm_memory_high_watermark", before if before.replace(".", "", 1).isdigit() else "0.4")


def register(gateway: str, number: str) -> requests.Response:
    return requests.post(f"{gateway}/identity/registrations", json={"mobile": number, "password": "Str0ng!pass"},
                         timeout=30)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # the broker is under test, not the store
def test_while_the_broker_blocks_publishers_the_gateway_answers_503_at_once(platform: Platform) -> None:
    address = f"127.0.0.1:{free_port()}"
    platform.start("identity")
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    gateway = f"http://{address}"
    wait_until(lambda: register(gateway, "09120000001").status_code < 300, timeout=30,
               what="the gateway and identity to answer")

    with memory_alarm():
        # The gateway hears of it within a probe's second; a request already waiting on a blocked
        # publish when the alarm went off waits for its timeout (docs/operations.md).
        time.sleep(3 * PROBE_SECONDS)
        health = requests.get(f"{gateway}/health", timeout=5)
        assert health.status_code == 503
        assert health.json()["services"]["gateway"]["degraded"]["broker"]["reason"].startswith("publishers blocked")
        started = time.monotonic()
        refused = register(gateway, "09120000002")
        took = time.monotonic() - started
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5", refused.text
        assert refused.json()["error"] == "service_unavailable" and refused.json()["message"]["fa"]
        assert took < 1.0, f"answered after {took:.1f} s"

    wait_until(lambda: register(gateway, "09120000002").status_code < 300, timeout=30,
               what="sign-ups to work again once the alarm clears")
    assert requests.get(f"{gateway}/health", timeout=30).json()["services"]["gateway"]["degraded"] == {}
