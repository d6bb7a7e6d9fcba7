"""The provisioning service's edge: the inbox (orders from billing and archival), the RPC
the gateway reads a tenant's provisioning with, the relay, and a resume at start-up. The
composition root: settings are read here and nowhere below."""

from __future__ import annotations

import time
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer

from services.provisioning import policies
from services.provisioning.application import ProvisioningApplication
from services.provisioning.ports import StepHook
from services.provisioning.settings import ProvisioningSettings
from services.provisioning.translations import translate
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.logging import get_logger
from shared.kernel.nameko_edge import EventSourcedApp, RequestCause, answers, health_of
from shared.kernel.store import Cause
from shared.kernel.timeline import timeline_of

SETTINGS = ProvisioningSettings.from_env()  # at import: the backup timer's interval needs it


def pause_after(wanted: str) -> StepHook:
    """The fault tests' hook (PROVISIONING_PAUSE_AFTER_STEP): once ``wanted`` is recorded the
    worker stops for an hour, and the test kills the process there."""
    def pause(step: str) -> None:
        if step == wanted:
            get_logger().warning("provisioning.paused", step=step)
            time.sleep(3600)
    return pause


def fault_hook(settings: Settings, own: ProvisioningSettings) -> StepHook | None:
    """None in production, whatever the environment says."""
    if settings.production or own.pause_after_step is None:
        return None
    return pause_after(own.pause_after_step)


def build_application(settings: Settings) -> ProvisioningApplication:
    own = ProvisioningSettings.from_env()
    return ProvisioningApplication(settings, retention=own.backup_retention, after_step=fault_hook(settings, own))


class ProvisioningService:
    name = "provisioning"

    app: ProvisioningApplication = EventSourcedApp(build_application, translate)
    cause: Cause = RequestCause()

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, inbound)

    @timer(interval=3600, eager=True)
    def resume(self) -> None:
        # At start (eager) and hourly: an order whose delivery was dead-lettered mid-way still finishes.
        self.app.steps.resume_all(Cause.new_request("provisioning-resume"))

    @timer(interval=SETTINGS.backup_check_seconds)
    def scheduled_backups(self) -> None:
        self.app.backing_up.take_scheduled(Cause.new_request("provisioning-backups"))

    @rpc
    @answers
    def tenant(self, tenant_id: Any, user_id: Any, roles: Any, locale: str = "fa") -> dict[str, Any]:
        return self.app.tenant(tenant_id, user_id, list(roles or []), locale)

    @rpc
    @answers
    def payslip_preview(self, tenant_id: Any, user_id: Any, roles: Any, record: Any, year: int, month: int,
                        locale: str = "fa") -> dict[str, Any]:
        return self.app.payslip_preview(tenant_id, user_id, list(roles or []), dict(record or {}), int(year),
                                        int(month), locale)

    @rpc
    @answers
    def upgrade_payroll(self, tenant_id: Any, user_id: Any, roles: Any) -> dict[str, Any]:
        return self.app.upgrade_payroll(tenant_id, user_id, list(roles or []), self.cause)

    @rpc
    @answers
    def depreciation_schedule(self, tenant_id: Any, user_id: Any, roles: Any, asset: Any,
                              locale: str = "fa") -> dict[str, Any]:
        return self.app.depreciation_schedule(tenant_id, user_id, list(roles or []), dict(asset or {}), locale)

    @rpc
    def health(self) -> dict[str, Any]:
        return health_of(self.name, self.app)

    @rpc
    def business_timeline(self, tenant_ids: Any) -> list[dict[str, Any]]:
        """This service's events about these businesses, for the support desk's case view (issue #19)."""
        return timeline_of(self.app, translate, self.name, tenant_ids)


SERVICE = ProvisioningService
