// The educational licence (BI-4, issue #19), the applicant's side: `#/licence` lists the caller's
// applications (GET /billing/educational-applications/mine, newest first) and, unless one waits or was
// approved, the form to apply. A waiting application takes its licence document (PDF, JPEG or
// PNG, at most 5 MB: checked here first from the file's first bytes, as billing does, so a wrong
// file is told before it is sent; billing still decides) with the upload's progress. Approved: the
// business, on the personal page once provisioned; rejected: the reason support wrote.
// Support decides on `#/desk/licences` (pages-support.js).

import { api, upload } from "./api.js";
import { digits, jalali, t } from "./i18n.js";
import { busy, clearErrors, errorMessage, field, fieldError, h, note, put, showError } from "./ui.js";

const MAX_BYTES = 5 * 1024 * 1024;  // shared/http/billing.py MAX_DOCUMENT_BYTES
const list = (value) => (Array.isArray(value) ? value : []);
const enc = encodeURIComponent;
const APPLY_FIELDS = { invalid_business_name: "institution_name", invalid_licence_number: "licence_number",
                       invalid_mobile: "contact_mobile", invalid_text: "institution_name" };
const UPLOAD_FIELDS = { invalid_document: "document", file_too_large: "document",
                        application_already_decided: "document" };

export async function licence(main, { current }) {
  let mine;
  let me;
  try {
    [mine, me] = await Promise.all([api("GET", "/billing/educational-applications/mine", undefined, { auth: true }),
                                    api("GET", "/me", undefined, { auth: true }).catch(() => ({}))]);
  } catch (error) {
    if (current()) put(main, h("h1", {}, t("edu_title")), note(errorMessage(error), "error"));
    return;
  }
  if (!current()) return;
  const again = () => licence(main, { current });
  const applications = list(mine.applications);
  // One at a time: a new application only when none waits and none was granted.
  const open = applications.some((a) => a.state === "submitted" || a.state === "approved");
  put(main,
    h("h1", {}, t("edu_title")),
    h("p", {}, t("edu_intro")),
    ...applications.map((a) => applicationCard(a, again)),
    open ? null : h("section", { class: "card", dataset: { part: "apply" } },
      h("h2", {}, applications.length ? t("edu_apply_again") : t("edu_apply")),
      applyForm(me?.user?.mobile, again)),
    h("p", {}, h("a", { href: "#/me" }, t("edu_back"))),
  );
}

function applyForm(mobile, after) {
  const name = field({ name: "institution_name", label: t("edu_institution"), help: t("edu_institution_help"),
                       maxlength: 200, required: true, autocomplete: "organization" });
  const number = field({ name: "licence_number", label: t("licence_number"), help: t("edu_number_help"),
                         maxlength: 50, required: true, dir: "auto" });
  const contact = field({ name: "contact_mobile", label: t("edu_contact"), type: "tel", maxlength: 40,
                          value: mobile ? localNumber(mobile) : "", dir: "ltr", inputmode: "tel", required: true });
  const send = h("button", { type: "submit" }, t("edu_submit"));
  const form = h("form", { novalidate: true, dataset: { form: "educational" } }, name.wrap, number.wrap,
    contact.wrap, h("div", { class: "actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { institution_name: name.input.value.trim(), licence_number: number.input.value.trim(),
                   contact_mobile: contact.input.value.trim() };
    const missing = Object.keys(body).filter((k) => !body[k]);
    for (const k of missing) fieldError(form, k, t("required"));
    if (missing.length) {
      form.querySelector("[aria-invalid='true']")?.focus();
      return;
    }
    await busy(send, async () => {
      try {
        await api("POST", "/billing/educational-applications", body, { auth: true });
        await after();
      } catch (error) {
        showError(form, error, APPLY_FIELDS);
      }
    });
  });
  return form;
}

function applicationCard(application, again) {
  const state = application.state;
  const doc = application.document;
  const card = h("section", { class: "card", dataset: { application: application.application_id, state } },
    h("h2", {}, h("bdi", {}, application.institution_name), " ",
      h("span", { class: `badge edu-${state}`, dataset: { role: "edu-state" } }, t(`edu_state_${state}`))),
    h("dl", { class: "facts" },
      h("dt", {}, t("licence_number")), h("dd", {}, h("bdi", {}, digits(application.licence_number))),
      h("dt", {}, t("edu_submitted")), h("dd", {}, jalali(application.submitted_at)),
      h("dt", {}, t("licence_document")),
      h("dd", { dataset: { role: "edu-document" } }, doc
        ? t("licence_document_kind", { kind: t(`media_${doc.media_type.replace("/", "_")}`),
                                       size: digits(Math.ceil(doc.size_bytes / 1024)) })
        : t("licence_no_document"))));
  if (state === "submitted") {
    card.append(doc ? note(t("edu_waiting"), "info") : note(t("edu_needs_document"), "warning"),
      uploadForm(application, again));
  } else if (state === "approved") {
    card.append(note(t("edu_approved", { date: jalali(application.licence_until) }), "success"),
      businessPart(application.tenant_id));
  } else if (state === "rejected") {
    card.append(h("div", { class: "note error", dataset: { role: "edu-reason" } },
      h("p", {}, t("edu_rejected")), h("p", {}, h("bdi", {}, application.reason || "—"))));
  }
  return card;
}

/** The licence document: checked here first (kind from its first bytes, size), then sent with progress. */
function uploadForm(application, after) {
  const file = field({ name: "document", label: application.document ? t("edu_replace") : t("edu_upload"),
                       type: "file", help: t("edu_upload_help"),
                       accept: ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png" });
  const progress = h("progress", { max: 100, value: 0, hidden: true, dataset: { role: "edu-progress" },
                                   "aria-label": t("edu_progress") });
  const send = h("button", { type: "submit" }, t("edu_send_document"));
  const form = h("form", { novalidate: true, dataset: { form: "document" } }, file.wrap, progress,
    h("div", { class: "actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const chosen = file.input.files[0];
    const problem = chosen ? await refusedHere(chosen) : "edu_choose_file";
    if (problem) {
      fieldError(form, "document", t(problem));
      file.input.focus();
      return;
    }
    progress.hidden = false;
    await busy(send, async () => {
      try {
        await upload(`/billing/educational-applications/${enc(application.application_id)}/document`, chosen,
          (done) => { progress.value = Math.round(done * 100); });
        await after();
      } catch (error) {
        progress.hidden = true;
        showError(form, error, UPLOAD_FIELDS);
      }
    });
  });
  return form;
}

/** What billing would refuse, told before sending: the kind read from the first bytes (as billing
 *  reads it; a name or a type can lie) and the size. Billing still inspects what arrives. */
async function refusedHere(file) {
  if (file.size > MAX_BYTES) return "edu_too_large";
  const head = new Uint8Array(await file.slice(0, 5).arrayBuffer());
  const starts = (...bytes) => bytes.every((b, i) => head[i] === b);
  const known = starts(0x25, 0x50, 0x44, 0x46, 0x2d) || starts(0x89, 0x50, 0x4e, 0x47) || starts(0xff, 0xd8, 0xff);
  return known ? null : "edu_wrong_kind";
}

/** The granted business: on the personal page once provisioning has prepared it. */
function businessPart(tenantId) {
  const slot = h("div", { class: "part", dataset: { role: "edu-business", tenant: tenantId } },
    h("p", { class: "help" }, t("edu_business_preparing")));
  api("GET", `/provisioning/tenants/${enc(tenantId)}`, undefined, { auth: true }).then(() => {
    put(slot, h("p", {}, t("edu_business_ready"), " ",
      h("a", { href: "#/me", dataset: { role: "edu-business-link" } }, t("edu_business_link"))));
  }).catch(() => {
    put(slot, h("p", { class: "help" }, t("edu_business_preparing"), " ",
      h("a", { href: "#/me" }, t("edu_business_link"))));
  });
  return slot;
}

const localNumber = (e164) => String(e164).replace(/^\+98/, "0");
