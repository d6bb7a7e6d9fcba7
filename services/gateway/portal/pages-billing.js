// The catalog and order form, the invoice page and the payment result (BI-1, BI-2), on
// billing's routes (services/gateway/routes/billing.py; the order as services/billing/views.py
// shows it). BI-1: the online-payment button exists only while billing says the invoice was
// calculated for the order's current revision (`invoice_current`); after a change (or a 409
// invoice_outdated) it is gone until "calculate invoice" brings the invoice up to date.

import { api } from "./api.js";
import { digits, jalali, joined, lang, number, rials, t } from "./i18n.js";
import { busy, choices, clearErrors, errorMessage, field, fieldError, h, note, put, showError } from "./ui.js";

const BUSINESS_TYPES = ["service", "manufacturing", "trading"];
const list = (value) => (Array.isArray(value) ? value : []);
const label = (prefix, code) => {
  const text = t(`${prefix}_${code}`);
  return text === `${prefix}_${code}` ? String(code) : text;
};
const orderPath = (id, rest = "") => `/billing/orders/${encodeURIComponent(id)}${rest}`;
// Order errors → the field they concern.
export const ORDER_FIELDS = { invalid_business_name: "business_name", invalid_business_type: "business_type",
                       invalid_products: "products", accounting_required: "products", invalid_period: "period_months",
                       invalid_national_code: "national_code", invalid_legal_id: "legal_id",
                       invalid_economic_code: "economic_code", invalid_postal_code: "postal_code",
                       invalid_buyer: "buyer_kind" };
const BUYER_KINDS = ["self", "person", "legal"];

// --- the catalog ------------------------------------------------------------------------------

let catalogCache = null;

/** GET /billing/catalog: {products: [{product, includes, prices_rials: {months: rials}}], periods_months, vat_percent}. */
async function catalog() {
  catalogCache ??= await api("GET", "/billing/catalog", undefined, { auth: true }).then((raw) => ({
    products: list(raw.products).filter((p) => p.product !== "educational"), // BI-4 has its own route
    periods: list(raw.periods_months),
    vat: raw.vat_percent,
  }));
  return catalogCache;
}

function productPrices(product, periods) {
  const includes = list(product.includes).length > 1 ? `${joined(product.includes.map((m) => label("module", m)))} · ` : "";
  return includes + joined(periods.filter((m) => product.prices_rials?.[m] !== undefined)
    .map((m) => t("price_for", { months: t("months", { n: digits(m) }), price: rials(product.prices_rials[m]) })));
}

// --- the order form (new, and changing an order) ----------------------------------------------

function orderForm(shop, order, submitText, onSubmit) {
  const name = field({ name: "business_name", label: t("business_name"), value: order.business_name, required: true,
                       maxlength: 200, autocomplete: "organization" });
  const type = choices({ name: "business_type", legend: t("business_type"), type: "radio",
                         items: BUSINESS_TYPES.map((b) => [b, label("type", b)]),
                         checked: [order.business_type || "service"] });
  const products = choices({ name: "products", legend: t("products"), checked: order.products || ["accounting"],
    items: shop.products.map((p) => [p.product, label("product", p.product), productPrices(p, shop.periods)]) });
  const period = field({ name: "period_months", label: t("period"), tag: "select",
                         value: order.period_months || shop.periods[shop.periods.length - 1],
                         options: shop.periods.map((m) => [m, t("months", { n: digits(m) })]) });
  const buyer = buyerFields(order.buyer);
  const submit = h("button", { type: "submit" }, submitText);
  const form = h("form", { novalidate: true, dataset: { form: "order" } }, name.wrap, type.wrap, products.wrap, period.wrap,
    buyer.wrap, shop.vat !== undefined ? h("p", { class: "help" }, t("vat_note", { percent: digits(shop.vat) })) : null,
    submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = {
      business_name: name.input.value.trim(),
      business_type: form.querySelector("input[name=business_type]:checked")?.value,
      products: [...form.querySelectorAll("input[name=products]:checked")].map((i) => i.value),
      period_months: Number(period.input.value),
    };
    const named = buyer.value();
    if (named) body.buyer = named;
    let bad = false;
    if (!body.business_name) bad = fieldError(form, "business_name", t("required")) || true;
    if (!body.products.length) bad = fieldError(form, "products", t("choose_product")) || true;
    if (bad) return;
    await busy(submit, async () => {
      try {
        await onSubmit(body);
      } catch (error) {
        showError(form, error, ORDER_FIELDS);
      }
    });
  });
  return form;
}

/** Who the official invoice names (issue #19): nobody (a person buying for themselves), a person
 *  (national code) or a legal entity (national id, economic code, postal code). Digits in any
 *  script; billing checks the check digits and answers each wrong field with its own message. */
export function buyerFields(given) {
  const kind = choices({ name: "buyer_kind", legend: t("buyer_kind"), type: "radio",
                         items: BUYER_KINDS.map((k) => [k, t(`buyer_${k}`)]), checked: [given?.kind || "self"] });
  const input = (name) => field({ name, label: t(name), value: given?.[name] || "", inputmode: "numeric", dir: "ltr",
                                  maxlength: 20, autocomplete: "off" });
  const fields = Object.fromEntries(["national_code", "legal_id", "economic_code", "postal_code"].map((n) => [n, input(n)]));
  const shown = { self: [], person: ["national_code", "postal_code"], legal: ["legal_id", "economic_code", "postal_code"] };
  const wrap = h("fieldset", { class: "buyer", dataset: { part: "buyer" } }, h("legend", {}, t("buyer_title")),
    h("p", { class: "help" }, t("buyer_help")), kind.wrap, ...Object.values(fields).map((f) => f.wrap));
  const chosen = () => wrap.querySelector("input[name=buyer_kind]:checked")?.value || "self";
  const show = () => Object.entries(fields).forEach(([n, f]) => { f.wrap.hidden = !shown[chosen()].includes(n); });
  wrap.addEventListener("change", show);
  show();
  return {
    wrap,
    value: () => {
      if (chosen() === "self") return null;
      const value = { kind: chosen() };
      for (const n of shown[chosen()]) if (fields[n].input.value.trim()) value[n] = fields[n].input.value.trim();
      return value;
    },
  };
}

export async function order(main, { go, current }) {
  let shop;
  try {
    shop = await catalog();
  } catch {
    if (current()) main.replaceChildren(h("h1", {}, t("order_title")), note(t("catalog_unavailable"), "error"));
    return;
  }
  if (!current()) return;
  const form = orderForm(shop, {}, t("order_submit"), async (body) => {
    // 201: the order with its first invoice already calculated
    const placed = await api("POST", "/billing/orders", body, { auth: true });
    go(`#/orders/${placed.order_id}`);
  });
  main.replaceChildren(h("h1", {}, t("order_title")), form,
    h("p", { class: "help", dataset: { role: "educational-link" } }, t("edu_offer"), " ",
      h("a", { href: "#/licence" }, t("edu_offer_link"))));
}

// --- the invoice page ---------------------------------------------------------------------------

/** BI-1: payable only when the invoice was calculated for the order's current revision. */
export const payable = (o) => Boolean(o.invoice) && o.invoice_current === true && !o.paid;

function invoiceTable(invoice) {
  const row = (text, amount, extra = {}) => h("tr", extra, h("th", { scope: "row", colspan: 3 }, text),
    h("td", { class: "num" }, rials(amount)));
  return h("div", { class: "table-wrap" }, h("table", { dataset: { role: "invoice" } },
    h("caption", { class: "visually-hidden" }, t("invoice_title")),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("item")), h("th", { scope: "col", class: "num" }, t("quantity")),
      h("th", { scope: "col", class: "num" }, t("unit_price")), h("th", { scope: "col", class: "num" }, t("amount")))),
    h("tbody", {}, ...list(invoice.lines).map((line) => h("tr", {},
      h("td", {}, label("product", line.item)),
      h("td", { class: "num" }, number(line.quantity)), h("td", { class: "num" }, rials(line.unit_price_rials)),
      h("td", { class: "num" }, rials(line.amount_rials))))),
    h("tfoot", {},
      row(t("subtotal"), invoice.subtotal_rials),
      invoice.discount_rials ? row(t("discount"), invoice.discount_rials) : null,
      row(t("vat", { percent: digits(invoice.vat_percent) }), invoice.vat_rials),
      row(t("total"), invoice.total_rials, { dataset: { role: "total" } }))));
}

export async function invoice(main, ctx) {
  const [id] = ctx.params;
  let found;
  try {
    found = await api("GET", orderPath(id), undefined, { auth: true });
  } catch (error) {
    if (ctx.current()) main.replaceChildren(h("h1", {}, t("invoice_title")), note(errorMessage(error), "error"));
    return;
  }
  if (ctx.current()) renderInvoice(main, ctx, found);
}

function renderInvoice(main, ctx, o, message = null) {
  const id = o.order_id;
  const status = h("div", { class: "status", "aria-live": "polite" }, message);
  const calculate = h("button", { type: "button", class: "secondary", dataset: { role: "calculate" } }, t("calculate"));
  const pay = h("button", { type: "button", dataset: { role: "pay" } }, t("pay_online"));
  const change = h("button", { type: "button", class: "secondary", "aria-expanded": "false" }, t("change_order"));
  const editSlot = h("div", {});
  calculate.addEventListener("click", () => busy(calculate, async () => {
    try {
      renderInvoice(main, ctx, await api("POST", orderPath(id, "/invoice"), undefined, { auth: true }));
      main.querySelector("[data-role=pay]")?.focus();
    } catch (error) {
      status.replaceChildren(note(errorMessage(error), "error"));
    }
  }));
  pay.addEventListener("click", () => busy(pay, async () => {
    try {
      // 201 {payment_id, redirect_url}: the bank's page (the sandbox in development); billing's
      // callback sends the browser back to #/payments/{payment_id}.
      const started = await api("POST", orderPath(id, "/payments"), undefined, { auth: true });
      const target = new URL(started.redirect_url, location.href);
      if (["http:", "https:"].includes(target.protocol)) location.assign(target.href);
      else ctx.go(`#/payments/${started.payment_id}`);
    } catch (error) {
      if (error.code === "invoice_outdated") {
        // BI-1: the order moved on (in another tab, say); the button goes until the invoice is recalculated.
        renderInvoice(main, ctx, { ...o, invoice_current: false }, note(errorMessage(error), "error"));
        return;
      }
      status.replaceChildren(note(errorMessage(error), "error"));
    }
  }));
  change.addEventListener("click", async () => {
    if (editSlot.childElementCount) {
      editSlot.replaceChildren();
      change.setAttribute("aria-expanded", "false");
      return;
    }
    let shop;
    try { shop = await catalog(); } catch { editSlot.replaceChildren(note(t("catalog_unavailable"), "error")); return; }
    change.setAttribute("aria-expanded", "true");
    editSlot.replaceChildren(orderForm(shop, o, t("save_changes"), async (body) => {
      // 200: the order's new revision; its invoice stays, no longer current
      renderInvoice(main, ctx, await api("PUT", orderPath(id), body, { auth: true }));
    }));
    editSlot.querySelector("input")?.focus();
  });
  const matches = payable(o);
  let actions;
  if (o.withdrawn) {
    actions = [note(t("offer_withdrawn_note"), "warning")];
  } else if (o.paid) {
    actions = [note(t("order_paid"), "success"), o.paid_by_payment_id
      ? h("p", {}, h("a", { href: `#/payments/${o.paid_by_payment_id}` }, t("to_payment"))) : null];
  } else {
    // Support's offer (TE-2) is paid as offered: no change form.
    actions = [matches ? null : note(t("invoice_stale"), "warning"),
               h("div", { class: "actions" }, matches ? pay : calculate, o.offer ? null : change)];
  }
  const extras = o.kind === "limits" ? [h("dt", {}, t("extras")), h("dd", {}, t("extras_value", {
    orgs: number(o.extra_organizations || 0), users: number(o.extra_concurrent_users || 0) }))] : [];
  put(main,
    h("h1", {}, t("invoice_title")),
    o.offer ? note(t("offer_by_support"), "info") : null,
    h("dl", { class: "facts" }, ...extras,
      h("dt", {}, t("business_name")), h("dd", {}, h("bdi", {}, o.business_name || "")),
      h("dt", {}, t("business_type")), h("dd", {}, label("type", o.business_type)),
      // a limits order (TE-2) buys no product and no period: its extras are above
      ...(o.kind === "limits" ? [] : [
        h("dt", {}, t("products")), h("dd", {}, joined(list(o.products).map((p) => label("product", p)))),
        h("dt", {}, t("period")), h("dd", {}, t("months", { n: digits(o.period_months) }))])),
    h("p", { class: "help", dataset: { role: "revisions" } }, t("order_revision", { n: digits(o.revision) }),
      o.invoice ? ` · ${t("invoice_revision", { n: digits(o.invoice.order_revision) })}` : ""),
    o.invoice ? invoiceTable(o.invoice) : null,
    actions, status, editSlot,
  );
}

// --- the payment result ---------------------------------------------------------------------------

// GET /billing/payments/{id} → {state: pending | succeeded | failed | refund_scheduled | refunded, reason,
// amount_rials, money_taken, order_id, refund: {deadline, refunded_at} | null}; times as {iso, jalali, …}.
export async function payment(main, { params, current }) {
  const [id] = params;
  // Look every 2 s for five minutes: the bank may not have answered yet (billing asks it again by
  // itself), or the platform may be restarting right after the customer paid (503 or no answer):
  // then the page says the payment is being confirmed, never an error (issue #20).
  for (let attempt = 0; attempt < 150; attempt += 1) {
    let result;
    try {
      result = await api("GET", `/billing/payments/${encodeURIComponent(id)}`, undefined, { auth: true });
    } catch (error) {
      if (!current()) return;
      if (error.status !== 503 && error.status !== 0) {
        main.replaceChildren(h("h1", {}, t("payment_title")), note(errorMessage(error), "error"));
        return;
      }
      result = { state: "confirming" };
    }
    if (!current()) return;
    if (result.state !== "pending" && result.state !== "confirming") {
      showPayment(main, result);
      return;
    }
    main.replaceChildren(h("h1", {}, t("payment_title")),
                         note(t(result.state === "confirming" ? "payment_confirming" : "payment_pending")));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    if (!current()) return;
  }
}

/** The payment's official invoice in the taxpayer system (issue #19): its tax id and state, the
 *  system's errors when it refused it, and its cancellation after a refund. */
function officialInvoice(invoice) {
  if (!invoice) return null;
  const row = (what, value) => [h("dt", {}, t(what)), h("dd", {}, value)];
  const state = (i) => h("span", { dataset: { state: i.state } }, label("tax_state", i.state));
  const cancellation = invoice.cancellation;
  return h("section", { dataset: { part: "official-invoice" } }, h("h2", {}, t("official_invoice")),
    h("dl", {}, ...row("tax_id", h("bdi", { dir: "ltr" }, invoice.tax_id)), ...row("tax_state", state(invoice)),
      ...(cancellation ? [...row("tax_cancellation", h("bdi", { dir: "ltr" }, cancellation.tax_id)),
                          ...row("tax_state", state(cancellation))] : [])),
    ...list(invoice.errors).map((e) => h("p", { class: "note error" }, h("bdi", { dir: "ltr" }, e.code), " ",
      (lang() === "fa" ? e.fa : e.en) || e.message)));
}

function showPayment(main, result) {
  const parts = [h("h1", {}, t("payment_title"))];
  if (result.state === "succeeded" || (result.official_invoice && result.state !== "failed")) {
    // A paid payment (and one support refunded later: its official invoice says so).
    parts.push(note(t(result.state === "succeeded" ? "payment_succeeded" : "payment_refunded"), "success"),
               officialInvoice(result.official_invoice), h("p", {}, h("a", { href: "#/me" }, t("to_me"))));
  } else {
    parts.push(note(t("payment_failed"), "error"));
    if (result.reason) parts.push(h("p", { dataset: { role: "reason" } }, label("reason", result.reason)));
    const refund = result.refund;
    if (refund?.refunded_at) {
      parts.push(h("p", { dataset: { role: "refund" } }, t("refunded", { date: jalali(refund.refunded_at, true) })));
    } else if (refund?.deadline) {
      // BI-2: money taken by a failed payment comes back within 72 hours; say by when, in Jalali.
      parts.push(h("p", { class: "note warning", dataset: { role: "refund" } },
        t("refund_by", { amount: rials(result.amount_rials), date: jalali(refund.deadline, true) })));
    } else if (!result.money_taken) parts.push(h("p", {}, t("no_money_taken")));
    parts.push(h("p", {}, h("a", { href: `#/orders/${result.order_id}` }, t("try_again"))));
  }
  put(main, parts);
}
