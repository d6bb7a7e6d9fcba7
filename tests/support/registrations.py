"""Many sign-ups at once through identity's RPC, and the proof each number got its one SMS:
what the kernel's fault tests (a producer or consumer killed, a broker restart, a graceful
stop) assert after the damage."""

from __future__ import annotations

import time

import eventlet

from tests.support.processes import Platform, e164, messages_for, mobile_number, wait_until


def register_chunk(platform: Platform, numbers: list[int]) -> list[dict[str, object]]:
    with platform.rpc() as rpc:  # one proxy per green thread: a proxy is not shareable
        return [rpc.identity.register(mobile_number(i), "Str0ng!pass") for i in numbers]


def register_many(platform: Platform, numbers: range, concurrency: int = 10) -> None:
    chunks = [list(numbers)[k::concurrency] for k in range(concurrency)]
    results = [r for chunk in eventlet.GreenPool(concurrency).imap(
        lambda c: register_chunk(platform, c), chunks) for r in chunk]
    assert len(results) == len(numbers) and all("ok" in r for r in results), results


def each_has_exactly_one_message(platform: Platform, numbers: range) -> bool:
    return all(len(messages_for(platform, e164(i))) == 1 for i in numbers)


def assert_exactly_once(platform: Platform, numbers: range, timeout: float = 60) -> None:
    try:
        wait_until(lambda: each_has_exactly_one_message(platform, numbers), timeout=timeout,
                   what="every number to have its one message")
    except AssertionError as timed_out:
        # Say which numbers are short and what the provider got, so a failure explains itself.
        counts = {i: len(messages_for(platform, e164(i))) for i in numbers}
        sent = {i: len(platform.sms_sent_to(e164(i))) if platform.sms_url else None for i in numbers}
        raise AssertionError(f"{timed_out}; recorded per number {counts}; provider got {sent}") from None
    time.sleep(1.0)  # give a stray duplicate time to arrive, then check again
    counts = [len(messages_for(platform, e164(i))) for i in numbers]
    assert counts == [1] * len(numbers)
