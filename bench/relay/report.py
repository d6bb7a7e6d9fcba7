"""The table on stdout and the same figures as JSON under bench/results/."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.relay.figures import Figure
from bench.relay.hop import P99_TARGET_MS, RATE
from bench.relay.throughput import TARGET

RESULTS = Path(__file__).resolve().parents[1] / "results"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def machine_lines(machine: dict[str, Any]) -> list[str]:
    libs = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items())
    return [
        f"machine   : {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram_gib']} GiB RAM, {machine['os']}",
        f"software  : Python {machine['python']}, RabbitMQ {machine['rabbitmq']}, "
        f"PostgreSQL {machine['postgresql']}",
        f"libraries : {libs}",
        f"commit    : {machine['commit']}",
        f"before    : load average {machine['loadavg_1min_before']}, CPU {machine['cpu_busy_pct_before']}% busy "
        f"over 1 s; Python canary {machine['python_canary_ms_before']} ms (lower is faster)",
    ]


def targets(figures: list[Figure]) -> list[dict[str, Any]]:
    verdicts = []
    for figure in figures:
        if figure.key.startswith("e."):
            verdicts.append({"target": f"relay ≥ {TARGET:,} events/s confirmed", "figure": figure.key,
                             "value": figure.value, "verdict": figure.detail["verdict"]})
        if figure.key == "f.p99":
            verdicts.append({"target": f"hop p99 ≤ {P99_TARGET_MS:g} ms at {RATE} events/s, none lost",
                             "figure": figure.key, "value": figure.value,
                             "lost": figure.detail.get("lost"), "verdict": figure.detail.get("verdict", "MISS")})
    return verdicts


def table(figures: list[Figure]) -> list[str]:
    rows = [("", "measurement", "this run", "unit", "published here"), ("-",) * 5]
    rows += [(f.key, f.label, fmt(f.value, f.unit), f.unit, f.published or "") for f in figures]
    widths = [max(len(row[i]) for row in rows if row[0] != "-") for i in range(5)]
    return ["  ".join(("-" * w if row[0] == "-" else cell.ljust(w)) for cell, w in zip(row, widths, strict=True))
            .rstrip() for row in rows]


def target_lines(verdicts: list[dict[str, Any]]) -> list[str]:
    lines = []
    for v in verdicts:
        unit = "ms" if v["figure"].startswith("f.") else "events/s"
        extra = f", lost {v['lost']}" if "lost" in v else ""
        lines.append(f"{v['verdict']:4}  {v['target']}: {v['figure']} = {fmt(v['value'], unit)} {unit}{extra}")
    return lines


def detail_lines(figures: list[Figure]) -> list[str]:
    return [f"{f.key}: " + ", ".join(f"{k}={v}" for k, v in f.detail.items() if k != "verdict")
            for f in figures if f.detail]


def results_stem(started: datetime) -> str:
    return f"relay-{started.strftime('%Y%m%dT%H%M%SZ')}"


def write_json(started: datetime, env_namespace: str, machine: dict[str, Any], figures: list[Figure],
               errors: dict[str, str], cleanup: list[str], seconds: float) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{results_stem(started)}.json"
    document = {
        "started_at": started.isoformat(), "seconds": round(seconds, 1), "namespace": env_namespace,
        "machine": machine, "targets": targets(figures),
        "figures": {f.key: f.as_json() for f in figures},
        "errors": errors, "cleanup_problems": cleanup,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path


def render(figures: list[Figure], errors: dict[str, str]) -> str:
    lines = [*table(figures), "", "targets (from the issue):",
             *target_lines(targets(figures)), "", "details:", *detail_lines(figures)]
    lines += [f"ERROR in {name}: {error}" for name, error in errors.items()]
    return "\n".join(lines)
