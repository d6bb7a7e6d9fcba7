"""Reading a service's own store from outside the service (operators' tools): its event
log, relay checkpoint and subject keys, with the same settings the service runs with.
Nothing here writes an event."""

from __future__ import annotations

import importlib
import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.kernel.config import Settings
from shared.kernel.i18n import jalali_datetime
from shared.kernel.relay import Translate
from shared.kernel.store import ServiceApplication, postgres_dsn
from shared.kernel.subject_keys import Personal


def service_settings(base: Settings, service: str) -> Settings:
    """The settings a service runs with. Where each service has a database server of its own
    (production), its credentials come as POSTGRES_HOST_<SERVICE> (and _PORT, _USER,
    _PASSWORD), which the opsctl pod (deploy/k8s/tools/opsctl.yaml) maps from the service's
    Secret; otherwise the shared POSTGRES_* apply."""
    def own(name: str, default: str) -> str:
        return os.environ.get(f"POSTGRES_{name}_{service.upper()}", default)

    return replace(base, service=service, postgres_host=own("HOST", base.postgres_host),
                   postgres_port=own("PORT", base.postgres_port), postgres_user=own("USER", base.postgres_user),
                   postgres_password=own("PASSWORD", base.postgres_password))


def store_exists(settings: Settings) -> bool:
    if settings.event_store != "postgres":
        return settings.sqlite_path.exists()
    import psycopg

    with psycopg.connect(postgres_dsn(settings, "postgres"), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.postgres_dbname,))
        return found.fetchone() is not None


def open_store(settings: Settings) -> ServiceApplication:
    """The service's store as its application sees it (tables are named after the service),
    without the service's use cases: stored events decode through their recorded topics."""
    named = type(f"{settings.service.title()}Store", (ServiceApplication,), {"name": settings.service})
    app: ServiceApplication = named(settings)
    return app


def translations_of(service: str) -> Translate | None:
    """The service's own domain → integration translation, if the service exists here."""
    try:
        module = importlib.import_module(f"services.{service}.translations")
    except ModuleNotFoundError:
        return None
    translate: Translate = module.translate
    return translate



def when(moment: datetime) -> str:
    """UTC and Jalali (Tehran time, Latin digits for terminals)."""
    utc = moment.astimezone(UTC)
    return f"{utc.strftime('%Y-%m-%dT%H:%M:%SZ')}  {jalali_datetime(utc, 'en')} Tehran"


def shown(value: Any, reveal: bool) -> Any:
    """A value for operators' eyes: personal data stays sealed unless asked for (and is
    '[erased]' once its subject's key was destroyed)."""
    if isinstance(value, Personal):
        if value.forgotten:
            return f"<erased {value.subject}>"
        return value.reveal() if reveal else f"<sealed {value.subject}>"
    if isinstance(value, dict):
        return {str(k): shown(v, reveal) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [shown(v, reveal) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return {name: shown(getattr(value, name), reveal) for name in value.__dataclass_fields__}
    return value
