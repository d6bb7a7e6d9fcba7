"""deploy/k8s, validated offline: every rendered document of base, dev and prod against the
Kubernetes JSON schemas (strict), plus the properties the platform relies on — probes,
budgets, autoscaling of pure consumers only, each service reaching only the broker, its own
database and DNS, production mode in prod. A deliberately broken copy proves the check bites."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.events.catalog import SERVICES
from shared.kernel import health_file
from shared.kernel.probe import main as probe_main
from shared.kernel.probe import verdict
from tests.support.infrastructure import missing_tool
from tools.ops.k8s import K8S_ROOT, TARGETS, RenderError, render, validate

WORKERS = set(SERVICES)
PURE_CONSUMERS = {"notifications", "provisioning", "archival"}
PROVIDER_CALLERS = {"notifications", "billing"}


def rendered(target: str) -> list[dict[str, Any]]:
    return render(TARGETS[target])


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod(deployment: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_rendered_document_is_valid_against_the_kubernetes_schemas(target: str) -> None:
    docs = rendered(target)
    assert len(docs) >= 25
    assert validate(docs) == []


def test_the_generated_base_is_what_generate_py_writes() -> None:
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S_ROOT / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # its dataclasses look their module up there
    spec.loader.exec_module(generate)
    assert generate.main(["--check"]) == 0, "deploy/k8s/base is stale: run python deploy/k8s/generate.py"


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_offline_renderer_agrees_with_kubectl_kustomize(target: str) -> None:
    if shutil.which("kubectl") is None:
        missing_tool("kubectl is missing: the renderer's agreement with kustomize is not checked")
    out = subprocess.run(["kubectl", "kustomize", str(TARGETS[target])], capture_output=True, text=True,
                         check=True, timeout=60).stdout

    def key(d: dict[str, Any]) -> tuple[str, str]:
        return d["kind"], d["metadata"]["name"]

    assert sorted(rendered(target), key=key) == sorted((d for d in yaml.safe_load_all(out) if d), key=key)


# -- a broken copy must fail ------------------------------------------------------------
def broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    copy = tmp_path / "k8s"
    shutil.copytree(K8S_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))
    return copy


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    # a misspelt field: without strict validation the probe would silently not exist
    ("base/identity.yaml", "livenessProbe:", "livenesProbe:", "livenesProbe"),
    # a wrong type
    ("base/gateway.yaml", "containerPort: 8000", "containerPort: eight-thousand", "containerPort"),
    # a required field missing
    ("base/notifications.yaml", "  scaleTargetRef:\n", "  scaleTarget:\n", "scaleTarget"),
    # an overlay that breaks what it patches
    ("overlays/prod/autoscaling-archival.yaml", "minReplicas: 2", "minReplicas: two", "minReplicas"),
    # schema-valid but inconsistent: the selector matches no pod of its own template
    ("base/tenancy.yaml", "      app.kubernetes.io/name: tenancy\n      app.kubernetes.io/part-of",
     "      app.kubernetes.io/name: tenants\n      app.kubernetes.io/part-of", "selector matches no pod"),
])
def test_a_broken_manifest_fails_validation(tmp_path: Path, file: str, old: str, new: str, expected: str) -> None:
    copy = broken_copy(tmp_path, file, old, new)
    target = copy / "overlays" / "prod" if file.startswith("overlays/prod") else copy / "base"
    problems = validate(render(target))
    assert problems, "the broken manifest passed validation"
    assert any(expected in p for p in problems), problems


def test_an_overlay_using_kustomize_features_the_renderer_does_not_check_is_refused(tmp_path: Path) -> None:
    copy = broken_copy(tmp_path, "overlays/dev/kustomization.yaml", "namespace: platform-dev",
                       "namespace: platform-dev\nnamePrefix: x-")
    with pytest.raises(RenderError, match="namePrefix"):
        render(copy / "overlays" / "dev")


# -- what the platform relies on --------------------------------------------------------
def test_a_deployment_per_service_and_the_gateway_all_from_one_image_and_runner() -> None:
    deployments = of_kind(rendered("prod"), "Deployment")
    assert set(deployments) == WORKERS | {"gateway", "opsctl"}
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


def test_autoscaling_only_for_pure_consumers_and_a_budget_for_every_workload() -> None:
    docs = rendered("prod")
    autoscalers = of_kind(docs, "HorizontalPodAutoscaler")
    assert set(autoscalers) == PURE_CONSUMERS
    assert all(a["spec"]["minReplicas"] >= 2 for a in autoscalers.values())
    budgets = of_kind(docs, "PodDisruptionBudget")
    assert set(budgets) == WORKERS | {"gateway"}


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


def test_network_policies_let_each_service_reach_only_the_broker_its_database_and_dns() -> None:
    policies = of_kind(rendered("prod"), "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for name in WORKERS:
        expected = {"kube-dns", "rabbitmq", f"postgresql:{name}"}
        if name in PROVIDER_CALLERS:
            expected.add("internet:443")
        if name in ("provisioning", "archival"):
            expected.add("postgresql:backup-keys")  # the backups' key vault they share
        assert _egress_peers(policies[name]) == expected, name
        assert policies[name]["spec"]["ingress"] == []
    assert _egress_peers(policies["gateway"]) == {"kube-dns", "rabbitmq"}
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
    assert all(d["spec"]["replicas"] >= min_replicas for name, d in of_kind(docs, "Deployment").items()
               if name != "opsctl")
    namespaces = {d["metadata"]["namespace"] for d in docs}
    assert namespaces == {"platform-dev" if target == "dev" else "platform"}
    ingress = of_kind(docs, "Ingress")["gateway"]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"


def test_every_configuration_variable_in_the_config_map_is_documented() -> None:
    documented = (K8S_ROOT.parents[1] / "docs" / "configuration.md").read_text()
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
