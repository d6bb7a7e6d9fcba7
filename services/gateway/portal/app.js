// The portal's shell: a small hash router, the language switch (Persian ⇄ English) and the
// header's links. Each page module renders into <main>; focus moves to the page's heading so
// keyboard and screen-reader users land where the new content starts.

import { api, forgetTokens, loggedIn, tokens } from "./api.js";
import { lang, setLang, t } from "./i18n.js";
import { invoice, order, payment } from "./pages-billing.js";
import { depreciation, openingBalances, payslip } from "./pages-books.js";
import { login, recover, signUp, verify } from "./pages-identity.js";
import { invitation } from "./pages-invitation.js";
import { licence } from "./pages-licence.js";
import { personal } from "./pages-me.js";
import { deskEInvoices } from "./pages-einvoices.js";
import { desk, deskCase, deskLicences, isSupport, supportHome, supportTicket } from "./pages-support.js";
import { h } from "./ui.js";

const ROUTES = [
  [/^\/signup$/, signUp],
  [/^\/verify$/, verify],
  [/^\/login$/, login],
  [/^\/recover$/, recover],
  [/^\/me$/, personal, { auth: true }],
  [/^\/order$/, order, { auth: true }],
  [/^\/licence$/, licence, { auth: true }],
  [/^\/orders\/([\w-]+)$/, invoice, { auth: true }],
  [/^\/payments\/([\w-]+)$/, payment, { auth: true }],
  [/^\/books\/([\w-]+)\/payslip$/, payslip, { auth: true }],
  [/^\/books\/([\w-]+)\/opening-balances$/, openingBalances, { auth: true }],
  [/^\/books\/([\w-]+)\/depreciation$/, depreciation, { auth: true }],
  [/^\/invitations\/([\w-]+)\/([\w-]+)$/, invitation],  // the SMS link; asks a visitor to log in itself
  [/^\/support$/, supportHome, { auth: true }],
  [/^\/support\/([\w-]+)$/, supportTicket, { auth: true }],
  [/^\/desk$/, desk, { auth: true }],
  [/^\/desk\/licences$/, deskLicences, { auth: true }],
  [/^\/desk\/einvoices$/, deskEInvoices, { auth: true }],
  [/^\/desk\/([\w-]+)$/, deskCase, { auth: true }],
];

/** The route a hash names: its path, query and [match, page, options] (undefined when none matches). */
function routeOf(hash) {
  const [path, search = ""] = (hash.replace(/^#/, "") || "/").split("?");
  const found = ROUTES.map(([pattern, page, options]) => [path.match(pattern), page, options || {}])
    .find(([match]) => match);
  return { path, search, found };
}

function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function header() {
  const links = loggedIn()
    ? [["#/me", t("nav_me")], ["#/order", t("nav_order")], ["#/support", t("nav_support")],
       ...(isSupport() ? [["#/desk", t("nav_desk")]] : [])]
    : [["#/signup", t("nav_signup")], ["#/login", t("nav_login")]];
  const logout = loggedIn() ? h("button", { type: "button", class: "link", onclick: logOut }, t("nav_logout")) : null;
  const here = location.hash.split("?")[0];
  document.querySelector("#site-title").textContent = t("title");
  document.querySelector("#skip").textContent = t("skip");
  const switcher = document.querySelector("#lang");
  switcher.textContent = t("switch_lang");
  switcher.setAttribute("aria-label", t("switch_lang_label"));
  switcher.setAttribute("lang", lang() === "fa" ? "en" : "fa");
  const nav = document.querySelector("#nav");
  nav.setAttribute("aria-label", t("nav_label"));
  nav.replaceChildren(h("ul", {}, ...links.map(([href, text]) =>
    h("li", {}, h("a", { href, "aria-current": here === href ? "page" : null }, text))), logout ? h("li", {}, logout) : null));
}

async function logOut() {
  const held = tokens();
  forgetTokens();
  if (held?.refresh_token) {
    await api("DELETE", "/identity/sessions", { refresh_token: held.refresh_token }).catch(() => null);
  }
  go("#/login");
}

let rendering = 0;

async function render() {
  const turn = ++rendering;
  const { path, search, found } = routeOf(location.hash);
  const main = document.querySelector("#main");
  header();
  if (path === "/" || path === "") {
    go(loggedIn() ? "#/me" : "#/signup");
    return;
  }
  document.title = t("title");
  if (!found) {
    main.replaceChildren(h("h1", { tabindex: "-1" }, t("not_found_title")), h("p", {}, t("not_found_text")));
  } else {
    const [match, page, options] = found;
    if (options.auth && !loggedIn()) {
      go(`#/login?next=${encodeURIComponent(location.hash)}`);
      return;
    }
    main.replaceChildren(h("p", { role: "status" }, t("loading")));
    await page(main, { go, params: match.slice(1), query: new URLSearchParams(search),
                       current: () => turn === rendering });
  }
  if (turn !== rendering) return;
  const heading = main.querySelector("h1");
  if (heading) {
    document.title = `${heading.textContent} · ${t("title")}`;
    heading.setAttribute("tabindex", "-1");
    if (document.activeElement === document.body || !main.contains(document.activeElement)) heading.focus();
  }
}

document.querySelector("#lang").addEventListener("click", () => {
  setLang(lang() === "fa" ? "en" : "fa");
  render();
});
// The skip link must not change the hash: the router owns it.
document.querySelector("#skip").addEventListener("click", (event) => {
  event.preventDefault();
  document.querySelector("#main").focus();
});
window.addEventListener("hashchange", render);
// A 401 answered late (to a page the visitor has already left) must not pull them off a public
// page such as the sign-up form: only a page that needs a session sends them to log in.
window.addEventListener("portal:logged-out", () => {
  if (routeOf(location.hash).found?.[2].auth) go(`#/login?next=${encodeURIComponent(location.hash)}`);
});
setLang(lang());
render();
