// Support's priced offer of more limits on a ticket (TE-2, issue #19), drawn in the desk's case
// (pages-support.js): the offer form (a business of the customer's, extra organizations and users,
// the price as billing will compute it) and the case's offers with their state, an open one
// withdrawable. A withdrawn or capped offer says so.

import { api, idempotencyKey } from "./api.js";
import { latinDigits, number, rials, t } from "./i18n.js";
import { busy, clearErrors, errorMessage, field, h, note, showError } from "./ui.js";

const enc = encodeURIComponent;
const word = (prefix, code) => {
  const text = t(`${prefix}_${code}`);
  return text === `${prefix}_${code}` ? String(code) : text;
};

let offerCatalog = null;

/** The form: a business of the customer's, extra organizations and users, the price as billing will
 *  compute it (the catalog's unit prices and VAT; billing's invoice decides). */
export function offerForm(ticketId, businesses, again) {
  const business = field({ name: "tenant_id", label: t("offer_business"), tag: "select",
                           options: businesses.map((b) => [b.tenant_id, b.business_name]) });
  const orgs = field({ name: "extra_organizations", label: t("offer_organizations"), value: "0", inputmode: "numeric",
                       dir: "ltr", maxlength: 4 });
  const users = field({ name: "extra_concurrent_users", label: t("offer_users"), value: "0", inputmode: "numeric",
                        dir: "ltr", maxlength: 5 });
  const now = h("p", { class: "help", dataset: { role: "limits-now" } });
  const price = h("p", { dataset: { role: "offer-price" } });
  const status = h("div", { class: "status", role: "status", dataset: { role: "offer-status" } });
  const send = h("button", { type: "submit" }, t("offer_send"));
  const form = h("form", { novalidate: true, dataset: { form: "offer" } }, business.wrap, now, orgs.wrap, users.wrap,
    price, h("div", { class: "actions" }, send), status);
  // One key per form, made once when the form is drawn: a double submit (or a retry after a lost
  // answer) makes one offer; billing answers a repeat with the same offer. A new form, a new key.
  const key = idempotencyKey();
  const count = (input) => Number.parseInt(latinDigits(input.value.trim()) || "0", 10) || 0;
  const reprice = async () => {
    try {
      offerCatalog ??= await api("GET", "/billing/catalog", undefined, { auth: true });
    } catch { price.textContent = ""; return; }
    const subtotal = count(orgs.input) * offerCatalog.limits.extra_organization_rials
      + count(users.input) * offerCatalog.limits.extra_concurrent_user_rials;
    const vat = Math.floor((subtotal * offerCatalog.vat_percent + 50) / 100);  // as billing rounds
    price.textContent = t("offer_price", { subtotal: rials(subtotal), vat: rials(vat), total: rials(subtotal + vat) });
  };
  const limitsNow = async () => {
    try {
      const page = await api("GET", `/tenancy/businesses/${enc(business.input.value)}`, undefined, { auth: true });
      now.textContent = t("offer_limits_now", { orgs: number(page.limits.max_organizations),
                                                users: number(page.limits.max_concurrent_users) });
    } catch { now.textContent = ""; }
  };
  form.addEventListener("input", reprice);
  business.input.addEventListener("change", limitsNow);
  reprice();
  limitsNow();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { tenant_id: business.input.value, extra_organizations: orgs.input.value.trim() || "0",
                   extra_concurrent_users: users.input.value.trim() || "0" };
    await busy(send, async () => {
      try {
        await api("POST", `/support/tickets/${enc(ticketId)}/limits-offers`, body,
                  { auth: true, headers: { "Idempotency-Key": key } });
        await again();
        document.querySelector("[data-role=offers]")?.prepend(note(t("offer_sent"), "success"));
      } catch (error) {
        const named = error?.body?.field || "extra_organizations";
        showError(form, error, { limits_ceiling: named, nothing_offered: "extra_organizations", invalid_number: named });
      }
    });
  });
  return h("section", { class: "card", dataset: { part: "offer" } }, h("h2", {}, t("offer_title")),
    h("p", { class: "help" }, t("offer_intro")), form);
}

/** Support's offers for the customer's businesses, each with its state; an open one can be withdrawn. */
export function offerList(offers, again) {
  const section = (...children) => h("section", { class: "card", dataset: { role: "offers" } }, ...children);
  if (offers === null || offers === undefined) return section(note(t("offer_unavailable"), "warning"));
  if (!offers.length) return section(note(t("offer_none")));
  return section(h("ul", { class: "plain" }, ...offers.map((o) => {
    const withdraw = h("button", { type: "button", class: "secondary", dataset: { role: "withdraw" } },
      t("offer_withdraw"));
    const slot = h("p", { class: "field-error", role: "alert", hidden: true });
    withdraw.addEventListener("click", () => busy(withdraw, async () => {
      try {
        await api("POST", `/support/limits-offers/${enc(o.order_id)}/withdraw`, undefined, { auth: true });
        await again();
      } catch (error) {
        slot.textContent = errorMessage(error);
        slot.hidden = false;
      }
    }));
    return h("li", { dataset: { offer: o.order_id, state: o.offer_state } },
      h("bdi", {}, o.business_name), " — ",
      t("offer_line", { orgs: number(o.extra_organizations), users: number(o.extra_concurrent_users),
                        total: rials(o.invoice?.total_rials || 0) }),
      " ", h("span", { class: "badge" }, word("offer_state", o.offer_state)),
      o.offer_state === "open" ? h("span", {}, " ", withdraw, slot) : null,
      o.capped_short ? note(t("offer_capped", { orgs: number(o.capped_short.organizations),
                                                users: number(o.capped_short.concurrent_users) }), "warning") : null);
  })));
}
