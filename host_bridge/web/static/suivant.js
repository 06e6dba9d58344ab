// What every page shares: the API, the live event stream, the language.
// No framework, no build step, no asset from the internet: the pages work on a site's LAN
// and on cheap hardware (a kiosk PC, a TV stick, a phone on 3G).

// Where the site starts ("/", or "/suivant/" behind a proxy's prefix): the bridge gives every
// page a <base href> (web/pages.py), so "api/..." is relative to it; paths shown or compared
// whole are built from it.
export const root = new URL(document.baseURI).pathname;

export const lang = (() => {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "en" || asked === "fr") {
    localStorage.setItem("suivant-lang", asked);
    return asked;
  }
  return localStorage.getItem("suivant-lang") || "fr";
})();
document.documentElement.lang = lang;
// a page's skip link (RGAA 12.7), in the page's language
for (const a of document.querySelectorAll("a.skip")) {
  a.textContent = lang === "en" ? "Skip to content" : "Aller au contenu";
}
// In-page links ("#main") resolve against the <base href> like any other: they would load the
// site's home page. Written as this page's own address, they move within it, as they should.
for (const a of document.querySelectorAll('a[href^="#"]')) {
  a.setAttribute("href", location.pathname + location.search + a.getAttribute("href"));
}

// t({fr: "...", en: "..."}) or t(table, key): French first, English when asked
export function t(strings, key) {
  const s = key === undefined ? strings : strings[key];
  return s[lang] ?? s.fr;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.body = body;
  }
}

// The API answers in English for developers; people read these (the server's words otherwise)
const ERRORS = {
  counter_closed: { fr: "Le guichet n'est pas ouvert.", en: "The counter is not open." },
  no_current_ticket: { fr: "Aucun ticket en cours à ce guichet.", en: "No ticket in service at this counter." },
  recall_refused: { fr: "Rappel refusé : trop tôt après l'appel, ou trop de rappels (marquez absent).",
    en: "Recall refused: too soon after the call, or too many recalls (mark as no-show)." },
  service_not_served: { fr: "Aucun guichet ne traite ce service.", en: "No counter serves this service." },
  ticket_not_waiting: { fr: "Ce ticket n'attend plus.", en: "This ticket is no longer waiting." },
  site_closed: { fr: "L'accueil est fermé : les tickets se prennent aux heures d'ouverture.",
    en: "Closed: tickets are issued during opening hours." },
  no_free_number: { fr: "Plus aucun numéro libre pour ce service : les 999 sont en attente ou au guichet. Réessayez quand des tickets auront été servis.",
    en: "No free number left for this service: all 999 are waiting or at a counter. Try again once some are served." },
  unauthorized: { fr: "Jeton inconnu.", en: "Unknown token." },
  forbidden: { fr: "Ce compte ne peut pas faire cela.", en: "This account may not do that." },
  unknown_ticket: { fr: "Ce ticket n'existe pas (ou plus).", en: "This ticket does not exist (or no more)." },
  unknown_service: { fr: "Ce service n'existe pas (ou plus).", en: "This service does not exist (or no more)." },
  unknown_counter: { fr: "Ce guichet n'existe pas.", en: "This counter does not exist." },
  rate_limited: { fr: "Trop de demandes d'un coup : réessayez dans une minute.",
    en: "Too many requests at once: try again in a minute." },
  request_timeout: { fr: "La demande n'est pas arrivée à temps : réessayez.", en: "The request did not arrive in time: try again." },
  printer_failed: { fr: "L'imprimante n'a pas répondu : aucun ticket n'a été créé.",
    en: "The printer did not answer: no ticket was made." },
  same_service: { fr: "Le ticket est déjà dans ce service : choisissez-en un autre.",
    en: "The ticket is already in this service: choose another one." },
  nothing_to_undo: { fr: "Il n'y a pas d'absence à annuler à ce guichet.", en: "There is no no-show to undo at this counter." },
  undo_expired: { fr: "Trop tard pour annuler l'absence (plus d'une minute).", en: "Too late to undo the no-show (over a minute)." },
  undo_refused: { fr: "L'absence ne peut plus être annulée : son numéro a été redonné.",
    en: "The no-show can no longer be undone: its number was given again." },
  unknown_appointment: { fr: "Aucun rendez-vous aujourd'hui avec ce code : vérifiez-le, ou adressez-vous à l'accueil.",
    en: "No appointment today with this code: check it, or ask at reception." },
  appointment_too_late: { fr: "L'heure de votre rendez-vous est trop loin passée : adressez-vous à l'accueil.",
    en: "Your appointment's time is too long past: ask at reception." },
  appointment_noshow: { fr: "Ce rendez-vous a été noté comme manqué : vous pouvez prendre un ticket sans rendez-vous à la borne.",
    en: "This appointment was marked as missed: you can take a ticket without appointment at the kiosk." },
  appointment_cancelled: { fr: "Ce rendez-vous a été annulé.", en: "This appointment was cancelled." },
  appointment_seen: { fr: "Ce rendez-vous a déjà eu lieu aujourd'hui.", en: "This appointment already took place today." },
  appointment_key_not_here: { fr: "Les initiales et l'heure, ou un numéro court, ne sont acceptés qu'à la borne ou à l'accueil : donnez votre code de réservation ou votre numéro de pré-demande.",
    en: "Initials and time, or a short number, are accepted only at the kiosk or at reception: give your booking code or your pre-application number." },
  delay_refused: { fr: "Ce n'est plus possible pour ce ticket (une seule fois, et seulement en attente).",
    en: "This is no longer possible for this ticket (once, and only while waiting)." },
  comeback_refused: { fr: "Ce n'est plus possible pour ce ticket : adressez-vous à l'accueil.",
    en: "This is no longer possible for this ticket: ask at reception." },
};

// Every refusal in the page's words: a code the pages know, else a plain sentence with the
// code for whoever reports it (the server's English message is for developers, not people).
export function explain(error) {
  const known = error && ERRORS[error.code];
  if (known) return t(known);
  if (error instanceof ApiError) {
    return error.code
      ? t({ fr: `L'opération a été refusée (code : ${error.code}).`, en: `The operation was refused (code: ${error.code}).` })
      : t({ fr: `Le serveur ne répond pas comme prévu (HTTP ${error.status}) : réessayez dans un instant.`,
        en: `The server did not answer as expected (HTTP ${error.status}): try again in a moment.` });
  }
  if (error instanceof TypeError || error instanceof SyntaxError) {  // no network, a proxy's page
    return t({ fr: "Le serveur est injoignable : vérifiez le réseau, puis rechargez la page.",
      en: "The server cannot be reached: check the network, then reload the page." });
  }
  return error && error.message;
}

export async function api(path, { method = "GET", body, token, key } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  if (key) headers["Idempotency-Key"] = key;
  const r = await fetch(path, { method, headers,
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

// A retry-safe key for one press of a button: a repeat of the same request is applied once.
export function newKey() {
  return (crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(""));
}

// The queue's live events (Server-Sent Events): EventSource reconnects by itself and resumes
// with Last-Event-ID, so nothing is missed after a network blip. onChange(event) per event;
// onState(true|false) when the link comes and goes. An answer that is not a stream (the
// bridge's 503 when it already serves its maximum of streams, a bridge restarting behind a
// proxy) closes an EventSource for good: it is opened again after RETRY_MS, resuming after
// the last event seen (?since=).
const RETRY_MS = 30000;
const TYPES = ["TicketIssued", "TicketCalled", "TicketRecalled", "TicketServed", "TicketAbsent",
  "TicketCancelled", "TicketTransferred", "CounterOpened", "CounterPaused", "CounterClosed",
  "DayStarted", "FeedbackGiven", "TicketAbsenceUndone", "TicketDelayed", "TicketCameBack",
  "AppointmentMissed"];
export function live(onEvent, onState = () => {}) {
  let last = null;
  const open = () => {
    const source = new EventSource(last === null ? "api/events" : `api/events?since=${last}`);
    for (const type of TYPES) {
      source.addEventListener(type, (m) => {
        if (/^\d+$/.test(m.lastEventId)) last = m.lastEventId;
        onEvent(JSON.parse(m.data));
      });
    }
    source.onopen = () => onState(true);
    source.onerror = () => {
      onState(false);
      if (source.readyState === EventSource.CLOSED) setTimeout(open, RETRY_MS);
    };
  };
  open();
}

// "entre 5 et 15 min" / "5 to 15 min": the estimate in minutes, never a false precision; an
// uncertain one (`reliable` false) is its single guess said as such, never a wide range
export function range(estimate) {
  if (!estimate) return t({ fr: "pas d'estimation : aucun guichet ouvert pour ce service",
    en: "no estimate: no counter open for this service" });
  const { low_minutes: lo, high_minutes: hi } = estimate;
  if (hi <= 1) return t({ fr: "moins d'une minute", en: "under a minute" });
  if (lo >= 120) return t({ fr: "plus de deux heures", en: "over two hours" });
  if (estimate.reliable === false) return uncertainMinutes(estimate);
  return t({ fr: `entre ${lo} et ${hi} min`, en: `${lo} to ${hi} min` });
}

// « environ 18 min (incertain) »: the hall screen and supervision's uncertain estimate
function uncertainMinutes(estimate) {
  const m = estimate.minutes ?? Math.round((estimate.low_minutes + estimate.high_minutes) / 2);
  return t({ fr: `environ ${m} min (incertain)`, en: `about ${m} min (uncertain)` });
}

// « 10 h 40 » / "10:40": the hour of an ISO time as its own digits say it. The bridge writes
// its times with the site's offset, so a phone abroad or a kiosk PC with a wrong zone still
// reads the hall's clock (converting with Date would use the browser's zone). Non-breaking
// spaces: an hour is never cut across two lines (« 10 h » then « 40 »).
export function clockOf(iso) {
  const m = /T(\d{2}):(\d{2})/.exec(iso || "");
  if (!m) return null;
  return lang === "en" ? `${m[1]}:${m[2]}` : `${Number(m[1])}\u00a0h\u00a0${m[2]}`;
}

const UNCERTAIN = {
  counters_changed: { fr: "un guichet vient d'ouvrir ou de fermer", en: "a counter just opened or closed" },
  little_history: { fr: "trop peu de tickets servis aujourd'hui", en: "too few tickets served today" },
};

// The estimate as citizens plan with it (issue 18), on the ticket page and the kiosk:
// « vers 10 h 40 — entre 10 h 35 et 10 h 50 (12 à 24 min) »; a short wait stays « moins d'une
// minute »; a range never starts at 0 minutes (« d'ici 10 h 45 (jusqu'à 12 min) »); an
// uncertain estimate is its guess and why, with no range: « vers 10 h 40 (environ 18 min) —
// estimation incertaine : un guichet vient d'ouvrir ou de fermer ». Without the clock times
// (a bridge from before them), the minutes alone. `short`, for the kiosk's service buttons:
// the guess alone, « vers 10 h 40 », uncertain « vers 10 h 40 environ » — with « 12 personnes
// attendent · » before it, one line of a button in large text at 1024x768 (a second line
// folds the priority access away); the ticket then says it all.
export function waitWords(estimate, short = false) {
  if (!estimate) return range(estimate);
  const { low_minutes: lo, high_minutes: hi } = estimate;
  if (hi <= 1) return range(estimate);
  const around = clockOf(estimate.expected_at), from = clockOf(estimate.earliest_at),
    to = clockOf(estimate.latest_at);
  if (estimate.reliable === false) {
    if (short && around) return t({ fr: `vers ${around} environ`, en: `around ${around} (uncertain)` });
    const m = estimate.minutes ?? Math.round((lo + hi) / 2);
    const why = UNCERTAIN[estimate.uncertain_because];
    const said = why ? t({ fr: ` : ${why.fr}`, en: `: ${why.en}` }) : "";
    const guess = around ? t({ fr: `vers ${around} (environ ${m} min)`, en: `around ${around} (about ${m} min)` })
      : t({ fr: `environ ${m} min`, en: `about ${m} min` });
    return guess + t({ fr: ` — estimation incertaine${said}`, en: ` — uncertain estimate${said}` });
  }
  const minutes = lo >= 120 ? t({ fr: "plus de deux heures", en: "over two hours" })
    : lo <= 0 ? t({ fr: `jusqu'à ${hi} min`, en: `up to ${hi} min` })
      : t({ fr: `${lo} à ${hi} min`, en: `${lo} to ${hi} min` });
  if (!around || !from || !to) return lo <= 0 || lo >= 120 ? minutes : range(estimate);
  if (short && around) return t({ fr: `vers ${around}`, en: `around ${around}` });
  const window = from === to ? ""
    : lo <= 0 ? t({ fr: ` — d'ici ${to}`, en: ` — by ${to}` })
      : t({ fr: ` — entre ${from} et ${to}`, en: ` — between ${from} and ${to}` });
  return t({ fr: `vers ${around}`, en: `around ${around}` }) + window + ` (${minutes})`;
}

// Staff sign-in with a bearer token (a named account's session or a config token), kept in
// this tab only (sessionStorage): -> the account ({name, full_name, role, counters, session})
// when its role is one of `roles`, else throws with a clear message.
export async function signIn(token, roles) {
  const me = await api("api/me", { token });
  if (!roles.includes(me.role)) {
    throw new Error(t({ fr: "Ce compte n'a pas accès à cette page.", en: "This account has no access to this page." }));
  }
  sessionStorage.setItem("suivant-token", token);
  return me;
}

// The staff pages' sign-in: a form (#login with #user, #token, #login-button) put after
// #message, and in the header #who and #logout. A person gives their login and password and
// gets a session; with the login left empty, the password field takes a config token (shared
// machines, scripts). The field keeps the id "token": the sites' scripts and tests fill it.
// onReady(me, token) once signed in with one of `roles` (a token kept from before in this
// tab is tried first); refusals go to say(text).
export async function staffSignIn(title, roles, onReady, say) {
  const words = {
    sign_in_refused: { fr: "Identifiant ou mot de passe incorrect.", en: "Wrong login or password." },
    account_disabled: { fr: "Ce compte est désactivé : adressez-vous à un administrateur.",
      en: "This account is disabled: ask an administrator." },
    ended: { fr: "Votre session est terminée : reconnectez-vous.", en: "Your session has ended: sign in again." },
  };
  const locked = (minutes) => t({
    fr: `Trop d'essais manqués : réessayez dans ${minutes} min, ou demandez à un administrateur de changer le mot de passe.`,
    en: `Too many failed attempts: try again in ${minutes} min, or ask an administrator to reset the password.` });
  const field = (id, label, attrs) => el("p", {}, el("label", { for: id }, t(label)), el("br"),
    el("input", { id, ...attrs }));
  const form = el("form", { id: "login", class: "card", hidden: true },
    el("h2", {}, t(title)),
    field("user", { fr: "Identifiant", en: "Login" },
      { type: "text", autocomplete: "username", autocapitalize: "none", spellcheck: "false", maxlength: 40 }),
    field("token", { fr: "Mot de passe", en: "Password" },
      { type: "password", autocomplete: "current-password", required: true, maxlength: 200 }),
    el("p", { class: "muted" }, t({ fr: "Poste partagé avec un jeton d'accès : laissez l'identifiant vide et saisissez le jeton comme mot de passe.",
      en: "Shared machine with an access token: leave the login empty and type the token as the password." })),
    el("button", { id: "login-button", type: "submit" }, t({ fr: "Se connecter", en: "Sign in" })));
  document.getElementById("message").after(form);
  let me = null;
  const endSession = async (token) => {
    try { await api("api/staff/sign-out", { method: "POST", token }); } catch { /* ended already */ }
  };
  const logout = document.getElementById("logout");
  logout.textContent = t({ fr: "Se déconnecter", en: "Sign out" });
  logout.onclick = async () => {
    const token = sessionStorage.getItem("suivant-token");
    sessionStorage.removeItem("suivant-token");
    if (token && me && me.session) await endSession(token);
    location.reload();
  };
  const open = async (token, fresh) => {
    try {
      me = await signIn(token, roles);
      form.hidden = true;
      logout.hidden = false;
      document.getElementById("who").textContent = me.full_name || me.name;
      say("");
      await onReady(me, token);
      return true;
    } catch (e) {
      if (fresh && e.status !== 401) await endSession(token);  // a session this page cannot use
      say(!fresh && e.status === 401 ? t(words.ended) : explain(e));
      return false;
    }
  };
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const login = document.getElementById("user").value.trim().toLowerCase();
    const secret = document.getElementById("token");
    if (!login) {
      const token = secret.value.trim();
      secret.value = "";
      return open(token, true);
    }
    const asked = Number(new URLSearchParams(location.search).get("guichet") || sessionStorage.getItem("suivant-counter"));
    try {
      const { token } = await api("api/staff/sign-in", { method: "POST", body: { login, password: secret.value,
        counter: roles.includes("agent") && asked > 0 ? asked : undefined } });
      secret.value = "";  // the password stays in no field once used
      await open(token, true);
    } catch (e) {
      secret.value = "";
      secret.focus();
      say(e.code === "sign_in_locked" ? locked(Math.ceil((e.body.retry_after || 60) / 60))
        : words[e.code] ? t(words[e.code]) : explain(e));
    }
  };
  const kept = sessionStorage.getItem("suivant-token");
  if (!(kept && await open(kept, false))) form.hidden = false;
}

// "3 personnes avant vous." (the kiosk and the ticket page say it the same way)
export function ahead(n) {
  return t({ fr: n === 0 ? "Vous êtes le prochain." : n === 1 ? "1 personne avant vous." : `${n} personnes avant vous.`,
    en: n === 0 ? "You are next." : n === 1 ? "1 person before you." : `${n} people before you.` });
}

// A citizen's needs (issue 13; domain/site.py NEEDS), in the same words on every page: the
// kiosk's buttons say what each gives, the other pages name it. An id a page does not know
// yet is shown as it is rather than dropped: the agent must never miss a need.
export const NEEDS = {
  hearing_loop: { ask: { fr: "Boucle magnétique (malentendants)", en: "Hearing loop (hard of hearing)" },
    name: { fr: "boucle magnétique", en: "hearing loop" } },
  sign_language: { ask: { fr: "Interprète en langue des signes (LSF)", en: "Sign language interpreter (LSF)" },
    name: { fr: "interprète en langue des signes (LSF)", en: "sign language interpreter (LSF)" } },
  seated: { ask: { fr: "Guichet assis ou bas", en: "Seated or low counter" },
    name: { fr: "guichet assis ou bas", en: "seated or low counter" } },
};
export const needName = (id) => (NEEDS[id] ? t(NEEDS[id].name) : id);

// « Vous avez demandé : boucle magnétique et guichet assis ou bas. » / "You asked for: a
// hearing loop and a seated or low counter." (null without needs)
export function askedFor(needs) {
  if (!needs || !needs.length) return null;
  const names = needs.map((n) => (lang === "en" && NEEDS[n] ? `a ${needName(n)}` : needName(n)));
  const and = t({ fr: " et ", en: " and " });
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")}${and}${names.at(-1)}` : names[0];
  return t({ fr: `Vous avez demandé : ${list}.`, en: `You asked for: ${list}.` });
}

// The header's link to the other language: this page's own address, its other parameters kept
// (a bare "?lang=en" would resolve against the <base href>: the site's home page)
export function langLink(id = "lang") {
  const a = document.getElementById(id);
  const query = new URLSearchParams(location.search);
  query.set("lang", lang === "fr" ? "en" : "fr");
  a.textContent = lang === "fr" ? "English" : "Français";
  a.href = `${location.pathname}?${query}`;
  a.lang = lang === "fr" ? "en" : "fr";
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// A refused period in words: the reason code of api/indicators.check_period (the site's reports
// and central's), the dates as people write them
export function periodRefused(e, from, to) {
  const body = e.body || {};
  const day = (iso) => new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB",
    { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(`${iso}T00:00:00Z`));
  if (body.reason === "ends_before_start") {
    return t({ fr: `La période finit le ${day(to)}, avant de commencer le ${day(from)} : choisissez une date de fin après la date de début.`,
      en: `The period ends on ${day(to)}, before it starts on ${day(from)}: choose an end date after the start date.` });
  }
  if (body.reason === "too_long") {
    return t({ fr: `Une période fait au plus ${body.max_days} jours : demandez une année à la fois.`,
      en: `A period is at most ${body.max_days} days: ask for one year at a time.` });
  }
  if (body.error === "invalid_request") {
    return t({ fr: "Choisissez une date de début (Du) et une date de fin (au), puis « Afficher ».",
      en: "Choose a start date (From) and an end date (To), then « Show »." });
  }
  return explain(e);
}
