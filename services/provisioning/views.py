"""What GET /provisioning/tenants/{id} shows: modules, chart, admin and seats, support until,
training offer, backups (PR-1 … PR-5), branches with their detail codes (TE-1), with Jalali
dates where people read."""

from __future__ import annotations

from typing import Any

from services.provisioning.catalogue import asset_categories
from services.provisioning.domain import SUPPORT_CHANNELS, Provisioning
from shared.kernel.i18n import when


def branches_view(p: Provisioning, codes: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """TE-1: the head office and each organization with its detail (تفصیلی) of the «شعب» group,
    the code its inter-branch postings name; `detail_code` is null until the books have it."""
    head = [{"organization_id": None, "name": name, "kind": "head_office", "detail_code": code}
            for source, (code, name) in codes.items() if source.startswith("chart:")]
    return head + [{"organization_id": organization_id, "name": branch.name, "kind": branch.kind,
                    "detail_code": codes.get(f"organization:{organization_id}", (None,))[0]}
                   for organization_id, branch in p.branches.items()]


def categories_view() -> list[dict[str, Any]]:
    """PR-7: the asset categories a schedule can be asked for, with the table's method and rate."""
    return [{"code": c["code"], "fa": c["fa"], "en": c["en"], "method": c["method"],
             "rate_percent": c.get("rate_percent"), "useful_life_years": c.get("useful_life_years"),
             "provisional": bool(c.get("provisional"))} for c in asset_categories()]


def tenant_view(p: Provisioning, locale: str, branch_codes: dict[str, tuple[str, str]] | None = None
                ) -> dict[str, Any]:
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
        "branches": branches_view(p, branch_codes or {}),
        "asset_categories": categories_view() if "fixed_assets" in p.modules else [],
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
