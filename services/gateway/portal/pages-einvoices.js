// Support's rejected e-invoices (issue #19): `#/desk/einvoices` lists every official invoice the
// taxpayer system rejected and nobody put right yet, with the system's errors explained in the
// reader's language, and a form to correct the buyer: billing issues a NEW invoice (its own
// number and tax id) and sends it; the rejected one is kept. The gateway checks the role.

import { api } from "./api.js";
import { digits, jalali, lang, rials, t } from "./i18n.js";
import { ORDER_FIELDS, buyerFields } from "./pages-billing.js";
import { busy, clearErrors, errorMessage, h, note, put, showError } from "./ui.js";

const list = (value) => (Array.isArray(value) ? value : []);

/** The invoice's buyer (header fields tob, bid, tinb, bpc) as the order form's buyer. */
function buyerOf(header) {
  if (header?.tob === 2) {
    return { kind: "legal", legal_id: header.bid, economic_code: header.tinb, postal_code: header.bpc };
  }
  if (header?.tob === 1) return { kind: "person", national_code: header.bid, postal_code: header.bpc };
  return null;
}

export async function deskEInvoices(main, { current }) {
  let found;
  try {
    found = await api("GET", "/billing/official-invoices/rejected", undefined, { auth: true });
  } catch (error) {
    if (current()) put(main, h("h1", {}, t("einvoices_title")), note(errorMessage(error), "error"));
    return;
  }
  if (!current()) return;
  const again = async (said) => {
    await deskEInvoices(main, { current });
    const shown = main.querySelector("[data-role=einvoices-status]");
    shown?.replaceChildren(note(said, "success"));
    shown?.focus();
  };
  const invoices = list(found.invoices);
  put(main,
    h("h1", {}, t("einvoices_title")),
    h("div", { class: "status", tabindex: "-1", dataset: { role: "einvoices-status" } }),
    invoices.length ? invoices.map((i) => rejectedCard(i, again)) : note(t("einvoices_empty")),
    h("p", {}, h("a", { href: "#/desk" }, t("desk_back"))),
  );
}

function rejectedCard(invoice, again) {
  const given = buyerOf(invoice.buyer);
  const buyer = buyerFields(given);
  const send = h("button", { type: "submit" }, t("einvoice_correct"));
  const form = h("form", { novalidate: true, dataset: { form: "correct-buyer" } }, buyer.wrap,
    h("p", { class: "help" }, t("einvoice_correct_help")), h("div", { class: "actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    await busy(send, async () => {
      try {
        const named = buyer.value();
        const answer = await api("POST", `/billing/payments/${encodeURIComponent(invoice.payment_id)}/official-invoice/correction`,
                                 named ? { buyer: named } : {}, { auth: true });
        await again(t("einvoice_corrected", { tax_id: answer.tax_id }));
      } catch (error) {
        showError(form, error, ORDER_FIELDS);
      }
    });
  });
  const row = (what, value) => [h("dt", {}, t(what)), h("dd", {}, value)];
  const shownBuyer = given ? h("bdi", { dir: "ltr" }, digits([invoice.buyer.bid, invoice.buyer.tinb].filter(Boolean)
    .join(" / "))) : t("einvoice_no_buyer");
  return h("section", { class: "card", dataset: { invoice: invoice.tax_id, payment: invoice.payment_id } },
    h("h2", {}, t("tax_id"), " ", h("bdi", { dir: "ltr" }, invoice.tax_id)),
    h("dl", { class: "facts" },
      ...row("einvoice_payment", h("bdi", { dir: "ltr" }, invoice.payment_id)),
      ...row("einvoice_issued", jalali(invoice.issued_at?.iso, true)),
      ...row("einvoice_total", rials(invoice.total_rials)),
      ...row("einvoice_buyer", shownBuyer)),
    h("h3", {}, t("einvoice_errors")),
    h("ul", { class: "plain", dataset: { role: "tax-errors" } }, ...list(invoice.errors).map((e) =>
      h("li", { class: "note error", dataset: { code: e.code } }, h("bdi", { dir: "ltr" }, e.code), " — ",
        (lang() === "fa" ? e.fa : e.en) || e.message))),
    form);
}
