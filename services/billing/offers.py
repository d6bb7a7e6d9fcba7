"""Support's priced offers of more limits (TE-2, issue #19; ``app.offers``). On a ticket, support
offers one of the customer's businesses extra organizations and/or concurrent users: billing
records an order of kind "limits" for the business's admin, priced from the catalog like the
customer's own limits order, marked with who offered it on which ticket. The admin pays it through
the normal payment flow (tenancy raises the limits on its PaymentSucceeded); support may withdraw it
while it is unpaid.

The business's limits today are read from tenancy by the gateway and passed in; billing takes the
higher of those and what it followed from tenancy's events (limits.py) and refuses an offer that
would take them past the contract's hard caps before it is made. The caps are checked again when
the customer pays and before the payment is verified (limits.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from services.billing.catalog import Catalog
from services.billing.domain import BusinessAccount, Order, keyed_id, sealed_name
from services.billing.limits import Limits
from services.billing.purchases import fingerprint, idempotency_key, parsed, purchase_from
from services.billing.records import Records
from services.billing.views import order_view
from shared.http.billing import LimitsOfferRequest, OrderRequest
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.kernel.store import Cause
from shared.kernel.subject_keys import Personal


class LimitsOffers:
    def __init__(self, records: Records, catalog: Catalog, limits: Limits) -> None:
        self.records, self.catalog, self.limits = records, catalog, limits

    def offer(self, agent_id: object, ticket_id: object, customer_id: object, body: Mapping[str, Any],
              current_limits: Mapping[str, Any], key: object, cause: Cause) -> dict[str, Any]:
        """An order of kind "limits" for ``customer_id``'s business named in ``body``; ``customer_id``
        is the ticket's customer, who must be the business's admin (billing's owner of it)."""
        agent, ticket, customer = parse_id(agent_id), parse_id(ticket_id), parse_id(customer_id)
        request = parsed(LimitsOfferRequest, body)
        if not (request.extra_organizations or request.extra_concurrent_users):
            raise DomainError("nothing_offered")
        purchase = purchase_from(OrderRequest(kind="limits", tenant_id=request.tenant_id,
                                              extra_organizations=request.extra_organizations,
                                              extra_concurrent_users=request.extra_concurrent_users), self.catalog)
        account = self._account(request.tenant_id, customer)
        self.limits.check(purchase, account.id, reported=current_limits)
        purchase |= {"business_name": account.business_name, "business_type": account.business_type}
        key = idempotency_key(key)
        order_id = keyed_id("limits-offer", agent, key) if key else uuid.uuid4()
        print_ = fingerprint(str(ticket), request.model_dump())

        def create() -> dict[str, Any]:
            order = Order(order_id=order_id, customer_user_id=customer, tenant_id=account.id,
                          purchase=sealed_name(purchase, account.id), fingerprint=print_)
            order.issue_invoice(uuid.uuid4(), self.catalog.invoice_for(order.purchase))
            order.offered(agent, ticket)
            account.note_offer(order.id)
            self.records.save(order, account, cause=cause)
            return offer_view(order)

        return self.records.created_once(order_id, print_, create, offer_view)

    def _account(self, tenant_id: str, customer: uuid.UUID) -> BusinessAccount:
        try:
            account = self.records.get(uuid.UUID(tenant_id))
        except ValueError:
            raise DomainError("business_not_found") from None
        # The ticket's customer must own (administer) it: an offer is paid by the business's admin.
        if not isinstance(account, BusinessAccount) or account.owner_user_id != customer:
            raise DomainError("business_not_found")
        if isinstance(account.business_name, Personal) and account.business_name.forgotten:
            raise DomainError("business_purged")
        return account

    def withdraw(self, agent_id: object, order_id: object, cause: Cause) -> dict[str, Any]:
        agent = parse_id(agent_id)

        def attempt() -> dict[str, Any]:
            order = self.records.one(Order, order_id)
            order.withdraw(agent)
            self.records.save(order, cause=cause)
            return offer_view(order)

        return self.records.retrying(attempt)

    def of_businesses(self, tenant_ids: Any) -> list[dict[str, Any]]:
        """Support's offers for these businesses (the case view), oldest first, with their state."""
        offers = []
        for tenant in tenant_ids if isinstance(tenant_ids, list) else []:
            account = self.records.get(parse_id(tenant))
            if isinstance(account, BusinessAccount):
                offers += [offer_view(self.records.one(Order, order_id)) for order_id in account.offers]
        return offers


def offer_view(order: Order) -> dict[str, Any]:
    """The order as support sees it, with the offer's state: open, paid or withdrawn."""
    state = "paid" if order.paid_by is not None else "withdrawn" if order.withdrawn else "open"
    return order_view(order) | {"offer_state": state, "offered_by_user_id": (order.offer or {}).get("agent_id")}
