"""Who publishes what, and who consumes it. The AMQP topology and docs/asyncapi.yaml are
derived from this table; nothing else names routing keys."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.events import (
    archival,
    billing,
    identity,
    notifications,
    ops,
    provisioning,
    tenancy,
)
from shared.events.base import Envelope, IntegrationEvent

SERVICES = ("identity", "billing", "provisioning", "tenancy", "notifications", "archival")
OPERATORS = "operators"  # a bounded audit queue for events that only people read
# Every gateway replica reads these from a stream, from an offset back in time: it keeps no
# store, so it rebuilds its memory (ended sessions, the platform clock) on every start.
GATEWAY = "gateway"

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class EventSpec:
    producer: str
    consumers: tuple[str, ...]
    versions: tuple[type[IntegrationEvent], ...]  # oldest first; the last is current
    # upcasters[n] turns a payload of version n into version n + 1
    upcasters: Mapping[int, Upcaster] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.current.type

    @property
    def current(self) -> builtins.type[IntegrationEvent]:
        return self.versions[-1]

    @property
    def binding_key(self) -> str:
        return f"{self.producer}.{self.type}.*"


def _spec(*versions: type[IntegrationEvent], consumers: tuple[str, ...],
          upcasters: Mapping[int, Upcaster] | None = None) -> EventSpec:
    return EventSpec(versions[0].producer, consumers, versions, upcasters or {})


EVERY_SERVICE = SERVICES

_SPECS: list[EventSpec] = [
    # identity
    _spec(identity.UserRegisteredV1, consumers=("notifications", "tenancy")),
    _spec(identity.VerificationCodeIssuedV1, consumers=("notifications",)),
    _spec(identity.MobileVerifiedV1, consumers=("tenancy",)),
    _spec(identity.PasswordChangedV1, consumers=(OPERATORS,)),
    _spec(identity.SessionsEndedV1, consumers=(GATEWAY,)),
    # notifications tells the customer that support answered (issue #19)
    _spec(identity.TicketAnsweredV1, consumers=("notifications",)),
    # notifications
    _spec(notifications.MessageDeliveredV1, consumers=(OPERATORS,)),
    _spec(notifications.MessageFailedV1, consumers=(OPERATORS,)),
    # ops
    _spec(ops.ClockAdvancedV1, consumers=(*EVERY_SERVICE, GATEWAY)),
    # BEGIN other producers (billing, provisioning, tenancy, archival)
    # billing: orders and invoices are billing's own business; only operators audit them.
    _spec(billing.OrderPlacedV1, consumers=(OPERATORS,)),
    _spec(billing.InvoiceIssuedV1, consumers=(OPERATORS,)),
    # archival: a paid restore order (kind "restore") starts the restore (AR-3)
    _spec(billing.PaymentSucceededV1, consumers=("provisioning", "tenancy", "notifications", "archival")),
    _spec(billing.PaymentFailedV1, consumers=("notifications",)),
    _spec(billing.RefundScheduledV1, consumers=("notifications",)),
    _spec(billing.RefundCompletedV1, consumers=("notifications",)),
    _spec(billing.RefundBlockedV1, consumers=(OPERATORS,)),
    _spec(billing.EducationalLicenceGrantedV1, consumers=("provisioning", "tenancy", "notifications")),
    # the applicant is told why (issue #19)
    _spec(billing.EducationalApplicationRejectedV1, consumers=("notifications",)),
    # support's priced offer of more limits (TE-2): the ticket answered with its link, the admin told
    _spec(billing.LimitsOfferedV1, consumers=("identity", "notifications")),
    # its withdrawal: a note on the ticket, the admin told (no amounts)
    _spec(billing.LimitsOfferWithdrawnV1, consumers=("identity", "notifications")),
    # provisioning: tenancy takes the seat count (PR-3) and modules; archival keeps the backups (AR-3).
    _spec(provisioning.TenantProvisionedV1, consumers=("tenancy", "notifications")),
    _spec(provisioning.ModulesActivatedV1, consumers=("tenancy",)),
    _spec(provisioning.BackupTakenV1, consumers=("archival",)),
    # tenancy: identity serves the personal page (ID-5, TE-3); archival follows lapses (AR-1)
    # and each organization's separate books, which exports and purges must cover (TE-1, AR-4).
    # billing follows each business's TE-2 limits to keep paid limits within the hard caps (issue #19)
    _spec(tenancy.BusinessActivatedV1, consumers=("identity", "archival", "billing")),
    # provisioning: each organization becomes a branch detail in the books (TE-1, PR-2)
    _spec(tenancy.OrganizationAddedV1, consumers=("archival", "provisioning")),
    # archival: who may take a business's exports (its members; AR-2, AR-4)
    _spec(tenancy.MemberAddedV1, consumers=("identity", "notifications", "archival")),
    # notifications texts the invited number its link (the invitee may have no account yet)
    _spec(tenancy.MemberInvitedV1, consumers=("notifications",)),
    _spec(tenancy.MemberRemovedV1, consumers=("identity", "archival")),
    _spec(tenancy.LimitsRaisedV1, consumers=("notifications", "billing")),
    # a paid raise cut at the hard caps (a race): billing flags the order for support
    _spec(tenancy.LimitsCappedV1, consumers=("billing",)),
    _spec(tenancy.SubscriptionExtendedV1, consumers=("identity", "notifications")),
    _spec(tenancy.TenantLapsedV1, consumers=("archival", "notifications", "identity")),
    _spec(tenancy.TenantReactivatedV1, consumers=("archival", "notifications", "identity")),
    # archival
    # identity shows the deletion date and whether reports can still be taken on /me (AR-1, AR-2)
    _spec(archival.ArchivalScheduledV1, consumers=("tenancy", "notifications", "identity")),
    _spec(archival.ArchivalCancelledV1, consumers=("tenancy", "identity")),
    _spec(archival.DeletionReminderV1, consumers=("notifications",)),
    _spec(archival.ExportReadyV1, consumers=("notifications",)),
    _spec(archival.TenantDataPurgedV1, consumers=("provisioning", "tenancy", "notifications", "identity", "billing")),
    _spec(archival.RestoreRequestedV1, consumers=("billing",)),
    _spec(archival.RestoreCompletedV1, consumers=("provisioning", "tenancy", "notifications", "identity")),
    # END other producers
]

CATALOG: dict[str, EventSpec] = {spec.type: spec for spec in _SPECS}


class UnknownEvent(ValueError):
    pass


def spec_for(event_type: str) -> EventSpec:
    try:
        return CATALOG[event_type]
    except KeyError:
        raise UnknownEvent(f"event type {event_type!r} is not in the catalog") from None


def consumed_by(service: str) -> list[EventSpec]:
    return [spec for spec in _SPECS if service in spec.consumers]


def parse_payload(envelope: Envelope) -> IntegrationEvent:
    """Validate an envelope's payload against its version's model, then upcast it to the
    current version. Raises UnknownEvent or pydantic.ValidationError."""
    spec = spec_for(envelope.type)
    if envelope.producer != spec.producer:
        raise UnknownEvent(f"{envelope.type} is published by {spec.producer}, not {envelope.producer}")
    if not 1 <= envelope.version <= len(spec.versions):
        raise UnknownEvent(f"{envelope.type} has no version {envelope.version}")
    payload = spec.versions[envelope.version - 1].model_validate(envelope.payload).model_dump(mode="json")
    for version in range(envelope.version, len(spec.versions)):
        payload = spec.upcasters[version](payload)
    return spec.current.model_validate(payload)
