"""Render deploy/k8s overlays offline and validate every document against the Kubernetes
JSON schemas (the `kubernetes-validate` package ships them):

    python -m tools.ops.k8s validate            # base, dev and prod; exit 1 on any error
    python -m tools.ops.k8s render prod          # the rendered YAML, as `kubectl kustomize` prints it

The renderer implements the part of kustomize the overlays use, and nothing more: `resources`
(files and directories), `namespace`, `images`, `replicas` and strategic-merge `patches`
(maps merge; lists of named items — containers, env, volumes, ports — merge by name; other
lists are replaced). Anything else in a kustomization is refused, so an overlay cannot
silently grow past what is validated. Where `kubectl` is installed, the tests also compare
this renderer's output with `kubectl kustomize`.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from shared.kernel.config import REPO_ROOT

K8S_ROOT = REPO_ROOT / "deploy" / "k8s"
TARGETS = {"base": K8S_ROOT / "base", "dev": K8S_ROOT / "overlays" / "dev", "prod": K8S_ROOT / "overlays" / "prod"}
KUBERNETES_VERSION = "1.30.0"  # the oldest version the manifests must run on
SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}
Doc = dict[str, Any]


class RenderError(Exception):
    pass


def load_documents(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def render(directory: Path) -> list[Doc]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise RenderError(f"{directory}: kustomization fields this renderer does not validate: {sorted(unknown)}")
    docs: list[Doc] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        docs += render(target) if target.is_dir() else load_documents(target)
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise RenderError(f"{directory}: only strategic-merge patches by path are supported: {patch}")
        for change in load_documents(directory / patch["path"]):
            target_doc = _find(docs, change, directory)
            merged = strategic_merge(target_doc, change)
            target_doc.clear()
            target_doc.update(merged)
    for image in kustomization.get("images", []):
        for container in _containers(docs):
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                new_name = image.get("newName", name)
                new_tag = image.get("newTag", tag)
                container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name
    for replicas in kustomization.get("replicas", []):
        found = [d for d in docs if d["metadata"]["name"] == replicas["name"]
                 and d["kind"] in ("Deployment", "StatefulSet", "ReplicaSet")]
        if not found:
            raise RenderError(f"{directory}: replicas for unknown workload {replicas['name']}")
        for doc in found:
            doc["spec"]["replicas"] = replicas["count"]
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    return docs


def _find(docs: list[Doc], change: Doc, directory: Path) -> Doc:
    for doc in docs:
        if doc["kind"] == change["kind"] and doc["metadata"]["name"] == change["metadata"]["name"]:
            return doc
    raise RenderError(f"{directory}: patch targets no resource: {change['kind']}/{change['metadata']['name']}")


def _containers(docs: list[Doc]) -> Iterable[Doc]:
    for doc in docs:
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        yield from pod.get("initContainers", [])
        yield from pod.get("containers", [])


def strategic_merge(original: Any, change: Any) -> Any:
    if isinstance(original, dict) and isinstance(change, dict):
        merged = copy.deepcopy(original)
        for key, value in change.items():
            merged[key] = strategic_merge(original[key], value) if key in original else copy.deepcopy(value)
        return merged
    if isinstance(original, list) and isinstance(change, list) and _named(original) and _named(change):
        merged_list = copy.deepcopy(original)
        for item in change:
            at = next((i for i, o in enumerate(merged_list) if o["name"] == item["name"]), None)
            if at is None:
                merged_list.append(copy.deepcopy(item))
            else:
                merged_list[at] = strategic_merge(merged_list[at], item)
        return merged_list
    return copy.deepcopy(change)


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


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
        except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as error:
            problems.append(f"{where}: {error}")
    # The consistency checks read fields the schemas guarantee: only run them on valid documents.
    return problems or consistency_problems(docs)


def consistency_problems(docs: list[Doc]) -> list[str]:
    """What a schema cannot see: selectors that select nothing, references to nothing."""
    problems = []
    by_kind: dict[str, dict[str, Doc]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    for name, deployment in by_kind.get("Deployment", {}).items():
        wanted = deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"].get("labels", {})
        if any(labels.get(k) != v for k, v in wanted.items()):
            problems.append(f"Deployment/{name}: selector matches no pod of its template")
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef", {}).get("name")
                if ref and ref not in by_kind.get("ConfigMap", {}):
                    problems.append(f"Deployment/{name}: ConfigMap {ref} is not defined")
    for kind in ("HorizontalPodAutoscaler",):
        for name, doc in by_kind.get(kind, {}).items():
            if doc["spec"]["scaleTargetRef"]["name"] not in by_kind.get("Deployment", {}):
                problems.append(f"{kind}/{name}: scales a Deployment that does not exist")
    for name, doc in by_kind.get("Service", {}).items():
        selected = doc["spec"].get("selector", {})
        if not any(all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selected.items())
                   for d in by_kind.get("Deployment", {}).values()):
            problems.append(f"Service/{name}: selects no Deployment's pods")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.k8s", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("validate", help="render base, dev and prod and validate every document")
    show = sub.add_parser("render", help="print one target's rendered YAML")
    show.add_argument("target", choices=sorted(TARGETS))
    args = parser.parse_args(argv)
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
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
