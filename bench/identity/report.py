"""The verdict, the printed table and the JSON file in bench/results/."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.identity.profile import CATEGORIES
from shared.kernel.config import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results"
ARGON2_CATEGORY = CATEGORIES[0][0]
LOADS = ("signups", "logins", "logins_fresh_address")
LABELS = {"signups": "sign-ups via gateway, 4 clients", "logins": "logins via gateway, 4 clients",
          "logins_fresh_address": "  the same, each user from a fresh address"}


def stem(started_at: datetime) -> str:
    return f"identity-{started_at:%Y%m%dT%H%M%SZ}"


def verdict(results: dict[str, Any], target: float) -> dict[str, Any] | None:
    """Logins/s against the raw single-process verify rate: the identity service is one process."""
    try:
        logins = float(results["logins"]["per_second"])
        raw_1p = float(results["argon2"]["verify_1p"]["per_second"])
        raw_2p = float(results["argon2"]["verify_2p"]["per_second"])
    except (KeyError, TypeError):
        return None
    found: dict[str, Any] = {
        "target": f"logins/s >= {target:.0%} of the raw single-process argon2id verify rate",
        "logins_per_second": logins, "raw_verify_1p_per_second": raw_1p, "raw_verify_2p_per_second": raw_2p,
        "logins_pct_of_raw_1p": round(100 * logins / raw_1p, 1),
        "logins_pct_of_raw_2p": round(100 * logins / raw_2p, 1),
        "pass_start_of_run": logins >= target * raw_1p,
    }
    brackets = results.get("raw_verify_brackets", [])
    for i, phase in enumerate(("logins", "logins_fresh_address")):
        if phase not in results or len(brackets) < i + 2:
            continue
        before, after = brackets[i]["per_second"], brackets[i + 1]["per_second"]
        reference = (before + after) / 2
        rate = float(results[phase]["per_second"])
        found[f"{phase}_bracketed"] = {
            "raw_verify_before": before, "raw_verify_after": after, "reference": round(reference, 2),
            "drift_pct": round(100 * abs(before - after) / reference, 1),
            "pct_of_reference": round(100 * rate / reference, 1), "pass": rate >= target * reference}
    # With --profile: the share of identity's wall time in argon2 verify. identity is CPU-bound
    # on one core, so this share is logins/s ÷ the verify rate of that moment, free of drift.
    for phase, prof in results.get("profile", {}).items():
        share = prof.get("shares_pct", {}).get(ARGON2_CATEGORY)
        if share is not None:
            found[f"{phase}_argon2_share_pct_pyspy"] = share
    # The verdict: against the raw rate measured around the logins, else against the run's start.
    found["pass"] = found.get("logins_bracketed", {}).get("pass", found["pass_start_of_run"])
    for phase in ("logins", "logins_fresh_address"):
        identity = results.get(phase, {}).get("cpu", {}).get("processes", {}).get("identity")
        if identity:
            verify_ms = 1000 / found.get(f"{phase}_bracketed", {}).get("reference", raw_1p)
            found[f"identity_{phase}"] = {
                "cpu_ms_per_login": identity["cpu_ms_per_operation"], "raw_verify_ms": round(verify_ms, 2),
                "cpu_ms_per_login_beyond_verify": round(identity["cpu_ms_per_operation"] - verify_ms, 2),
                "cores_busy": identity["cores_busy"]}
    return found


def _rate(figure: dict[str, Any]) -> str:
    runs = ", ".join(f"{r:.1f}" for r in figure["runs_per_second"])
    return f"{figure['per_second']:,.1f} /s ({figure['ms_per_operation']:.1f} ms each; median of {runs})"


def _load(figure: dict[str, Any]) -> str:
    latency = figure["latency_ms"]
    return (f"{figure['per_second']:,.1f} /s, p50 {latency['p50']} ms, p99 {latency['p99']} ms "
            f"({figure['ok']} in {figure['seconds']} s, {figure['unexpected']} unexpected)")


def lines(results: dict[str, Any]) -> list[str]:
    rows: list[tuple[str, str]] = []
    raw = results.get("argon2", {})
    if raw:
        p = raw["parameters"]
        rows.append(("argon2id parameters", f"t={p['time_cost']}, m={p['memory_cost_kib']} KiB, "
                                            f"p={p['parallelism']} (services.identity.passwords)"))
        for key, label in (("hash_1p", "raw hash, 1 process"), ("hash_2p", "raw hash, 2 processes"),
                           ("verify_1p", "raw verify, 1 process"), ("verify_2p", "raw verify, 2 processes")):
            if key in raw:
                rows.append((label, _rate(raw[key])))
    for phase in LOADS:
        if phase in results:
            rows.append((LABELS[phase], _load(results[phase])))
        if phase == "signups" and phase in results:
            s = results["signups"]
            rows.append(("  sign-up p50, first / last 50", f"{s['p50_first_50_ms']} / {s['p50_last_50_ms']} ms"))
    v = results.get("verdict")
    if v:
        rows.append(("logins / raw verify at start (1 process)", f"{v['logins_pct_of_raw_1p']} %"))
        rows.append(("logins / raw verify at start (2 processes)", f"{v['logins_pct_of_raw_2p']} % (context only)"))
        for phase, label in (("logins", "logins / raw verify bracketing them"),
                             ("logins_fresh_address", "  the same, fresh addresses")):
            b = v.get(f"{phase}_bracketed")
            if b:
                verdict_text = "PASS" if b["pass"] else "MISS"
                rows.append((label, f"{b['pct_of_reference']} % of {b['reference']} /s (raw {b['raw_verify_before']}"
                                    f" before, {b['raw_verify_after']} after): "
                                    + (f"target >= 80 %: {verdict_text}" if phase == "logins"
                                       else f"{verdict_text} (diagnostic)")))
        for phase, label in (("logins", "py-spy: identity's time in argon2 verify"),
                             ("logins_fresh_address", "  the same, fresh addresses")):
            if f"{phase}_argon2_share_pct_pyspy" in v:
                share = v[f"{phase}_argon2_share_pct_pyspy"]
                rows.append((label, f"{share} % (≈ logins ÷ the verify rate of that moment)"))
        for phase, label in (("logins", "identity CPU per login"),
                             ("logins_fresh_address", "  the same, fresh addresses")):
            if f"identity_{phase}" in v:
                i = v[f"identity_{phase}"]
                rows.append((label, f"{i['cpu_ms_per_login']} ms = {i['raw_verify_ms']} ms verify + "
                                    f"{i['cpu_ms_per_login_beyond_verify']} ms else; {i['cores_busy']} cores busy"))
    width = max((len(label) for label, _ in rows), default=10)
    out = ["", f"{'measurement':<{width}}  this run", f"{'-' * width}  {'-' * 60}"]
    out += [f"{label:<{width}}  {value}" for label, value in rows]
    for phase in LOADS:
        usage = results.get(phase, {}).get("cpu")
        if usage:
            out.append(f"\nCPU during {phase} ({usage['wall_seconds']} s, machine {usage['machine_busy_pct']} % busy, "
                       f"{usage['steal_pct']} % stolen by the hypervisor):")
            for name, figure in usage["processes"].items():
                out.append(f"  {name:<14} {figure['cpu_ms_per_operation']:>7.2f} ms per request, "
                           f"{figure['cores_busy']:.2f} cores")
        for failure in results.get(phase, {}).get("failures", []):
            out.append(f"  unexpected: {failure}")
    for phase, prof in results.get("profile", {}).items():
        if "skipped" in prof:
            out.append(f"\nprofile of {phase} skipped: {prof['skipped']}")
            continue
        out.append(f"\nidentity under {phase}, py-spy ({prof['samples']} samples, {prof['per_second']} logins/s "
                   "while sampled), share of its wall time:")
        out += [f"  {share:5.1f} %  {name}" for name, share in prof["shares_pct"].items()]
    out.append(f"\nrun took {results.get('seconds')} s; namespace {results.get('namespace')}; "
               f"clean-up left: {results.get('cleanup_leftovers') or 'nothing'}")
    if results.get("error"):
        out.append(f"ERROR: {results['error']}")
    return out


def write(results: dict[str, Any], started_at: datetime) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stem(started_at)}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    return path
