// The page an invitation's SMS link opens (issue #19): #/invitations/{tenant_id}/{invitation_id}.
// A visitor who is not logged in is asked to sign up or log in with the invited number and is
// brought back here; then the business and the permissions offered (in words), and "accept".
// Only the invited number sees the invitation: anyone else is told to log in with that number.

import { api, forgetTokens, loggedIn } from "./api.js";
import { jalali, t } from "./i18n.js";
import { loadPermissionWords, permissionWords } from "./permissions.js";
import { busy, errorMessage, h, note, put } from "./ui.js";

const NEXT = "portal.next";  // where sign-up → code → login returns to (pages-identity.js)

function facts(...rows) {
  return h("dl", { class: "facts" }, ...rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

export async function invitation(main, { go, params, current }) {
  const [tenantId, invitationId] = params;
  const here = `#/invitations/${tenantId}/${invitationId}`;
  const title = () => h("h1", {}, t("invitation_title"));
  if (!loggedIn()) {
    sessionStorage.setItem(NEXT, here);
    put(main, title(), h("p", {}, t("invitation_guest")),
      h("ul", { class: "plain", dataset: { role: "invitation-entry" } },
        h("li", {}, h("a", { href: "#/signup" }, t("invitation_sign_up"))),
        h("li", {}, h("a", { href: `#/login?next=${encodeURIComponent(here)}` }, t("invitation_log_in")))));
    return;
  }
  const path = `/tenancy/businesses/${encodeURIComponent(tenantId)}/invitations/${encodeURIComponent(invitationId)}`;
  const words = loadPermissionWords();
  let offered;
  try {
    offered = await api("GET", path, undefined, { auth: true });
    await words;
  } catch (error) {
    if (!current()) return;
    const other = error.code === "invitation_not_for_you"
      ? h("button", { type: "button", class: "secondary", dataset: { role: "switch-user" }, onclick: () => {
        forgetTokens();
        sessionStorage.setItem(NEXT, here);
        go(`#/login?next=${encodeURIComponent(here)}`);
      } }, t("invitation_switch_user")) : null;
    put(main, title(), note(errorMessage(error), "error"), other, h("p", {}, h("a", { href: "#/me" }, t("to_me"))));
    return;
  }
  if (!current()) return;
  sessionStorage.removeItem(NEXT);
  const status = h("div", { class: "status", tabindex: "-1", dataset: { role: "invitation-status" } });
  const open = offered.state === "pending" && !offered.expired;
  const accept = h("button", { type: "submit", dataset: { role: "accept" } }, t("invitation_accept"));
  const form = h("form", { novalidate: true, dataset: { form: "acceptance" } }, accept);
  const joined = () => put(status, note(t("invitation_joined", { business: offered.business_name }), "success"),
    h("p", {}, h("a", { href: "#/me" }, t("to_me"))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(accept, async () => {
      status.replaceChildren();
      try {
        await api("POST", `${path}/acceptance`, undefined, { auth: true });
        form.remove();
        joined();
      } catch (error) {
        status.replaceChildren(note(errorMessage(error), "error"));
      }
      status.focus();
    });
  });
  put(main, title(),
    h("p", {}, t("invitation_intro")),
    facts([t("business_name"), h("bdi", {}, offered.business_name)],
          [t("permissions"), permissionWords(offered.permissions || [])],
          [t("invitation_valid_until"), jalali(offered.expires_at, true)]),
    offered.accepted_by_you ? null
      : open ? form : note(t(offered.expired ? "invitation_state_expired" : `invitation_state_${offered.state}`), "error"),
    status);
  if (offered.accepted_by_you) joined();
}
