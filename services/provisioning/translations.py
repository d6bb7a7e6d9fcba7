"""Provisioning's domain events → integration events (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# Aggregate events are made by eventsourcing's decorators, invisible to mypy.
from services.provisioning.domain import Provisioning
from shared.events import provisioning as contracts
from shared.events.base import IntegrationEvent


def translate(domain_event: Any) -> IntegrationEvent | None:
    if isinstance(domain_event, Provisioning.TenantProvisioned):  # type: ignore[attr-defined]
        if domain_event.business_name.forgotten:
            return None  # purged before it was published (AR-1): nothing left to announce
        chart = domain_event.chart
        return contracts.TenantProvisionedV1(
            tenant_id=domain_event.tenant_id, source=domain_event.source, source_id=domain_event.source_id,
            business_name=domain_event.business_name.value, business_type=domain_event.business_type,
            chart_of_accounts=chart["type"], chart_version=chart["version"], chart_account_count=chart["accounts"],
            admin_user_id=domain_event.admin_user_id, seats=domain_event.seats,
            support_until=domain_event.support_until, support_channels=tuple(domain_event.support_channels),
            initial_training_offered=domain_event.initial_training_offered)
    if isinstance(domain_event, Provisioning.OrderCompleted):  # type: ignore[attr-defined]
        return contracts.ModulesActivatedV1(
            tenant_id=domain_event.tenant_id, source=domain_event.source, source_id=domain_event.source_id,
            modules=tuple(domain_event.modules), active_until=domain_event.active_until,
            payroll_formulas=tuple(domain_event.payroll_formulas),
            asset_categories=tuple(domain_event.asset_categories))
    if isinstance(domain_event, Provisioning.StepDone) and domain_event.step == "first_backup_taken":  # type: ignore[attr-defined]
        return backup_taken(domain_event.tenant_id, domain_event.facts)
    if isinstance(domain_event, Provisioning.BackupTaken):  # type: ignore[attr-defined]
        return backup_taken(domain_event.tenant_id, domain_event.facts)
    return None



def backup_taken(tenant_id: Any, facts: dict[str, Any]) -> contracts.BackupTakenV1:
    return contracts.BackupTakenV1(
        backup_id=facts["backup_id"], tenant_id=tenant_id, kind=facts["kind"],
        taken_at=datetime.fromisoformat(facts["taken_at"]), size_bytes=facts["size_bytes"],
        sha256=facts["sha256"], location=facts["location"],
        retained_until=datetime.fromisoformat(facts["retained_until"]))
