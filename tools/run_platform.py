"""`make run`: the whole platform on one machine in development mode.

Every service in its own process on the local RabbitMQ, event stores in SQLite under var/
(EVENT_STORE=postgres for PostgreSQL), the gateway on 127.0.0.1:8000, each process's Prometheus
metrics on its own port from METRICS_FIRST_PORT (9101) on. Ctrl-C stops them all gracefully
(SIGTERM: in-flight work finishes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("identity", "notifications", "billing", "provisioning", "tenancy", "archival")
GATEWAY_ADDRESS = os.environ.get("GATEWAY_ADDRESS", "127.0.0.1:8000")
SMS_ADDRESS = os.environ.get("DEV_SMS_ADDRESS", "127.0.0.1:8025")  # the development SMS provider
PAYMENT_SANDBOX_ADDRESS = os.environ.get("PAYMENT_SANDBOX_ADDRESS", "127.0.0.1:8030")  # Zarinpal's API, locally
METRICS_FIRST_PORT = int(os.environ.get("METRICS_FIRST_PORT", "9101"))  # then one port per process, in order
TAX_SANDBOX_ADDRESS = os.environ.get("TAX_SANDBOX_ADDRESS", "127.0.0.1:8040")  # the taxpayer system's API, locally
CLAMD_ADDRESS = os.environ.get("CLAMD_STANDIN_ADDRESS", "127.0.0.1:3310")  # clamd's protocol, EICAR only


def main() -> int:
    env = os.environ | {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore"}
    logs = ROOT / "var" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    sms_log = open(logs / "sms-provider.log", "ab")  # noqa: SIM115 - kept open for the child's life
    procs["sms-provider"] = subprocess.Popen([sys.executable, "-m", "tools.dev_sms_provider", SMS_ADDRESS],
                                             cwd=ROOT, env=env, stdout=sms_log, stderr=subprocess.STDOUT)
    print(f"started {'sms-provider':14} pid {procs['sms-provider'].pid:6}  http://{SMS_ADDRESS}/_dev/messages")
    sandbox_log = open(logs / "payment-sandbox.log", "ab")  # noqa: SIM115 - kept open for the child's life
    procs["payment-sandbox"] = subprocess.Popen(
        [sys.executable, "-m", "tools.payment_sandbox", PAYMENT_SANDBOX_ADDRESS],
        cwd=ROOT, env=env, stdout=sandbox_log, stderr=subprocess.STDOUT)
    print(f"started {'payment-sandbox':14} pid {procs['payment-sandbox'].pid:6}  http://{PAYMENT_SANDBOX_ADDRESS}")
    tax_log = open(logs / "tax-sandbox.log", "ab")  # noqa: SIM115 - kept open for the child's life
    procs["tax-sandbox"] = subprocess.Popen([sys.executable, "-m", "tools.tax_sandbox", TAX_SANDBOX_ADDRESS],
                                            cwd=ROOT, env=env, stdout=tax_log, stderr=subprocess.STDOUT)
    print(f"started {'tax-sandbox':14} pid {procs['tax-sandbox'].pid:6}  http://{TAX_SANDBOX_ADDRESS}/_dev/invoices")
    clamd_log = open(logs / "clamd-standin.log", "ab")  # noqa: SIM115 - kept open for the child's life
    procs["clamd-standin"] = subprocess.Popen([sys.executable, "-m", "tools.clamd_standin", CLAMD_ADDRESS],
                                              cwd=ROOT, env=env, stdout=clamd_log, stderr=subprocess.STDOUT)
    print(f"started {'clamd-standin':14} pid {procs['clamd-standin'].pid:6}  tcp {CLAMD_ADDRESS}")
    clamd_host, _, clamd_port = CLAMD_ADDRESS.rpartition(":")
    env = env | {"CLAMD_HOST": env.get("CLAMD_HOST", clamd_host), "CLAMD_PORT": env.get("CLAMD_PORT", clamd_port),
                 "MOADIAN_URL": env.get("MOADIAN_URL", f"http://{TAX_SANDBOX_ADDRESS}/requestsmanager/api/v2/"),
                 "SMS_PROVIDER_URL": env.get("SMS_PROVIDER_URL", f"http://{SMS_ADDRESS}"),
                 "SMS_STATUS_CHECK_SECONDS": env.get("SMS_STATUS_CHECK_SECONDS", "5"),  # delivery reports, sooner
                 "PAYMENT_GATEWAY_URL": env.get("PAYMENT_GATEWAY_URL", f"http://{PAYMENT_SANDBOX_ADDRESS}"),
                 # the sandbox serves the GraphQL API too (production: its own host, the client's default)
                 "PAYMENT_GRAPHQL_URL": env.get("PAYMENT_GRAPHQL_URL",
                                                f"http://{PAYMENT_SANDBOX_ADDRESS}/api/v4/graphql/"),
                 "PAYMENT_TERMINAL_ID": env.get("PAYMENT_TERMINAL_ID", "sandbox"),
                 "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", f"http://{GATEWAY_ADDRESS}")}
    for number, name in enumerate((*SERVICES, "gateway")):
        metrics_port = METRICS_FIRST_PORT + number
        extra = {"METRICS_HOST": "127.0.0.1", "METRICS_PORT": str(metrics_port)}
        extra |= {"WEB_SERVER_ADDRESS": GATEWAY_ADDRESS} if name == "gateway" else {}
        log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the child's life
        procs[name] = subprocess.Popen([sys.executable, "-m", "shared.kernel.runner", f"services.{name}.service"],
                                       cwd=ROOT, env=env | extra, stdout=log, stderr=subprocess.STDOUT)
        print(f"started {name:14} pid {procs[name].pid:6}  log var/logs/{name}.log"
              f"  metrics http://127.0.0.1:{metrics_port}/metrics")
    print(f"\ngateway: http://{GATEWAY_ADDRESS}/health   (Ctrl-C stops everything)\n")

    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; see var/logs/{name}.log", file=sys.stderr)
                stopping = True
        time.sleep(0.5)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for name, proc in procs.items():
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(f"stopped {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
