"""A degraded component says so once when it starts and once when it ends, and /health shows
it meanwhile (shared/kernel/degradation.py)."""

from __future__ import annotations

from structlog.testing import capture_logs

from shared.kernel.degradation import Degradation


def test_a_degraded_component_is_reported_once_and_shown_until_it_recovers() -> None:
    health = Degradation()
    with capture_logs() as logs:
        health.degraded("relay", "broker_unavailable")
        health.degraded("relay", "broker_unavailable")  # every retry: no second line
        health.degraded("relay", "store_unavailable")  # the first reason stands until recovery
        shown = health.figure()
        health.recovered("relay")
        health.recovered("relay")  # nothing to report twice
    assert shown["relay"]["reason"] == "broker_unavailable" and shown["relay"]["seconds"] >= 0
    assert [(line["event"], line["log_level"]) for line in logs] == [("degraded", "warning"), ("recovered", "info")]
    assert logs[1]["reason"] == "broker_unavailable" and logs[1]["degraded_seconds"] >= 0
    assert health.figure() == {}


def test_components_are_degraded_independently() -> None:
    health = Degradation()
    with capture_logs():
        health.degraded("relay", "store_unavailable")
        health.degraded("inbox", "store_failing")
        health.recovered("relay")
    assert list(health.figure()) == ["inbox"]
