"""opsctl on real stores (SQLite and PostgreSQL) and the real broker: a stream's events with
personal data sealed, relay lag, rebuilding identity's projection, a business's timeline
across services, dead letters, and the migrate command the Kubernetes Job runs."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, event
from kombu import Connection

from services.identity.application import IdentityApplication
from services.identity.translations import translate as identity_translate
from shared.events import billing, tenancy
from shared.events.base import IntegrationEvent
from shared.events.catalog import SERVICES
from shared.kernel import migrate
from shared.kernel.config import Settings
from shared.kernel.projections import transaction
from shared.kernel.relay import Relay
from shared.kernel.sealing import development_keypair
from shared.kernel.store import Cause
from shared.kernel.topology import dead_queue_name, declare, work_queue_name
from tests.support.broker import confirmed_publisher
from tests.support.processes import wait_until
from tools import opsctl
from tools.ops import timeline as timeline_module
from tools.ops.stores import open_store, service_settings

SettingsFor = Callable[..., Settings]
GOLDEN = Path(__file__).resolve().parents[1] / "contract" / "golden"
WHEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  \d{4}/\d\d/\d\d \d\d:\d\d Tehran")


def run(settings: Settings, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = opsctl.main(list(argv), base=settings, out=out)
    return code, out.getvalue()


@pytest.fixture
def identity(settings_for: SettingsFor) -> IdentityApplication:
    settings = settings_for("identity")
    return IdentityApplication(settings, sealing_public_key=development_keypair(settings.var_dir / "keys")[1])


def golden(model: type[IntegrationEvent], **changes: Any) -> Any:
    payload = json.loads((GOLDEN / f"{model.type}.v{model.version}.json").read_text())["payload"]
    return model.model_validate(payload | {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in changes.items()})


# -- events -------------------------------------------------------------------------------
def test_a_streams_events_are_decoded_with_personal_data_sealed_until_revealed(
        identity: IdentityApplication) -> None:
    user_id = identity.register("09121234567", "Str0ng!pass", Cause("test")).user_id
    code, out = run(identity.settings, "events", "identity", str(user_id))
    assert code == 0
    assert "User.Registered" in out and "User.VerificationCodeIssued" in out
    assert WHEN.search(out), out
    assert "+989121234567" not in out and f"<sealed user:{user_id}>" in out
    assert "$argon2" not in out and "password_hash: \"<secret>\"" in out  # credentials never shown

    code, revealed = run(identity.settings, "events", "identity", str(user_id), "--reveal")
    assert code == 0 and "+989121234567" in revealed

    identity.keys.forget(f"user:{user_id}")  # crypto-shredding (AR-1)
    code, erased = run(identity.settings, "events", "identity", str(user_id), "--reveal", "--json")
    lines = [json.loads(line) for line in erased.splitlines()]
    assert lines[0]["event"] == "User.Registered" and lines[0]["mobile"] == f"<erased user:{user_id}>"
    assert "+989121234567" not in erased


def test_an_unknown_stream_or_a_bad_id_is_told_plainly(identity: IdentityApplication) -> None:
    identity.register("09121234567", "Str0ng!pass", Cause("test"))
    assert run(identity.settings, "events", "identity", str(uuid.uuid4()))[0] == 1
    code, out = run(identity.settings, "events", "identity", "not-a-uuid")
    assert code == 2 and "UUID" in out


# -- relay lag ----------------------------------------------------------------------------
def lag_of(out: str, service: str) -> str:
    line = next(line for line in out.splitlines() if line.startswith(service))
    return line.split()[3]


def test_relay_lag_counts_what_the_broker_has_not_confirmed(identity: IdentityApplication) -> None:
    for i in range(3):
        identity.register(f"0912123456{i}", "Str0ng!pass", Cause("test"))  # 2 events each
    code, out = run(identity.settings, "relay-lag", "identity", "billing")
    assert code == 0
    assert lag_of(out, "identity") == "6" and WHEN.search(out)
    assert "no store yet" in next(line for line in out.splitlines() if line.startswith("billing"))

    declare(identity.settings)
    relay = Relay(identity, identity_translate, identity.settings)
    try:
        while relay.publish_next_batch():
            pass
    finally:
        relay.close()
    code, out = run(identity.settings, "relay-lag", "identity")
    assert lag_of(out, "identity") == "0"


# -- rebuild ------------------------------------------------------------------------------
def members(settings: Settings) -> set[tuple[str, str, str, int]]:
    with transaction(settings) as cursor:
        rows = cursor.execute("SELECT tenant_id, user_id, role, member FROM projection_business_members")
    return {(str(t), str(u), str(r), int(m)) for t, u, r, m in rows}


def test_rebuilding_identitys_business_members_from_its_log(identity: IdentityApplication) -> None:
    tenant, admin, clerk = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    for user, role, minutes in ((admin, "admin", 0), (clerk, "member", 1)):
        identity.businesses.record_business_event(
            golden(tenancy.MemberAddedV1, tenant_id=tenant, user_id=user, role=role),
            at + timedelta(minutes=minutes), Cause("test"))
    identity.businesses.record_business_event(golden(tenancy.MemberRemovedV1, tenant_id=tenant, user_id=clerk),
                                              at + timedelta(minutes=5), Cause("test"))
    expected = {(str(tenant), str(admin), "admin", 1), (str(tenant), str(clerk), "member", 0)}

    code, out = run(identity.settings, "rebuild", "identity", "business_members")
    assert code == 0 and "rebuilt identity.business_members" in out
    assert members(identity.settings) == expected

    with transaction(identity.settings) as cursor:  # a damaged read model …
        cursor.execute("DELETE FROM projection_business_members")
        cursor.execute("INSERT INTO projection_business_members VALUES (%s, %s, 'admin', '[]', 1, 'x')",
                       (str(uuid.uuid4()), str(uuid.uuid4())))
    assert run(identity.settings, "rebuild", "identity", "business_members")[0] == 0
    assert members(identity.settings) == expected  # … is rebuilt from the log alone

    code, out = run(identity.settings, "rebuild", "identity", "no_such")
    assert code == 1 and "business_members" in out


# -- timeline -----------------------------------------------------------------------------
class Announcements(Aggregate):
    """A stand-in producer's aggregate, for services whose code is not in this tree yet:
    its events translate into the real contracts, as a service's translations would."""

    @event("Started")
    def __init__(self) -> None:
        pass

    @event("Announced")
    def announce(self, type: str, payload: dict[str, Any]) -> None:
        pass


MODELS = {m.type: m for m in (tenancy.BusinessActivatedV1, tenancy.MemberAddedV1, billing.PaymentSucceededV1)}


def stand_in_translate(domain_event: Any) -> IntegrationEvent | None:
    if isinstance(domain_event, Announcements.Announced):  # type: ignore[attr-defined]
        return MODELS[domain_event.type].model_validate(domain_event.payload)
    return None


def announce(settings: Settings, *events: IntegrationEvent) -> None:
    app = open_store(settings)
    aggregate = Announcements()
    for integration in events:
        aggregate.announce(type=integration.type, payload=integration.model_dump(mode="json"))
    app.save_caused(aggregate, cause=Cause("test"))
    app.close()


def test_a_business_timeline_gathers_its_public_events_across_services_in_order(
        identity: IdentityApplication, settings_for: SettingsFor, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    identity.register("09121234567", "Str0ng!pass", Cause("test"))  # identity's events name no business
    announce(settings_for("billing"), golden(billing.PaymentSucceededV1, tenant_id=tenant),
             golden(billing.PaymentSucceededV1, tenant_id=other))
    announce(settings_for("tenancy"), golden(tenancy.BusinessActivatedV1, tenant_id=tenant),
             golden(tenancy.MemberAddedV1, tenant_id=tenant))
    real = timeline_module.translations_of
    monkeypatch.setattr(timeline_module, "translations_of",
                        lambda s: stand_in_translate if s in ("billing", "tenancy") else real(s))

    code, out = run(identity.settings, "timeline", str(tenant))
    assert code == 0
    assert "3 event(s)" in out
    order = re.findall(r"(billing|tenancy)\s+(\w+)\.v1", out)
    assert order == [("billing", "PaymentSucceeded"), ("tenancy", "BusinessActivated"), ("tenancy", "MemberAdded")]
    assert len(WHEN.findall(out)) == 3
    assert "شرکت" not in out and "<personal>" in out  # business names are personal data
    assert "shipped" not in out

    code, out = run(identity.settings, "timeline", str(tenant), "--json", "--reveal")
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [line["type"] for line in lines] == ["PaymentSucceeded", "BusinessActivated", "MemberAdded"]
    assert all(line["payload"]["tenant_id"] == str(tenant) for line in lines)
    assert "شرکت" in lines[0]["payload"]["business_name"]
    times = [line["occurred_at"] for line in lines]
    assert times == sorted(times)


# -- dead letters -------------------------------------------------------------------------
def test_dead_letters_are_listed_shown_and_replayed(settings_for: SettingsFor, amqp: Connection) -> None:
    settings = settings_for("notifications")
    declare(settings)
    good = golden(tenancy.MemberAddedV1)
    body = json.dumps(json.loads((GOLDEN / "MemberAdded.v1.json").read_text()))
    with confirmed_publisher(settings, f"{settings.namespace}.dead") as publish:
        for message_id, payload in (("letter-1", body), ("letter-2", "{not json")):
            publish(payload, "notifications", message_id=message_id,
                    headers={"x-dead-reason": "LookupError: no contact", "x-attempt": 4})

    code, out = run(settings, "dead-letters", "list", "notifications")
    assert code == 0 and "2 dead letter(s)" in out
    assert "letter-1" in out and "attempt=4" in out and "LookupError: no contact" in out
    assert WHEN.search(out) and "(unreadable body)" in out

    code, out = run(settings, "dead-letters", "show", "notifications", "letter-1")
    shown = json.loads(out)[0] if out.startswith("[") else json.loads(out)
    assert shown["envelope"]["payload"]["user_id"] == str(good.user_id)
    assert run(settings, "dead-letters", "show", "notifications", "nope")[0] == 1

    code, out = run(settings, "dead-letters", "replay", "notifications", "letter-1")
    assert code == 0 and "replayed 1" in out
    channel = amqp.channel()
    replayed = channel.basic_get(work_queue_name(settings, "notifications"), no_ack=True)
    assert replayed is not None and replayed.properties["message_id"] == "letter-1"
    left = run(settings, "dead-letters", "list", "notifications")[1]
    assert "1 dead letter(s)" in left and "letter-2" in left
    # listing and replaying took nothing else away (the broker settles the listing's returns a moment later)
    wait_until(lambda: channel.queue_declare(dead_queue_name(settings, "notifications"),
                                             passive=True).message_count == 1, timeout=10, what="one dead letter")


# -- migrate (the Kubernetes Job) -----------------------------------------------------------
def test_migrate_declares_the_topology_and_every_services_stores_idempotently(
        settings_for: SettingsFor, amqp: Connection, capsys: pytest.CaptureFixture[str]) -> None:
    base = settings_for("migrate")
    assert migrate.main([], base=base) == 0
    assert migrate.main([], base=base) == 0  # a second run changes nothing
    channel = amqp.channel()
    for service in SERVICES:
        channel.queue_declare(dead_queue_name(base, service), passive=True)  # raises when absent
        code, out = run(base, "relay-lag", service)
        assert code == 0 and lag_of(out, service) == "0"
    assert "stores ready" in capsys.readouterr().out
    # The stores are the ones the services open: identity finds its tables and keys there.
    identity = IdentityApplication(replace(base, service="identity"),
                                   sealing_public_key=development_keypair(base.var_dir / "keys")[1])
    identity.register("09121234567", "Str0ng!pass", Cause("test"))
    assert run(base, "relay-lag", "identity")[1].count("identity") == 1


def test_each_service_can_have_its_own_database_server(monkeypatch: pytest.MonkeyPatch) -> None:
    base = Settings(service="opsctl", postgres_host="shared-db", postgres_password="shared")
    monkeypatch.setenv("POSTGRES_HOST_BILLING", "billing-db")
    monkeypatch.setenv("POSTGRES_PASSWORD_BILLING", "billing-secret")
    billing_settings = service_settings(base, "billing")
    assert (billing_settings.service, billing_settings.postgres_host) == ("billing", "billing-db")
    assert billing_settings.postgres_password == "billing-secret"
    assert billing_settings.postgres_dbname == "platform_billing"
    assert service_settings(base, "tenancy").postgres_host == "shared-db"
