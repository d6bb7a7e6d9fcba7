"""Contract tests for the integration events (X-1): no broker needed.

Golden samples (tests/contract/golden/<Type>.v<n>.json) are full wire bodies. A change to an
event model that would break a consumer reading the samples (a field added as required,
removed, renamed or retyped) fails here: publish a new version with an upcaster instead.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pydantic
import pytest
import yaml
from pydantic import BaseModel, Field

from shared.events import asyncapi
from shared.events import catalog as catalog_module
from shared.events.base import Envelope, IntegrationEvent
from shared.events.billing import Rials
from shared.events.catalog import (
    CATALOG,
    GATEWAY,
    OPERATORS,
    SERVICES,
    EventSpec,
    UnknownEvent,
    parse_payload,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
ASYNCAPI_PATH = REPO_ROOT / "docs" / "asyncapi.yaml"
REQUIREMENT_ID = re.compile(r"\b(?:ID|BI|PR|TE|AR|NO|X)-\d+\b")
# Producers whose events were written against REQUIREMENTS.md IDs (their docstrings cite them).
DOCUMENTED_PRODUCERS = {"billing", "provisioning", "tenancy", "archival"}

VERSIONS = [(spec, model) for spec in CATALOG.values() for model in spec.versions]
CURRENT = [spec.versions[-1] for spec in CATALOG.values()]  # == spec.current


def _name(model: type[IntegrationEvent]) -> str:
    return f"{model.type}.v{model.version}"


def _golden(model: type[IntegrationEvent]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{_name(model)}.json").read_text(encoding="utf-8"))
    return data


def _parts(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """The model and every model nested in its fields (InvoiceLine, PurgedDataset, …)."""
    yield model
    for info in model.model_fields.values():
        for nested in _nested_models(info.annotation):
            yield from _parts(nested)


def _nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _nested_models(arg)


def _variant(model: type[IntegrationEvent], **fields: Any) -> type[IntegrationEvent]:
    """A stand-in for ``model`` with the given field definitions (same type, version, producer)."""
    variant: type[IntegrationEvent] = pydantic.create_model(
        f"{model.__name__}Changed", __base__=IntegrationEvent, **fields)
    return variant


def _fields_of(model: type[IntegrationEvent]) -> dict[str, Any]:
    return {name: (info.annotation, info) for name, info in model.model_fields.items()}


def _incompatible_type(value: Any) -> Any:
    """A type the golden value cannot be read as: what a careless retype would do."""
    if isinstance(value, str):
        return list[int]  # not int: lax mode reads "+989121234567" as a number
    if isinstance(value, list):
        return dict[str, str]
    if isinstance(value, dict):
        return int
    return str  # int, bool, None: pydantic never coerces them to str


# --- golden samples -------------------------------------------------------------------------


@pytest.mark.parametrize("model", [m for _, m in VERSIONS], ids=_name)
def test_every_event_version_has_a_golden_sample(model: type[IntegrationEvent]) -> None:
    assert (GOLDEN / f"{_name(model)}.json").is_file(), f"write tests/contract/golden/{_name(model)}.json"


def test_every_golden_sample_belongs_to_a_catalogued_event_version() -> None:
    expected = {f"{_name(model)}.json" for _, model in VERSIONS}
    assert {p.name for p in GOLDEN.glob("*.json")} == expected


@pytest.mark.parametrize(("spec", "model"), VERSIONS, ids=[_name(m) for _, m in VERSIONS])
def test_golden_sample_parses_and_round_trips(spec: EventSpec, model: type[IntegrationEvent]) -> None:
    sample = _golden(model)
    envelope = Envelope.model_validate(sample)
    event = parse_payload(envelope)
    assert type(event) is spec.versions[-1]
    if model is spec.versions[-1]:
        wire = envelope.model_copy(update={"payload": event.model_dump(mode="json")}).to_wire()
        assert json.loads(json.dumps(wire, ensure_ascii=False)) == sample


@pytest.mark.parametrize("model", [m for _, m in VERSIONS], ids=_name)
def test_golden_sample_matches_its_model_and_uses_every_field(model: type[IntegrationEvent]) -> None:
    sample = _golden(model)
    assert (sample["type"], sample["version"], sample["producer"]) == (model.type, model.version, model.producer)
    assert set(sample) == set(Envelope.model_fields), "a golden sample is a full wire envelope"
    # Every field appears, so dropping or renaming any of them is caught.
    assert set(sample["payload"]) == set(model.model_fields)
    expected_tenant = sample["payload"][model.tenant_field] if model.tenant_field else None
    assert sample["tenant_id"] == expected_tenant


# --- the models' shape ----------------------------------------------------------------------


@pytest.mark.parametrize("model", [m for _, m in VERSIONS], ids=_name)
def test_models_are_frozen_and_closed(model: type[IntegrationEvent]) -> None:
    for part in _parts(model):
        assert part.model_config.get("frozen") is True, f"{part.__name__} must be frozen"
        assert part.model_config.get("extra") == "forbid", f"{part.__name__} must forbid extra fields"
    event = model.model_validate(_golden(model)["payload"])
    name = next(iter(model.model_fields))
    with pytest.raises(pydantic.ValidationError):
        setattr(event, name, getattr(event, name))


@pytest.mark.parametrize("model", [m for _, m in VERSIONS], ids=_name)
def test_model_naming_and_tenant_field(model: type[IntegrationEvent]) -> None:
    assert model.__name__ == f"{model.type}V{model.version}"
    assert model.routing_key() == f"{model.producer}.{model.type}.v{model.version}"
    if "tenant_id" in model.model_fields:
        assert model.tenant_field == "tenant_id"
    if model.tenant_field is not None:
        assert model.model_fields[model.tenant_field].annotation is uuid.UUID


@pytest.mark.parametrize("model", [m for m in CURRENT if m.producer in DOCUMENTED_PRODUCERS], ids=_name)
def test_docstring_cites_requirements(model: type[IntegrationEvent]) -> None:
    doc = model.__dict__.get("__doc__") or ""
    assert REQUIREMENT_ID.search(doc), f"{model.__name__}'s docstring must cite a REQUIREMENTS.md ID"


def _schema_nodes(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _schema_nodes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _schema_nodes(value, f"{path}/{i}")


@pytest.mark.parametrize("model", CURRENT, ids=_name)
def test_schema_conventions(model: type[IntegrationEvent]) -> None:
    """Bounded strings, integer rials never below zero, no floats anywhere."""
    for path, node in _schema_nodes(model.model_json_schema()):
        if node.get("type") == "string":
            pattern = str(node.get("pattern", ""))
            bounded = ("maxLength" in node or "enum" in node or "const" in node
                       or node.get("format") in {"uuid", "date-time"}
                       or (pattern.startswith("^") and pattern.endswith("$")))
            assert bounded, f"unbounded string at {path}"
        assert node.get("type") != "number", f"float at {path}: money and counts are integers"
        assert "prefixItems" not in node, f"{path}: keep schemas readable as JSON Schema draft-07 (AsyncAPI)"
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, prop in properties.items():
                if name.endswith("_rials"):
                    assert prop.get("type") == "integer" and prop.get("minimum") == 0, f"{path}/{name}"


# --- breaking changes are caught by the samples ---------------------------------------------


@pytest.mark.parametrize("model", CURRENT, ids=_name)
def test_adding_a_required_field_breaks_the_sample(model: type[IntegrationEvent]) -> None:
    changed = _variant(model, **_fields_of(model), added_field=(str, ...))
    with pytest.raises(pydantic.ValidationError):
        changed.model_validate(_golden(model)["payload"])


@pytest.mark.parametrize("model", CURRENT, ids=_name)
def test_removing_any_field_breaks_the_sample(model: type[IntegrationEvent]) -> None:
    payload = _golden(model)["payload"]
    for name in model.model_fields:
        fields = {k: v for k, v in _fields_of(model).items() if k != name}
        with pytest.raises(pydantic.ValidationError):
            _variant(model, **fields).model_validate(payload)


@pytest.mark.parametrize("model", CURRENT, ids=_name)
def test_renaming_any_field_breaks_the_sample(model: type[IntegrationEvent]) -> None:
    payload = _golden(model)["payload"]
    for name in model.model_fields:
        fields = {(f"{k}_renamed" if k == name else k): v for k, v in _fields_of(model).items()}
        with pytest.raises(pydantic.ValidationError):
            _variant(model, **fields).model_validate(payload)


@pytest.mark.parametrize("model", CURRENT, ids=_name)
def test_retyping_any_field_breaks_the_sample(model: type[IntegrationEvent]) -> None:
    payload = _golden(model)["payload"]
    for name in model.model_fields:
        fields = _fields_of(model)
        fields[name] = (_incompatible_type(payload[name]), ...)
        with pytest.raises(pydantic.ValidationError):
            _variant(model, **fields).model_validate(payload)


# --- versions and upcasting -----------------------------------------------------------------


class _WidgetPricedV1(IntegrationEvent):
    """Test-only: prices were once published in toman."""

    producer: ClassVar[str] = "billing"
    type: ClassVar[str] = "WidgetPriced"
    widget_id: uuid.UUID
    price_toman: int = Field(ge=0, strict=True)


class _WidgetPricedV2(IntegrationEvent):
    """Test-only: v2 publishes rials and a label."""

    producer: ClassVar[str] = "billing"
    type: ClassVar[str] = "WidgetPriced"
    version: ClassVar[int] = 2
    widget_id: uuid.UUID
    price_rials: Rials
    label: str = Field(max_length=50)


def _widget_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    return {"widget_id": payload["widget_id"], "price_rials": payload["price_toman"] * 10, "label": "نامشخص"}


WIDGET_ID = "5f0e6c1a-3b9d-4c2e-8a71-0d4b6e9f2c13"


def _widget_envelope(version: int, payload: dict[str, Any], producer: str = "billing") -> Envelope:
    return Envelope.model_validate({
        "event_id": str(uuid.uuid4()), "type": "WidgetPriced", "version": version,
        "occurred_at": "2025-04-12T06:52:31Z", "producer": producer, "producer_position": 7,
        "correlation_id": "test", "payload": payload,
    })


@pytest.fixture
def widget_spec(monkeypatch: pytest.MonkeyPatch) -> EventSpec:
    spec = EventSpec("billing", ("notifications",), (_WidgetPricedV1, _WidgetPricedV2), {1: _widget_v1_to_v2})
    monkeypatch.setitem(catalog_module.CATALOG, "WidgetPriced", spec)
    return spec


def test_an_old_version_is_upcast_to_the_current_model(widget_spec: EventSpec) -> None:
    event = parse_payload(_widget_envelope(1, {"widget_id": WIDGET_ID, "price_toman": 1_250_000}))
    assert isinstance(event, _WidgetPricedV2)
    assert event.price_rials == 12_500_000
    assert str(event.widget_id) == WIDGET_ID


def test_the_current_version_parses_without_upcasting(widget_spec: EventSpec) -> None:
    payload = {"widget_id": WIDGET_ID, "price_rials": 990_000, "label": "نمونه"}
    event = parse_payload(_widget_envelope(2, payload))
    assert isinstance(event, _WidgetPricedV2) and event.model_dump(mode="json") == payload


def test_an_old_payload_is_validated_against_its_own_version(widget_spec: EventSpec) -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_payload(_widget_envelope(1, {"widget_id": WIDGET_ID, "price_toman": -5}))
    with pytest.raises(pydantic.ValidationError):  # a v2 payload sent as v1
        parse_payload(_widget_envelope(1, {"widget_id": WIDGET_ID, "price_rials": 10, "label": "x"}))


def test_a_version_newer_than_the_catalog_knows_is_unknown(widget_spec: EventSpec) -> None:
    with pytest.raises(UnknownEvent):
        parse_payload(_widget_envelope(3, {"widget_id": WIDGET_ID, "price_rials": 10, "label": "x"}))


@pytest.mark.parametrize("spec", CATALOG.values(), ids=lambda s: s.type)
def test_versions_are_numbered_and_every_old_one_has_an_upcaster(spec: EventSpec) -> None:
    assert [m.version for m in spec.versions] == list(range(1, len(spec.versions) + 1))
    assert {(m.type, m.producer) for m in spec.versions} == {(spec.type, spec.producer)}
    assert set(spec.upcasters) == set(range(1, len(spec.versions)))


# --- trace context (issue #17) --------------------------------------------------------------


@pytest.mark.parametrize("model", CURRENT, ids=_name)
def test_an_envelope_from_before_traces_still_loads_and_goes_out_unchanged(model: type[IntegrationEvent]) -> None:
    before = {key: value for key, value in _golden(model).items() if key != "traceparent"}
    envelope = Envelope.model_validate(before)
    assert envelope.traceparent is None
    assert type(parse_payload(envelope)) is model
    assert envelope.to_wire() == before  # no "traceparent": null for a consumer from before traces


@pytest.mark.parametrize("unreadable", [
    "", "not-a-trace", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # upper case
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", 42, ["00"], {"trace": "x"}])
def test_a_trace_context_that_cannot_be_read_is_read_as_absent_never_refused(unreadable: Any) -> None:
    from shared.events.billing import PaymentSucceededV1

    envelope = _golden_envelope(PaymentSucceededV1, traceparent=unreadable)
    assert envelope.traceparent is None and type(parse_payload(envelope)) is PaymentSucceededV1


def test_a_later_version_of_the_trace_context_is_kept_in_the_form_we_write() -> None:
    from shared.events.billing import PaymentSucceededV1

    later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next"
    envelope = _golden_envelope(PaymentSucceededV1, traceparent=later)
    assert envelope.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


# --- unknown events -------------------------------------------------------------------------


def _golden_envelope(model: type[IntegrationEvent], **changes: Any) -> Envelope:
    return Envelope.model_validate({**_golden(model), **changes})


def test_unknown_type_is_refused() -> None:
    from shared.events.billing import PaymentSucceededV1

    with pytest.raises(UnknownEvent):
        parse_payload(_golden_envelope(PaymentSucceededV1, type="PaymentTeleported"))


def test_unknown_version_is_refused() -> None:
    from shared.events.billing import PaymentSucceededV1

    with pytest.raises(UnknownEvent):
        parse_payload(_golden_envelope(PaymentSucceededV1, version=PaymentSucceededV1.version + 1))
    with pytest.raises(pydantic.ValidationError):
        _golden_envelope(PaymentSucceededV1, version=0)


def test_an_event_from_the_wrong_producer_is_refused() -> None:
    from shared.events.billing import PaymentSucceededV1

    with pytest.raises(UnknownEvent):
        parse_payload(_golden_envelope(PaymentSucceededV1, producer="tenancy"))


# --- invalid payloads -----------------------------------------------------------------------


def _with(model: type[IntegrationEvent], **changes: Any) -> Envelope:
    sample = _golden(model)
    return Envelope.model_validate({**sample, "payload": {**sample["payload"], **changes}})


@pytest.mark.parametrize("model", CURRENT, ids=_name)
def test_extra_fields_are_refused(model: type[IntegrationEvent]) -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_payload(_with(model, unexpected="x"))


@pytest.mark.parametrize("model", CURRENT, ids=_name)
def test_wrong_types_and_missing_fields_are_refused(model: type[IntegrationEvent]) -> None:
    payload = _golden(model)["payload"]
    for name in model.model_fields:
        with pytest.raises(pydantic.ValidationError):
            parse_payload(_with(model, **{name: {"not": ["a", name]}}))
        if model.model_fields[name].is_required():
            sample = _golden(model)
            del sample["payload"][name]
            with pytest.raises(pydantic.ValidationError):
                parse_payload(Envelope.model_validate(sample))
        value = payload[name]
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", value):
            with pytest.raises(pydantic.ValidationError, match="timezone"):
                parse_payload(_with(model, **{name: value[:-1]}))  # naive datetimes are refused


MONEY = [(m, name) for m in CURRENT for name in m.model_fields if name.endswith("_rials")]


@pytest.mark.parametrize(("model", "field"), MONEY, ids=lambda v: _name(v) if isinstance(v, type) else v)
@pytest.mark.parametrize("bad", [-1, -242_000_000, 242_000_000.0, 1000.5, "242000000", True, None],
                         ids=["minus-one", "negative", "float", "fraction", "string", "bool", "null"])
def test_money_is_a_non_negative_int_of_rials(model: type[IntegrationEvent], field: str, bad: Any) -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_payload(_with(model, **{field: bad}))


def test_money_inside_invoice_lines_is_a_non_negative_int_too() -> None:
    from shared.events.billing import InvoiceIssuedV1

    sample = _golden(InvoiceIssuedV1)
    for bad in (-1, 120_000_000.0, "120000000"):
        lines = [dict(line) for line in sample["payload"]["lines"]]
        lines[0] = {**lines[0], "unit_price_rials": bad, "amount_rials": bad}
        with pytest.raises(pydantic.ValidationError):
            parse_payload(_with(InvoiceIssuedV1, lines=lines))


def test_every_money_field_is_covered() -> None:
    assert len(MONEY) >= 10  # amounts, VAT, totals, fees: the generic tests above must see them


def test_business_rules_written_into_the_contracts() -> None:
    from shared.events import billing, tenancy

    # BI-2: the refund deadline is the capture time plus 72 hours, exactly.
    with pytest.raises(pydantic.ValidationError, match="72 hours"):
        parse_payload(_with(billing.RefundScheduledV1, refund_deadline="2025-04-16T06:46:50Z"))
    # BI-1: an invoice adds up.
    with pytest.raises(pydantic.ValidationError, match="total_rials"):
        parse_payload(_with(billing.InvoiceIssuedV1, total_rials=242_000_001))
    # A period ends after it starts.
    with pytest.raises(pydantic.ValidationError, match="end after"):
        parse_payload(_with(billing.PaymentSucceededV1, period_end="2025-04-12T06:52:31Z"))
    # TE-2: limits only rise.
    with pytest.raises(pydantic.ValidationError, match="never lowered"):
        parse_payload(_with(tenancy.LimitsRaisedV1, max_organizations=2))
    # A limits order buys limits, not products.
    with pytest.raises(pydantic.ValidationError, match="limits order"):
        parse_payload(_with(billing.PaymentSucceededV1, kind="limits"))
    # Mobiles travel in E.164 only: the kernel normalises 0912…, 0098912… and Persian digits first.
    for mobile in ("09351234567", "00989351234567", "+۹۸۹۳۵۱۲۳۴۵۶۷", "+98935123456"):
        with pytest.raises(pydantic.ValidationError):
            parse_payload(_with(tenancy.MemberAddedV1, mobile=mobile))
    # Names are one line of text, bounded.
    for name in ("", " آفتاب", "آفتاب\nپارس", "ب" * 201):
        with pytest.raises(pydantic.ValidationError):
            parse_payload(_with(billing.PaymentSucceededV1, business_name=name))


# --- catalog --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", CATALOG.values(), ids=lambda s: s.type)
def test_consumers_are_known_services_or_operators(spec: EventSpec) -> None:
    assert spec.consumers, f"{spec.type} has no consumer"
    assert len(set(spec.consumers)) == len(spec.consumers)
    assert set(spec.consumers) <= {*SERVICES, OPERATORS, GATEWAY}
    assert spec.producer not in spec.consumers
    assert spec.producer in {*SERVICES, "ops"}


def test_every_consuming_service_exists() -> None:
    consuming = {c for spec in CATALOG.values() for c in spec.consumers if c != OPERATORS}
    for service in sorted(consuming):
        assert (REPO_ROOT / "services" / service / "__init__.py").is_file(), f"services/{service}/ is missing"


def test_routing_keys_are_unique() -> None:
    keys = [model.routing_key() for _, model in VERSIONS]
    assert len(keys) == len(set(keys))


# --- AsyncAPI -------------------------------------------------------------------------------


def test_asyncapi_document_is_up_to_date() -> None:
    on_disk = ASYNCAPI_PATH.read_text(encoding="utf-8") if ASYNCAPI_PATH.exists() else ""
    assert asyncapi.render() == on_disk, "docs/asyncapi.yaml is stale: run `make asyncapi`"


def test_asyncapi_generation_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert asyncapi.main([str(first)]) == 0
    assert asyncapi.main([str(second)]) == 0
    assert first.read_bytes() == second.read_bytes() == asyncapi.render().encode("utf-8")
    assert asyncapi.main(["--check", str(first)]) == 0
    first.write_text("stale\n", encoding="utf-8")
    assert asyncapi.main(["--check", str(first)]) == 1


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ASYNCAPI_PATH.read_text(encoding="utf-8"))
    return document


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_asyncapi_channels_and_operations_follow_the_catalog() -> None:
    document = _document()
    assert document["asyncapi"] == "3.0.0"
    for spec, model in VERSIONS:
        key = model.routing_key()
        channel = document["channels"][key]
        assert channel["address"] == key
        assert channel["bindings"]["amqp"]["exchange"]["type"] == "topic"
        ops = [op for op in document["operations"].values() if op["channel"]["$ref"] == f"#/channels/{key}"]
        senders = [op["x-service"] for op in ops if op["action"] == "send"]
        receivers = {op["x-service"] for op in ops if op["action"] == "receive"}
        assert senders == [spec.producer]
        assert receivers == set(spec.consumers)


def test_asyncapi_consumers_are_known_services() -> None:
    for op in _document()["operations"].values():
        if op["action"] == "receive":
            service = op["x-service"]
            assert service in SERVICES or service in (OPERATORS, GATEWAY), service
            if service != OPERATORS:
                assert (REPO_ROOT / "services" / service).is_dir(), service


def test_asyncapi_references_resolve_and_describe_the_samples() -> None:
    document = _document()
    for _, node in _schema_nodes(document):
        if "$ref" in node:
            _resolve(document, node["$ref"])
    for spec, model in VERSIONS:
        channel = document["channels"][model.routing_key()]
        (message_ref,) = channel["messages"].values()
        message = _resolve(document, message_ref["$ref"])
        envelope = _resolve(document, message["payload"]["$ref"])
        payload = _resolve(document, envelope["properties"]["payload"]["$ref"])
        sample = _golden(model)
        assert set(envelope["required"]) <= set(sample) <= set(envelope["properties"])
        assert envelope["properties"]["type"]["const"] == spec.type
        assert set(payload.get("required", [])) <= set(sample["payload"]) <= set(payload["properties"])
