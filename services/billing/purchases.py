"""What a customer typed → a checked purchase (BI-1, X-3): kinds, products, periods, business
names and types; Persian or Arabic-Indic digits accepted wherever a number is typed.

A body is validated once, by its shared/http model (the gateway checked the same model
before sending it; an RPC caller that skips the gateway is answered with billing's own error
codes, mapped here from the model's field). What the model cannot know (which products a kind
of order buys, the periods on sale, ranges, whether a business exists) is checked after."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.billing.catalog import SOLD, Catalog
from shared.http.billing import ERRORS, OrderChange, OrderRequest
from shared.kernel.errors import DomainError
from shared.kernel.mobile import EXPECTED_FORM

CUSTOMER_KINDS = ("new", "renewal", "add_on", "limits")  # "restore" comes from archival (AR-3)
BUSINESS_TYPES = ("service", "manufacturing", "trading")  # "educational" only through BI-4
ADD_ONS = ("payroll", "fixed_assets")
RANGES = {"period_months": (1, 36), "extra_organizations": (0, 1000), "extra_concurrent_users": (0, 1000)}
M = TypeVar("M", bound=BaseModel)

# A refused field → billing's answer, in the order the checks have always run (the first wins).
_REFUSALS: dict[str, DomainError] = {
    "kind": DomainError("invalid_order_kind", allowed=list(CUSTOMER_KINDS)),
    "products": DomainError("invalid_products", allowed=list(SOLD)),
    **{field: DomainError("invalid_number", field=field, low=low, high=high) for field, (low, high) in RANGES.items()},
    "business_type": DomainError("invalid_business_type", allowed=list(BUSINESS_TYPES)),
    "business_name": DomainError("invalid_business_name"),
    "institution_name": DomainError("invalid_business_name"),
    "licence_number": DomainError("invalid_licence_number"),
    "contact_mobile": DomainError("invalid_mobile", expected=EXPECTED_FORM),
    "tenant_id": DomainError("business_not_found"),
    "buyer": DomainError("invalid_buyer"),
}


def parsed(model: type[M], body: Mapping[str, Any]) -> M:
    """``body`` (a dict, as the RPC receives it) as ``model``, or the DomainError billing
    answers for its first refused field."""
    if not isinstance(body, Mapping):
        raise DomainError("invalid_request", fields=[{"field": "", "problem": "dict_type"}])
    try:
        return model.model_validate(dict(body))
    except ValidationError as exc:
        named = [err for err in exc.errors() if err["type"] in ERRORS]  # the buyer's ids name their own code
        if named:
            raise DomainError(named[0]["type"], field=".".join(str(p) for p in named[0]["loc"])) from None
        fields = {str(err["loc"][0]) if err["loc"] else "" for err in exc.errors()}
        for field, refusal in _REFUSALS.items():
            if field in fields:
                raise DomainError(refusal.code, **refusal.details) from None
        problems = [{"field": ".".join(str(p) for p in err["loc"]), "problem": err["type"]} for err in exc.errors()]
        raise DomainError("invalid_request", fields=problems) from None


def idempotency_key(key: object) -> str | None:
    if key in (None, ""):
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= 100 or not key.isprintable():
        raise DomainError("invalid_idempotency_key")
    return key


def within(value: int, field: str) -> int:
    low, high = RANGES[field]
    if not low <= value <= high:
        raise DomainError("invalid_number", field=field, low=low, high=high)
    return value


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def changed_order(kind: str, tenant_id: uuid.UUID, body: Mapping[str, Any]) -> OrderRequest:
    """A change of an order as the order it describes now (its kind and business stay)."""
    change = parsed(OrderChange, body)
    return OrderRequest.model_validate({"kind": kind, "tenant_id": str(tenant_id)}
                                       | change.model_dump(exclude_unset=True))


def purchase_from(order: OrderRequest, catalog: Catalog) -> dict[str, Any]:
    """The purchase an order describes; for renewal, add-on and limits the business's name and
    type come from billing's account of it, filled in by the application."""
    kind, products = order.kind, list(order.products)
    if "educational" in products:
        raise DomainError("educational_requires_application")
    if any(p not in SOLD for p in products) or len(set(products)) != len(products):
        raise DomainError("invalid_products", allowed=list(SOLD))
    months = within(order.period_months, "period_months")
    catalog.check_period(months)
    extra_orgs = within(order.extra_organizations, "extra_organizations")
    extra_users = within(order.extra_concurrent_users, "extra_concurrent_users")
    if kind == "limits":
        if products or not (extra_orgs or extra_users):
            raise DomainError("invalid_products", hint="a limits order buys extra organizations or users only")
    elif extra_orgs or extra_users:
        raise DomainError("invalid_products", hint="extra organizations or users are a limits order")
    elif kind == "new" and "accounting" not in products:
        raise DomainError("accounting_required")  # payroll and fixed assets extend the suite (PR-1)
    elif kind == "add_on" and (not products or any(p not in ADD_ONS for p in products)):
        raise DomainError("invalid_products", allowed=list(ADD_ONS))
    elif not products:
        raise DomainError("invalid_products", allowed=list(SOLD))
    purchase: dict[str, Any] = {"kind": kind, "products": products, "period_months": months,
                                "extra_organizations": extra_orgs, "extra_concurrent_users": extra_users}
    if order.buyer is not None:  # who the official invoice names (issue #19); none: a type-2 invoice
        purchase["buyer"] = order.buyer.model_dump(exclude_none=True)
    if order.data_conversion:
        if kind != "new":
            raise DomainError("invalid_products", hint="data conversion is ordered with a new business (AR-5)")
        purchase["data_conversion"] = True  # whether it is free is the application's to say (returning customer)
    if kind == "new":
        if order.business_type not in BUSINESS_TYPES:
            raise DomainError("invalid_business_type", allowed=list(BUSINESS_TYPES))
        if order.business_name is None:
            raise DomainError("invalid_business_name")
        purchase |= {"business_name": order.business_name, "business_type": order.business_type}
    return purchase


def tenant_named(order: OrderRequest) -> uuid.UUID:
    try:
        return uuid.UUID(str(order.tenant_id))
    except ValueError:
        raise DomainError("business_not_found") from None
