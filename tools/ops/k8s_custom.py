"""Structural checks for the custom resources deploy/k8s uses (the Prometheus Operator's
PrometheusRule and PodMonitor, KEDA's ScaledObject), whose schemas are not available offline:
`kubernetes-validate` ships Kubernetes' own kinds only. Each check asks what the operator
requires, refuses a field it does not know (as the strict schema check does for built-in
kinds: a misspelt `minReplicas` would otherwise be dropped by the API server), and checks the
values whose form is fixed. Not a whole schema: enough that a slip fails `make lint` rather
than the apply or, worse, an alert that never fires.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

Doc = dict[str, Any]
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")  # Prometheus' duration
SEVERITIES = {"critical", "warning", "info"}


def _fields(where: str, value: Any, required: Iterable[str], known: Iterable[str]) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: must be a mapping"]
    known = set(known) | set(required)
    return ([f"{where}: {name} is required" for name in required if name not in value]
            + [f"{where}: unknown field {name}" for name in value if name not in known])


def _list(where: str, value: Any) -> list[str]:
    return [] if isinstance(value, list) and value else [f"{where}: must be a non-empty list"]


def prometheus_rule(doc: Doc) -> list[str]:
    spec: Any = doc.get("spec")
    problems = _fields("spec", spec, ["groups"], []) or _list("spec.groups", spec["groups"])
    if problems:
        return problems
    names = [str(g.get("name")) for g in spec["groups"] if isinstance(g, dict)]
    problems += [f"spec.groups: group {n} twice" for n in sorted({n for n in names if names.count(n) > 1})]
    for i, group in enumerate(spec["groups"]):
        where = f"spec.groups[{i}]"
        group_problems = _fields(where, group, ["name", "rules"],
                                 ["interval", "limit", "labels", "query_offset", "partial_response_strategy"])
        problems += group_problems or _list(f"{where}.rules", group["rules"])
        if group_problems or not isinstance(group["rules"], list):
            continue
        for j, rule in enumerate(group["rules"]):
            problems += _rule(f"{where}.rules[{j}]", rule)
    return problems


def _rule(where: str, rule: Any) -> list[str]:
    problems = _fields(where, rule, ["expr"], ["alert", "record", "for", "keep_firing_for", "labels", "annotations"])
    if problems:
        return problems
    if ("alert" in rule) == ("record" in rule):
        problems.append(f"{where}: exactly one of alert and record")
    if not isinstance(rule["expr"], str) or not rule["expr"].strip():
        problems.append(f"{where}: expr must be a PromQL expression")
    for key in ("for", "keep_firing_for"):
        if key in rule and not DURATION.match(str(rule[key])):
            problems.append(f"{where}: {key} {rule[key]!r} is not a duration")
    if "alert" in rule:
        # Ours, not the operator's: every alert says how bad it is and what it is, so the
        # notification can be routed and read (docs/operations.md has the rest).
        if (rule.get("labels") or {}).get("severity") not in SEVERITIES:
            problems.append(f"{where} ({rule['alert']}): labels.severity must be one of {sorted(SEVERITIES)}")
        if not (rule.get("annotations") or {}).get("summary"):
            problems.append(f"{where} ({rule['alert']}): annotations.summary is required")
    return problems


def pod_monitor(doc: Doc) -> list[str]:
    spec: Any = doc.get("spec")
    problems = _fields("spec", spec, ["selector", "podMetricsEndpoints"],
                       ["namespaceSelector", "jobLabel", "podTargetLabels", "sampleLimit", "targetLimit"])
    if problems:
        return problems
    problems += _list("spec.podMetricsEndpoints", spec["podMetricsEndpoints"])
    for i, endpoint in enumerate(spec["podMetricsEndpoints"] or []):
        where = f"spec.podMetricsEndpoints[{i}]"
        problems += _fields(where, endpoint, ["port"], ["path", "interval", "scrapeTimeout", "scheme", "params",
                                                        "honorLabels", "relabelings", "metricRelabelings"])
        for key in ("interval", "scrapeTimeout"):
            if isinstance(endpoint, dict) and key in endpoint and not DURATION.match(str(endpoint[key])):
                problems.append(f"{where}: {key} {endpoint[key]!r} is not a duration")
    return problems


TRIGGER_METADATA = {  # trigger type → (required, known) metadata keys
    "rabbitmq": (["queueName", "mode", "value"],
                 ["protocol", "host", "hostFromEnv", "vhostName", "activationValue", "useRegex", "timeout"]),
    "cpu": (["value"], ["containerName"]),
    "memory": (["value"], ["containerName"]),
}


def scaled_object(doc: Doc) -> list[str]:
    spec: Any = doc.get("spec")
    problems = _fields("spec", spec, ["scaleTargetRef", "triggers"],
                       ["pollingInterval", "cooldownPeriod", "initialCooldownPeriod", "idleReplicaCount",
                        "minReplicaCount", "maxReplicaCount", "fallback", "advanced"])
    if problems:
        return problems
    problems += _fields("spec.scaleTargetRef", spec["scaleTargetRef"], ["name"],
                        ["apiVersion", "kind", "envSourceContainerName"])
    counts = [spec.get(k) for k in ("minReplicaCount", "maxReplicaCount")]
    if any(c is not None and (not isinstance(c, int) or c < 0) for c in counts):
        problems.append("spec: minReplicaCount and maxReplicaCount must be whole numbers")
    elif None not in counts and counts[0] > counts[1]:
        problems.append("spec: minReplicaCount is above maxReplicaCount")
    problems += _list("spec.triggers", spec["triggers"])
    for i, trigger in enumerate(spec["triggers"] or []):
        problems += _trigger(f"spec.triggers[{i}]", trigger)
    return problems


def _trigger(where: str, trigger: Any) -> list[str]:
    problems = _fields(where, trigger, ["type", "metadata"],
                       ["name", "metricType", "authenticationRef", "useCachedMetrics"])
    if problems:
        return problems
    if trigger["type"] not in TRIGGER_METADATA:
        return [f"{where}: trigger type {trigger['type']!r} is not one this check knows"]
    required, known = TRIGGER_METADATA[trigger["type"]]
    metadata = trigger["metadata"]
    problems += _fields(f"{where}.metadata", metadata, required, known)
    # KEDA's metadata is a map of strings: `value: 20` is refused by the API server.
    problems += [f"{where}.metadata.{k}: must be a string" for k, v in metadata.items() if not isinstance(v, str)]
    if trigger["type"] == "rabbitmq":
        if not {"host", "hostFromEnv"} & set(metadata) and "authenticationRef" not in trigger:
            problems.append(f"{where}: rabbitmq needs host, hostFromEnv or authenticationRef")
        if metadata.get("mode") not in ("QueueLength", "MessageRate"):
            problems.append(f"{where}.metadata.mode: QueueLength or MessageRate")
    elif trigger.get("metricType") not in ("Utilization", "AverageValue"):
        problems.append(f"{where}.metricType: Utilization or AverageValue")
    return problems


CUSTOM_RESOURCES: dict[tuple[str, str], Callable[[Doc], list[str]]] = {
    ("monitoring.coreos.com/v1", "PrometheusRule"): prometheus_rule,
    ("monitoring.coreos.com/v1", "PodMonitor"): pod_monitor,
    ("keda.sh/v1alpha1", "ScaledObject"): scaled_object,
}


def check(doc: Doc) -> list[str] | None:
    """The problems of a custom resource this module knows; None for any other kind."""
    checker = CUSTOM_RESOURCES.get((doc.get("apiVersion", ""), doc.get("kind", "")))
    if checker is None:
        return None
    if not (doc.get("metadata") or {}).get("name"):
        return ["metadata.name is required"]
    return checker(doc)
