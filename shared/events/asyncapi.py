"""docs/asyncapi.yaml, generated from the catalog: ``python -m shared.events.asyncapi [path]``
(``make asyncapi``). ``--check`` exits 1 when the file on disk is stale instead of writing it.

AsyncAPI 3.0.0. One channel per event version, addressed by its routing key on the topic
exchange; each channel's message is the full wire body (envelope with the payload inside).
The producer has a ``send`` operation, every consumer a ``receive`` operation. The output is
deterministic: it follows the catalog's order and nothing in it depends on time or host.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from shared.events.base import Envelope, IntegrationEvent
from shared.events.catalog import CATALOG, GATEWAY, OPERATORS, EventSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO_ROOT / "docs" / "asyncapi.yaml"
# The kernel's topology prefixes every name with AMQP_NAMESPACE ("platform" by default).
DEFAULT_NAMESPACE = "platform"
EXCHANGE = f"{DEFAULT_NAMESPACE}.events"
SCHEMA_REF = "#/components/schemas/{model}"
AMQP_BINDING_VERSION = "0.3.0"
HEADER = (
    "# Generated from shared/events/catalog.py by `make asyncapi`\n"
    "# (python -m shared.events.asyncapi). Do not edit by hand.\n"
)


def message_name(model: type[IntegrationEvent]) -> str:
    return f"{model.type}V{model.version}"


def _summary(model: type[IntegrationEvent]) -> str:
    doc = (model.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else f"{model.type} v{model.version}"


def _add_schema(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if name in schemas and schemas[name] != schema:
        raise ValueError(f"two different schemas are named {name!r}; rename one of the models")
    schemas[name] = schema


def _payload_schema(schemas: dict[str, Any], model: type[IntegrationEvent]) -> None:
    schema = model.model_json_schema(ref_template=SCHEMA_REF)
    for name, nested in schema.pop("$defs", {}).items():
        _add_schema(schemas, name, nested)
    _add_schema(schemas, message_name(model), schema)


def _envelope_schema(model: type[IntegrationEvent]) -> dict[str, Any]:
    schema = copy.deepcopy(Envelope.model_json_schema())
    props = schema["properties"]
    props["type"] = {"type": "string", "const": model.type, "title": "Type"}
    props["version"] = {"type": "integer", "const": model.version, "title": "Version"}
    props["producer"] = {"type": "string", "const": model.producer, "title": "Producer"}
    props["payload"] = {"$ref": SCHEMA_REF.format(model=message_name(model))}
    if model.tenant_field is not None:
        props["tenant_id"] = {
            "type": "string", "format": "uuid", "title": "Tenant Id",
            "description": f"The business this event concerns: equals payload.{model.tenant_field}.",
        }
        schema["required"] = [*schema["required"], "tenant_id"]
    schema["title"] = f"{message_name(model)}Envelope"
    schema["description"] = (
        f"Wire body of {model.type} v{model.version}: the envelope, with the event in `payload`."
    )
    return schema


def _amqp_channel_binding() -> dict[str, Any]:
    return {"amqp": {
        "is": "routingKey",
        "exchange": {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"},
        "bindingVersion": AMQP_BINDING_VERSION,
    }}


def _channel(spec: EventSpec, model: type[IntegrationEvent]) -> dict[str, Any]:
    key = model.routing_key()
    current = model is spec.versions[-1]
    description = (
        f"Routing key `{key}` on the `{EXCHANGE}` topic exchange (the prefix is AMQP_NAMESPACE). "
        f"Consumers bind `{spec.binding_key}`, so every version of {spec.type} reaches them."
    )
    if not current:
        description += f" Superseded by v{spec.versions[-1].version}; consumers upcast it."
    return {
        "address": key,
        "title": f"{spec.type} v{model.version}",
        "description": description,
        "messages": {message_name(model): {"$ref": f"#/components/messages/{message_name(model)}"}},
        "bindings": _amqp_channel_binding(),
    }


def _message(model: type[IntegrationEvent]) -> dict[str, Any]:
    return {
        "name": model.type,
        "title": f"{model.type} v{model.version}",
        "summary": _summary(model),
        "contentType": "application/json",
        "correlationId": {
            "description": "Shared by every event of one customer request or process.",
            "location": "$message.payload#/correlation_id",
        },
        "tags": [{"name": model.producer}],
        "payload": {"$ref": SCHEMA_REF.format(model=f"{message_name(model)}Envelope")},
        "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": model.routing_key(),
                              "bindingVersion": AMQP_BINDING_VERSION}},
    }


def _operation_id(action: str, service: str, model: type[IntegrationEvent]) -> str:
    return f"{service}.{action}.{model.type}.v{model.version}"


def _operation(action: str, service: str, spec: EventSpec, model: type[IntegrationEvent]) -> dict[str, Any]:
    key = model.routing_key()
    if action == "send":
        summary = f"{service} publishes {spec.type} v{model.version}."
        binding: dict[str, Any] = {"deliveryMode": 2, "mandatory": True}
    elif service == OPERATORS:
        summary = f"The operators' bounded audit queue keeps {spec.type} v{model.version} for people to read."
        binding = {"ack": True}
    elif service == GATEWAY:
        summary = (f"Every gateway replica reads {spec.type} v{model.version} from a RabbitMQ stream, from an "
                   "offset back in time, into its memory (no store of its own; replayed on every start).")
        binding = {"ack": True}
    else:
        summary = f"{service} consumes {spec.type} v{model.version} (idempotently, by event_id)."
        binding = {"ack": True}
    binding["bindingVersion"] = AMQP_BINDING_VERSION
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{key}"},
        "title": f"{service} {action}s {spec.type} v{model.version}",
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{key}/messages/{message_name(model)}"}],
        "tags": [{"name": service}],
        "bindings": {"amqp": binding},
        "x-service": service,
    }


def build() -> dict[str, Any]:
    """The AsyncAPI document, as plain data in a fixed order."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for spec in CATALOG.values():
        for model in spec.versions:
            key = model.routing_key()
            channels[key] = _channel(spec, model)
            messages[message_name(model)] = _message(model)
            _payload_schema(schemas, model)
            _add_schema(schemas, f"{message_name(model)}Envelope", _envelope_schema(model))
            operations[_operation_id("send", spec.producer, model)] = _operation("send", spec.producer, spec, model)
            for consumer in spec.consumers:
                operations[_operation_id("receive", consumer, model)] = _operation("receive", consumer, spec, model)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Customer-lifecycle platform: integration events",
            "version": "1.0.0",
            "description": (
                "Every integration event the services exchange over RabbitMQ, generated from "
                "`shared/events/catalog.py`. Messages are JSON: the envelope (event id, type, "
                "version, producer and its position, correlation and causation ids, W3C trace "
                "context, tenant id) "
                "with the event's fields in `payload`. Delivery is at least once; consumers "
                "deduplicate by `event_id`. Requirement IDs cite REQUIREMENTS.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "development": {
                "host": "127.0.0.1:5672",
                "protocol": "amqp",
                "protocolVersion": "0-9-1",
                "pathname": "/",
                "description": "The local RabbitMQ of `make run`; other environments set AMQP_URI.",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def render() -> str:
    return HEADER + yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=100)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    paths = [arg for arg in args if arg != "--check"]
    if len(paths) > 1 or any(p.startswith("-") for p in paths):
        print("usage: python -m shared.events.asyncapi [--check] [path]", file=sys.stderr)
        return 2
    path = Path(paths[0]) if paths else DEFAULT_PATH
    text = render()
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            print(f"{path} is stale: run `make asyncapi`", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
