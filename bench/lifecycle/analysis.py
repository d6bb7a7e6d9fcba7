"""From what the bench drove and what its tap saw, to figures: onboardings/s, latency
percentiles, what was lost, and where the time went between the milestones."""

from __future__ import annotations

import gzip
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.lifecycle.load import LoadResult
from bench.lifecycle.tap import COMPLETE, Seen, Tap
from bench.relay.figures import latency_summary
from tests.support.processes import Platform


def _ms(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    figures = {k: round(v, 1) for k, v in (latency_summary(values) | {"mean": statistics.fmean(values)}).items()}
    return figures | {"count": len(values)}


def summarise(load: LoadResult, tap: Tap, target_rate: float, target_p99_ms: float) -> dict[str, Any]:
    latencies, latencies_recorded, from_click, callbacks = [], [], [], []
    completions: list[float] = []
    errors: dict[str, int] = defaultdict(int)
    # Between the milestones, each from its producer's occurred_at (one clock: one machine).
    stages: dict[str, list[float]] = defaultdict(list)
    incomplete: dict[str, int] = defaultdict(int)
    for offered in load.offered:
        if offered.error:
            errors[offered.error.split(":")[0]] += 1
            continue
        callbacks.append((offered.verified - offered.started) * 1000)
        steps: dict[str, Seen] = tap.by_correlation.get(offered.correlation, {})
        if not all(step in steps for step in COMPLETE):
            for step in COMPLETE:
                if step not in steps:
                    incomplete[step] += 1
            continue
        done = max(steps[step].received for step in COMPLETE)
        completions.append(done)
        latencies.append((done - offered.verified) * 1000)
        from_click.append((done - offered.started) * 1000)
        paid = steps.get("payment_succeeded")
        if paid is not None:
            latencies_recorded.append((max(steps[s].occurred for s in COMPLETE) - paid.occurred) * 1000)
            for step, seen in steps.items():
                if step != "payment_succeeded":
                    stages[f"payment_succeeded → {step}"].append((seen.occurred - paid.occurred) * 1000)
            stages["callback answered − payment_succeeded occurred"].append((offered.verified - paid.occurred) * 1000)
        for step, seen in steps.items():
            stages[f"{step}: occurred → reached the bench"].append((seen.received - seen.occurred) * 1000)
    offered_count = len(load.offered)
    completed = len(completions)
    span = (max(completions) - load.first_start) if completions else 0.0
    offered_span = load.last_start - load.first_start
    achieved = completed / span if span > 0 else 0.0
    lat = _ms(latencies)
    verdict = {
        "target": f"p99 ≤ {target_p99_ms:.0f} ms at {target_rate:g} onboardings/s sustained, nothing lost",
        "offered_rate_ok": load.rate >= target_rate and load.late_starts == 0,
        "p99_ok": bool(lat and lat["p99"] <= target_p99_ms),
        "nothing_lost": completed == offered_count,
    }
    verdict["met"] = all(verdict[k] for k in ("offered_rate_ok", "p99_ok", "nothing_lost"))
    return {
        "offered": offered_count,
        "offered_rate_set": load.rate,
        "offered_rate_actual": round((offered_count - 1) / offered_span, 2) if offered_span > 0 else None,
        "late_starts": load.late_starts,
        "callback_errors": dict(errors),
        "completed": completed,
        "lost": offered_count - completed,
        "missing_milestones": dict(incomplete),
        "duplicates_seen": tap.duplicates,
        "sms_failed": sum(1 for o in load.offered if "sms_failed" in tap.by_correlation.get(o.correlation, {})),
        "onboardings_per_s": round(achieved, 2),
        "seconds_first_payment_to_last_completion": round(span, 2),
        "latency_ms": lat,
        "latency_recorded_ms": _ms(latencies_recorded),
        "from_pay_page_ms": _ms(from_click),
        "callback_ms": _ms(callbacks),
        "stages_ms": {name: _ms(values) for name, values in sorted(stages.items())},
        "verdict": verdict,
    }


def inbox_lags(platform: Platform, prefix: str) -> dict[str, Any]:
    """Each service's inbox: per event type, `lag_ms` (the producer's append → handled here,
    relay, broker, queueing and handling included) for the bench's onboardings."""
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(platform.logs.glob("*.log")):
        service = path.name.split(".")[0]
        with open(path, "rb") as log:
            for raw in log:
                if b'"inbox.handled"' not in raw or prefix.encode() not in raw:
                    continue
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                found[service][str(line.get("type"))].append(float(line["lag_ms"]))
    return {service: {kind: _ms(values) for kind, values in kinds.items()} for service, kinds in found.items()}


def deliveries(lags: dict[str, Any]) -> int:
    """How many deliveries the services' inboxes handled for the bench's onboardings."""
    return sum(int(figures["count"]) for kinds in lags.values() for figures in kinds.values() if figures)


def cpu_per_delivery(cpu: dict[str, Any], postgres_seconds: float, handled: int,
                     floor: dict[str, Any] | None) -> dict[str, Any]:
    """The figure of merit of issue #16: all processes' CPU (services, gateway, broker,
    PostgreSQL's backends) per delivery handled, beside the one-hop floor of the same run."""
    total = sum(p["cpu_seconds"] for p in cpu["processes"].values()) + postgres_seconds
    per = round(1000 * total / handled, 2) if handled else None
    found: dict[str, Any] = {"deliveries": handled, "cpu_seconds_all_processes": round(total, 2),
                             "postgres_cpu_seconds": round(postgres_seconds, 2), "cpu_ms_per_delivery": per}
    if floor and per is not None:
        found["floor_cpu_ms_per_hop"] = floor["cpu_ms_per_hop_total"]
        found["times_the_floor"] = round(per / floor["cpu_ms_per_hop_total"], 2)
    return found


def keep_logs(platform: Platform, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for log in sorted(platform.logs.glob("*.log")):
        with open(log, "rb") as source, gzip.open(into / f"{log.name}.gz", "wb") as target:
            target.write(source.read())
