// The personal page (ID-5, TE-3, AR-2, AR-4): every business the user is in, with their role,
// the subscription's state and dates; then, from the services that own them, the modules and
// chart of accounts (provisioning), organizations and members with the admin's forms: add,
// permissions, removal (tenancy), and the deletion date and exports (archival). A part whose
// service does not answer says so and the rest of the page still works. Unknown extra fields
// are ignored.

import { api, download } from "./api.js";
import { digits, jalali, joined, latinDigits, number, t } from "./i18n.js";
import { loadPermissionWords, permissionWord, permissionWords } from "./permissions.js";
import { busy, clearErrors, errorMessage, field, fieldError, h, note, put, showError } from "./ui.js";

const list = (value) => (Array.isArray(value) ? value : []);
const label = (prefix, code) => {
  const text = t(`${prefix}_${code}`);
  return text === `${prefix}_${code}` ? String(code) : text;
};
const isolate = (text) => `\u2068${text}\u2069`;

function facts(...rows) {
  return h("dl", { class: "facts" }, ...rows.filter(Boolean).flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

export async function personal(main, { current }) {
  let me;
  const words = loadPermissionWords();  // permissions are shown in words from tenancy's table
  try {
    me = await api("GET", "/me", undefined, { auth: true });
    await words;
  } catch (error) {
    if (!current()) return;
    main.replaceChildren(h("h1", {}, t("me_title")), note(errorMessage(error), "error"));
    return;
  }
  if (!current()) return;
  const user = me.user || {};
  const businesses = list(me.businesses);
  put(main,
    h("h1", {}, t("me_title")),
    h("p", { dataset: { role: "user" } }, t("me_user", { mobile: isolate(digits(user.mobile || "")) })),
    ...(businesses.length ? businesses.map(businessCard) : [note(t("me_none"))]),
    h("p", {}, h("a", { href: "#/order" }, t("me_buy"))),
    h("p", {}, h("a", { href: "#/licence", dataset: { role: "educational-link" } }, t("me_educational"))),
    h("p", {}, h("a", { href: "#/support", dataset: { role: "support-link" } }, t("me_support"))),
  );
}

function businessCard(business) {
  const id = business.tenant_id;
  const admin = business.role === "admin";
  const state = business.subscription_state || "activating";
  const card = h("section", { class: "card business", "aria-labelledby": `b-${id}`, dataset: { tenant: id } },
    h("h2", { id: `b-${id}` }, h("bdi", {}, business.business_name || ""), " ",
      h("span", { class: `badge ${state}`, dataset: { role: "state" } }, label("state", state))),
    facts(
      [t("role"), label("role", business.role)],
      business.business_type && [t("business_type"), label("type", business.business_type)],
      list(business.products).length && [t("products"), joined(list(business.products).map((p) => label("product", p)))],
      list(business.permissions).length &&
        [t("permissions"), permissionWords(list(business.permissions))],
      business.subscription_ends_at && [t("subscription"), t("ends_at", { date: jalali(business.subscription_ends_at) })],
      business.lapsed_at && [t("state_lapsed"), t("lapsed_at", { date: jalali(business.lapsed_at) })],
    ),
    business.deletion_due_at
      ? note(t("deletion_due", { date: jalali(business.deletion_due_at) }), "warning") : null,
  );
  // Provisioning shows a business to its admin (and support) only.
  const provisioning = admin ? h("div", { class: "part", dataset: { part: "provisioning" } }) : null;
  const tenancy = h("div", { class: "part", dataset: { part: "tenancy" } });
  const archival = h("div", { class: "part", dataset: { part: "archival" } });
  card.append(...[provisioning, tenancy, archival].filter(Boolean));
  if (provisioning) loadProvisioning(provisioning, id);
  loadTenancy(tenancy, id, admin);
  loadArchival(archival, id, business);
  return card;
}

async function fetchPart(slot, path) {
  try {
    return await api("GET", path, undefined, { auth: true });
  } catch (error) {
    const part = t(`part_${slot.dataset.part}`);
    // 404: not there yet (a business just paid for); 503: the service is away.
    slot.replaceChildren(h("p", { class: "help" }, [0, 404, 503].includes(error.status)
      ? t("details_unavailable", { part }) : errorMessage(error)));
    return null;
  }
}

// GET /provisioning/tenants/{id} → {state, modules: [{module, active_until}], chart: {type, version, accounts},
// support: {until}, backups: {last: {taken_at}}, branches: [{organization_id, name, kind, detail_code}]}; times
// as {utc, jalali}. Links to the books' pages (pages-books.js) for what the business bought.
async function loadProvisioning(slot, id) {
  const tenant = await fetchPart(slot, `/provisioning/tenants/${encodeURIComponent(id)}`);
  if (!tenant) return;
  const modules = list(tenant.modules).map((m) => label("module", m.module));
  const { chart, support } = tenant;
  const last = tenant.backups?.last;
  const active = list(tenant.modules).map((m) => m.module);
  const books = `#/books/${encodeURIComponent(id)}`;
  const links = [
    active.includes("payroll") && [`${books}/payslip`, t("go_payslip")],
    chart && [`${books}/opening-balances`, t("go_opening_balances")],
    active.includes("fixed_assets") && [`${books}/depreciation`, t("go_depreciation")],
  ].filter(Boolean);
  const branches = list(tenant.branches);
  put(slot,
    tenant.state === "provisioning" ? note(t("provisioning_pending")) : null,
    facts(
      modules.length && [t("modules"), joined(modules)],
      chart && [t("chart"), t("chart_of", { type: label("type", chart.type), accounts: number(chart.accounts),
                                            version: digits(chart.version) })],
      support?.until && [t("support"), t("support_until", { date: jalali(support.until) })],
      last && [t("backup"), jalali(last.taken_at, true)],
    ),
    // TE-1: each organization is a detail (تفصیلی) of the «شعب» group, named by inter-branch postings.
    branches.length ? [h("h3", {}, t("branches")), h("ul", { class: "plain", dataset: { role: "branches" } },
      ...branches.map((b) => h("li", { dataset: { detail: b.detail_code || "" } }, h("bdi", {}, b.name),
        b.kind === "head_office" ? "" : ` (${label("kind", b.kind)})`, " — ",
        b.detail_code ? t("branch_detail", { code: digits(b.detail_code) }) : t("branch_detail_pending"))))] : null,
    links.length && tenant.state !== "purged" ? [h("h3", {}, t("books")), h("ul", { class: "plain", dataset: { role: "books" } },
      ...links.map(([href, text]) => h("li", {}, h("a", { href }, text))))] : null);
}

// GET /tenancy/businesses/{id} → {organizations: [{name, kind}], members: [{user_id, role, permissions,
// mobile (admin only)}], permissions_open (what the admin may grant), limits: {max_organizations, max_members,
// max_concurrent_users}}. `done`: what the last change did, said once the section is fetched again.
async function loadTenancy(slot, id, admin, done = null) {
  const business = await fetchPart(slot, `/tenancy/businesses/${encodeURIComponent(id)}`);
  if (!business) return;
  const organizations = list(business.organizations);
  const members = list(business.members);
  const limits = business.limits || {};
  // Every permission open to the business; the admin holds them all, should tenancy not say.
  const open = list(business.permissions_open ?? members.find((m) => m.role === "admin")?.permissions);
  const reload = (message) => loadTenancy(slot, id, admin, message);
  const status = h("div", { class: "status", tabindex: "-1", dataset: { role: "members-status" } });
  put(slot,
    h("h3", {}, t("organizations")),
    h("p", { class: "help", dataset: { role: "organizations-count" } },
      t("organizations_count", { count: number(organizations.length), max: number(limits.max_organizations) })),
    h("ul", { class: "plain", dataset: { role: "organizations" } }, ...organizations.map((o) =>
      h("li", {}, h("bdi", {}, o.name), ` (${label("kind", o.kind)})`))),
    admin ? organizationForm(id, reload) : null,
    h("h3", {}, t("members")),
    h("p", { class: "help" }, t("seats_count", { count: number(members.length), max: number(limits.max_members) })),
    h("p", { class: "help" }, t("concurrent_users", { max: number(limits.max_concurrent_users) })),
    status,
    h("ul", { class: "plain members", dataset: { role: "members" } },
      ...members.map((m) => memberItem(m, id, admin, open, reload))),
    admin ? invitations(list(business.invitations), id, reload) : null,
    admin ? invitationForm(id, open, reload) : null,
  );
  if (done) {
    status.replaceChildren(note(done, "success"));
    status.focus();  // the control that was used is gone with the old section
  }
}

/** A member: number, role and rights in words; for the admin, an editor for everyone but themselves. */
function memberItem(member, id, admin, open, reload) {
  const rights = list(member.permissions);
  const who = member.mobile ? isolate(digits(member.mobile)) : label("role", member.role);
  const item = h("li", { dataset: { member: member.user_id || "" } },
    h("span", { dataset: { role: "member-summary" } },
      member.mobile ? [h("bdi", { dir: "ltr" }, digits(member.mobile)), " — "] : null,
      label("role", member.role),
      member.role === "admin" ? null
        : `: ${permissionWords(rights)}`));
  if (admin && member.role !== "admin" && member.user_id) item.append(memberEditor(member, who, id, open, reload));
  return item;
}

let groupCounter = 0;

/** The permissions open to the business as checkboxes, grouped by module, with one error slot. */
function permissionChoices(legend, open, checked = []) {
  const errorId = `permissions-${++groupCounter}-error`;
  const moduleOf = (code) => code.split(".")[0];
  const modules = [...new Set(open.map(moduleOf))];
  return h("fieldset", { class: "field choices permissions", dataset: { field: "permissions" },
                         "aria-describedby": errorId },
    h("legend", {}, legend),
    ...modules.map((module) => h("fieldset", { class: "group", dataset: { module } },
      h("legend", {}, label("module", module)),
      ...open.filter((code) => moduleOf(code) === module).map((code) => h("label", { class: "choice" },
        h("input", { type: "checkbox", name: "permissions", value: code, checked: checked.includes(code) }), " ",
        permissionWord(code))))),
    h("p", { class: "field-error", id: errorId, role: "alert", hidden: true }));
}

const ticked = (form) => [...form.querySelectorAll("input[name=permissions]:checked")].map((box) => box.value);
const PERMISSION_ERRORS = { unknown_permission: "permissions", permission_not_purchased: "permissions" };

function memberEditor(member, who, id, open, reload) {
  const path = `/tenancy/businesses/${encodeURIComponent(id)}/members/${encodeURIComponent(member.user_id)}`;
  const save = h("button", { type: "submit" }, t("save_permissions"));
  const form = h("form", { novalidate: true, dataset: { form: "permissions" } },
    permissionChoices(t("permissions_of", { who }), open, list(member.permissions)), save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    await busy(save, async () => {
      try {
        await api("PUT", path, { permissions: ticked(form) }, { auth: true });
        await reload(t("permissions_saved", { who }));
      } catch (error) {
        showError(form, error, PERMISSION_ERRORS);
      }
    });
  });
  return h("details", { class: "member-editor" }, h("summary", {}, t("manage_member", { who })),
    form, removal(path, who, reload));
}

/** "Remove member", then a question with "yes" and "cancel" (Escape cancels too): two steps, no dialog. */
function removal(path, who, reload) {
  const questionId = `remove-${++groupCounter}`;
  const errorId = `${questionId}-error`;
  const ask = h("button", { type: "button", class: "secondary", dataset: { role: "remove" } }, t("remove_member"));
  const yes = h("button", { type: "button", class: "danger", dataset: { role: "remove-yes" },
                            "aria-describedby": `${questionId} ${errorId}` }, t("remove_yes"));
  const no = h("button", { type: "button", class: "secondary", dataset: { role: "remove-no" } }, t("cancel"));
  const confirm = h("div", { class: "confirm", role: "group", "aria-labelledby": questionId, hidden: true },
    h("p", { id: questionId }, t("remove_confirm", { who })), h("div", { class: "actions" }, yes, no));
  // showError looks for the field inside what it is given
  const box = h("div", { class: "removal" }, h("div", { class: "field", dataset: { field: "remove" } }, ask, confirm,
    h("p", { class: "field-error", id: errorId, role: "alert", hidden: true })));
  const step = (asking) => {
    confirm.hidden = !asking;
    ask.hidden = asking;
    (asking ? yes : ask).focus();
  };
  ask.addEventListener("click", () => { clearErrors(box); step(true); });
  no.addEventListener("click", () => step(false));
  confirm.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      step(false);
    }
  });
  yes.addEventListener("click", () => busy(yes, async () => {
    clearErrors(box);
    try {
      await api("DELETE", path, undefined, { auth: true });
      await reload(t("member_removed", { who }));
    } catch (error) {
      showError(box, error, { [error.code]: "remove" });  // whatever it is, it concerns this removal
    }
  }));
  return box;
}

function organizationForm(id, reload) {
  const name = field({ name: "name", label: t("organization_name"), required: true, maxlength: 200 });
  const kind = field({ name: "kind", label: t("organization_kind"), tag: "select", value: "branch",
                       options: ["office", "branch", "warehouse"].map((k) => [k, label("kind", k)]) });
  const submit = h("button", { type: "submit" }, t("add_organization"));
  const form = h("form", { novalidate: true, dataset: { form: "organization" } }, name.wrap, kind.wrap, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!name.input.value.trim()) {
      fieldError(form, "name", t("required"));
      return;
    }
    await busy(submit, async () => {
      try {
        await api("POST", `/tenancy/businesses/${encodeURIComponent(id)}/organizations`,
                  { name: name.input.value.trim(), kind: kind.input.value }, { auth: true });
        await reload();
      } catch (error) {
        showError(form, error, { organization_limit_reached: "name", organization_name_taken: "name",
                                 invalid_organization_name: "name", invalid_organization_kind: "kind" });
      }
    });
  });
  return form;
}

/** Pending invitations (issue #19): the number, the rights offered, until when; each revocable. */
function invitations(pending, id, reload) {
  if (!pending.length) return null;
  return [h("h4", {}, t("invitations_pending")),
    h("ul", { class: "plain invitations", dataset: { role: "invitations" } }, ...pending.map((invitation) => {
      const who = isolate(digits(invitation.mobile || ""));
      const path = `/tenancy/businesses/${encodeURIComponent(id)}/invitations/${encodeURIComponent(invitation.invitation_id)}`;
      const revoke = h("button", { type: "button", class: "secondary", dataset: { role: "revoke" } },
        t("revoke_invitation"));
      const box = h("div", { class: "field", dataset: { field: "revoke" } }, revoke,
        h("p", { class: "field-error", role: "alert", hidden: true }));
      revoke.addEventListener("click", () => busy(revoke, async () => {
        clearErrors(box);
        try {
          await api("DELETE", path, undefined, { auth: true });
          await reload(t("invitation_revoked", { who }));
        } catch (error) {
          showError(box, error, { [error.code]: "revoke" });
        }
      }));
      return h("li", { dataset: { invitation: invitation.invitation_id } },
        h("span", { dataset: { role: "invitation-summary" } },
          h("bdi", { dir: "ltr" }, digits(invitation.mobile || "")), " — ", permissionWords(list(invitation.permissions)),
          " — ", invitation.expired ? t("invitation_expired_on", { date: jalali(invitation.expires_at) })
            : t("invitation_until", { date: jalali(invitation.expires_at, true) })),
        " ", box);
    }))];
}

/** Invite a colleague by mobile with the rights ticked: an SMS with a link; a seat only once accepted. */
function invitationForm(id, open, reload) {
  const mobile = field({ name: "mobile", label: t("member_mobile"), type: "tel", help: t("invite_help"),
                         inputmode: "tel", required: true, maxlength: 40, dir: "ltr" });
  const submit = h("button", { type: "submit" }, t("invite_member"));
  const form = h("form", { novalidate: true, dataset: { form: "invitation" } }, mobile.wrap,
    open.length ? permissionChoices(t("new_member_permissions"), open) : null, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const typed = latinDigits(mobile.input.value.trim());
    if (!typed) {
      fieldError(form, "mobile", t("required"));
      return;
    }
    await busy(submit, async () => {
      try {
        await api("POST", `/tenancy/businesses/${encodeURIComponent(id)}/invitations`,
                  { mobile: typed, permissions: ticked(form) }, { auth: true });
        await reload(t("invitation_sent", { who: isolate(digits(typed)) }));
      } catch (error) {
        showError(form, error, { invalid_mobile: "mobile", already_a_member: "mobile", too_many_invitations: "mobile",
                                 ...PERMISSION_ERRORS });
      }
    });
  });
  return form;
}

// GET /archival/tenants/{id} → {deletion_due_at, reports_downloadable, exports: [{export_id, format,
// status: queued | building | ready | failed | expired | deleted, available_until}]} (the latest, newest first).
async function loadArchival(slot, id, business, polls = 0) {
  clearTimeout(slot.poll);
  const tenant = await fetchPart(slot, `/archival/tenants/${encodeURIComponent(id)}`);
  // AR-2: reports stay open until the deletion; archival knows best, /me is the fallback.
  const open = tenant ? tenant.reports_downloadable : business.reports_available !== false;
  const exports = list(tenant?.exports);
  const parts = [h("h3", {}, t("exports"))];
  if (tenant?.deletion_due_at && !business.deletion_due_at) {
    parts.push(note(t("deletion_due", { date: jalali(tenant.deletion_due_at) }), "warning"));
  }
  if (tenant) {
    parts.push(exports.length ? h("ul", { class: "plain exports" }, ...exports.map(exportItem)) : h("p", {}, t("no_exports")));
  }
  parts.push(open ? exportForm(id, () => loadArchival(slot, id, business)) : h("p", {}, t("reports_closed")));
  put(slot, parts);
  // An export being built shows up ready without a reload (looked at every 3 s, for two minutes at most).
  if (exports.some((e) => ["queued", "building"].includes(e.status)) && polls < 40) {
    slot.poll = setTimeout(() => slot.isConnected && !slot.querySelector("[aria-busy]")
      && loadArchival(slot, id, business, polls + 1), 3000);
  }
}

function exportItem(item) {
  const format = item.format.toUpperCase();
  if (item.status !== "ready") {
    return h("li", { dataset: { export: item.export_id } }, format, " — ", label("export", item.status));
  }
  const status = h("span", { class: "status" });
  const button = h("button", { type: "button", class: "secondary", onclick: async () => {
    status.replaceChildren();
    try {
      await download(`/archival/exports/${encodeURIComponent(item.export_id)}`, item.file_name);
    } catch (error) {
      status.replaceChildren(note(errorMessage(error), "error"));
    }
  } }, t("download", { format }));
  return h("li", { dataset: { export: item.export_id } }, button,
    item.available_until ? ` ${t("available_until", { date: jalali(item.available_until) })}` : "", status);
}

function exportForm(id, reload) {
  const format = field({ name: "format", label: t("export_format"), tag: "select", value: "xlsx",
                         options: [["xlsx", "Excel (xlsx)"], ["csv", "CSV"], ["json", "JSON"]] });
  const submit = h("button", { type: "submit" }, t("request_export"));
  const status = h("div", { class: "status" });
  const form = h("form", { novalidate: true, dataset: { form: "export" } }, format.wrap, submit, status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    await busy(submit, async () => {
      try {
        // 202 {export_id, status: queued}: built in the background, an SMS when ready
        await api("POST", `/archival/tenants/${encodeURIComponent(id)}/exports`, { format: format.input.value },
                  { auth: true });
        await reload();
        // the reloaded section replaced this form; announce on the new one
        document.querySelector(`[data-tenant="${id}"] [data-form="export"] .status`)
          ?.replaceChildren(note(t("export_requested"), "success"));
      } catch (error) {
        showError(form, error, { invalid_export_format: "format" });
      }
    });
  });
  return form;
}
