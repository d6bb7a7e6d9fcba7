"""Render deploy/k8s with `kubectl kustomize` and validate every document offline: Kubernetes'
own kinds against the JSON schemas the `kubernetes-validate` package ships (strict), the
custom resources (PrometheusRule, PodMonitor, ScaledObject) by tools/ops/k8s_custom.py, and
what no schema sees (selectors, references, ports) here:

    python -m tools.ops.k8s validate            # base, dev and prod; exit 1 on any error
    python -m tools.ops.k8s render prod          # the rendered YAML (kubectl kustomize's own)

kubectl with kustomize v5 is required; without it the check fails (it never skips): .ci/run
installs Debian's `kubernetes-client` where kubectl is missing.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from shared.kernel.config import REPO_ROOT
from tools.ops import k8s_custom

K8S_ROOT = REPO_ROOT / "deploy" / "k8s"
TARGETS = {"base": K8S_ROOT / "base", "dev": K8S_ROOT / "overlays" / "dev", "prod": K8S_ROOT / "overlays" / "prod"}
KUBERNETES_VERSION = "1.30.0"  # the oldest version the manifests must run on
KUSTOMIZE_AT_LEAST = (5, 0)  # `patches`, `replicas`, generator options: what the overlays use
Doc = dict[str, Any]


class RenderError(Exception):
    pass


class KubectlMissing(RenderError):
    """No kubectl, or one whose kustomize is too old to render the overlays."""


@functools.cache
def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        raise KubectlMissing("kubectl is not installed (Debian: apt-get install kubernetes-client)")
    answer = subprocess.run([path, "version", "--client", "-o", "json"], capture_output=True, text=True,
                            timeout=60, check=False)
    try:
        reported = str(json.loads(answer.stdout).get("kustomizeVersion", ""))
    except ValueError:
        reported = ""
    found = re.match(r"v?(\d+)\.(\d+)", reported)
    if found is None or (int(found[1]), int(found[2])) < KUSTOMIZE_AT_LEAST:
        raise KubectlMissing(f"{path} has kustomize {reported or 'older than v4'}; "
                             f"v{'.'.join(map(str, KUSTOMIZE_AT_LEAST))} or newer is needed (kubectl 1.27+)")
    return path


def render(directory: Path) -> list[Doc]:
    """The documents `kubectl kustomize directory` prints."""
    done = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory}: {done.stderr.strip()}")
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def validate(docs: list[Doc], version: str = KUBERNETES_VERSION) -> list[str]:
    """Every problem found, as `Kind/name: message`; empty when all is valid. Strict: a field
    the schema does not know is an error (a typo'd probe is otherwise silently ignored)."""
    import kubernetes_validate

    problems = []
    for doc in docs:
        where = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(p) for p in error.path)
            problems.append(f"{where}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            # Only the custom resources checked by hand may go without a schema.
            custom = k8s_custom.check(doc)
            problems += [f"{where}: {p}" for p in custom] if custom is not None else [f"{where}: {error}"]
        except kubernetes_validate.InvalidSchemaError as error:
            problems.append(f"{where}: {error}")
    # The consistency checks read fields the schemas guarantee: only run them on valid documents.
    return problems or consistency_problems(docs)


def _by_kind(docs: list[Doc]) -> dict[str, dict[str, Doc]]:
    by_kind: dict[str, dict[str, Doc]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    return by_kind


def _selects(selector: Doc, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for term in selector.get("matchExpressions", []):
        present, value = term["key"] in labels, labels.get(term["key"])
        if {"In": value not in term.get("values", []), "NotIn": value in term.get("values", []),
                "Exists": not present, "DoesNotExist": present}[term["operator"]]:
            return False
    return True


def consistency_problems(docs: list[Doc]) -> list[str]:
    """What a schema cannot see: selectors that select nothing, references to nothing, ports
    that disagree with the configuration."""
    problems = []
    by_kind = _by_kind(docs)
    deployments = by_kind.get("Deployment", {})
    config = by_kind.get("ConfigMap", {}).get("platform-config", {}).get("data", {})
    for name, deployment in deployments.items():
        template = deployment["spec"]["template"]
        labels = template["metadata"].get("labels", {})
        if not _selects(deployment["spec"]["selector"], labels):
            problems.append(f"Deployment/{name}: selector matches no pod of its template")
        for container in template["spec"]["containers"]:
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef", {}).get("name")
                if ref and ref not in by_kind.get("ConfigMap", {}):
                    problems.append(f"Deployment/{name}: ConfigMap {ref} is not defined")
            problems += _metrics_port_problems(name, template, container, config)
    keda_targets = {d["spec"]["scaleTargetRef"]["name"] for d in by_kind.get("ScaledObject", {}).values()}
    for name, doc in by_kind.get("HorizontalPodAutoscaler", {}).items():
        if doc["spec"]["scaleTargetRef"]["name"] not in deployments:
            problems.append(f"HorizontalPodAutoscaler/{name}: scales a Deployment that does not exist")
        if doc["spec"]["scaleTargetRef"]["name"] in keda_targets:
            problems.append(f"HorizontalPodAutoscaler/{name}: its Deployment is scaled by KEDA already")
    for name, doc in by_kind.get("ScaledObject", {}).items():
        problems += _scaled_object_problems(name, doc, deployments, config)
    for name, doc in by_kind.get("PodMonitor", {}).items():
        selected = [d for d in deployments.values()
                    if _selects(doc["spec"]["selector"], d["spec"]["template"]["metadata"].get("labels", {}))]
        if not selected:
            problems.append(f"PodMonitor/{name}: selects no Deployment's pods")
        for endpoint in doc["spec"]["podMetricsEndpoints"]:
            problems += [f"PodMonitor/{name}: Deployment/{d['metadata']['name']} has no port {endpoint['port']}"
                         for d in selected if endpoint["port"] not in _port_names(d)]
    for name, doc in by_kind.get("Service", {}).items():
        selector = {"matchLabels": doc["spec"].get("selector", {})}  # a Service's is a plain label map
        if not any(_selects(selector, d["spec"]["template"]["metadata"].get("labels", {}))
                   for d in deployments.values()):
            problems.append(f"Service/{name}: selects no Deployment's pods")
    for name, doc in by_kind.get("NetworkPolicy", {}).items():
        problems += _network_policy_problems(name, doc, by_kind)
    return problems


def _network_policy_problems(name: str, doc: Doc, by_kind: dict[str, dict[str, Doc]]) -> list[str]:
    """A policy for pods that do not exist, or a peer of this namespace that no pod is, allows
    nothing it meant to: a label changed on one side only (other namespaces' pods are not here)."""
    pods = [d["spec"]["template"]["metadata"].get("labels", {})
            for kind in ("Deployment", "Job") for d in by_kind.get(kind, {}).values()]
    problems = []
    if doc["spec"]["podSelector"] and not any(_selects(doc["spec"]["podSelector"], p) for p in pods):
        problems.append(f"NetworkPolicy/{name}: podSelector selects no pod")
    for direction, side in (("ingress", "from"), ("egress", "to")):
        for rule in doc["spec"].get(direction) or []:
            for peer in rule.get(side) or []:
                if "podSelector" in peer and "namespaceSelector" not in peer and not any(
                        _selects(peer["podSelector"], p) for p in pods):
                    problems.append(f"NetworkPolicy/{name}: {direction} peer {peer['podSelector']} is no pod")
    return problems


def _port_names(deployment: Doc) -> set[str]:
    return {p.get("name") for c in deployment["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}


def _metrics_port_problems(name: str, template: Doc, container: Doc, config: dict[str, str]) -> list[str]:
    """The process listens on the ConfigMap's METRICS_PORT: the container's `metrics` port and
    the scrape annotation must say the same number."""
    ports = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == "metrics"]
    annotated = template["metadata"].get("annotations", {}).get("prometheus.io/port")
    if not ports and annotated is None:
        return []
    wanted = config.get("METRICS_PORT")
    found = {str(p) for p in ports} | ({annotated} if annotated is not None else set())
    if wanted is None or found != {wanted}:
        return [f"Deployment/{name}: metrics port {sorted(found)} is not the ConfigMap's METRICS_PORT {wanted}"]
    return []


def _scaled_object_problems(name: str, doc: Doc, deployments: dict[str, Doc], config: dict[str, str]) -> list[str]:
    target = deployments.get(doc["spec"]["scaleTargetRef"]["name"])
    if target is None:
        return [f"ScaledObject/{name}: scales a Deployment that does not exist"]
    env = {e["name"] for c in target["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])}
    problems = []
    if "replicas" in target["spec"]:
        # every apply would reset the count KEDA chose, draining the pods above it
        problems.append(f"ScaledObject/{name}: its Deployment names replicas; leave the count to KEDA")
    for trigger in doc["spec"]["triggers"]:
        metadata = trigger["metadata"]
        if "hostFromEnv" in metadata and metadata["hostFromEnv"] not in env:
            problems.append(f"ScaledObject/{name}: the target's containers have no {metadata['hostFromEnv']}")
        queue = metadata.get("queueName") if trigger["type"] == "rabbitmq" else None
        namespace = config.get("AMQP_NAMESPACE")
        if queue is not None and not queue.startswith(f"{namespace}."):
            problems.append(f"ScaledObject/{name}: queue {queue} is not under AMQP_NAMESPACE {namespace}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.k8s", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("validate", help="render base, dev and prod and validate every document")
    show = sub.add_parser("render", help="print one target's rendered YAML")
    show.add_argument("target", choices=sorted(TARGETS))
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            print("---\n".join(yaml.safe_dump(d, sort_keys=False) for d in render(TARGETS[args.target])), end="")
            return 0
        failed = False
        for name, directory in TARGETS.items():
            docs = render(directory)
            problems = validate(docs)
            failed = failed or bool(problems)
            print(f"{name}: {len(docs)} documents, {'valid' if not problems else f'{len(problems)} problems'}")
            for problem in problems:
                print(f"  {problem}")
    except RenderError as error:
        print(f"k8s: {error}", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
