"""Real processes for fault tests: each service started with the same runner `make run`
uses, killed with SIGKILL or stopped with SIGTERM, and driven over real AMQP."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.billing.virus_scan import ClamdClient
from shared.kernel.config import REPO_ROOT, Settings
from shared.kernel.green import STACKS_MARKER
from tests.support.network import free_port

_LIBC = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded here: nothing to import or dlopen after fork


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the test process dies, however it dies (Linux)."""
    _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def wait_until(condition: Callable[[], Any], timeout: float = 30, interval: float = 0.1, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


class Platform:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        # Every process ever started, replicas and restarts included: stop_all leaves none behind
        # (a stray one would keep consuming nameko's un-namespaced rpc-<service> queue).
        self._started: list[subprocess.Popen[bytes]] = []
        self.logs = settings.var_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self._runs = 0
        self._proxy: ClusterRpcProxy | None = None
        self._services: Any = None
        self.sms_provider: subprocess.Popen[bytes] | None = None
        self.sms_url = ""
        self.payment_sandbox: subprocess.Popen[bytes] | None = None
        self.payment_sandbox_url = ""
        self.metrics_urls: dict[str, str] = {}  # each process's Prometheus metrics, by service (the latest start)
        self.tax_sandbox: subprocess.Popen[bytes] | None = None
        self.tax_sandbox_url = ""
        self.clamd: subprocess.Popen[bytes] | None = None
        self.clamd_port = 0

    def env(self, **extra: str) -> dict[str, str]:
        s = self.settings
        return os.environ | {
            "PYTHONPATH": str(REPO_ROOT), "AMQP_URI": s.amqp_uri, "AMQP_NAMESPACE": s.namespace,
            "EVENT_STORE": s.event_store, "VAR_DIR": str(s.var_dir), "POSTGRES_DB_PREFIX": s.postgres_db_prefix,
            "INBOX_RETRY_DELAYS_MS": ",".join(str(d) for d in s.retry_delays_ms), "PYTHONUNBUFFERED": "1",
        } | extra

    def _start_helper(self, module: str, log_name: str) -> tuple[subprocess.Popen[bytes], str]:
        """A development stand-in for an outside party (tools/<module>) on a free loopback port,
        answering /health; the process and its URL."""
        port = free_port()
        log = open(self.logs / log_name, "wb")  # noqa: SIM115 - lives as long as the child
        proc = subprocess.Popen([sys.executable, "-m", f"tools.{module}", f"127.0.0.1:{port}"],
                                cwd=REPO_ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(f"{url}/health"), timeout=20, what=f"tools.{module}")
        return proc, url

    def start_sms_provider(self) -> str:
        """The development SMS provider (Kavenegar's API on loopback), started once."""
        if self.sms_provider is None:
            self.sms_provider, self.sms_url = self._start_helper("dev_sms_provider", "sms-provider.log")
        return self.sms_url

    def start_payment_sandbox(self) -> str:
        """The payment-gateway sandbox (Zarinpal's API on loopback), started once."""
        if self.payment_sandbox is None:
            self.payment_sandbox, self.payment_sandbox_url = self._start_helper("payment_sandbox",
                                                                                "payment-sandbox.log")
        return self.payment_sandbox_url

    def start_tax_sandbox(self) -> str:
        """The taxpayer system's sandbox (سامانه مؤدیان's v2 API on loopback), started once."""
        if self.tax_sandbox is None:
            self.tax_sandbox, self.tax_sandbox_url = self._start_helper("tax_sandbox", "tax-sandbox.log")
        return self.tax_sandbox_url

    def start_clamd_standin(self) -> int:
        """tools/clamd_standin.py (clamd's TCP protocol, EICAR only) on a free port, started once."""
        if self.clamd is None:
            port = free_port()
            log = open(self.logs / "clamd-standin.log", "wb")  # noqa: SIM115 - lives as long as the child
            self.clamd = subprocess.Popen([sys.executable, "-m", "tools.clamd_standin", f"127.0.0.1:{port}"],
                                          cwd=REPO_ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
            wait_until(ClamdClient("127.0.0.1", port, timeout=2).ping, timeout=20, what="tools.clamd_standin")
            self.clamd_port = port
        return self.clamd_port

    def sms_sent_to(self, e164: str) -> list[dict[str, Any]]:
        answer = requests.get(f"{self.sms_url}/_dev/messages", params={"receptor": e164}, timeout=10)
        return list(answer.json()["messages"])

    def start(self, service: str, **extra_env: str) -> subprocess.Popen[bytes]:
        if service == "notifications":
            # Delivery reports are followed every half second here (30 s in production).
            extra_env = {"SMS_PROVIDER_URL": self.start_sms_provider(), "SMS_STATUS_CHECK_SECONDS": "0.5"} | extra_env
        if service == "billing":
            sandbox = self.start_payment_sandbox()
            extra_env = {"PAYMENT_GATEWAY_URL": sandbox, "PAYMENT_GRAPHQL_URL": f"{sandbox}/api/v4/graphql/",
                         "PAYMENT_TERMINAL_ID": "sandbox",
                         "MOADIAN_URL": f"{self.start_tax_sandbox()}/requestsmanager/api/v2/",
                         "CLAMD_HOST": "127.0.0.1", "CLAMD_PORT": str(self.start_clamd_standin())} | extra_env
        port = free_port()
        extra_env = {"METRICS_HOST": "127.0.0.1", "METRICS_PORT": str(port)} | extra_env
        self.metrics_urls[service] = f"http://127.0.0.1:{extra_env['METRICS_PORT']}/metrics"
        self._runs += 1
        log_path = self.logs / f"{service}.{self._runs}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "shared.kernel.runner", f"services.{service}.service"],
                                    cwd=REPO_ROOT, env=self.env(**extra_env), stdout=log, stderr=subprocess.STDOUT,
                                    preexec_fn=_die_with_parent)
        self.procs[service] = proc
        self._started.append(proc)
        wait_until(lambda: b'"service.started"' in log_path.read_bytes() or proc.poll() is not None,
                   timeout=30, what=f"{service} to start")
        if proc.poll() is not None:
            raise AssertionError(f"{service} exited at start:\n{log_path.read_text()[-3000:]}")
        return proc

    def kill9(self, service: str) -> None:
        proc = self.procs.pop(service)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop(self, service: str, timeout: float = 30) -> int:
        proc = self.procs.pop(service)
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout)

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """An RPC through one long-lived proxy (each proxy leaves a reply queue behind on the
        broker for five minutes, so tests must not make one per call)."""
        if self._services is None:
            self._proxy = ClusterRpcProxy(self.rpc_config(), timeout=30)
            self._services = self._proxy.start()
        return getattr(getattr(self._services, service), method)(*args, **kwargs)

    def drop_proxy(self) -> None:
        """Forget the long-lived proxy (after a broker restart its connection is gone)."""
        proxy, self._proxy, self._services = self._proxy, None, None
        if proxy is not None:
            with contextlib.suppress(Exception):  # its connection may already be dead
                proxy.stop()

    def stop_all(self) -> None:
        self.drop_proxy()
        for helper in (self.sms_provider, self.payment_sandbox, self.tax_sandbox, self.clamd):
            if helper is not None:
                helper.kill()
                helper.wait(10)
        running = [proc for proc in self._started if proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)  # graceful: in-flight work finishes and is acked
        for proc in running:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.procs.clear()
        self._started.clear()

    def post_mortem(self, log_lines: int = 120) -> str:
        """What each live service was doing: the end of its log, then its green threads' stacks
        (asked for with SIGUSR1, see shared/kernel/runner.py)."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        parts = []
        for log in sorted(self.logs.glob("*.log")):
            text = log.read_text(errors="replace")
            before, marker, stacks = text.rpartition(STACKS_MARKER)
            lines = (before if marker else text).splitlines()
            parts.append(f"===== {log.name} (last {log_lines} of {len(lines)} lines) =====")
            parts.extend(lines[-log_lines:])
            if marker:
                parts.append(marker + stacks)
        return "\n".join(parts)

    def log_text(self, service: str) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob(f"{service}.*.log")))

    def rpc_config(self) -> dict[str, Any]:
        return {"AMQP_URI": self.settings.amqp_uri, "rpc_exchange": f"{self.settings.namespace}.rpc",
                "serializer": "json"}

    @contextmanager
    def rpc(self) -> Iterator[Any]:
        """A proxy of one's own, for a green thread running beside the test's own calls."""
        with ClusterRpcProxy(self.rpc_config(), timeout=30) as proxy:
            yield proxy


def answers(url: str) -> bool:
    """The URL answers 2xx (a stand-in's /health)."""
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def messages_for(platform: Platform, mobile: str) -> list[dict[str, Any]]:
    return list(platform.call("notifications", "messages_to", mobile)["ok"])


def mobile_number(i: int) -> str:
    return f"0912{i:07d}"


def e164(i: int) -> str:
    return f"+98912{i:07d}"


def repo_path(*parts: str) -> Path:
    return REPO_ROOT.joinpath(*parts)
