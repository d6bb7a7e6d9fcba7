"""The run on stdout: the machine, the baselines, the onboardings, the verdict, and where the
time and the CPU went. The same figures go to bench/results/lifecycle-<UTC timestamp>.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.relay.report import machine_lines

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _pcts(figures: dict[str, float] | None) -> str:
    if not figures:
        return "—"
    return " / ".join(f"{figures[k]:,.1f}" for k in ("p50", "p95", "p99", "max")) + " ms"


def lines(results: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if "machine" in results:
        out += machine_lines(results["machine"])
        after = results["machine"].get("python_canary_ms_after")
        if after is not None:
            out.append(f"after     : load average {results['machine'].get('loadavg_1min_after')}; "
                       f"Python canary {after} ms")
    for name, figures in results.get("baselines", {}).items():
        if "p50" in figures:
            out.append(f"baseline  : {name}: {figures['per_second']:,.0f}/s one at a time, p50 / p95 / p99 / max "
                       f"{_pcts(figures)}")
        else:  # the one-hop floor: its figure is CPU per hop (bench/README.md)
            out.append(f"baseline  : {name}: {figures['per_second']:,.0f} hops/s, "
                       f"{figures['cpu_ms_per_hop_total']} ms CPU per hop ({figures['cpu_ms_per_hop']})")
    load = results.get("load")
    if load:
        out += [
            "",
            f"offered   : {load['offered']} payments at {load['offered_rate_actual']}/s "
            f"(set {load['offered_rate_set']:g}/s; "
            f"{load['late_starts']} late starts); callback errors {load['callback_errors'] or 'none'}",
            f"completed : {load['completed']} of {load['offered']}, lost {load['lost']} "
            f"(missing: {load['missing_milestones'] or 'nothing'}), duplicates seen {load['duplicates_seen']}, "
            f"SMS failures {load['sms_failed']}",
            f"rate      : {load['onboardings_per_s']} onboardings/s (completed ÷ first payment → last completion, "
            f"{load['seconds_first_payment_to_last_completion']} s)",
            f"latency   : payment verified → provisioned + admin seated + SMS sent, p50 / p95 / p99 / max "
            f"{_pcts(load['latency_ms'])}",
            f"            the same from the producers' occurred_at {_pcts(load['latency_recorded_ms'])}; "
            f"from the pay page {_pcts(load['from_pay_page_ms'])}",
            f"callback  : pay page → callback answered {_pcts(load['callback_ms'])}",
        ]
        verdict = load["verdict"]
        out.append(f"target    : {verdict['target']}: {'MET' if verdict['met'] else 'MISSED'} "
                   f"(offered rate {'ok' if verdict['offered_rate_ok'] else 'NOT ok'}, "
                   f"p99 {'ok' if verdict['p99_ok'] else 'too high'}, "
                   f"{'nothing lost' if verdict['nothing_lost'] else 'onboardings LOST'})")
        out.append("\nstages (p50 / p95 / p99 / max):")
        out += [f"  {name:58} {_pcts(figures)}" for name, figures in load["stages_ms"].items()]
        out.append("\ninbox lag, the producer's append → handled (p50 / p95 / p99 / max):")
        for service, kinds in sorted(load["inbox_lag_ms"].items()):
            out += [f"  {service:14} {kind:22} {_pcts(figures)}" for kind, figures in sorted(kinds.items())]
        cpu = load["cpu"]
        out.append(f"\nCPU over the load and its drain ({cpu['wall_seconds']} s, "
                   f"machine {cpu['machine_busy_pct']} % busy, steal {cpu['steal_pct']} %):")
        total = 0.0
        for name, used in sorted(cpu["processes"].items(), key=lambda item: -item[1]["cpu_seconds"]):
            total += used["cpu_ms_per_operation"]
            out.append(f"  {name:16} {used['cores_busy']:.2f} cores, "
                       f"{used['cpu_ms_per_operation']:.1f} ms per onboarding")
        out.append(f"  {'total':16} {total:.1f} ms per onboarding")
        if per := load.get("per_delivery"):
            out.append(f"\nCPU per delivery (all processes, PostgreSQL's backends included): "
                       f"{per['cpu_ms_per_delivery']} ms over {per['deliveries']} deliveries "
                       f"({per.get('deliveries_per_onboarding')} per onboarding); one hop's floor in this run "
                       f"{per.get('floor_cpu_ms_per_hop')} ms → {per.get('times_the_floor')}× (goal ≤ 3×)")
        if database := load.get("database_per_delivery"):
            out.append("database work per delivery (pg_stat_database: transactions, rows written, rows read):")
            for name, figures in [("all", database["all"]), *database["services"].items()]:
                out.append(f"  {name:16} {figures['transactions']:6.2f} transactions, "
                           f"{figures['rows_written']:6.2f} written, {figures['rows_read']:7.2f} read")
        if counted := load.get("statements_per_onboarding"):
            out.append(f"statements an onboarding (pg_stat_statements): {counted['all']}; by database: "
                       + ", ".join(f"{name} {made}" for name, made in counted["services"].items()))
            for service, query, made in counted["top"]:
                out.append(f"  {made:6.2f} {service:14} {query}")
    if profile := results.get("profile"):
        out.append("\nprofile (py-spy, share of each process's samples; our code and the libraries it calls):")
        for process, found in profile.items():
            ours = [(frame, share) for frame, share in found["total"]
                    if "services/" in frame or "shared/" in frame][:6]
            out.append(f"  {process} ({found['samples']} samples): "
                       + "; ".join(f"{frame.split(' (')[0]} {share}%" for frame, share in ours))
    if results.get("tap", {}).get("reconnects"):
        out.append(f"\nthe tap lost its connection and opened it again: {results['tap']['reconnects']}")
    out.append(f"\nwhole run {results.get('seconds')} s; error: {results.get('error') or 'none'}; "
               f"clean-up: {results.get('cleanup_leftovers') or 'nothing left'}")
    return out
