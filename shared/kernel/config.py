"""Settings from environment variables, with defaults that work on a developer's machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    service: str
    environment: str = field(default_factory=lambda: _env("PLATFORM_ENV", "development"))
    amqp_uri: str = field(default_factory=lambda: _env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    # Prefix of every exchange and queue name: lets tests (and several stacks) share one broker.
    namespace: str = field(default_factory=lambda: _env("AMQP_NAMESPACE", "platform"))
    event_store: str = field(default_factory=lambda: _env("EVENT_STORE", "sqlite"))  # sqlite | postgres
    var_dir: Path = field(default_factory=lambda: Path(_env("VAR_DIR", str(REPO_ROOT / "var"))))
    postgres_host: str = field(default_factory=lambda: _env("POSTGRES_HOST", "127.0.0.1"))
    postgres_port: str = field(default_factory=lambda: _env("POSTGRES_PORT", "5432"))
    postgres_user: str = field(default_factory=lambda: _env("POSTGRES_USER", "postgres"))
    postgres_password: str = field(default_factory=lambda: _env("POSTGRES_PASSWORD", ""))
    # Each service gets its own database: <prefix>_<service>.
    postgres_db_prefix: str = field(default_factory=lambda: _env("POSTGRES_DB_PREFIX", "platform"))
    # The event store's connection pool per process: kept open, and opened on demand beyond it.
    postgres_pool_size: int = field(default_factory=lambda: int(_env("POSTGRES_POOL_SIZE", "2")))
    postgres_max_overflow: int = field(default_factory=lambda: int(_env("POSTGRES_MAX_OVERFLOW", "10")))
    delivery_limit: int = field(default_factory=lambda: int(_env("INBOX_DELIVERY_LIMIT", "5")))
    # Back-off before each retry of a failed handler, in milliseconds; then the dead-letter queue.
    retry_delays_ms: tuple[int, ...] = field(
        default_factory=lambda: tuple(int(x) for x in _env("INBOX_RETRY_DELAYS_MS", "1000,5000,30000").split(","))
    )
    prefetch: int = field(default_factory=lambda: int(_env("INBOX_PREFETCH", "20")))
    # Replicas beyond the first can run without a relay (only one publishes at a time anyway).
    relay_enabled: bool = field(default_factory=lambda: _env("RELAY_ENABLED", "1") not in ("0", "false", "no"))
    relay_batch: int = field(default_factory=lambda: int(_env("RELAY_BATCH", "200")))
    relay_poll_seconds: float = field(default_factory=lambda: float(_env("RELAY_POLL_SECONDS", "0.05")))
    # Busy, the relay reads at most this often: commits of the interval go in one read and batch.
    relay_gather_seconds: float = field(default_factory=lambda: float(_env("RELAY_GATHER_SECONDS", "0.02")))
    subject_key_secret: str = field(default_factory=lambda: _env("SUBJECT_ID_SECRET", "dev-only-subject-id-secret"))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))
    # nameko's web server (the gateway's HTTP port); empty: nameko's default.
    web_server_address: str = field(default_factory=lambda: _env("WEB_SERVER_ADDRESS", ""))
    # Prometheus metrics at http://<metrics_host>:<metrics_port>/metrics, per process; 0: not served.
    metrics_port: int = field(default_factory=lambda: int(_env("METRICS_PORT", "0")))
    metrics_host: str = field(default_factory=lambda: _env("METRICS_HOST", "0.0.0.0"))  # noqa: S104 - a pod's
    # Where the runner writes the health file the probes read; empty: var/health/<service>.json.
    health_file: str = field(default_factory=lambda: _env("HEALTH_FILE", ""))
    # The backup key vault shared by provisioning and archival where each has a server of its own.
    backup_keys_dsn: str = field(default_factory=lambda: _env("BACKUP_KEYS_DSN", ""))
    # Production passes the keys from Secrets; empty: development keys created under var/keys/.
    jwt_private_key: str = field(default_factory=lambda: _env("JWT_PRIVATE_KEY", ""))
    jwt_public_key: str = field(default_factory=lambda: _env("JWT_PUBLIC_KEY", ""))
    sealing_private_key: str = field(default_factory=lambda: _env("SEALING_PRIVATE_KEY", ""))
    sealing_public_key: str = field(default_factory=lambda: _env("SEALING_PUBLIC_KEY", ""))
    # The OpenTelemetry collector's base URL (OTLP over HTTP, protobuf; spans go to /v1/traces);
    # empty: no span is exported, while trace ids still travel and are logged (shared/kernel/tracing.py).
    otlp_endpoint: str = field(default_factory=lambda: _env("OTEL_EXPORTER_OTLP_ENDPOINT", ""))

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def postgres_dbname(self) -> str:
        return f"{self.postgres_db_prefix}_{self.service}"

    @property
    def sqlite_path(self) -> Path:
        return self.var_dir / f"{self.service}.sqlite"

    @property
    def health_path(self) -> Path:
        return Path(self.health_file) if self.health_file else self.var_dir / "health" / f"{self.service}.json"

    @property
    def keys_path(self) -> Path:
        # Subject keys live apart from the events (and apart from the events' backups).
        return self.var_dir / "keys" / f"{self.service}.sqlite"

    def amqp_parts(self) -> dict[str, str | int]:
        url = urlparse(self.amqp_uri)
        vhost = url.path[1:] if url.path not in ("", "/") else "/"
        return {
            "host": url.hostname or "127.0.0.1",
            "port": url.port or 5672,
            "userid": url.username or "guest",
            "password": url.password or "guest",
            "virtual_host": vhost,
        }
