// The support desk (issue #19, PR-4's ticket channel). A customer: `#/support` (their tickets and
// the form to open one) and `#/support/{id}` (the thread, a reply, closing it). Support:
// `#/desk` (the queue, oldest first, by category) and `#/desk/{id}` (the case: the ticket, the
// customer's businesses, their timeline, the state of the SMS sent — never their text — and
// the answer form). The gateway decides who may see what; the role read from the token here
// only chooses which links to show.

import { api, download, tokens } from "./api.js";
import { offerForm, offerList } from "./pages-offers.js";
import { digits, jalali, joined, t } from "./i18n.js";
import { busy, clearErrors, errorMessage, field, h, note, put, showError } from "./ui.js";

export const CATEGORIES = ["code_not_received", "educational_licence", "more_organizations", "restore_backup",
                           "data_conversion", "other"];
const list = (value) => (Array.isArray(value) ? value : []);
const word = (prefix, code) => {
  const text = t(`${prefix}_${code}`);
  return text === `${prefix}_${code}` ? String(code) : text;
};
const enc = encodeURIComponent;
const localNumber = (e164) => (String(e164).startsWith("+98") ? `0${String(e164).slice(3)}` : String(e164));

/** The access token's claims, read for what to show only (the gateway checks every call). */
function claims() {
  try {
    const payload = tokens()?.access_token?.split(".")[1] || "";
    return JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return {};
  }
}

/** Whether the access token carries the support role (links only; the gateway checks every call). */
export function isSupport() {
  const roles = claims().roles;
  return Array.isArray(roles) && roles.includes("support");
}

const tokenSubject = () => claims().sub;

let areaCounter = 0;

/** A labelled text area with the same error slot as ui.js's fields (lines are kept). */
function area(name, label, help) {
  const id = `f-${name}-a${++areaCounter}`;
  const input = h("textarea", { id, name, rows: 5, maxlength: 4000, "aria-describedby": `${id}-help ${id}-error` });
  return h("div", { class: "field", dataset: { field: name } }, h("label", { for: id }, label), input,
    h("p", { class: "help", id: `${id}-help` }, help),
    h("p", { class: "field-error", id: `${id}-error`, role: "alert", hidden: true }));
}

const TEXT_ERRORS = { invalid_text: "text", invalid_category: "category" };

/** The ticket's messages, each with who wrote it and when (Jalali, Tehran time). */
function thread(ticket, forSupport) {
  return h("ol", { class: "thread", dataset: { role: "thread" } }, ...list(ticket.messages).map((m) =>
    h("li", { class: `message ${m.by}`, dataset: { by: m.by } },
      h("p", { class: "meta" }, m.by === "support" ? t("support_by_support") : t(forSupport ? "support_by_customer"
        : "support_by_you"), " — ", jalali(m.at, true)),
      h("p", { class: "text" }, h("bdi", {}, m.text)),
      // support's priced offer (TE-2): the order page, where the customer sees the invoice and pays —
      // or, under a withdrawal's note, sees it withdrawn
      /^#\/orders\/[\w-]+$/.test(m.link || "")
        ? h("p", {}, h("a", { href: m.link, dataset: { role: "offer-link" } },
          t(m.about === "offer_withdrawn" ? "offer_withdrawn_link" : "offer_open_link"))) : null)));
}

function stateBadge(state) {
  return h("span", { class: `badge ticket-${state}`, dataset: { role: "ticket-state" } }, word("ticket_state", state));
}

/** Post a text form; `after(answer)` renders what changed. */
function textForm({ path, name, button, label, help, after, extraFields = [], dataForm }) {
  const send = h("button", { type: "submit" }, button);
  const form = h("form", { novalidate: true, dataset: { form: dataForm } }, ...extraFields,
    area(name, label, help), h("div", { class: "actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = Object.fromEntries(new FormData(form).entries());
    await busy(send, async () => {
      try {
        await after(await api("POST", path, body, { auth: true }));
      } catch (error) {
        showError(form, error, TEXT_ERRORS);
      }
    });
  });
  return form;
}

// -- the customer -------------------------------------------------------------------------------
export async function supportHome(main, { go, current }) {
  let mine;
  try {
    mine = await api("GET", "/support/tickets", undefined, { auth: true });
  } catch (error) {
    if (current()) put(main, h("h1", {}, t("support_title")), note(errorMessage(error), "error"));
    return;
  }
  if (!current()) return;
  const tickets = list(mine.tickets);
  const category = field({ name: "category", label: t("support_category"), tag: "select",
                           options: CATEGORIES.map((c) => [c, word("support_category", c)]) });
  const subject = field({ name: "subject", label: t("support_subject"), maxlength: 120 });
  put(main,
    h("h1", {}, t("support_title")),
    h("p", {}, t("support_intro")),
    tickets.length
      ? h("ul", { class: "plain tickets", dataset: { role: "tickets" } }, ...tickets.map((ticket) =>
        h("li", { dataset: { ticket: ticket.ticket_id } },
          h("a", { href: `#/support/${enc(ticket.ticket_id)}` }, h("bdi", {}, ticket.subject)), " ",
          stateBadge(ticket.state), " ", h("span", { class: "help" }, jalali(ticket.last_message_at, true)))))
      : note(t("support_none")),
    h("h2", {}, t("support_new")),
    textForm({ path: "/support/tickets", name: "text", button: t("support_send"), label: t("support_text"),
               help: t("support_text_help"), extraFields: [category.wrap, subject.wrap], dataForm: "ticket",
               after: (ticket) => go(`#/support/${enc(ticket.ticket_id)}`) }),
  );
}

export async function supportTicket(main, { params, go, current }) {
  const [id] = params;
  let ticket;
  try {
    ticket = await api("GET", `/support/tickets/${enc(id)}`, undefined, { auth: true });
  } catch (error) {
    if (current()) put(main, h("h1", {}, t("support_title")), note(errorMessage(error), "error"));
    return;
  }
  if (!current()) return;
  const open = ticket.state !== "closed";
  put(main,
    h("h1", {}, h("bdi", {}, ticket.subject), " ", stateBadge(ticket.state)),
    h("p", { class: "help" }, word("support_category", ticket.category), " — ", jalali(ticket.opened_at, true)),
    ticket.state === "answered" ? note(t("support_answered_note"), "success") : null,
    thread(ticket, false),
    open ? textForm({ path: `/support/tickets/${enc(id)}/replies`, name: "text", button: t("support_reply"),
                      label: t("support_reply_label"), help: t("support_text_help"), dataForm: "reply",
                      after: () => supportTicket(main, { params, go, current }) }) : null,
    open ? closeButton(id, () => supportTicket(main, { params, go, current })) : null,
    h("p", {}, h("a", { href: "#/support" }, t("support_back"))),
  );
}

function closeButton(id, after) {
  const button = h("button", { type: "button", class: "secondary", dataset: { role: "close-ticket" } },
    t("support_close"));
  const slot = h("p", { class: "field-error", role: "alert", hidden: true });
  button.addEventListener("click", () => busy(button, async () => {
    try {
      await api("POST", `/support/tickets/${enc(id)}/close`, undefined, { auth: true });
      await after();
    } catch (error) {
      slot.textContent = errorMessage(error);
      slot.hidden = false;
    }
  }));
  return h("div", { class: "actions" }, button, slot);
}

// -- support ------------------------------------------------------------------------------------
export async function desk(main, { query, go, current }) {
  const chosen = CATEGORIES.includes(query.get("category")) ? query.get("category") : "";
  let queue;
  try {
    queue = await api("GET", `/support/queue${chosen ? `?category=${chosen}` : ""}`, undefined, { auth: true });
  } catch (error) {
    if (current()) put(main, h("h1", {}, t("desk_title")), note(errorMessage(error), "error"));
    return;
  }
  if (!current()) return;
  const filter = field({ name: "category", label: t("desk_filter"), tag: "select", value: chosen,
                         options: [["", t("desk_all")], ...CATEGORIES.map((c) => [c, word("support_category", c)])] });
  filter.input.addEventListener("change", () => go(filter.input.value ? `#/desk?category=${filter.input.value}`
    : "#/desk"));
  const tickets = list(queue.tickets);
  put(main,
    h("h1", {}, t("desk_title")),
    h("p", {}, h("a", { href: "#/desk/licences", dataset: { role: "licences-link" } }, t("licences_title")), " · ",
      h("a", { href: "#/desk/einvoices", dataset: { role: "einvoices-link" } }, t("einvoices_title"))),
    filter.wrap,
    tickets.length ? h("table", { dataset: { role: "queue" } },
      h("thead", {}, h("tr", {}, h("th", {}, t("support_subject")), h("th", {}, t("support_category")),
        h("th", {}, t("desk_waiting_since")))),
      h("tbody", {}, ...tickets.map((ticket) => h("tr", { dataset: { ticket: ticket.ticket_id } },
        h("td", {}, h("a", { href: `#/desk/${enc(ticket.ticket_id)}` }, h("bdi", {}, ticket.subject))),
        h("td", {}, word("support_category", ticket.category)),
        h("td", {}, jalali(ticket.waiting_since, true))))))
      : note(t("desk_empty")),
  );
}

export async function deskCase(main, { params, go, current }) {
  const [id] = params;
  let found;
  try {
    found = await api("GET", `/support/cases/${enc(id)}`, undefined, { auth: true });
  } catch (error) {
    if (current()) put(main, h("h1", {}, t("desk_title")), note(errorMessage(error), "error"));
    return;
  }
  if (!current()) return;
  const again = () => deskCase(main, { params, go, current });
  const customer = found.customer || {};
  const open = found.state !== "closed";
  put(main,
    h("h1", {}, h("bdi", {}, found.subject), " ", stateBadge(found.state)),
    h("p", { class: "help" }, word("support_category", found.category), " — ", jalali(found.opened_at, true)),
    list(found.unavailable).length
      ? note(t("desk_unavailable", { parts: joined(list(found.unavailable)) }), "warning") : null,
    h("section", { class: "card", dataset: { part: "customer" } },
      h("h2", {}, t("desk_customer")),
      h("p", {}, h("bdi", { dir: "ltr" }, customer.mobile ? digits(localNumber(customer.mobile)) : "—")),
      h("ul", { class: "plain" }, ...list(found.businesses).map((b) => h("li", { dataset: { tenant: b.tenant_id } },
        h("bdi", {}, b.business_name), ` — ${word("state", b.subscription_state)}`)))),
    thread(found, true),
    open ? textForm({ path: `/support/tickets/${enc(id)}/answer`, name: "text", button: t("desk_answer"),
                      label: t("desk_answer_label"), help: t("desk_answer_help"), dataForm: "answer",
                      after: again }) : null,
    open ? closeButton(id, again) : null,
    open && list(found.businesses).length ? offerForm(id, list(found.businesses), again) : null,
    offerList(found.offers, again),
    h("section", { class: "card", dataset: { part: "sms" } },
      h("h2", {}, t("desk_sms")),
      open ? codeButtons(id, again) : null,
      found.sms === null ? note(t("desk_sms_unavailable"), "warning")
        : h("ul", { class: "plain" }, ...list(found.sms).map((m) => h("li", { dataset: { template: m.template } },
          word("sms", m.template.replace(/\./g, "_")), " — ", word("sms_status", m.status),
          " — ", jalali(m.queued_at, true), m.failure ? ` (${m.failure})` : ""))),
      codesResent(found.codes_resent)),
    h("section", { class: "card", dataset: { part: "timeline" } },
      h("h2", {}, t("desk_timeline")),
      list(found.timeline).length ? h("ol", { class: "plain" }, ...list(found.timeline).map((e) =>
        h("li", {}, jalali(e.occurred_at, true), " — ", h("bdi", { dir: "ltr" }, `${e.producer}: ${e.type}`))))
        : note(t("desk_timeline_empty"))),
    h("p", {}, h("a", { href: "#/desk" }, t("desk_back"))),
  );
}

/** ID-2 from the desk: a new code of the kind chosen; the number's throttles answer for themselves.
 *  Either way the case is drawn again, with the attempt in its list of codes sent. */
function codeButtons(id, again) {
  const slot = h("div", { class: "status", role: "status", dataset: { role: "code-status" } });
  const button = (purpose) => {
    const b = h("button", { type: "button", class: "secondary", dataset: { purpose } }, t(`desk_resend_${purpose}`));
    b.addEventListener("click", () => busy(b, async () => {
      try {
        await api("POST", `/support/tickets/${enc(id)}/codes`, { purpose }, { auth: true });
        await again();
        codeStatus(t("desk_code_sent"), "success");
      } catch (error) {
        await again();  // a refusal is recorded on the ticket too
        codeStatus(errorMessage(error), "error");
      }
    }));
    return b;
  };
  return h("div", {}, h("div", { class: "actions" }, button("password_reset"), button("signup")), slot);
}

/** The codes support sent (or tried to) from this ticket: who, when, which, what came of it (ID-2). */
function codesResent(codes) {
  if (!list(codes).length) return null;
  const me = tokenSubject();
  return h("div", { dataset: { role: "codes-resent" } }, h("h3", {}, t("desk_codes_resent")),
    h("ul", { class: "plain" }, ...list(codes).map((c) => h("li", { dataset: { outcome: c.outcome } },
      jalali(c.at, true), " — ", t(`sms_verification_code_${c.purpose}`), " — ",
      word("desk_code_outcome", c.outcome),
      " — ", c.agent_id === me ? t("desk_code_by_you") : h("bdi", { dir: "ltr" }, c.agent_id.slice(0, 8))))));
}

/** A note in the (re-rendered) case's code status line. */
function codeStatus(text, kind) {
  document.querySelector("[data-role=code-status]")?.replaceChildren(note(text, kind));
}

// -- educational licences (BI-4): support's pending list ------------------------------------------
export async function deskLicences(main, { current }) {
  let pending;
  try {
    pending = await api("GET", "/billing/educational-applications", undefined, { auth: true });
  } catch (error) {
    if (current()) put(main, h("h1", {}, t("licences_title")), note(errorMessage(error), "error"));
    return;
  }
  if (!current()) return;
  const status = h("div", { class: "status", tabindex: "-1", dataset: { role: "licences-status" } });
  const again = async (said) => {
    await deskLicences(main, { current });
    const shown = main.querySelector("[data-role=licences-status]");
    shown?.replaceChildren(note(said, "success"));
    shown?.focus();
  };
  const applications = list(pending.applications);
  put(main,
    h("h1", {}, t("licences_title")),
    status,
    applications.length ? applications.map((a) => licenceCard(a, again)) : note(t("licences_empty")),
    h("p", {}, h("a", { href: "#/desk" }, t("desk_back"))),
  );
}

function licenceCard(application, again) {
  const id = application.application_id;
  const path = `/billing/educational-applications/${enc(id)}`;
  const approve = h("button", { type: "button", dataset: { role: "approve" } }, t("licence_approve"));
  const approveError = h("p", { class: "field-error", role: "alert", hidden: true });
  approve.addEventListener("click", () => busy(approve, async () => {
    try {
      await api("POST", `${path}/approve`, undefined, { auth: true });
      await again(t("licence_approved", { name: application.institution_name }));
    } catch (error) {
      approveError.textContent = errorMessage(error);
      approveError.hidden = false;
    }
  }));
  const reason = field({ name: "reason", label: t("licence_reason"), help: t("licence_reason_help"), maxlength: 300 });
  const reject = h("button", { type: "submit", class: "danger" }, t("licence_reject"));
  const rejection = h("form", { novalidate: true, dataset: { form: "reject" } }, reason.wrap,
    h("div", { class: "actions" }, reject));
  rejection.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(rejection);
    await busy(reject, async () => {
      try {
        await api("POST", `${path}/reject`, { reason: reason.input.value }, { auth: true });
        await again(t("licence_rejected", { name: application.institution_name }));
      } catch (error) {
        showError(rejection, error, { reason_required: "reason", invalid_text: "reason" });
      }
    });
  });
  const doc = application.document;
  const extension = { "application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg" }[doc?.media_type] || "bin";
  const fetchDocument = h("button", { type: "button", class: "secondary", dataset: { role: "document" } },
    t("licence_document"));
  const documentError = h("p", { class: "field-error", role: "alert", hidden: true });
  fetchDocument.addEventListener("click", () => busy(fetchDocument, async () => {
    try {
      await download(`${path}/document`, `licence-${id}.${extension}`);
    } catch (error) {
      documentError.textContent = errorMessage(error);
      documentError.hidden = false;
    }
  }));
  return h("section", { class: "card", dataset: { application: id } },
    h("h2", {}, h("bdi", {}, application.institution_name)),
    h("dl", { class: "facts" },
      h("dt", {}, t("licence_number")), h("dd", {}, h("bdi", {}, digits(application.licence_number))),
      h("dt", {}, t("licence_document")),
      h("dd", {}, doc ? t("licence_document_kind", { kind: word("media", doc.media_type.replace("/", "_")),
                                                       size: digits(Math.ceil(doc.size_bytes / 1024)) })
        : t("licence_no_document"))),
    doc ? h("div", { class: "actions" }, fetchDocument, documentError) : null,
    h("div", { class: "actions" }, approve, approveError),
    rejection);
}
