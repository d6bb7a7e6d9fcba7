"""deploy/k8s, rendered by `kubectl kustomize` and validated offline: every document of base,
dev and prod against the Kubernetes JSON schemas (strict) or, for the custom resources, the
structural checks of tools/ops/k8s_custom.py; plus the properties the platform relies on —
probes, budgets, each service reaching only the broker, its own database and DNS, production
mode in prod, every process scraped on the configured metrics port, the pure consumers scaled
by KEDA on their queue, alerts and dashboard naming only metrics that exist (the table in
docs/operations.md). Deliberately broken copies prove the checks bite."""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.events.catalog import CATALOG, SERVICES, consumed_by
from shared.kernel import health_file, topology
from shared.kernel.config import Settings
from shared.kernel.metrics import PROMISES, REGISTRY
from shared.kernel.probe import main as probe_main
from shared.kernel.probe import verdict
from tests.support.infrastructure import missing_tool
from tools.ops import k8s, k8s_custom
from tools.ops.k8s import K8S_ROOT, TARGETS, KubectlMissing, RenderError, render, validate

WORKERS = set(SERVICES)
PURE_CONSUMERS = {"notifications", "provisioning", "archival"}
PROVIDER_CALLERS = {"notifications", "billing"}
OPERATIONS = K8S_ROOT.parents[1] / "docs" / "operations.md"


def render_with_kubectl(directory: Path) -> list[dict[str, Any]]:
    """render(), or a skip on a developer's machine without kubectl (a failure in CI)."""
    try:
        return render(directory)
    except KubectlMissing as error:
        missing_tool(str(error))
        raise


@functools.cache
def _rendered(target: str) -> list[dict[str, Any]]:
    return render_with_kubectl(TARGETS[target])


def rendered(target: str) -> list[dict[str, Any]]:
    return copy.deepcopy(_rendered(target))  # a test may change what it reads


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod(deployment: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_rendered_document_is_valid_against_the_kubernetes_schemas(target: str) -> None:
    docs = rendered(target)
    assert len(docs) >= 30
    assert {"PrometheusRule", "PodMonitor", "ScaledObject"} <= {d["kind"] for d in docs}
    assert validate(docs) == []


def test_the_generated_base_is_what_generate_py_writes() -> None:
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S_ROOT / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # its dataclasses look their module up there
    spec.loader.exec_module(generate)
    assert generate.main(["--check"]) == 0, "deploy/k8s/base is stale: run python deploy/k8s/generate.py"


# -- kubectl is required, never skipped --------------------------------------------------
@pytest.fixture
def search_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Sets PATH for looking kubectl up afresh; the real one is found again afterwards."""
    def use(path: str) -> None:
        k8s.kubectl.cache_clear()
        monkeypatch.setenv("PATH", path)

    yield use
    k8s.kubectl.cache_clear()


def test_without_kubectl_the_check_fails_and_says_why(tmp_path: Path, search_path: Callable[[str], None],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    search_path(str(tmp_path))
    with pytest.raises(KubectlMissing, match="kubernetes-client"):
        render(TARGETS["dev"])
    assert k8s.main(["validate"]) == 1
    assert "kubectl is not installed" in capsys.readouterr().err


@pytest.mark.parametrize("answer", [
    '{"clientVersion": {"gitVersion": "v1.20.5"}}',  # Debian bookworm's: kustomize v2 inside, not reported
    '{"clientVersion": {}, "kustomizeVersion": "v4.5.7"}',
    "not json",
])
def test_a_kubectl_with_an_old_kustomize_is_refused(tmp_path: Path, search_path: Callable[[str], None],
                                                    answer: str) -> None:
    fake = tmp_path / "kubectl"
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{answer}\nEOF\n")
    fake.chmod(0o755)
    search_path(f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(KubectlMissing, match=r"v5\.0 or newer"):
        k8s.kubectl()


# -- a broken copy must fail ------------------------------------------------------------
def broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    copy_dir = tmp_path / "k8s"
    if not copy_dir.exists():
        shutil.copytree(K8S_ROOT, copy_dir, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy_dir / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))
    return copy_dir


def test_kustomizes_own_refusal_is_reported(tmp_path: Path) -> None:
    copy_dir = broken_copy(tmp_path, "overlays/dev/kustomization.yaml", "  - path: ingress.yaml\n",
                           "  - path: ingress.yaml\n  - path: missing.yaml\n")
    with pytest.raises(RenderError, match=r"missing\.yaml"):
        render_with_kubectl(copy_dir / "overlays" / "dev")


HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: archival-cpu
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: archival}
  maxReplicas: 4
"""


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    # a misspelt field: without strict validation the probe would silently not exist
    ("base/identity.yaml", "livenessProbe:", "livenesProbe:", "livenesProbe"),
    # a wrong type
    ("base/gateway.yaml", "containerPort: 8000", "containerPort: eight-thousand", "containerPort"),
    # schema-valid but inconsistent: the selector matches no pod of its own template
    ("base/tenancy.yaml", "      app.kubernetes.io/name: tenancy\n      app.kubernetes.io/part-of",
     "      app.kubernetes.io/name: tenants\n      app.kubernetes.io/part-of", "selector matches no pod"),
    # a kind with no schema offline and no structural check is not waved through
    ("base/monitoring/pod-monitor.yaml", "kind: PodMonitor", "kind: PodMonitr", "PodMonitr"),
    # KEDA: a required field missing, a misspelt field, a number where KEDA wants a string
    ("base/notifications.yaml", "  scaleTargetRef:\n", "  scaleTarget:\n", "scaleTargetRef is required"),
    ("overlays/prod/scaling-archival.yaml", "minReplicaCount: 2", "minReplicas: 2", "unknown field minReplicas"),
    ("overlays/prod/scaling-archival.yaml", "minReplicaCount: 2", "minReplicaCount: two", "whole numbers"),
    ("overlays/prod/scaling-archival.yaml", "maxReplicaCount: 6", "maxReplicaCount: 1", "above maxReplicaCount"),
    ("base/provisioning.yaml", "value: '20'", "value: 20", "must be a string"),
    ("base/provisioning.yaml", "mode: QueueLength", "mode: QueueDepth", "QueueLength or MessageRate"),
    # KEDA reads the broker's address from an env var the target does not have
    ("base/archival.yaml", "hostFromEnv: AMQP_URI", "hostFromEnv: RABBITMQ_URI", "no RABBITMQ_URI"),
    ("base/archival.yaml", "queueName: platform.archival", "queueName: other.archival", "AMQP_NAMESPACE"),
    # an HPA of our own beside KEDA's: the two would overwrite each other's count
    ("base/archival.yaml", "---\napiVersion: keda.sh/v1alpha1", "---\n" + HPA + "---\napiVersion: keda.sh/v1alpha1",
     "scaled by KEDA already"),
    ("overlays/prod/kustomization.yaml", "  - name: gateway\n", "  - name: archival\n    count: 2\n  - name: gateway\n",
     "leave the count to KEDA"),
    # alerts: a rule without expr, a `for` that is no duration, an alert without severity
    ("base/monitoring/alerts.yaml", "- alert: RelayStalled\n          expr:",
     "- alert: RelayStalled\n          expression:", "expr is required"),
    ("base/monitoring/alerts.yaml", "for: 10m", "for: ten minutes", "not a duration"),
    ("base/monitoring/alerts.yaml", "severity: critical", "severity: urgent", "labels.severity"),
    ("base/monitoring/alerts.yaml", "- name: platform.flow", "- name: platform.promises", "twice"),
    # scraping: a port no pod has, a metrics port that is not the configured one
    ("base/monitoring/pod-monitor.yaml", "- port: metrics", "- port: metric", "has no port metric"),
    ("base/config.yaml", 'METRICS_PORT: "9100"', 'METRICS_PORT: "9200"', "METRICS_PORT"),
    ("base/monitoring/pod-monitor.yaml", "values: [service, gateway]", "values: [services]", "selects no"),
    # a NetworkPolicy whose pods or same-namespace peer no longer match labels: it allows nothing
    ("base/clamd.yaml", "          app.kubernetes.io/name: billing\n", "          app.kubernetes.io/name: biling\n",
     "ingress peer"),
    ("base/billing.yaml", "          app.kubernetes.io/name: clamd\n", "          app.kubernetes.io/name: clamav\n",
     "egress peer"),
    ("base/clamd.yaml", "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: clamd",
     "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: clamav", "podSelector selects no pod"),
])
def test_a_broken_manifest_fails_validation(tmp_path: Path, file: str, old: str, new: str, expected: str) -> None:
    copy_dir = broken_copy(tmp_path, file, old, new)
    target = copy_dir / "overlays" / "prod" if file.startswith("overlays/prod") else copy_dir / "base"
    problems = validate(render_with_kubectl(target))
    assert problems, "the broken manifest passed validation"
    assert any(expected in p for p in problems), problems


RULE = {"alert": "A", "expr": "up == 0", "labels": {"severity": "warning"}, "annotations": {"summary": "s"}}
TRIGGER = {"type": "rabbitmq", "metadata": {"queueName": "q", "mode": "QueueLength", "value": "5", "host": "amqp://h"}}


def _custom(kind: str, spec: Any) -> dict[str, Any]:
    api = "keda.sh/v1alpha1" if kind == "ScaledObject" else "monitoring.coreos.com/v1"
    return {"apiVersion": api, "kind": kind, "metadata": {"name": "x"}, "spec": spec}


@pytest.mark.parametrize(("doc", "expected"), [
    (_custom("PrometheusRule", {"groups": []}), "non-empty list"),
    (_custom("PrometheusRule", {"groups": [{"name": "g", "rules": [RULE | {"record": "r"}]}]}), "exactly one of"),
    (_custom("PrometheusRule", {"groups": [{"name": "g", "rules": [RULE | {"expr": " "}]}]}), "PromQL"),
    (_custom("PrometheusRule", {"groups": [{"name": "g", "rules": [RULE | {"annotations": {}}]}]}), "summary"),
    (_custom("PodMonitor", {"selector": {}, "podMetricsEndpoints": [{"port": "m", "interval": "30"}]}),
     "not a duration"),
    (_custom("PodMonitor", {"selector": {}, "podMetricsEndpoints": [{"portName": "m"}]}), "port is required"),
    (_custom("ScaledObject", {"scaleTargetRef": {"name": "d"}, "triggers": [TRIGGER | {"type": "kafka"}]}),
     "not one this check knows"),
    (_custom("ScaledObject", {"scaleTargetRef": {"name": "d"},
                              "triggers": [TRIGGER | {"metadata": {**TRIGGER["metadata"], "host": None}}]}),
     "must be a string"),
    (_custom("ScaledObject", {"scaleTargetRef": {"name": "d"}, "triggers": [
        {"type": "rabbitmq", "metadata": {"queueName": "q", "mode": "QueueLength", "value": "5"}}]}),
     "host, hostFromEnv or authenticationRef"),
    (_custom("ScaledObject", {"scaleTargetRef": {"name": "d"}, "triggers": [
        {"type": "cpu", "metadata": {"value": "70"}}]}), "Utilization or AverageValue"),
    (_custom("ScaledObject", None), "must be a mapping"),
    ({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {}}, "metadata.name"),
])
def test_the_custom_resource_checks(doc: dict[str, Any], expected: str) -> None:
    problems = k8s_custom.check(doc)
    assert problems and any(expected in p for p in problems), problems


def test_the_custom_resource_checks_accept_a_well_formed_one_and_leave_other_kinds_alone() -> None:
    assert k8s_custom.check(_custom("PrometheusRule", {"groups": [{"name": "g", "rules": [RULE]}]})) == []
    assert k8s_custom.check(_custom("ScaledObject", {"scaleTargetRef": {"name": "d"}, "triggers": [TRIGGER]})) == []
    assert k8s_custom.check({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor"}) is None


# -- what the platform relies on --------------------------------------------------------
def test_a_deployment_per_service_and_the_gateway_all_from_one_image_and_runner() -> None:
    deployments = of_kind(rendered("prod"), "Deployment")
    assert set(deployments) == WORKERS | {"gateway", "opsctl", "clamd"}
    deployments.pop("clamd")  # ClamAV's own image (test_clamd_…)
    images = {c["image"] for d in deployments.values() for c in pod(d)["containers"]}
    assert images == {"registry.example.ir/platform/platform:1.0.0"}
    assert deployments.pop("opsctl")["spec"]["replicas"] == 0  # parked until an operator needs it
    for name, deployment in deployments.items():
        (container,) = pod(deployment)["containers"]
        assert container["command"] == ["python", "-m", "shared.kernel.runner", f"services.{name}.service"]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert container["livenessProbe"] and container["readinessProbe"]
        # the drain after SIGTERM (tests/fault/test_graceful_shutdown.py) needs its time
        assert pod(deployment)["terminationGracePeriodSeconds"] >= 30


def test_service_probes_are_the_cheap_exec_probe_and_the_gateway_probes_http() -> None:
    deployments = of_kind(rendered("base"), "Deployment")
    for name in WORKERS:
        (container,) = pod(deployments[name])["containers"]
        assert container["livenessProbe"]["exec"]["command"] == ["python", "-m", "shared.kernel.probe", name]
        assert container["readinessProbe"]["exec"]["command"][-1] == "--ready"
    (gateway,) = pod(deployments["gateway"])["containers"]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/health"
    env = {e["name"]: e.get("value") for e in gateway["env"]}
    assert env["TRUST_FORWARDED_FOR"] == "1"


def test_each_service_reads_only_its_own_database_secret_and_the_keys_it_needs() -> None:
    deployments = of_kind(rendered("prod"), "Deployment")
    for name in WORKERS:
        (container,) = pod(deployments[name])["containers"]
        secrets = {s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s}
        assert secrets == {f"platform-db-{name}"}
        keys = {e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"] if "valueFrom" in e}
        assert "AMQP_URI" in keys
        assert ("SMS_API_KEY" in keys) == (name == "notifications")
        assert ("SEALING_PRIVATE_KEY" in keys) == (name == "notifications")
        assert ("JWT_PRIVATE_KEY" in keys) == (name == "identity")


def test_the_pure_consumers_scale_on_their_work_queue_and_a_budget_for_every_workload() -> None:
    docs = rendered("prod")
    assert of_kind(docs, "HorizontalPodAutoscaler") == {}  # KEDA owns the HPA it creates: none beside it
    scaled = of_kind(docs, "ScaledObject")
    assert set(scaled) == PURE_CONSUMERS
    amqp_namespace = of_kind(docs, "ConfigMap")["platform-config"]["data"]["AMQP_NAMESPACE"]
    for name, doc in scaled.items():
        assert doc["spec"]["scaleTargetRef"]["name"] == name
        assert 2 <= doc["spec"]["minReplicaCount"] < doc["spec"]["maxReplicaCount"]
        (queue,) = [t["metadata"] for t in doc["spec"]["triggers"] if t["type"] == "rabbitmq"]
        assert queue["queueName"] == topology.work_queue_name(Settings(service=name, namespace=amqp_namespace), name)
        assert queue["mode"] == "QueueLength" and queue["hostFromEnv"] == "AMQP_URI"
        assert {t["type"] for t in doc["spec"]["triggers"]} == {"rabbitmq", "cpu"}
    budgets = of_kind(docs, "PodDisruptionBudget")
    assert set(budgets) == WORKERS | {"gateway", "clamd"}


def _egress_peers(policy: dict[str, Any]) -> set[str]:
    peers = set()
    for rule in policy["spec"]["egress"]:
        for peer in rule["to"]:
            if "ipBlock" in peer:
                peers.add(f"internet:{rule['ports'][0]['port']}")
            else:
                labels = peer["podSelector"]["matchLabels"]
                name = labels.get("app.kubernetes.io/name") or labels.get("k8s-app")
                database = labels.get("platform/database")
                peers.add(f"{name}:{database}" if database else str(name))
    return peers


def _ingress_peers(policy: dict[str, Any]) -> set[str]:
    return {f"{peer['namespaceSelector']['matchLabels']['kubernetes.io/metadata.name']}:{port['port']}"
            for rule in policy["spec"]["ingress"] for peer in rule["from"] for port in rule["ports"]}


def test_network_policies_let_each_service_reach_only_the_broker_its_database_and_dns() -> None:
    policies = of_kind(rendered("prod"), "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for name in WORKERS:
        expected = {"kube-dns", "rabbitmq", f"postgresql:{name}"}
        if name in PROVIDER_CALLERS:
            expected.add("internet:443")
        if name in ("provisioning", "archival"):
            expected.add("postgresql:backup-keys")  # the backups' key vault they share
        if name == "billing":
            expected.add("clamd")  # uploads scanned (test_only_billing_reaches_clamd_…)
        assert _egress_peers(policies[name]) == expected, name
        assert _ingress_peers(policies[name]) == {"monitoring:9100"}  # Prometheus, and nothing else
    assert _egress_peers(policies["gateway"]) == {"kube-dns", "rabbitmq"}
    assert _ingress_peers(policies["gateway"]) == {"ingress-nginx:8000", "monitoring:9100"}
    assert _ingress_peers(policies["opsctl"]) == _ingress_peers(policies["migrate"]) == set()
    every_database = {f"postgresql:{s}" for s in WORKERS}
    assert _egress_peers(policies["migrate"]) == {"kube-dns", "rabbitmq"} | every_database
    assert _egress_peers(policies["opsctl"]) == {"kube-dns", "rabbitmq"} | every_database


def test_the_opsctl_pod_holds_each_services_database_credentials_under_its_own_names() -> None:
    (container,) = pod(of_kind(rendered("prod"), "Deployment")["opsctl"])["containers"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    for service in WORKERS:
        assert refs[f"POSTGRES_PASSWORD_{service.upper()}"] == {"name": f"platform-db-{service}",
                                                                 "key": "POSTGRES_PASSWORD"}


def test_the_migrate_job_declares_the_topology_and_every_services_stores() -> None:
    job = of_kind(rendered("prod"), "Job")["migrate"]
    spec = job["spec"]["template"]["spec"]
    steps = [c["command"][3:] for c in spec["initContainers"]]
    assert sorted(steps) == sorted(["--stores-only", s] for s in WORKERS)
    for init in spec["initContainers"]:
        secrets = {s["secretRef"]["name"] for s in init["envFrom"] if "secretRef" in s}
        assert secrets == {f"platform-db-{init['command'][-1]}"}
    assert spec["containers"][0]["command"][3:] == ["--topology-only"]
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"


@pytest.mark.parametrize(("target", "mode", "min_replicas"), [("dev", "development", 1), ("prod", "production", 2)])
def test_overlays_set_the_mode_and_the_replicas(target: str, mode: str, min_replicas: int) -> None:
    docs = rendered(target)
    config = of_kind(docs, "ConfigMap")["platform-config"]["data"]
    assert config["PLATFORM_ENV"] == mode
    assert config["EVENT_STORE"] == "postgres"
    scaled = of_kind(docs, "ScaledObject")
    for name, deployment in of_kind(docs, "Deployment").items():
        if name in scaled:
            # KEDA owns the count: an apply that named one would reset it (and drain pods) each time
            assert "replicas" not in deployment["spec"], name
            assert scaled[name]["spec"]["minReplicaCount"] >= min_replicas
        elif name != "opsctl":
            assert deployment["spec"]["replicas"] >= min_replicas, name
    assert set(scaled) == PURE_CONSUMERS
    namespaces = {d["metadata"]["namespace"] for d in docs}
    assert namespaces == {"platform-dev" if target == "dev" else "platform"}
    ingress = of_kind(docs, "Ingress")["gateway"]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"


def test_every_configuration_variable_in_the_config_map_is_documented() -> None:
    # METRICS_PORT is documented with the metrics, in docs/operations.md
    documented = (K8S_ROOT.parents[1] / "docs" / "configuration.md").read_text() + OPERATIONS.read_text()
    config = of_kind(rendered("base"), "ConfigMap")["platform-config"]["data"]
    missing = [k for k in config if f"`{k}`" not in documented and k not in ("LOG_LEVEL",)]
    assert missing == []


# -- the exec probe the manifests run -----------------------------------------------------
@pytest.mark.parametrize(("state", "ready", "healthy"), [
    ({"state": "running", "at": 1000.0}, True, True),
    ({"state": "running", "at": 1000.0}, False, True),
    ({"state": "starting", "at": 1000.0}, True, False),
    ({"state": "starting", "at": 1000.0}, False, True),
    ({"state": "stopping", "at": 1000.0}, True, False),  # no new traffic while draining …
    ({"state": "stopping", "at": 1000.0}, False, True),  # … but not killed for it
    ({"state": "stopped", "at": 1000.0}, False, False),
    ({"state": "running", "at": 900.0}, False, False),  # the event loop stopped turning
    (None, False, False),
])
def test_the_probe_verdict(state: dict[str, object] | None, ready: bool, healthy: bool) -> None:
    assert (verdict(state, ready=ready, max_age=20, now=1010.0) is None) == healthy


def test_the_probe_reads_the_heartbeat_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("HEALTH_FILE", raising=False)
    assert probe_main(["identity"]) == 1
    health_file.write(tmp_path / "health" / "identity.json", "running")
    assert probe_main(["identity", "--ready"]) == 0
    health_file.write(tmp_path / "health" / "identity.json", "stopping")
    assert probe_main(["identity", "--ready"]) == 1 and probe_main(["identity"]) == 0


def test_the_documented_pre_rollout_selector_picks_the_job_and_what_it_needs() -> None:
    # docs/operations.md: kubectl apply -k … -l 'app.kubernetes.io/component in (config,migrate)'
    picked = {(d["kind"], d["metadata"]["name"]) for d in rendered("prod")
              if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") in ("config", "migrate")}
    assert picked == {("ConfigMap", "platform-config"), ("Job", "migrate"), ("NetworkPolicy", "migrate")}
    assert "component in (config,migrate)" in (K8S_ROOT.parents[1] / "docs" / "operations.md").read_text()


# -- scraping, alerts, dashboard -------------------------------------------------------------
def _processes(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    # opsctl only sleeps; clamd is ClamAV's, with no metrics of ours
    return {n: d for n, d in of_kind(docs, "Deployment").items() if n not in ("opsctl", "clamd")}


def test_every_process_is_scraped_on_the_configured_metrics_port() -> None:
    docs = rendered("prod")
    port = of_kind(docs, "ConfigMap")["platform-config"]["data"]["METRICS_PORT"]
    processes = _processes(docs)
    assert set(processes) == WORKERS | {"gateway"}
    for name, deployment in processes.items():
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == port and annotations["prometheus.io/path"] == "/metrics"
        (container,) = pod(deployment)["containers"]
        assert {p["name"]: str(p["containerPort"]) for p in container["ports"]}["metrics"] == port, name
        assert any(s.get("configMapRef", {}).get("name") == "platform-config" for s in container["envFrom"])
    (monitor,) = of_kind(docs, "PodMonitor").values()
    scraped = {n for n, d in of_kind(docs, "Deployment").items()
               if k8s._selects(monitor["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])}
    assert scraped == set(processes)
    assert [e["port"] for e in monitor["spec"]["podMetricsEndpoints"]] == ["metrics"]


PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "le", "inf", "nan"}


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: every identifier that is not a function,
    an aggregation, a keyword, a label (matchers, `by`/`on` lists) or inside a string."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for found in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        if not expr[found.end():].lstrip().startswith("(") and found[0].lower() not in PROMQL_WORDS:
            names.add(found[0])
    return names


@pytest.mark.parametrize(("expr", "names"), [
    ('max by (namespace) (billing_refund_oldest_age_seconds) > 172800', {"billing_refund_oldest_age_seconds"}),
    ('sum(rate(a_total{route=~"/x|y", s="by (z)"}[5m])) / sum without (le) (b_total offset 1h) > 0.05',
     {"a_total", "b_total"}),
    ("histogram_quantile(0.95, sum by (le) (rate(x_bucket[$__rate_interval]))) and on (service) y == 1e3",
     {"x_bucket", "y"}),
])
def test_promql_metric_names(expr: str, names: set[str]) -> None:
    assert promql_metric_names(expr) == names


def documented_metrics() -> set[str]:
    """Series names the `## Metrics` section of docs/operations.md documents (its tables' first
    column), a histogram's as its _bucket, _sum and _count."""
    section = OPERATIONS.read_text().split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for row in re.finditer(r"^\| `([a-z_:]+)` \| (\w+) \|", section, re.MULTILINE):
        name, kind = row[1], row[2]
        names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"} if kind == "histogram" else {name}
    return names


def alert_rules(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for doc in of_kind(docs, "PrometheusRule").values()
            for group in doc["spec"]["groups"] for rule in group["rules"] if "alert" in rule}


def test_the_metrics_table_holds_the_agreed_series() -> None:
    known = documented_metrics()
    for name in ("inbox_messages_total", "inbox_handling_seconds_bucket", "relay_backlog_events",
                 "gateway_requests_total", "provider_calls_total", "billing_refund_oldest_age_seconds",
                 "notifications_sms_undelivered", "archival_tenants_due_for_deletion", "deadletters_waiting",
                 "rabbitmq_queue_consumers", "rabbitmq_queue_messages_ready"):
        assert name in known, name


def test_the_alerts_cover_the_promises_and_name_only_documented_metrics() -> None:
    rules = alert_rules(rendered("prod"))
    assert {"RefundDeadlineAtRisk", "DeadLettersWaiting", "RelayLagGrowing", "SmsCreditExhausted",
            "ConsumerMissing", "SmsUndelivered", "TenantsOverdueForDeletion"} <= set(rules)
    known = documented_metrics()
    for name, rule in rules.items():
        used = promql_metric_names(rule["expr"])
        assert used and used <= known, f"{name} reads undocumented series {sorted(used - known)}"


def test_every_alert_links_its_section_in_operations_md() -> None:
    text = OPERATIONS.read_text()
    for name, rule in alert_rules(rendered("base")).items():
        assert rule["annotations"]["runbook_url"] == f"docs/operations.md#{name.lower()}"
        section = text.split(f"\n#### {name}\n", 1)
        assert len(section) == 2, f"docs/operations.md has no section #### {name}"
        assert "First response" in section[1].split("\n#### ", 1)[0], name


def test_the_refund_alerts_fire_before_the_72_hour_deadline() -> None:
    rules = alert_rules(rendered("prod"))
    deadline = 72 * 3600
    for name in ("RefundDeadlineAtRisk", "RefundDeadlineImminent"):
        threshold = float(rules[name]["expr"].rsplit(">", 1)[1])
        assert threshold < deadline, name
    assert float(rules["RefundDeadlineAtRisk"]["expr"].rsplit(">", 1)[1]) <= deadline - 12 * 3600


def test_consumer_missing_watches_every_work_queue_and_nothing_else() -> None:
    docs = rendered("prod")
    namespace = of_kind(docs, "ConfigMap")["platform-config"]["data"]["AMQP_NAMESPACE"]
    expr = alert_rules(docs)["ConsumerMissing"]["expr"]
    (pattern,) = re.findall(r'queue=~"((?:[^"\\]|\\.)*)"', expr)
    regex = re.compile(pattern.encode().decode("unicode_escape"))  # PromQL's string escapes, then RE2 ≈ re
    settings = Settings(service="alerts", namespace=namespace)
    for service in (s for s in SERVICES if consumed_by(s)):
        assert regex.fullmatch(topology.work_queue_name(settings, service)), service
        assert not regex.fullmatch(topology.dead_queue_name(settings, service))
        assert not regex.fullmatch(topology.retry_queue_name(settings, service, 1000))
    assert not regex.fullmatch(f"{namespace}.operators.events")


def dashboard(docs: list[dict[str, Any]]) -> dict[str, Any]:
    config_map = of_kind(docs, "ConfigMap")["platform-dashboard"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"  # Grafana's sidecar loads it
    loaded: dict[str, Any] = json.loads(config_map["data"]["platform.json"])
    return loaded


def test_the_dashboard_shows_the_funnel_and_the_promises_from_documented_metrics() -> None:
    board = dashboard(rendered("prod"))
    panels = [p for p in board["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    used = set().union(*(promql_metric_names(e) for e in exprs))
    assert used <= documented_metrics(), sorted(used - documented_metrics())
    assert {"gateway_requests_total", "inbox_messages_total", "billing_refund_oldest_age_seconds",
            "billing_refunds_pending", "notifications_sms_undelivered", "archival_tenants_due_for_deletion",
            "deadletters_waiting"} <= used


def _alternatives(exprs: list[str], label: str) -> set[str]:
    found = set()
    for expr in exprs:
        for value in re.findall(label + r'=~"([^"]*)"', expr):
            found |= set(value.split("|"))
    return found


def test_the_funnel_follows_routes_the_gateway_serves_and_events_the_catalog_has() -> None:
    from services.gateway.service import ROUTES

    exprs = [t["expr"] for p in dashboard(rendered("base"))["panels"] for t in p.get("targets", [])]
    routes = _alternatives(exprs, "route")
    assert "/identity/registrations" in routes and "/billing/payments/<payment_id>/callback" in routes
    assert routes <= {r.path for r in ROUTES}, sorted(routes - {r.path for r in ROUTES})
    events = _alternatives(exprs, "event_type")
    assert {"UserRegistered", "PaymentSucceeded", "TenantProvisioned", "BusinessActivated"} <= events
    for event in events:
        assert event in CATALOG and CATALOG[event].consumers, event


def test_the_metrics_table_and_the_code_name_the_same_series() -> None:
    # The alerts and the dashboard are checked against the table; this keeps the table honest.
    served = set(PROMISES)  # gauges a service computes on scrape, present once a service watches them
    for family in REGISTRY.collect():
        kind = family.type
        served |= ({f"{family.name}_bucket", f"{family.name}_sum", f"{family.name}_count"} if kind == "histogram"
                   else {f"{family.name}_total"} if kind == "counter" else {family.name})
    documented = {name for name in documented_metrics() if not name.startswith("rabbitmq_")}
    assert documented == served, (f"documented, not served: {sorted(documented - served)}; "
                                  f"served, not documented: {sorted(served - documented)}")


def test_billing_reads_the_taxpayer_systems_keys_from_a_secret_as_files_and_dev_keeps_its_pair() -> None:
    """Issue #19: the vendor's signing key and certificate and the system's public key are PEM files
    from the Secret platform-moadian, read-only, and MOADIAN_*_FILE name them (what
    services/billing/settings.py reads); the dev overlay mounts none and leaves them empty."""
    files = {"MOADIAN_KEY_FILE": "vendor-key.pem", "MOADIAN_CERTIFICATE_FILE": "vendor-certificate.pem",
             "MOADIAN_SYSTEM_KEY_FILE": "tax-system-public-key.pem"}
    for target in ("base", "prod"):
        billing = pod(of_kind(rendered(target), "Deployment")["billing"])
        (volume,) = [v for v in billing["volumes"] if "secret" in v]
        assert volume["secret"]["secretName"] == "platform-moadian"
        assert {i["key"] for i in volume["secret"]["items"]} == set(files.values())
        (container,) = billing["containers"]
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
        assert mount["readOnly"] is True
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert {var: env[var] for var in files} == {var: f"{mount['mountPath']}/{f}" for var, f in files.items()}
        others = [d for name, d in of_kind(rendered(target), "Deployment").items() if name != "billing"]
        assert not any("platform-moadian" in str(pod(d)) for d in others)  # only billing holds the key
    dev = pod(of_kind(rendered("dev"), "Deployment")["billing"])
    (container,) = dev["containers"]
    assert not any("secret" in v for v in dev["volumes"]) and "platform-moadian" not in str(dev)
    assert [m["name"] for m in container["volumeMounts"]] == ["var"]  # VAR_DIR/keys holds the development pair
    assert {e["name"]: e.get("value") for e in container["env"] if e["name"] in files} == dict.fromkeys(files, "")


# -- clamd, the virus scanner billing streams uploads to (issue #19) -------------------------------
def _container_port(deployment: dict[str, Any], name: str) -> int:
    (container,) = pod(deployment)["containers"]
    (port,) = [p["containerPort"] for p in container["ports"] if p["name"] == name]
    return int(port)


@pytest.mark.parametrize("target", ["base", "prod"])
def test_clamd_runs_clamavs_pinned_image_unprivileged_with_its_signatures_on_a_volume(target: str) -> None:
    docs = rendered(target)
    clamd = of_kind(docs, "Deployment")["clamd"]
    spec = pod(clamd)
    (container,) = spec["containers"]
    assert re.fullmatch(r"clamav/clamav:\d+\.\d+\.\d+", container["image"]), "a released version, not latest/stable"
    assert container["command"] == ["/init-unprivileged"]  # the image's entrypoint for a non-root user
    assert spec["securityContext"]["runAsNonRoot"] and spec["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["readOnlyRootFilesystem"] and not spec["automountServiceAccountToken"]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    assert env.get("CLAMAV_NO_FRESHCLAMD", "false") != "true" and env.get("CLAMAV_NO_CLAMD", "false") != "true"
    # Signatures on a volume freshclam writes, seeded from the same image (not downloaded whole each start)
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert "emptyDir" in volumes[mounts["/var/lib/clamav"]]
    (seed,) = spec["initContainers"]
    assert seed["image"] == container["image"]
    assert {m["name"] for m in seed["volumeMounts"]} == {mounts["/var/lib/clamav"]}
    for mounted in container["volumeMounts"]:  # a read-only root: every path clamd writes is a volume
        assert mounted["name"] in volumes
    # Probes ask clamd itself (PING → PONG, the image's clamdcheck.sh); loading may take minutes
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["exec"]["command"] == ["clamdcheck.sh"], probe
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300
    assert container["resources"]["requests"]["memory"] and container["resources"]["limits"]["memory"] == "3Gi"
    assert clamd["spec"]["replicas"] >= (2 if target == "prod" else 1)
    assert clamd["metadata"]["labels"]["app.kubernetes.io/part-of"] == "platform"
    assert of_kind(docs, "PodDisruptionBudget")["clamd"]["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_billing_finds_clamd_by_the_config_maps_host_and_port(target: str) -> None:
    docs = rendered(target)
    config = of_kind(docs, "ConfigMap")["platform-config"]["data"]
    service = of_kind(docs, "Service")[config["CLAMD_HOST"]]
    (port,) = service["spec"]["ports"]
    assert port["port"] == int(config["CLAMD_PORT"])
    clamd = of_kind(docs, "Deployment")["clamd"]
    assert k8s._selects({"matchLabels": service["spec"]["selector"]}, clamd["spec"]["template"]["metadata"]["labels"])
    assert _container_port(clamd, port["targetPort"]) == int(config["CLAMD_PORT"])
    (billing,) = pod(of_kind(docs, "Deployment")["billing"])["containers"]
    env = config | {e["name"]: e.get("value") for e in billing["env"]}
    assert env.get("VIRUS_SCAN", "on") == "on"  # scanning stays on: every target has a clamd to ask


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_only_billing_reaches_clamd_and_clamd_reaches_only_freshclams_mirror(target: str) -> None:
    docs = rendered(target)
    policies, deployments = of_kind(docs, "NetworkPolicy"), of_kind(docs, "Deployment")
    labels = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in deployments.items()}
    config = of_kind(docs, "ConfigMap")["platform-config"]["data"]
    clamd_port = int(config["CLAMD_PORT"])
    policy = policies["clamd"]["spec"]
    assert {n for n in labels if k8s._selects(policy["podSelector"], labels[n])} == {"clamd"}
    (rule,) = policy["ingress"]
    admitted = {n for peer in rule["from"] for n in labels if k8s._selects(peer["podSelector"], labels[n])}
    assert admitted == {"billing"} and not any("namespaceSelector" in peer for peer in rule["from"])
    assert [p["port"] for p in rule["ports"]] == [clamd_port]
    # Egress to clamd: billing's policy, and nobody else's
    reaching = {name for name, p in policies.items() for r in p["spec"].get("egress") or [] for peer in r["to"]
                if "podSelector" in peer and "namespaceSelector" not in peer
                and k8s._selects(peer["podSelector"], labels["clamd"])
                and [port["port"] for port in r["ports"]] == [clamd_port]}
    assert reaching == {"billing"}
    # freshclam: DNS and HTTPS to the internet (database.clamav.net); the dev stand-in fetches nothing
    assert _egress_peers(policies["clamd"]) == (set() if target == "dev" else {"kube-dns", "internet:443"})


def test_dev_runs_the_stand_in_from_the_platform_image_on_clamds_port() -> None:
    docs = rendered("dev")
    clamd = of_kind(docs, "Deployment")["clamd"]
    spec = pod(clamd)
    (container,) = spec["containers"]
    port = of_kind(docs, "ConfigMap")["platform-config"]["data"]["CLAMD_PORT"]
    assert container["image"] == "platform:dev"
    assert container["command"] == ["python", "-m", "tools.clamd_standin", f"0.0.0.0:{port}"]
    assert not spec.get("initContainers") and spec["securityContext"]["runAsUser"] == 10001
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe].get("exec") is None and container[probe]["tcpSocket"]["port"] == "clamd", probe
    mounted = {m["name"] for m in container["volumeMounts"]}
    assert mounted <= {v["name"] for v in spec["volumes"]}
    dockerfile = (K8S_ROOT.parent / "docker" / "Dockerfile").read_text()
    assert re.search(r"^COPY .*tools/clamd_standin\.py", dockerfile, re.MULTILINE)  # the image holds it


def test_uploads_refused_without_a_verdict_alert_once_and_an_infected_one_does_not() -> None:
    from services.billing.virus_scan import OPERATION, OUTCOMES, PROVIDER

    rules = alert_rules(rendered("prod"))
    expr = rules["VirusScannerUnavailable"]["expr"]
    assert f'provider="{PROVIDER}"' in expr and "increase(provider_calls_total" in expr and expr.endswith("> 0")
    (outcomes,) = re.findall(r'outcome=~"([^"]*)"', expr)
    assert set(outcomes.split("|")) == {"timeout", "failed"} and set(outcomes.split("|")) < set(OUTCOMES)
    assert (PROVIDER, OPERATION) == ("clamd", "scan")  # what docs/operations.md names
    assert rules["VirusScannerUnavailable"]["labels"]["severity"] == "warning"
    # one cause, one alert: the providers' failure share leaves clamd out, numerator and denominator
    failing = rules["ProviderCallsFailing"]["expr"]
    assert failing.count(f'provider!="{PROVIDER}"') == failing.count("provider_calls_total") == 2
