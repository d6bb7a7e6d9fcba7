"""Writes deploy/k8s/base/: the seven workloads share one shape (one image, one runner, the
same probes, budgets, policies, metrics port and scrape annotations), so they are written
from this one description rather than copied seven times by hand, and so is the Grafana
dashboard (base/monitoring/dashboard.json, many panels of one shape). Run it after changing
a service's needs:

    python deploy/k8s/generate.py          # rewrite base/*.yaml
    python deploy/k8s/generate.py --check  # exit 1 if base/ is not what this file writes (CI)

Overlays (dev, prod) stay hand-written strategic-merge patches over the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BASE = Path(__file__).resolve().parent / "base"
IMAGE = "platform"  # overlays pin registry and tag with kustomize's `images:`
PART_OF = "platform"
VAR_DIR = "/var/lib/platform"
GATEWAY_PORT = 8000
# Every process serves Prometheus metrics on this port of its own pod; the ConfigMap's
# METRICS_PORT must say the same (tools/ops/k8s.py checks it).
METRICS_PORT = 9100
# Where Prometheus runs: the only peer allowed in to a service's pod, on METRICS_PORT.
MONITORING_NAMESPACE = "monitoring"
# AMQP_NAMESPACE in the ConfigMap: KEDA reads the work queue `<namespace>.<service>.events`.
AMQP_NAMESPACE = "platform"
# The drain after SIGTERM: consumers stop, in-flight handlers finish (an SMS or payment call
# may take 8 s: 3 s to connect, 5 s to read; its retry hand-off a few more), acks are sent, the
# relay ends its batch.
WORKER_GRACE_SECONDS = 60
GATEWAY_GRACE_SECONDS = 30
# Where the broker and the databases run: the `platform-infra` namespace, by label. A cluster
# with them elsewhere patches the NetworkPolicies' egress (docs/operations.md).
INFRA_NAMESPACE = "platform-infra"
# The businesses' books, backups and exports are files (shared/tenant_books.py) that
# provisioning writes and archival reads, from any replica: one ReadWriteMany claim, mounted
# over those three directories of VAR_DIR. Everything else under VAR_DIR stays per pod.
TENANT_DATA_CLAIM = "platform-tenant-data"
TENANT_DATA_DIRS = ("tenants", "backups", "exports")


@dataclass(frozen=True)
class SecretFiles:
    """Keys of a Secret mounted read-only as files under ``mount``; each env var names its file
    (PEM files a library reads from a path, not from a variable)."""

    secret: str
    mount: str
    files: dict[str, str]  # env var → the Secret's key (also the file's name)


@dataclass(frozen=True)
class Workload:
    name: str
    secrets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Secret → keys it reads
    database: bool = True
    autoscaled: bool = False  # a pure consumer: more replicas = more competing consumers
    # Ready messages on its work queue per replica before KEDA adds one (a prefetch's worth
    # waiting beyond what every replica already holds).
    queue_per_replica: int = 20
    provider_egress: bool = False  # calls an outside provider over HTTPS
    tenant_data: bool = False  # opens the businesses' books, backups or exports (shared volume)
    secret_files: SecretFiles | None = None
    scans_uploads: bool = False  # streams uploaded documents to clamd (CLAMD_HOST in the ConfigMap)


SUBJECT_IDS = {"platform-subject-ids": ("SUBJECT_ID_SECRET",)}
# The backups' key vault, shared by provisioning (writes) and archival (reads, destroys).
BACKUP_KEYS = {"platform-backup-keys": ("BACKUP_KEYS_DSN",)}
# The vendor's signing key and certificate for the taxpayer system, and the system's public key
# (issue #19; docs/operations.md "The taxpayer system's keys"). The dev overlay drops them.
MOADIAN_FILES = SecretFiles("platform-moadian", "/etc/platform/moadian", {
    "MOADIAN_KEY_FILE": "vendor-key.pem", "MOADIAN_CERTIFICATE_FILE": "vendor-certificate.pem",
    "MOADIAN_SYSTEM_KEY_FILE": "tax-system-public-key.pem"})
WORKLOADS = (
    Workload("identity", SUBJECT_IDS | {"platform-jwt": ("JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"),
                                        "platform-sealing": ("SEALING_PUBLIC_KEY",)}),
    Workload("billing", SUBJECT_IDS | {"platform-payment": ("PAYMENT_MERCHANT_ID", "PAYMENT_ACCESS_TOKEN")},
             provider_egress=True, secret_files=MOADIAN_FILES, scans_uploads=True),
    Workload("provisioning", SUBJECT_IDS | BACKUP_KEYS, autoscaled=True, tenant_data=True),
    Workload("tenancy", SUBJECT_IDS),
    Workload("notifications", SUBJECT_IDS | {"platform-sealing": ("SEALING_PUBLIC_KEY", "SEALING_PRIVATE_KEY"),
                                             "platform-sms": ("SMS_API_KEY",)},
             autoscaled=True, provider_egress=True),
    Workload("archival", SUBJECT_IDS | BACKUP_KEYS, autoscaled=True, tenant_data=True),
    Workload("gateway", {"platform-jwt": ("JWT_PUBLIC_KEY",)}, database=False),
)
SERVICES = tuple(w.name for w in WORKLOADS if w.name != "gateway")


def labels(name: str, component: str = "service") -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/component": component}


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF}


def secret_env(secrets: dict[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    amqp = {"platform-amqp": ("AMQP_URI",)}
    return [{"name": key, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
            for secret, keys in (amqp | secrets).items() for key in keys]


def env_from(database_of: str | None) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = [{"configMapRef": {"name": "platform-config"}}]
    if database_of is not None:
        # POSTGRES_HOST/_PORT/_USER/_PASSWORD of this service's own database, nobody else's.
        sources.append({"secretRef": {"name": f"platform-db-{database_of}"}})
    return sources


def exec_probe(service: str, *extra: str) -> dict[str, Any]:
    return {"exec": {"command": ["python", "-m", "shared.kernel.probe", service, *extra]}}


def container(w: Workload) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": w.name,
        "image": IMAGE,
        "command": ["python", "-m", "shared.kernel.runner", f"services.{w.name}.service"],
        "envFrom": env_from(w.name if w.database else None),
        "env": secret_env(w.secrets) + ([{"name": var, "value": f"{w.secret_files.mount}/{key}"}
                                          for var, key in w.secret_files.files.items()] if w.secret_files else []),
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "192Mi"},
                      "limits": {"cpu": "1", "memory": "512Mi"}},
        "volumeMounts": [{"name": "var", "mountPath": VAR_DIR}] + (
            [{"name": "tenant-data", "mountPath": f"{VAR_DIR}/{d}", "subPath": d} for d in TENANT_DATA_DIRS]
            if w.tenant_data else []) + (
            [{"name": "secret-files", "mountPath": w.secret_files.mount, "readOnly": True}] if w.secret_files else []),
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
    }
    if w.name == "gateway":
        spec["env"] = [{"name": "WEB_SERVER_ADDRESS", "value": f"0.0.0.0:{GATEWAY_PORT}"},
                       {"name": "TRUST_FORWARDED_FOR", "value": "1"}, *spec["env"]]
        spec["ports"] = [{"name": "http", "containerPort": GATEWAY_PORT}, *spec["ports"]]
        # Liveness asks only whether the process answers: restarting the gateway cures no
        # service's outage. Readiness asks /health, which asks each service.
        spec["startupProbe"] = {"tcpSocket": {"port": "http"}, "periodSeconds": 2, "failureThreshold": 30}
        spec["livenessProbe"] = {"tcpSocket": {"port": "http"}, "periodSeconds": 10, "failureThreshold": 3}
        spec["readinessProbe"] = {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10,
                                  "timeoutSeconds": 5, "failureThreshold": 3}
    else:
        spec["startupProbe"] = {**exec_probe(w.name, "--ready"), "periodSeconds": 2, "timeoutSeconds": 5,
                                "failureThreshold": 60}
        spec["livenessProbe"] = {**exec_probe(w.name), "periodSeconds": 10, "timeoutSeconds": 5,
                                 "failureThreshold": 3}
        spec["readinessProbe"] = {**exec_probe(w.name, "--ready"), "periodSeconds": 10, "timeoutSeconds": 5,
                                  "failureThreshold": 1}
    return spec


def pod_security() -> dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"}}


# For a Prometheus that discovers pods by annotation; one run by the Prometheus Operator uses
# the PodMonitor in base/monitoring/ instead (deploy/k8s/README.md).
SCRAPE_ANNOTATIONS = {"prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS_PORT),
                      "prometheus.io/path": "/metrics"}


def deployment(w: Workload) -> dict[str, Any]:
    grace = GATEWAY_GRACE_SECONDS if w.name == "gateway" else WORKER_GRACE_SECONDS
    # An autoscaled Deployment names no replica count: every `kubectl apply` would reset the
    # count KEDA chose (and drain the pods above it) before KEDA raised it again.
    replicas = {} if w.autoscaled else {"replicas": 1}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": w.name, "labels": labels(w.name, "gateway" if w.name == "gateway" else "service")},
        "spec": {
            **replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(w.name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels(w.name, "gateway" if w.name == "gateway" else "service"),
                             "annotations": SCRAPE_ANNOTATIONS},
                "spec": {
                    "terminationGracePeriodSeconds": grace,
                    "automountServiceAccountToken": False,
                    "securityContext": pod_security(),
                    "containers": [container(w)],
                    "volumes": [{"name": "var", "emptyDir": {"sizeLimit": "64Mi"}}] + (
                        [{"name": "tenant-data", "persistentVolumeClaim": {"claimName": TENANT_DATA_CLAIM}}]
                        if w.tenant_data else []) + (
                        [{"name": "secret-files", "secret": {
                            "secretName": w.secret_files.secret, "defaultMode": 0o440,
                            "items": [{"key": k, "path": k} for k in w.secret_files.files.values()]}}]
                        if w.secret_files else []),
                },
            },
        },
    }


def tenant_data_claim() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": TENANT_DATA_CLAIM, "labels": labels(TENANT_DATA_CLAIM, "storage")},
            "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "50Gi"}}}}


def disruption_budget(w: Workload) -> dict[str, Any]:
    # One pod at a time: with two or more replicas the service keeps consuming through a
    # node drain; with one (dev) a drain is still allowed.
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": w.name, "labels": labels(w.name)},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(w.name)}}}


def scaled_object(w: Workload) -> dict[str, Any]:
    """KEDA scales a pure consumer on its work, the ready messages on its work queue, with CPU
    as a second trigger. Instead of an HPA of our own, not beside one: KEDA drives the HPA it
    creates, and two HPAs on one Deployment fight over its replicas."""
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": w.name, "labels": labels(w.name)},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": w.name},
                # Never to zero: the process also runs its relay, its timers and its RPC.
                "minReplicaCount": 1, "maxReplicaCount": 4,
                "pollingInterval": 15,
                "advanced": {"horizontalPodAutoscalerConfig": {"behavior": {
                    # Scale down slowly: a removed pod drains its in-flight messages first.
                    "scaleDown": {"stabilizationWindowSeconds": 300,
                                  "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}}},
                "triggers": [
                    # hostFromEnv: KEDA reads AMQP_URI (vhost included) from the pod's own Secret ref.
                    {"type": "rabbitmq", "metadata": {
                        "protocol": "amqp", "mode": "QueueLength", "value": str(w.queue_per_replica),
                        "queueName": f"{AMQP_NAMESPACE}.{w.name}.events", "hostFromEnv": "AMQP_URI"}},
                    {"type": "cpu", "metricType": "Utilization", "metadata": {"value": "70"}},
                ],
            }}


def infra_peer(name: str, port: int, **extra_labels: str) -> dict[str, Any]:
    return {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": INFRA_NAMESPACE}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": name, **extra_labels}}}],
            "ports": [{"protocol": "TCP", "port": port}]}


DNS = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
               "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
       "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
BROKER = infra_peer("rabbitmq", 5672)
PUBLIC_HTTPS = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                    "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}}],
                "ports": [{"protocol": "TCP", "port": 443}]}


def database(service: str) -> dict[str, Any]:
    return infra_peer("postgresql", 5432, **{"platform/database": service})


SCRAPER = {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}},
                     "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
           "ports": [{"protocol": "TCP", "port": METRICS_PORT}]}


def network_policy(w: Workload) -> dict[str, Any]:
    egress = [DNS, BROKER]
    if w.database:
        egress.append(database(w.name))
    if w.tenant_data:
        egress.append(database("backup-keys"))
    if w.provider_egress:
        egress.append(PUBLIC_HTTPS)
    if w.scans_uploads:
        egress.append({"to": [{"podSelector": {"matchLabels": selector(CLAMD)}}],
                       "ports": [{"protocol": "TCP", "port": CLAMD_PORT}]})
    spec: dict[str, Any] = {"podSelector": {"matchLabels": selector(w.name)},
                            "policyTypes": ["Ingress", "Egress"], "egress": egress}
    if w.name == "gateway":
        spec["ingress"] = [{"from": [{"namespaceSelector": {"matchLabels": {
                                "kubernetes.io/metadata.name": "ingress-nginx"}}}],
                            "ports": [{"protocol": "TCP", "port": GATEWAY_PORT}]}, SCRAPER]
    else:
        spec["ingress"] = [SCRAPER]  # nothing calls a service but over the broker; Prometheus scrapes it
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": w.name, "labels": labels(w.name)}, "spec": spec}


def gateway_service_and_ingress() -> list[dict[str, Any]]:
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "gateway", "labels": labels("gateway", "gateway")},
               "spec": {"selector": selector("gateway"),
                        "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "gateway", "labels": labels("gateway", "gateway"),
                            "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "1m",
                                            "nginx.ingress.kubernetes.io/proxy-read-timeout": "60"}},
               "spec": {"ingressClassName": "nginx",
                        "rules": [{"host": "api.platform.local", "http": {"paths": [{
                            "path": "/", "pathType": "Prefix",
                            "backend": {"service": {"name": "gateway", "port": {"name": "http"}}}}]}}]}}
    return [service, ingress]


def opsctl() -> list[dict[str, Any]]:
    """The operators' tool (python -m tools.opsctl), parked at zero replicas: scale it to one,
    `kubectl exec` into it, scale it back. It reads every service's store, so it alone holds
    every service's database credentials, as POSTGRES_<FIELD>_<SERVICE> (tools/ops/stores.py)."""
    name = "opsctl"
    per_service = [{"name": f"POSTGRES_{field}_{service.upper()}",
                    "valueFrom": {"secretKeyRef": {"name": f"platform-db-{service}", "key": f"POSTGRES_{field}"}}}
                   for service in SERVICES for field in ("HOST", "PORT", "USER", "PASSWORD")]
    box = {"name": name, "image": IMAGE, "command": ["sleep", "infinity"],
           "envFrom": env_from(None), "env": secret_env({}) + per_service,
           "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
           "volumeMounts": [{"name": "var", "mountPath": VAR_DIR}],
           "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                               "capabilities": {"drop": ["ALL"]}}}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": name, "labels": labels(name, "operators")},
                  "spec": {"replicas": 0, "selector": {"matchLabels": selector(name)},
                           "template": {"metadata": {"labels": labels(name, "operators")},
                                        "spec": {"automountServiceAccountToken": False,
                                                 "terminationGracePeriodSeconds": 5,
                                                 "securityContext": pod_security(), "containers": [box],
                                                 "volumes": [{"name": "var", "emptyDir": {"sizeLimit": "64Mi"}}]}}}}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": name, "labels": labels(name, "operators")},
              "spec": {"podSelector": {"matchLabels": selector(name)}, "policyTypes": ["Ingress", "Egress"],
                       "ingress": [], "egress": [DNS, BROKER, *[database(s) for s in SERVICES]]}}
    return [deployment, policy]


# -- clamd: the virus scanner billing streams uploads to (issue #19) -----------------------------
CLAMD = "clamd"
# ClamAV's official image, its 1.4 long-term series, with the signatures of its build day inside
# (the `_base` tags have none). Pinned: change it deliberately (docs/operations.md "Virus scanning").
CLAMD_IMAGE = "clamav/clamav:1.4.5"
CLAMD_PORT = 3310
CLAMD_UID, CLAMD_GID = 100, 101  # the image's `clamav` user and group
SIGNATURES_DIR = "/var/lib/clamav"


def clamd() -> list[dict[str, Any]]:
    """clamd and freshclam in one pod, as the image runs them, unprivileged. The signatures live in
    an emptyDir seeded from the image (a few MB of updates at start, not the whole set from
    ClamAV's CDN, which throttles repeated full downloads); freshclam keeps them current and tells
    clamd, which reloads without refusing scans meanwhile (hence twice the memory while it does)."""
    check = {"exec": {"command": ["clamdcheck.sh"]}}  # the image's own: PING on 3310 answered PONG
    hardened = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    seed = {"name": "signatures", "image": CLAMD_IMAGE,
            # Only into an empty directory: a restarted pod keeps what freshclam fetched since. -R, not
            # -a: a non-root copy cannot keep the image's group, and clamd does not need it.
            "command": ["/bin/sh", "-c", f'[ -n "$(ls -A /seed)" ] || cp -R {SIGNATURES_DIR}/. /seed/'],
            "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
            "volumeMounts": [{"name": "signatures", "mountPath": "/seed"}], "securityContext": hardened}
    scanner = {
        "name": CLAMD, "image": CLAMD_IMAGE,
        # The image's entrypoint for a non-root user: its configuration goes to /tmp, never /etc.
        "command": ["/init-unprivileged"],
        "env": [{"name": "FRESHCLAM_CHECKS", "value": "12"}],  # every 2 h (the image's default: once a day)
        "ports": [{"name": CLAMD, "containerPort": CLAMD_PORT, "protocol": "TCP"}],
        # About 1.3 GB with the signatures loaded, twice that while a reload holds both sets.
        "resources": {"requests": {"cpu": "250m", "memory": "1536Mi"}, "limits": {"cpu": "2", "memory": "3Gi"}},
        "volumeMounts": [{"name": "signatures", "mountPath": SIGNATURES_DIR},
                         # its socket, configuration and scan files (a path inside the pod, not a temp file)
                         {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108
                         {"name": "logs", "mountPath": "/var/log/clamav"}],
        "securityContext": hardened,
        # Loading the signatures takes a minute or more; clamd listens only once they are loaded.
        "startupProbe": {**check, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 60},
        "livenessProbe": {**check, "periodSeconds": 30, "timeoutSeconds": 5, "failureThreshold": 3},
        "readinessProbe": {**check, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 2},
    }
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": CLAMD, "labels": labels(CLAMD, "scanner")},
                  "spec": {"replicas": 1, "revisionHistoryLimit": 5, "selector": {"matchLabels": selector(CLAMD)},
                           "strategy": {"type": "RollingUpdate",
                                        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                           "template": {"metadata": {"labels": labels(CLAMD, "scanner")}, "spec": {
                               "terminationGracePeriodSeconds": 30, "automountServiceAccountToken": False,
                               "securityContext": {"runAsNonRoot": True, "runAsUser": CLAMD_UID,
                                                   "runAsGroup": CLAMD_GID, "fsGroup": CLAMD_GID,
                                                   "seccompProfile": {"type": "RuntimeDefault"}},
                               "initContainers": [seed], "containers": [scanner],
                               "volumes": [{"name": "signatures", "emptyDir": {"sizeLimit": "2Gi"}},
                                           {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                                           {"name": "logs", "emptyDir": {"sizeLimit": "64Mi"}}]}}}}
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": CLAMD, "labels": labels(CLAMD, "scanner")},
               "spec": {"selector": selector(CLAMD), "ports": [
                   {"name": CLAMD, "port": CLAMD_PORT, "targetPort": CLAMD, "protocol": "TCP"}]}}
    budget = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
              "metadata": {"name": CLAMD, "labels": labels(CLAMD, "scanner")},
              "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(CLAMD)}}}
    # Only the workloads that scan uploads may call it (clamd has no authentication of its own);
    # it calls nothing but DNS and freshclam's mirror (database.clamav.net, HTTPS).
    clients = [{"podSelector": {"matchLabels": selector(w.name)}} for w in WORKLOADS if w.scans_uploads]
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": CLAMD, "labels": labels(CLAMD, "scanner")},
              "spec": {"podSelector": {"matchLabels": selector(CLAMD)}, "policyTypes": ["Ingress", "Egress"],
                       "ingress": [{"from": clients, "ports": [{"protocol": "TCP", "port": CLAMD_PORT}]}],
                       "egress": [DNS, PUBLIC_HTTPS]}}
    return [deployment, service, budget, policy]


def default_deny() -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "labels": {"app.kubernetes.io/part-of": PART_OF}},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}


def migrate_job() -> list[dict[str, Any]]:
    """Declares the topology and creates every service's stores before a rollout. One init
    container per service, each holding that service's database credentials only."""
    def step(name: str, args: list[str], database_of: str | None) -> dict[str, Any]:
        return {"name": name, "image": IMAGE, "command": ["python", "-m", "shared.kernel.migrate", *args],
                "envFrom": env_from(database_of), "env": secret_env({}),
                "resources": {"requests": {"cpu": "50m", "memory": "128Mi"},
                              "limits": {"cpu": "500m", "memory": "256Mi"}},
                "volumeMounts": [{"name": "var", "mountPath": VAR_DIR}],
                "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}}}

    name = "migrate"
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": name, "labels": labels(name, "migrate"),
                        # Argo CD runs it before syncing the Deployments and recreates it each
                        # time; with plain kubectl, docs/operations.md gives the steps.
                        "annotations": {"argocd.argoproj.io/hook": "PreSync",
                                        "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}},
           "spec": {"backoffLimit": 4, "activeDeadlineSeconds": 600, "ttlSecondsAfterFinished": 86400,
                    "template": {"metadata": {"labels": labels(name, "migrate")},
                                 "spec": {"restartPolicy": "OnFailure", "automountServiceAccountToken": False,
                                          "securityContext": pod_security(),
                                          "initContainers": [step(f"stores-{s}", ["--stores-only", s], s)
                                                             for s in SERVICES],
                                          "containers": [step("topology", ["--topology-only"], None)],
                                          "volumes": [{"name": "var", "emptyDir": {"sizeLimit": "64Mi"}}]}}}}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": name, "labels": labels(name, "migrate")},
              "spec": {"podSelector": {"matchLabels": selector(name)}, "policyTypes": ["Ingress", "Egress"],
                       "ingress": [], "egress": [DNS, BROKER, *[database(s) for s in SERVICES]]}}
    return [job, policy]


# -- the Grafana dashboard ------------------------------------------------------------------
# The onboarding as the gateway sees it (routes in werkzeug's form, as the route label carries
# them) and as the services' inboxes see it (the events along the chain, in order).
ONBOARDING_ROUTES = ("/identity/registrations", "/identity/registrations/verify", "/identity/sessions",
                     "/billing/orders", "/billing/orders/<order_id>/invoice",
                     "/billing/orders/<order_id>/payments", "/billing/payments/<payment_id>/callback",
                     "/billing/payments/<payment_id>", "/me")
ONBOARDING_EVENTS = ("UserRegistered", "VerificationCodeIssued", "MobileVerified", "PaymentSucceeded",
                     "TenantProvisioned", "ModulesActivated", "BusinessActivated")
REFUND_DEADLINE_SECONDS = 72 * 3600  # BI-2
NS = 'namespace="$namespace"'
RATE = "[$__rate_interval]"


def _one_of(values: tuple[str, ...]) -> str:
    return "|".join(values)


def panel(title: str, description: str, exprs: dict[str, str], unit: str = "short", kind: str = "timeseries",
          thresholds: tuple[tuple[str, float | None], ...] = (("green", None),)) -> dict[str, Any]:
    """One panel; exprs maps each query's legend to its PromQL."""
    return {"type": kind, "title": title, "description": description,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "targets": [{"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend,
                         "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                        for i, (legend, expr) in enumerate(exprs.items())],
            "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": [
                {"color": color, "value": value} for color, value in thresholds]}}, "overrides": []},
            "options": {}}


def dashboard_panels() -> list[tuple[str, list[dict[str, Any]]]]:
    routes = f'{NS}, route=~"{_one_of(ONBOARDING_ROUTES)}"'
    chain = f'{NS}, event_type=~"{_one_of(ONBOARDING_EVENTS)}"'
    danger = (("green", None), ("orange", 1.0))
    return [
        ("Onboarding funnel", [
            panel("Requests per onboarding route", "Gateway requests per second along sign-up, order, payment",
                  {"{{method}} {{route}}": f"sum by (method, route) (rate(gateway_requests_total{{{routes}}}{RATE}))"},
                  "reqps"),
            panel("Answers by status", "Onboarding routes' answers by HTTP status (503: a service unreachable)",
                  {"{{status}}": f"sum by (status) (rate(gateway_requests_total{{{routes}}}{RATE}))"}, "reqps"),
            panel("Latency p95 per route", "95th percentile of the gateway's answer time",
                  {"{{route}}": "histogram_quantile(0.95, sum by (le, route) "
                                f"(rate(gateway_request_seconds_bucket{{{routes}}}{RATE})))"}, "s"),
            panel("Events handled along the chain", "Deliveries each service's inbox handled, per event type",
                  {"{{service}} {{event_type}}": "sum by (service, event_type) "
                   f'(rate(inbox_messages_total{{{chain}, outcome="handled"}}{RATE}))'}, "ops"),
            panel("Append → handled lag p95", "From the producer's append to the consumer's handling",
                  {"{{service}} {{event_type}}": "histogram_quantile(0.95, sum by (le, service, event_type) "
                   f"(rate(inbox_lag_seconds_bucket{{{chain}}}{RATE})))"}, "s"),
            panel("Retried, dead-lettered, invalid", "Deliveries that did not succeed the first time",
                  {"{{service}} {{event_type}} {{outcome}}": "sum by (service, event_type, outcome) "
                   f'(rate(inbox_messages_total{{{NS}, outcome=~"retried|dead_lettered|invalid"}}{RATE}))'},
                  "ops"),
        ]),
        ("Promises", [
            panel("Oldest refund waiting (BI-2)", "Age of the oldest captured-and-failed payment not yet "
                  "refunded; the deadline is 72 h", {"age": f"max(billing_refund_oldest_age_seconds{{{NS}}})"},
                  "s", "stat", (("green", None), ("orange", REFUND_DEADLINE_SECONDS - 24 * 3600),
                                ("red", REFUND_DEADLINE_SECONDS - 6 * 3600))),
            panel("Refunds pending (BI-2)", "Captured-and-failed payments not yet refunded",
                  {"pending": f"max(billing_refunds_pending{{{NS}}})"}, "short", "stat", danger),
            panel("SMS undelivered after 5 min (ID-2)", "Codes and messages not delivered 5 minutes after sending",
                  {"undelivered": f"max(notifications_sms_undelivered{{{NS}}})"}, "short", "stat", danger),
            panel("Tenants due for deletion (AR-1)", "Lapsed businesses past the 3-month grace, not yet deleted",
                  {"due": f"max(archival_tenants_due_for_deletion{{{NS}}})"}, "short", "stat", danger),
            panel("Dead letters waiting", "Messages in each service's dead-letter queue (opsctl dead-letters)",
                  {"{{service}}": f"max by (service) (deadletters_waiting{{{NS}}})"}, "short", "stat", danger),
        ]),
        ("Plumbing", [
            panel("Relay backlog", "Recorded events not yet published, per service",
                  {"{{service}}": f"max by (service) (relay_backlog_events{{{NS}}})"}),
            panel("Relay lag p95", "Append → published",
                  {"{{service}}": "histogram_quantile(0.95, sum by (le, service) "
                                  f"(rate(relay_lag_seconds_bucket{{{NS}}}{RATE})))"}, "s"),
            panel("Work queues: ready messages", "What KEDA scales the pure consumers on (RabbitMQ's plugin)",
                  {"{{queue}}": "sum by (queue) (rabbitmq_queue_messages_ready"
                                f'{{queue=~"{AMQP_NAMESPACE}\\\\.[a-z]+\\\\.events"}})'}),
            panel("Provider calls per outcome",
                  "SMS (kavenegar), payment gateway (zarinpal) and virus scanner (clamd) calls",
                  {"{{provider}} {{operation}} {{outcome}}": "sum by (provider, operation, outcome) "
                   f"(rate(provider_calls_total{{{NS}}}{RATE}))"}, "ops"),
            panel("Provider latency p95", "Outside parties' answer time",
                  {"{{provider}} {{operation}}": "histogram_quantile(0.95, sum by (le, provider, operation) "
                   f"(rate(provider_call_seconds_bucket{{{NS}}}{RATE})))"}, "s"),
            panel("RPC time p95 per method", "Service calls behind the gateway",
                  {"{{service}}.{{method}}": "histogram_quantile(0.95, sum by (le, service, method) "
                   f"(rate(rpc_seconds_bucket{{{NS}}}{RATE})))"}, "s"),
        ]),
    ]


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    x = y = 0
    for index, (row, members) in enumerate(dashboard_panels()):
        x, y = 0, y + (panels[-1]["gridPos"]["h"] if panels else 0)
        panels.append({"type": "row", "title": row, "collapsed": False, "id": 100 * (index + 1), "panels": [],
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
        y += 1
        for number, member in enumerate(members, start=1):
            width, height = (8, 8) if member["type"] == "timeseries" else (4, 5)
            if x + width > 24:
                x, y = 0, y + height
            member["id"] = 100 * (index + 1) + number
            member["gridPos"] = {"h": height, "w": width, "x": x, "y": y}
            x += width
            panels.append(member)
    return {
        "uid": "platform-onboarding", "title": "Platform: onboarding and promises",
        "tags": ["platform"], "timezone": "browser", "schemaVersion": 39, "version": 1,
        "refresh": "30s", "time": {"from": "now-6h", "to": "now"}, "editable": True,
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"},
            {"name": "namespace", "type": "query", "label": "Namespace",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": "label_values(gateway_requests_total, namespace)", "refresh": 2},
        ]},
        "panels": panels,
    }


def documents() -> dict[str, list[dict[str, Any]]]:
    files: dict[str, list[dict[str, Any]]] = {}
    for w in WORKLOADS:
        docs = [deployment(w), disruption_budget(w), network_policy(w)]
        if w.autoscaled:
            docs.append(scaled_object(w))
        if w.name == "gateway":
            docs += gateway_service_and_ingress()
        files[f"{w.name}.yaml"] = docs
    files["migrate-job.yaml"] = migrate_job()
    files["opsctl.yaml"] = opsctl()
    files["clamd.yaml"] = clamd()
    files["network-default-deny.yaml"] = [default_deny()]
    files["tenant-data.yaml"] = [tenant_data_claim()]
    return files


def render(docs: list[dict[str, Any]]) -> str:
    header = "# Generated by deploy/k8s/generate.py: edit that file, then run it.\n"
    return header + "---\n".join(yaml.safe_dump(d, sort_keys=False, width=120) for d in docs)


def files() -> dict[str, str]:
    """Every file this script writes under base/, with its text."""
    written = {name: render(docs) for name, docs in documents().items()}
    written["monitoring/dashboard.json"] = json.dumps(dashboard(), indent=1, ensure_ascii=False) + "\n"
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when base/ is stale")
    args = parser.parse_args(argv)
    stale = []
    for name, text in files().items():
        path = BASE / name
        if path.exists() and path.read_text() == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text)
    if args.check and stale:
        print(f"deploy/k8s/base is stale ({', '.join(stale)}): run python deploy/k8s/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
