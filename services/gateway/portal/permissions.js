// Permissions in words: tenancy's one table of labels (GET /tenancy/permissions, the same
// table the SMS notices use), fetched once per page load. A code the table lacks — or a
// table that could not be fetched — reads as the code itself rather than as nothing.

import { api } from "./api.js";
import { joined, lang, t } from "./i18n.js";

let words = null;
let loading = null;

/** Fetch the table once; resolves whether or not the gateway answered. */
export function loadPermissionWords() {
  loading ??= api("GET", "/tenancy/permissions")
    .then((answer) => {
      words = Object.fromEntries((answer.permissions || []).map((p) => [p.code, p]));
    })
    .catch(() => { loading = null; });
  return loading;
}

export function permissionWord(code) {
  const entry = words?.[code];
  return entry ? entry[lang()] || entry.fa : String(code);
}

/** «دیدن فروش، ثبت فروش», or "no permissions" for none. */
export function permissionWords(codes) {
  return codes.length ? joined(codes.map(permissionWord)) : t("no_permissions");
}
