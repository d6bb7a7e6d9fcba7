"""What GET /provisioning/tenants/{id} shows: modules, chart, admin and seats, support until,
training offer, backups (PR-1 … PR-5), with Jalali dates where people read."""

from __future__ import annotations

from typing import Any

from services.provisioning.domain import SUPPORT_CHANNELS, Provisioning
from shared.kernel.i18n import when


def tenant_view(p: Provisioning, locale: str) -> dict[str, Any]:
    pending = [{"source_id": str(o.source_id), "kind": o.kind, "remaining": list(o.remaining)}
               for o in p.pending_orders()]
    state = "purged" if p.purged_at else ("active" if p.provisioned else "provisioning")
    last = p.last_backup
    return {
        "tenant_id": str(p.tenant_id),
        "business_name": p.business_name.reveal(),
        "business_type": p.business_type,
        "state": state,
        "modules": [{"module": m, "active_until": when(until, locale)} for m, until in sorted(p.modules.items())],
        "chart": p.chart.facts() if p.chart else None,
        "admin_user_id": str(p.admin_user_id),
        "seats": p.seats,
        "support": {"until": when(p.support_until, locale), "channels": list(SUPPORT_CHANNELS)}
        if p.support_until else None,
        "initial_training": {"offered": p.training_offered},
        "backups": {"schedule": p.backup_schedule,
                    "last": None if last is None else {
                        "backup_id": last.backup_id, "kind": last.kind, "size_bytes": last.size_bytes,
                        "taken_at": when(last.taken_at, locale), "retained_until": when(last.retained_until, locale)}},
        "pending": pending,
    }
