"""The provisioning service's edge: the inbox (orders from billing and archival), the RPC
the gateway reads a tenant's provisioning with, the relay, and a resume at start-up."""

from __future__ import annotations

import os
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer

from services.provisioning import policies
from services.provisioning.application import ProvisioningApplication
from services.provisioning.translations import translate
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.nameko_edge import EventSourcedApp, answers, health_of
from shared.kernel.store import Cause

BACKUP_CHECK_SECONDS = float(os.environ.get("BACKUP_CHECK_SECONDS", "600"))


def build_application(settings: Settings) -> ProvisioningApplication:
    pause = None if settings.production else os.environ.get("PROVISIONING_PAUSE_AFTER_STEP") or None
    return ProvisioningApplication(settings, pause_after_step=pause)


class ProvisioningService:
    name = "provisioning"

    app: ProvisioningApplication = EventSourcedApp(build_application, translate)

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, inbound)

    @timer(interval=3600, eager=True)  # type: ignore[misc]
    def resume(self) -> None:
        # At start (eager) and hourly: an order whose delivery was dead-lettered mid-way still finishes.
        self.app.resume_all(Cause.new_request("provisioning-resume"))

    @timer(interval=BACKUP_CHECK_SECONDS)  # type: ignore[misc]
    def scheduled_backups(self) -> None:
        self.app.take_scheduled_backups(Cause.new_request("provisioning-backups"))

    @rpc
    @answers
    def tenant(self, tenant_id: Any, user_id: Any, roles: Any, locale: str = "fa") -> dict[str, Any]:
        return self.app.tenant(tenant_id, user_id, list(roles or []), locale)

    @rpc
    def health(self) -> dict[str, Any]:
        return health_of(self.name, self.app)


SERVICE = ProvisioningService
