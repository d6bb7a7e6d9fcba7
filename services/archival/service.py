"""The archival service's edge: RPC for the gateway, the inbox, the clock's timer, the relay,
and exports built in background green threads."""

from __future__ import annotations

import os
import signal
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.timer import timer

from services.archival import policies
from services.archival.application import ArchivalApplication
from services.archival.clock_work import AfterPurgeStep
from services.archival.settings import ArchivalSettings
from services.archival.translations import translate
from shared.events.ops import ClockAdvancedV1
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.logging import get_logger
from shared.kernel.nameko_edge import EventSourcedApp, RequestCause, answers, health_of
from shared.kernel.store import Cause
from shared.kernel.timeline import timeline_of

TICK_SECONDS = ArchivalSettings.from_env().tick_seconds  # nameko's timer is declared at import


def build_application(settings: Settings) -> ArchivalApplication:
    own = ArchivalSettings.from_env()
    return ArchivalApplication(settings, restore_price_rials=own.restore_price_rials,
                               after_purge_step=killed_after(own.kill_after_purge_step))


def killed_after(step: str | None) -> AfterPurgeStep | None:
    """The fault tests' hook: this process dies by SIGKILL right after ``step``'s effect, before
    its record (tests/fault/test_archival_purge_restart.py). None, and so no hook, in production."""
    if step is None:
        return None

    def after_purge_step(done: str) -> None:
        if done == step:
            os.kill(os.getpid(), signal.SIGKILL)

    return after_purge_step


class Background(DependencyProvider):
    """Runs exports in managed green threads, each export at most once at a time per process."""

    def setup(self) -> None:
        self.running: set[str] = set()

    def get_dependency(self, worker_ctx: Any) -> Any:
        def build(app: ArchivalApplication, export_id: Any) -> None:
            key = str(export_id)
            if key in self.running:
                return
            self.running.add(key)

            def run() -> None:
                try:
                    app.exports.build(export_id)
                except Exception:  # noqa: BLE001 - a managed thread that raises kills the container
                    get_logger().exception("archival.export_thread_failed", export_id=key)
                finally:
                    self.running.discard(key)

            self.container.spawn_managed_thread(run, identifier=f"export:{key}")
        return build


class ArchivalService:
    name = "archival"

    app: ArchivalApplication = EventSourcedApp(
        build_application, translate,
        figures=lambda app: {"archival_tenants_due_for_deletion": app.clock_work.due_for_deletion()})
    cause: Cause = RequestCause()
    build: Any = Background()

    @rpc
    @answers
    def tenant_status(self, tenant_id: Any, user_id: str, roles: list[str]) -> dict[str, Any]:
        return self.app.tenant_status(tenant_id, user_id, roles)

    @rpc
    @answers
    def request_export(self, tenant_id: Any, user_id: str, roles: list[str], format: Any) -> dict[str, Any]:
        answer = self.app.exports.request(tenant_id, user_id, roles, format, self.cause)
        self.build(self.app, answer["export_id"])
        return answer

    @rpc
    @answers
    def export_status(self, export_id: Any, user_id: str, roles: list[str]) -> dict[str, Any]:
        return self.app.exports.status(export_id, user_id, roles)

    @rpc
    @answers
    def export_chunk(self, export_id: Any, user_id: str, roles: list[str], offset: int) -> dict[str, Any]:
        return self.app.exports.chunk(export_id, user_id, roles, offset)

    @rpc
    @answers
    def request_restore(self, tenant_id: Any, user_id: str, roles: list[str]) -> dict[str, Any]:
        return self.app.restores.request(tenant_id, user_id, roles, self.cause)

    @rpc
    @answers
    def opening_balances_template(self) -> str:
        return self.app.opening_balances.template()

    @rpc
    @answers
    def import_opening_balances(self, tenant_id: Any, user_id: str, roles: list[str], content_b64: str,
                                as_of: Any = None) -> dict[str, Any]:
        return self.app.opening_balances.import_workbook(tenant_id, user_id, roles, content_b64, as_of)

    @rpc
    @answers
    def preview_opening_balances(self, tenant_id: Any, user_id: str, roles: list[str], content_b64: str,
                                 as_of: Any = None) -> dict[str, Any]:
        return self.app.opening_balances.preview(tenant_id, user_id, roles, content_b64, as_of)

    @rpc
    def health(self) -> dict[str, Any]:
        return health_of(self.name, self.app)

    @rpc
    def business_timeline(self, tenant_ids: Any) -> list[dict[str, Any]]:
        """This service's events about these businesses, for the support desk's case view (issue #19)."""
        return timeline_of(self.app, translate, self.name, tenant_ids)

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, self.app, inbound)
        if isinstance(inbound.event, ClockAdvancedV1):
            self._tick()  # the moved clock may have made deadlines due

    @timer(interval=TICK_SECONDS, eager=True)
    def tick(self) -> None:
        self._tick()

    def _tick(self) -> None:
        try:
            for export_id in self.app.clock_work.tick():
                self.build(self.app, export_id)
        except Exception:  # noqa: BLE001 - the next tick tries again
            get_logger().exception("archival.tick_failed")


SERVICE = ArchivalService
