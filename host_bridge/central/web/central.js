// What central's pages share: the sign-in (a central account's session, kept in this tab),
// the header, tables that sort, figures in words, the CSV download. The site's suivant.js
// gives the language, the API calls and the error words (served read-only at /static).
import { api, ApiError, el, explain, lang, langLink, periodRefused, t } from "/static/suivant.js";

export { api, el, lang, t };
const KEY = "suivant-central-token";
export let token = null;

export function say(text) {
  document.getElementById("message").replaceChildren(...(text ? [el("p", { class: "error" }, text)] : []));
}

export const call = (path) => api(path, { token });

// The header: the page's title, the network's name, who is signed in, sign-out, language
function header(me) {
  document.getElementById("who").textContent = `${me.name}${me.region ? ` — ${me.region}` : ""}`;
  document.getElementById("network").textContent = me.network;
  if (me.role === "region") {
    document.getElementById("nav-figures").textContent = t({ fr: "Indicateurs de la région", en: "Region's indicators" });
  }
  const out = document.getElementById("logout");
  out.hidden = false;
  out.textContent = t({ fr: "Se déconnecter", en: "Sign out" });
  out.onclick = async () => {
    try { await api("/api/central/sign-out", { method: "POST", token }); } catch { /* ended already */ }
    sessionStorage.removeItem(KEY);
    location.reload();
  };
}

// The sign-in form (#login) after #message; onReady(me) once signed in (a session kept from
// before in this tab is tried first)
export async function signIn(onReady) {
  langLink();
  for (const [id, words] of Object.entries(NAV)) {
    const a = document.getElementById(id);
    if (a) a.textContent = t(words);
  }
  const words = {
    sign_in_refused: { fr: "Identifiant ou mot de passe incorrect.", en: "Wrong login or password." },
    account_disabled: { fr: "Ce compte est désactivé : adressez-vous au service informatique du réseau.",
      en: "This account is disabled: ask the network's IT." },
    ended: { fr: "Votre session est terminée : reconnectez-vous.", en: "Your session has ended: sign in again." },
  };
  const field = (id, label, attrs) => el("p", {}, el("label", { for: id }, t(label)), el("br"), el("input", { id, ...attrs }));
  const form = el("form", { id: "login", class: "card", hidden: true },
    el("h2", {}, t({ fr: "Connexion au suivi du réseau", en: "Sign in to the network's view" })),
    field("user", { fr: "Identifiant", en: "Login" },
      { type: "text", autocomplete: "username", autocapitalize: "none", spellcheck: "false", maxlength: 40, required: true }),
    field("password", { fr: "Mot de passe", en: "Password" },
      { type: "password", autocomplete: "current-password", required: true, maxlength: 128 }),
    el("button", { id: "login-button", type: "submit" }, t({ fr: "Se connecter", en: "Sign in" })));
  document.getElementById("message").after(form);
  const open = async (kept) => {
    try {
      const me = await api("/api/central/me", { token: kept });
      token = kept;
      sessionStorage.setItem(KEY, kept);
      form.hidden = true;
      header(me);
      say("");
      await onReady(me);
      return true;
    } catch (e) {
      sessionStorage.removeItem(KEY);
      say(e.status === 401 ? t(words.ended) : explain(e));
      return false;
    }
  };
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const secret = document.getElementById("password");
    try {
      const r = await api("/api/central/sign-in", { method: "POST",
        body: { login: document.getElementById("user").value.trim().toLowerCase(), password: secret.value } });
      secret.value = "";
      await open(r.token);
    } catch (e) {
      secret.value = "";
      secret.focus();
      say(e.code === "sign_in_locked"
        ? t({ fr: `Trop d'essais manqués : réessayez dans ${Math.ceil((e.body.retry_after || 60) / 60)} min.`,
          en: `Too many failed attempts: try again in ${Math.ceil((e.body.retry_after || 60) / 60)} min.` })
        : words[e.code] ? t(words[e.code]) : explain(e));
    }
  };
  const kept = sessionStorage.getItem(KEY);
  if (!(kept && await open(kept))) form.hidden = false;
}

const NAV = {
  "nav-sites": { fr: "Les sites", en: "Sites" },
  "nav-figures": { fr: "Indicateurs du réseau", en: "Network indicators" },
};

// --- a site's state: an icon (decoration), words, and a colour (the class) --------------
export const STATES = {
  connected: { icon: "●", words: { fr: "Connecté", en: "Connected" } },
  silent: { icon: "▲", words: { fr: "Silencieux", en: "Silent" } },
  never: { icon: "○", words: { fr: "Jamais connecté", en: "Never connected" } },
};

export function stateCell(s) {
  const st = STATES[s.state];
  const words = t(st.words) + (s.state === "silent" ? t({ fr: ` depuis ${ago(s.seconds_since_state).replace("il y a ", "")}`,
    en: ` for ${ago(s.seconds_since_state).replace(" ago", "")}` }) : "");
  return el("span", { class: `state state-${s.state}` }, el("span", { "aria-hidden": "true" }, `${st.icon} `), words);
}

export function lagCell(s) {
  if (s.lag.events === null) return "—";
  const events = s.lag.events === 0 ? t({ fr: "à jour", en: "up to date" })
    : t({ fr: `${s.lag.events} événement${s.lag.events > 1 ? "s" : ""} en retard`, en: `${s.lag.events} event${s.lag.events > 1 ? "s" : ""} behind` });
  const last = s.lag.seconds_since_event === null ? "" : t({ fr: ` ; dernier reçu ${ago(s.lag.seconds_since_event)}`,
    en: `; last received ${ago(s.lag.seconds_since_event)}` });
  return events + last;
}

// --- numbers and times in words ----------------------------------------------------------
export const pct = (x) => x === null || x === undefined ? "—" : `${Math.round(x * 100)} %`;
export const min = (x) => x === null || x === undefined ? "—"
  : `${x.toFixed(1).replace(".", lang === "fr" ? "," : ".")} min`;
export function ago(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t({ fr: `il y a ${s} s`, en: `${s} s ago` });
  const m = Math.round(s / 60);
  if (m < 120) return t({ fr: `il y a ${m} min`, en: `${m} min ago` });
  const h = Math.round(m / 60);
  if (h < 48) return t({ fr: `il y a ${h} h`, en: `${h} h ago` });
  const d = Math.round(h / 24);
  return t({ fr: `il y a ${d} jours`, en: `${d} days ago` });
}
export function day(iso) {
  return new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB",
    { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(`${iso}T00:00:00Z`));
}

// A refused period or scope in words (the API's reason codes)
export function refusal(e, from, to) {
  const body = e.body || {};
  if (body.error === "unknown_site") {
    return t({ fr: "Ce site n'est pas dans le réseau, ou n'a encore jamais donné de nouvelles.",
      en: "This site is not in the network, or has never been heard from yet." });
  }
  if (body.error === "unknown_region") return t({ fr: "Cette région n'existe pas dans le réseau.", en: "No such region in the network." });
  if (e.status === 403) return t({ fr: "Votre compte ne voit pas ce site ou cette région.", en: "Your account does not see this site or region." });
  return periodRefused(e, from, to);  // the period's reasons as on the site, else explain()
}

// A table whose column headers sort it (a button in each, aria-sort on the sorted one).
// columns: [{ label, value(row) -> sortable, cell(row) -> node or text, text: words (left-aligned) }]
// foot: a last row (a total) kept under the sorted ones.
export function sortableTable(tableId, columns, rows, sorted = { col: 0, dir: 1 }, foot = null) {
  const table = document.getElementById(tableId);
  const draw = () => {
    // a refresh must not take the keyboard's place away: the focused control gets it back
    const focused = table.contains(document.activeElement) ? document.activeElement : null;
    const sortButton = focused ? [...table.querySelectorAll("th button")].indexOf(focused) : -1;
    const link = focused && focused.getAttribute("href");
    const c = columns[sorted.col];
    const ordered = [...rows].sort((a, b) => {
      const x = c.value(a), y = c.value(b);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;  // unknowns last, whatever the direction
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * sorted.dir;
    });
    table.replaceChildren(
      el("thead", {}, el("tr", {}, columns.map((col, i) => el("th", {
        scope: "col", "aria-sort": i === sorted.col ? (sorted.dir > 0 ? "ascending" : "descending") : null,
      }, el("button", { type: "button", class: "sort", onclick: () => {
        sorted.dir = sorted.col === i ? -sorted.dir : 1;
        sorted.col = i;
        draw();
      } }, col.label, el("span", { "aria-hidden": "true" }, i === sorted.col ? (sorted.dir > 0 ? " ▲" : " ▼") : " ⇅")))))),
      el("tbody", {}, ordered.map((r) => el("tr", {}, columns.map((col, i) => i === 0
        ? el("th", { scope: "row" }, col.cell(r)) : el("td", { class: col.text ? "text" : null }, col.cell(r)))))),
      ...(foot ? [el("tfoot", {}, el("tr", {}, foot.map((c, i) => i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c))))] : []));
    const again = sortButton >= 0 ? table.querySelectorAll("th button")[sortButton]
      : link ? [...table.querySelectorAll("a")].find((a) => a.getAttribute("href") === link) : null;
    if (again) again.focus();
  };
  draw();
  return sorted;
}

export function plainTable(tableId, head, rows) {
  document.getElementById(tableId).replaceChildren(
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c))))));
}

// The CSV: fetched with the session (a plain link would carry no token), then saved
export async function downloadCsv(query, name) {
  const r = await fetch(`/api/central/indicators.csv?${query}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) {
    let body = null;
    try { body = await r.json(); } catch { /* not JSON */ }
    throw new ApiError(r.status, body);
  }
  const a = el("a", { href: URL.createObjectURL(await r.blob()), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}
