"""Identity test helpers: the application in memory with keys of its own, the code a user was
sent (opened as notifications would), the clock moved on, the events tenancy and archival
send to the personal page."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from services.identity import policies
from services.identity.application import IdentityApplication
from services.identity.domain import User
from shared.events import archival, tenancy
from shared.events.base import Envelope, IntegrationEvent
from shared.kernel.inbox import Inbound
from shared.kernel.mobile import normalize_mobile
from shared.kernel.sealing import unseal
from shared.kernel.store import Cause
from tests.support.memory import in_memory

MOBILE = "09121234567"
E164 = "+989121234567"
PASSWORD = "Str0ng!pass"
CAUSE = Cause("test")
T0 = datetime(2026, 3, 21, 6, 30, tzinfo=UTC)  # 1405/01/01 in Tehran


def _sealing_pair() -> tuple[str, str]:
    private = X25519PrivateKey.generate()
    raw = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return (base64.b64encode(private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                   serialization.NoEncryption())).decode(),
            base64.b64encode(private.public_key().public_bytes(*raw)).decode())


def _signing_pair() -> tuple[str, str]:
    private = Ed25519PrivateKey.generate()
    return (private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode(),
            private.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo).decode())


# Made once per run: what notifications opens codes with, and what the gateway checks tokens with.
SEALING_PRIVATE, SEALING_PUBLIC = _sealing_pair()
SIGNING_PRIVATE, SIGNING_PUBLIC = _signing_pair()


def identity_in_memory(**overrides: Any) -> IdentityApplication:
    """Identity on eventsourcing's in-memory store with the keys above; ``overrides`` are the
    application's keywords (codes_per_address_hour, hashing, clock, ...)."""
    options: dict[str, Any] = {"sealing_public_key": SEALING_PUBLIC, "signing_key": SIGNING_PRIVATE} | overrides
    return in_memory(IdentityApplication, "identity", **options)


def last_code(app: IdentityApplication, mobile: str = MOBILE, private_key: str = SEALING_PRIVATE) -> str:
    """The code as notifications would open it: from the last sealed code in the user's stream."""
    user_id = app.user_id_for(normalize_mobile(mobile))
    issued = [e for e in app.repository.event_store.get(user_id) if isinstance(e, User.VerificationCodeIssued)]
    return unseal(private_key, issued[-1].sealed_code)


def later(app: IdentityApplication, delta: timedelta) -> None:
    app.clock.set_offset(app.clock.offset_seconds + int(delta.total_seconds()))



def verified_user(app: IdentityApplication, mobile: str = MOBILE, password: str = PASSWORD,
                  private_key: str = SEALING_PRIVATE) -> uuid.UUID:
    user_id = app.register(mobile, password, CAUSE).user_id
    app.verify(mobile, last_code(app, mobile, private_key), CAUSE)
    return user_id


# -- what tenancy and archival tell identity ------------------------------------------------
def deliver(app: IdentityApplication, event: IntegrationEvent, at: datetime, event_id: uuid.UUID | None = None) -> None:
    envelope = Envelope(event_id=event_id or uuid.uuid4(), type=event.type, version=1, occurred_at=at,
                        producer=event.producer, producer_position=1, correlation_id="t",
                        payload=event.model_dump(mode="json"))
    policies.handle(app, app.businesses, app.desk, Inbound(envelope, event, attempt=1))


def activated(tenant: uuid.UUID, admin: uuid.UUID, name: str, at: datetime) -> tenancy.BusinessActivatedV1:
    return tenancy.BusinessActivatedV1(
        tenant_id=tenant, business_name=name, business_type="trading", admin_user_id=admin,
        products=("accounting",), activated_by="payment", source_id=uuid.uuid4(), subscription_starts_at=at,
        subscription_ends_at=at + timedelta(days=365), max_organizations=3, max_concurrent_users=10)


def member(tenant: uuid.UUID, user: uuid.UUID, name: str, role: str, permissions: tuple[str, ...]
           ) -> tenancy.MemberAddedV1:
    return tenancy.MemberAddedV1(tenant_id=tenant, business_name=name, user_id=user, mobile=E164,
                                 role=role, permissions=permissions,  # type: ignore[arg-type]
                                 added_by_user_id=None if role == "admin" else uuid.uuid4())


def purge(tenant: uuid.UUID, lapsed_at: datetime, purged_at: datetime) -> archival.TenantDataPurgedV1:
    return archival.TenantDataPurgedV1.model_validate({
        "tenant_id": str(tenant), "lapsed_at": lapsed_at.isoformat(), "purged_at": purged_at.isoformat(),
        "datasets": [{"kind": "ledgers", "records": 1}], "backups_retained_until": None})


def page(app: IdentityApplication, user_id: uuid.UUID) -> dict[str, Any]:
    return app.businesses.personal_page(str(user_id))
