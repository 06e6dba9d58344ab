// The kiosk: a big button per service, a signed priority path, the ticket with its QR code.
// It serves one citizen after another: each finds it in French, in normal contrast, with no
// priority chosen — after a ticket, after a minute without a touch, and after a reload.

// Only this very load's ?lang=en makes the kiosk English. suivant.js keeps a chosen language
// for the other pages (a phone's ticket page); here it is forgotten before suivant.js reads it.
const LANG_KEY = "suivant-lang";  // suivant.js's key
const query = new URLSearchParams(location.search);
if (query.get("lang") !== "en") localStorage.removeItem(LANG_KEY);
const { ahead, api, askedFor, el, explain, lang, live, NEEDS, newKey, root, t, waitWords } = await import("./suivant.js");

// Delays in seconds, shortened by the tests: ?idle=2&ticket_idle=1&warn=1. Past IDLE_MS without
// a touch (TICKET_MS on a ticket), whoever is there is asked, and has WARN_MS to say so with a
// touch or a key (RGAA 13.1: warned, 20 s to extend); then the kiosk is the next citizen's.
const seconds = (name, fallback) => 1000 * (Number(query.get(name)) > 0 ? Number(query.get(name)) : fallback);
const IDLE_MS = seconds("idle", 40);
const OPEN_POLL_MS = seconds("open_poll", 60);  // how often the opening hours are asked again
const TICKET_MS = seconds("ticket_idle", 30);
const WARN_MS = seconds("warn", 20);

const T = {
  choose: { fr: "Choisissez votre démarche", en: "Choose what you came for" },
  nobody: { fr: "Personne n'attend.", en: "Nobody waiting." },
  waiting: { fr: (n) => n === 1 ? "1 personne attend" : `${n} personnes attendent`,
    en: (n) => n === 1 ? "1 person waiting" : `${n} people waiting` },
  noEstimate: { fr: "aucune estimation, aucun guichet ouvert pour ce service", en: "no estimate, no counter open for this service" },
  closed: { fr: "Aucun guichet ouvert pour l'instant.", en: "No counter open for now." },
  skip: { fr: "Aller au contenu", en: "Skip to content" },
  contrast: { fr: "Grand texte contrasté", en: "Large high-contrast text" },
  prioTitle: { fr: "Accès prioritaire", en: "Priority access" },
  prioText: { fr: "Vous avez une carte de priorité ? Choisissez-la, puis votre démarche.",
    en: "Do you have a priority card? Choose it, then what you came for." },
  prioChosen: { fr: (c) => `Accès prioritaire : ${c}. Choisissez maintenant votre démarche.`,
    en: (c) => `Priority access: ${c}. Now choose what you came for.` },
  needsTitle: { fr: "Accueil adapté", en: "Assistance at the counter" },
  sideOpen: { fr: "Accès prioritaire, accueil adapté…", en: "Priority access, assistance at the counter…" },
  sideChosen: { fr: "✓ Accès prioritaire, accueil adapté : choisis", en: "✓ Priority access, assistance: chosen" },
  sideClose: { fr: "Retour aux démarches", en: "Back to the services" },
  agentKnows: { fr: "L'agent le saura.", en: "The agent will know." },
  cancelPrio: { fr: "Annuler l'accès prioritaire", en: "Cancel priority access" },
  yourTicket: { fr: "Votre ticket", en: "Your ticket" },
  prioTicket: { fr: (c) => `Ticket prioritaire : ${c}. Montrez votre carte au guichet.`,
    en: (c) => `Priority ticket: ${c}. Show your card at the counter.` },
  wait: { fr: (w) => `Attente estimée : ${w}.`, en: (w) => `Estimated wait: ${w}.` },
  follow: { fr: "Suivez votre place sur votre téléphone : scannez ce code.",
    en: "Follow your place on your phone: scan this code." },
  qr: { fr: "Code QR vers la page de votre ticket", en: "QR code to your ticket's page" },
  done: { fr: "Terminé", en: "Done" },
  failed: { fr: "Le ticket n'a pas pu être pris", en: "The ticket could not be taken" },
  closedTitle: { fr: "L'accueil est fermé", en: "We are closed" },
  closedText: { fr: "Les tickets se prennent aux heures d'ouverture.", en: "Tickets are issued during opening hours." },
  reopens: { fr: (when) => `Réouverture : ${when}.`, en: (when) => `We open again: ${when}.` },
  unreachable: { fr: "Le serveur ne répond pas. Réessayez dans un instant, ou adressez-vous à l'accueil.",
    en: "The server does not answer. Try again in a moment, or ask at the reception desk." },
  stillThere: { fr: (s) => `Êtes-vous encore là ? L'écran revient à l'accueil dans ${s} secondes. Touchez l'écran pour continuer.`,
    en: (s) => `Are you still there? The screen goes back to the start in ${s} seconds. Touch the screen to go on.` },
  stillHere: { fr: "Je suis encore là", en: "I am still here" },
  offline: { fr: "Connexion au serveur perdue : nouvel essai…", en: "Lost the server: retrying…" },
  printed: { fr: "Votre ticket est imprimé : prenez-le sous l'écran.", en: "Your ticket is printed: take it below the screen." },
  unprinted: { fr: "L'imprimante ne répond pas : aucun ticket n'a été créé. Vous pouvez prendre votre ticket sans l'imprimer (notez son numéro ou scannez son code), ou vous adresser à l'accueil.",
    en: "The printer does not answer: no ticket was made. You can take your ticket without printing it (note its number or scan its code), or ask at the reception desk." },
  noPrint: { fr: "Prendre le ticket sans l'imprimer", en: "Take the ticket without printing" },
};

// « J'ai un rendez-vous » (issue 15): the check-in of an appointment booked for today
const R = {
  tile: { fr: "J'ai un rendez-vous", en: "I have an appointment" },
  title: { fr: "J'ai un rendez-vous", en: "I have an appointment" },
  label: { fr: "Code de réservation, numéro de pré-demande, ou initiales et heure", en: "Booking code, pre-application number, or initials and time" },
  help: { fr: "Présentez le code QR de votre convocation au lecteur, ou tapez le code, ou vos initiales et l'heure du rendez-vous (exemple : JD 10:30).",
    en: "Hold your booking's QR code to the reader, or type the code, or your initials and the appointment's time (example: JD 10:30)." },
  go: { fr: "Valider", en: "Confirm" },
  keys: { fr: "Clavier", en: "Keyboard" },
  space: { fr: "Espace", en: "Space" },
  erase: { fr: "⌫ Effacer", en: "⌫ Delete" },
  eraseLabel: { fr: "Effacer le dernier caractère", en: "Delete the last character" },
  clear: { fr: "Tout effacer", en: "Clear all" },
  back: { fr: "Retour", en: "Back" },
  empty: { fr: "Tapez d'abord votre code, ou scannez votre convocation.", en: "First type your code, or scan your booking." },
  at: { fr: (h) => `Rendez-vous à ${h}`, en: (h) => `Appointment at ${h}` },
  late: { fr: (h) => `Votre rendez-vous était à ${h} : arrivé(e) trop tard, vous passez avec les personnes sans rendez-vous.`,
    en: (h) => `Your appointment was at ${h}: too late for it, you go with the people without one.` },
  from: { fr: (h) => `Vous serez appelé(e) à partir de ${h}.`, en: (h) => `You will be called from ${h}.` },
  failed: { fr: "Rendez-vous non enregistré", en: "Appointment not checked in" },
  reception: { fr: "Voir l'accueil : un agent vous aidera.", en: "Please see the reception desk: an agent will help you." },
  retry: { fr: "Retaper le code", en: "Type the code again" },
  unprinted: { fr: "L'imprimante ne répond pas : votre rendez-vous n'est pas encore enregistré. Vous pouvez l'enregistrer sans imprimer le ticket (notez son numéro ou scannez son code), ou vous adresser à l'accueil.",
    en: "The printer does not answer: your appointment is not checked in yet. You can check it in without printing the ticket (note its number or scan its code), or ask at the reception desk." },
};
// The check-in's refusals (POST /api/appointments/check-in), in the citizen's words
const REFUSED = {
  unknown_appointment: { fr: "Aucun rendez-vous d'aujourd'hui ne correspond à ce code. Vérifiez le code sur votre convocation : le rendez-vous est peut-être un autre jour.",
    en: "No appointment today matches this code. Check the code on your booking: the appointment may be on another day." },
  appointment_too_late: { fr: "L'heure de votre rendez-vous est trop loin passée pour l'enregistrer à la borne.",
    en: "Your appointment's time is too long past to check it in at the kiosk." },
  appointment_ended: { fr: "Ce rendez-vous ne peut plus être enregistré : il a déjà eu lieu, été annulé, ou été noté comme manqué.",
    en: "This appointment can no longer be checked in: it already took place, was cancelled, or was marked as missed." },
  appointment_cancelled: { fr: "Ce rendez-vous a été annulé.", en: "This appointment was cancelled." },
  // a kiosk not signed in with its account (/borne#kiosk=…) is anyone's browser to the bridge
  appointment_key_not_here: { fr: "Cette borne n'enregistre pas un rendez-vous par les initiales et l'heure, ni par un numéro court : tapez votre code de réservation ou votre numéro de pré-demande.",
    en: "This kiosk does not check in by initials and time, nor by a short number: type your booking code or your pre-application number." },
  appointment_noshow: { fr: "Ce rendez-vous a été noté comme manqué : vous pouvez prendre un ticket sans rendez-vous.",
    en: "This appointment was marked as missed: you can take a ticket without an appointment." },
  appointment_seen: { fr: "Ce rendez-vous a déjà eu lieu aujourd'hui.", en: "This appointment already took place today." },
  appointment_ambiguous: { fr: "Plusieurs rendez-vous correspondent à ces initiales et cette heure : tapez plutôt le code de réservation.",
    en: "Several appointments match these initials and time: type the booking code instead." },
};

// What a citizen chose before switching language comes along (the switch reloads the page),
// then leaves the address: a reload starts afresh.
const carried = { contrast: query.get("contrast") === "1", category: query.get("category"),
  needs: (query.get("needs") || "").split(",").filter((n) => n in NEEDS) };
for (const k of ["lang", "contrast", "category", "needs"]) query.delete(k);
const here = () => location.pathname + (query.toString() ? `?${query}` : "");

// The kiosk's own account (role "kiosk"): given once as /borne#kiosk=<token> when the kiosk PC
// is set up, kept by this browser, and sent with each ticket so that the kiosk, which takes
// tickets for everyone, is not held to the per-address limit of anonymous clients. The
// fragment never reaches the server or its logs, and leaves the address bar at once.
const KIOSK_KEY = "suivant-kiosk-token";
const given = new URLSearchParams(location.hash.slice(1)).get("kiosk");
if (given) localStorage.setItem(KIOSK_KEY, given);
history.replaceState(null, "", here());

const $ = (id) => document.getElementById(id);
let site, category = null, contrast = false, busy = false, idleTimer;
const needs = new Set();  // the citizen's needs asked for (NEEDS ids)

// « vers 10 h 40 — entre 10 h 35 et 10 h 50 (12 à 24 min) », as the ticket page says it
// (suivant.js waitWords: never a range from 0, an uncertain estimate said as such)
function wait(estimate) {
  return estimate ? waitWords(estimate) : t(T.noEstimate);
}

function waitLine(s) {
  if (!s.counters_open) return t(T.closed);
  if (s.waiting === 0) return t(T.nobody);
  const e = s.estimate_for_new_ticket;  // short: one line of a button in large text
  return `${t(T.waiting)(s.waiting)} · ${e ? waitWords(e, true) : t(T.noEstimate)}`;
}

async function load() {
  site = await api("api/site");
  $("site").textContent = site.name;
  document.title = `${t(T.choose)} — ${site.name}`;
  $("lang").textContent = lang === "fr" ? "English" : "Français";
  $("lang").lang = lang === "fr" ? "en" : "fr";
  $("lang").onclick = switchLanguage;
  $("contrast-label").textContent = t(T.contrast);
  $("skip").textContent = t(T.skip);
  $("contrast").onclick = () => { setContrast(!contrast); fit(); };
  $("side-open").onclick = () => showSide(true);
  $("side-close").textContent = t(T.sideClose);
  $("side-close").onclick = () => showSide(false);
  makeRdv();
  addEventListener("resize", fit);
  $("choose-title").textContent = t(T.choose);
  $("priority-title").textContent = t(T.prioTitle);
  $("priority-text").textContent = t(T.prioText);
  $("priority").hidden = !site.priority_categories.length;  // a site without categories
  $("choose").classList.toggle("no-priority", $("priority").hidden);
  $("needs-title").textContent = t(T.needsTitle);
  makeNeedButtons();
  $("still-here").textContent = t(T.stillHere);
  $("still-here").onclick = stillThere;
  setContrast(carried.contrast);
  category = carried.category;
  renderCategories();
  for (const n of carried.needs) needs.add(n);
  renderNeeds();
  stillThere();
  showOpening(site.open);
  setInterval(checkOpening, OPEN_POLL_MS);
  await refresh();
}

// Outside opening hours the kiosk says so before anyone taps (the bridge would refuse the
// ticket), with the next opening in the site's own time; a ticket on screen is left alone.
function showOpening(open) {
  const closed = open && !open.now;
  $("closed").hidden = !closed;
  $("choose").hidden = closed || !$("ticket").hidden || !$("rdv").hidden;
  if (!closed) return;
  $("closed-title").textContent = t(T.closedTitle);
  $("closed-text").textContent = t(T.closedText);
  $("closed-next").textContent = open.next ? t(T.reopens)(new Intl.DateTimeFormat(lang, {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
    timeZone: site.timezone }).format(new Date(open.next))) : "";
}

async function checkOpening() {
  try {
    site.open = (await api("api/site")).open;
  } catch (e) {
    return;  // the live link says when the bridge is away
  }
  if ($("ticket").hidden && $("rdv").hidden) showOpening(site.open);
  refresh().catch(() => {});  // the buttons' clock times move on with no event, too
}

function setContrast(on) {
  contrast = on;
  document.documentElement.classList.toggle("contrast", on);
  $("contrast").setAttribute("aria-pressed", String(on));
  $("contrast").querySelector(".check").textContent = on ? "✓ " : "";  // in the text: seen without CSS too
}

function switchLanguage() {
  const next = new URLSearchParams(query);
  next.set("lang", lang === "fr" ? "en" : "fr");
  if (contrast) next.set("contrast", "1");
  if (category) next.set("category", category);
  if (needs.size) next.set("needs", [...needs].join(","));
  location.assign(`${location.pathname}?${next}`);
}

function renderCategories() {
  const chosen = category && site.priority_categories.find((x) => x.id === category);
  if (!chosen) category = null;
  $("priority-status").textContent = chosen ? t(T.prioChosen)(chosen.name) : "";
  $("priority-status").className = chosen ? "alert" : "";
  $("priority-text").hidden = Boolean(chosen);
  $("categories").replaceChildren(...(chosen
    ? [el("button", { id: "cancel-priority", class: "secondary", onclick: () => choose(null) }, t(T.cancelPrio))]
    : site.priority_categories.map((c) => el("button", { "data-category": c.id, onclick: () => choose(c.id) }, c.name))));
}

// Toggle buttons, made once so that a pressed one keeps the keyboard's focus (a citizen may ask
// for more than one); the check mark is in the text, seen without colour or CSS.
function makeNeedButtons() {
  $("need-buttons").replaceChildren(...Object.entries(NEEDS).map(([id, words]) => el("button", {
    "data-need": id, "aria-pressed": "false",
    onclick: () => { if (!needs.delete(id)) needs.add(id); renderNeeds(); },
  }, el("span", { class: "check", "aria-hidden": "true" }), t(words.ask))));
}

function renderNeeds() {
  for (const b of $("need-buttons").querySelectorAll("button")) {
    const on = needs.has(b.dataset.need);
    b.setAttribute("aria-pressed", String(on));
    b.querySelector(".check").textContent = on ? "✓ " : "";
  }
}

// After a category, the focus goes on to the services the status asks for; after a
// cancellation, back to the categories
function choose(id) {
  category = id;
  renderCategories();
  if (id && $("choose").classList.contains("side-shown")) showSide(false);  // on to the services
  document.querySelector(id ? "#services button" : "#categories button")?.focus();
}

async function refresh() {
  const { services } = await api("api/services");
  const grid = $("services");
  const focused = document.activeElement?.dataset?.service;  // a live update keeps the focus
  // unchanged, the buttons stay as they are: a touch under way is not lost to the minute's poll
  const shown = JSON.stringify(services.map((s) => [s.id, s.letter, s.name, waitLine(s)]));
  if (grid.dataset.shown === shown) return fit();
  grid.dataset.shown = shown;
  grid.classList.toggle("many", services.length > 6);
  $("choose").classList.toggle("many", services.length > 6);
  grid.replaceChildren(...services.map((s) => el("button", {
    class: "service", "data-service": s.id, onclick: () => take(s),
  }, `${s.letter} — ${s.name}`, el("span", { class: "wait" }, waitLine(s)))));
  if (focused) grid.querySelector(`[data-service="${CSS.escape(focused)}"]`)?.focus();
  fit();
}

async function take(service, print = true) {
  if (busy) return;  // a second tap while the first is on its way: one ticket
  busy = true;
  const body = { service: service.id, print };
  if (category) body.category = category;
  if (needs.size) body.needs = Object.keys(NEEDS).filter((n) => needs.has(n));
  try {
    const answer = await issue(body);
    showTicket(answer.ticket, service, answer.printed);
  } catch (e) {
    showRefusal(e, service);
  } finally {
    busy = false;
  }
}

// A token the site no longer has counts as none: the kiosk goes on, as an anonymous client.
function issue(body) {
  return api("api/tickets", { method: "POST", body, key: newKey(),
    token: localStorage.getItem(KIOSK_KEY) || undefined });
}

// The ticket or a refusal instead of the choice; the focus on its title
function showScreen(kind, children) {
  const box = $("ticket");
  box.className = kind;
  box.replaceChildren(...children);
  $("choose").hidden = true;
  $("closed").hidden = true;
  $("rdv").hidden = true;
  fit();  // unfolded: a folded choice would show through its [hidden]
  $("lang").hidden = true;  // a reload now would lose the ticket
  box.hidden = false;
  $("ticket-title").focus();
  stillThere();
}

function showTicket(ticket, service, printed, appointment = null) {
  const late = appointment && !ticket.appointment_at;  // checked in too late: a walk-in ticket
  const page = `${root}ticket/${encodeURIComponent(ticket.id)}`;
  const category = ticket.category &&
    (site.priority_categories.find((c) => c.id === ticket.category)?.name ?? ticket.category);
  // two of needs, a priority and a print: the screen's fullest; « imprimé » then goes by the QR code
  const crowded = [ticket.needs && ticket.needs.length, category, printed, appointment].filter(Boolean).length >= 2;
  const note = printed ? el("p", { class: "alert", id: "printed" }, t(T.printed)) : null;
  showScreen(crowded ? "ticket full" : "ticket", [
    el("div", { class: "ticket-info" },
      el("h2", { id: "ticket-title", tabindex: "-1" }, t(T.yourTicket)),
      crowded ? null : note,
      el("p", { class: "big-number", id: "ticket-label" }, ticket.label),
      el("p", { id: "ticket-service" }, service.name),
      ticket.appointment_at ? el("p", { class: "rdv-ticket", id: "ticket-appointment" }, t(R.at)(clock(ticket.appointment_at))) : null,
      callableFrom(ticket) ? el("p", { id: "ticket-callable" }, t(R.from)(clock(callableFrom(ticket)))) : null,
      late ? el("p", { class: "rdv-ticket", id: "ticket-appointment" }, t(R.late)(clock(appointment.at))) : null,
      category ? el("p", { class: "priority-ticket", id: "ticket-priority" }, t(T.prioTicket)(category)) : null,
      ticket.needs && ticket.needs.length
        ? el("p", { class: "needs-ticket", id: "ticket-needs" }, `${askedFor(ticket.needs)} ${t(T.agentKnows)}`) : null,
      el("p", { id: "ticket-ahead" }, ahead(ticket.ahead)),
      // checked in early, the time it may be called says more than an estimate from now
      callableFrom(ticket) ? null : el("p", { id: "ticket-wait" }, t(T.wait)(wait(ticket.estimate)))),
    el("div", { class: "ticket-qr" },
      crowded ? note : null,
      el("img", { src: `api/tickets/${encodeURIComponent(ticket.id)}/qr.svg`, alt: t(T.qr) }),
      el("p", {}, t(T.follow), " ", el("a", { href: page, id: "ticket-link" }, page.slice(0, 16) + "…"))),
    el("div", { class: "actions" }, el("button", { id: "done", onclick: nextCitizen }, t(T.done)))]);
}

function showRefusal(e, service) {
  const unprinted = e.code === "printer_failed";
  showScreen("refusal", [
    el("h2", { id: "ticket-title", tabindex: "-1" }, e.code === "site_closed" ? t(T.closedTitle) : t(T.failed)),
    el("p", { class: "error", role: "alert", id: "ticket-error" },
      unprinted ? t(T.unprinted) : e.code === "site_closed" ? t(T.closedText) : e.code ? explain(e) : t(T.unreachable)),
    el("div", { class: "actions" },
      unprinted ? el("button", { id: "no-print", onclick: () => take(service, false) }, t(T.noPrint)) : null,
      el("button", { id: "done", class: unprinted ? "secondary" : "", onclick: nextCitizen }, t(T.done)))]);
}

// --- « J'ai un rendez-vous »: one field, typed into by a QR scanner (fast, then Enter), by a
// keyboard, or by the big keys on screen (which do not take the focus from the field) --------
const KEY_ROWS = ["1234567890", "AZERTYUIOP", "QSDFGHJKLM", "WXCVBN"];  // then ⌫; - : space, clear

function makeRdv() {
  $("rdv-open").hidden = !site.services.some((s) => s.appointments);  // a site that books some
  $("rdv-open").textContent = t(R.tile);
  $("rdv-open").onclick = openRdv;
  $("rdv-title").textContent = t(R.title);
  $("rdv-label").textContent = t(R.label);
  $("rdv-help").textContent = t(R.help);
  $("rdv-go").textContent = t(R.go);
  $("rdv-back").textContent = t(R.back);
  $("rdv-back").onclick = nextCitizen;
  $("rdv-keys-title").textContent = t(R.keys);
  const field = $("rdv-key");
  const type = (text) => {
    const at = field.selectionStart ?? field.value.length, end = field.selectionEnd ?? at;
    field.value = (field.value.slice(0, at) + text + field.value.slice(end)).slice(0, field.maxLength);
    field.setSelectionRange(at + text.length, at + text.length);
  };
  const key = (label, act, attrs = {}) => el("button", { type: "button", ...attrs,
    onpointerdown: (ev) => ev.preventDefault(),  // a touch leaves the focus in the field
    onclick: act }, label);
  $("rdv-keys").append(
    ...KEY_ROWS.join("").split("").map((c) => key(c, () => type(c), { "data-key": c })),
    key(t(R.erase), () => {
      const at = field.selectionStart ?? field.value.length, end = field.selectionEnd ?? at;
      const from = at === end ? Math.max(0, at - 1) : at;
      field.value = field.value.slice(0, from) + field.value.slice(end);
      field.setSelectionRange(from, from);
    }, { id: "rdv-erase", class: "wide", "aria-label": t(R.eraseLabel) }),
    ...["-", ":"].map((c) => key(c, () => type(c), { "data-key": c })),
    key(t(R.space), () => type(" "), { id: "rdv-space", class: "wide" }),
    key(t(R.clear), () => { field.value = ""; }, { id: "rdv-clear", class: "wide" }));
  $("rdv-form").onsubmit = (ev) => { ev.preventDefault(); checkIn(); };
  // a scanner's characters while the focus is on a key or elsewhere on the screen: into the field
  document.addEventListener("keydown", (ev) => {
    if ($("rdv").hidden || ev.target === field || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    if (ev.key.length === 1 && ev.key !== " ") field.focus();
  }, { capture: true });
  // a touch beside the keys: the focus comes back to the field
  field.addEventListener("blur", () => setTimeout(() => {
    if (!$("rdv").hidden && document.activeElement === document.body) field.focus();
  }, 0));
}

function openRdv() {
  $("choose").hidden = true;
  $("closed").hidden = true;
  fit();  // a folded choice (display: flex !important) would show through its [hidden]
  $("rdv").hidden = false;
  $("rdv-key").value = "";
  $("rdv-key").focus();
  stillThere();
}

function closeRdv() {
  $("rdv").hidden = true;
  $("rdv-key").value = "";  // a booking code is the citizen's: gone with them
}

// given: the key again, after a printer that failed (the field is emptied after each try)
async function checkIn(given = null, print = true) {
  const field = $("rdv-key"), key = given ?? field.value.trim();
  if (!key) {
    $("rdv-help").textContent = t(R.empty);
    field.focus();
    return;
  }
  if (busy) return;
  busy = true;
  try {
    const answer = await api("api/appointments/check-in", { method: "POST", body: { key, print }, key: newKey(),
      token: localStorage.getItem(KIOSK_KEY) || undefined });
    const service = site.services.find((s) => s.id === answer.ticket.service) || { name: answer.ticket.service };
    showTicket(answer.ticket, service, answer.printed, answer.appointment);
  } catch (e) {
    showRdvRefusal(e, key);
  } finally {
    closeRdv();
    $("rdv-help").textContent = t(R.help);
    busy = false;
  }
}

function showRdvRefusal(e, key) {
  const unprinted = e.code === "printer_failed";  // nothing checked in: again, without printing
  const words = unprinted ? t(R.unprinted) : REFUSED[e.code] ? t(REFUSED[e.code]) : e.code ? explain(e) : t(T.unreachable);
  showScreen("refusal", [
    el("h2", { id: "ticket-title", tabindex: "-1" }, t(R.failed)),
    el("p", { class: "error", role: "alert", id: "ticket-error" }, words),
    unprinted ? null : el("p", { class: "reception", id: "ticket-reception" }, t(R.reception)),
    el("div", { class: "actions" },
      unprinted ? el("button", { id: "no-print", onclick: () => checkIn(key, false) }, t(T.noPrint))
        : el("button", { id: "rdv-retry", onclick: () => { $("ticket").hidden = true; openRdv(); } }, t(R.retry)),
      el("button", { id: "done", class: "secondary", onclick: nextCitizen }, t(T.done)))]);
}

// « 10 h 30 » (French) or "10:30", in the site's time
function clock(iso) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZone: site.timezone }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return lang === "fr" ? `${Number(parts.hour)} h ${parts.minute}` : `${parts.hour}:${parts.minute}`;
}

// Checked in before its service may call it: when it may (the ticket's issue time is the
// bridge's clock, not this PC's)
function callableFrom(ticket) {
  if (!ticket.appointment_at) return null;
  const rules = site.services.find((s) => s.id === ticket.service)?.appointments;
  const before = (rules ? rules.callable_before_minutes : 5) * 60000;
  const from = Date.parse(ticket.appointment_at) - before;
  return Date.parse(ticket.issued_at) < from ? new Date(from).toISOString() : null;
}

// The next citizen: French, normal contrast, no priority, no needs, the choice of services
// Past what the screen holds (many services in large text on a small screen) the priority
// access and the needs fold behind one button; not on a zoomed or narrow window, which scrolls.
function fit() {
  const choose = $("choose"), shown = choose.classList.contains("side-shown");
  choose.classList.remove("folded", "side-shown");  // measured unfolded (before any paint)
  if (choose.hidden || innerWidth < 700 || innerHeight < 600) return;
  const grid = $("services");
  if (document.documentElement.scrollHeight > innerHeight + 1 || grid.scrollHeight > grid.clientHeight + 1) {
    choose.classList.add("folded");
    choose.classList.toggle("side-shown", shown);  // a live update leaves the step open
  }
  $("side-open").setAttribute("aria-expanded", String(shown && choose.classList.contains("folded")));
  $("side-open").textContent = t(category || needs.size ? T.sideChosen : T.sideOpen);
}

function showSide(shown) {
  $("choose").classList.toggle("side-shown", shown);
  $("side-open").setAttribute("aria-expanded", String(shown));
  $("side-open").textContent = t(category || needs.size ? T.sideChosen : T.sideOpen);
  (shown ? document.querySelector("#categories button, #need-buttons button") : $("side-open"))?.focus();
}

function nextCitizen() {
  clearTimeout(idleTimer);
  $("still-there").hidden = true;
  if (lang !== "fr") {
    localStorage.removeItem(LANG_KEY);
    location.replace(here());
    return;
  }
  const wasShowing = !$("ticket").hidden;
  setContrast(false);
  category = null;
  renderCategories();
  needs.clear();
  renderNeeds();
  $("ticket").hidden = true;
  const wasRdv = !$("rdv").hidden;
  closeRdv();
  showOpening(site.open);  // the choice, or « fermé » if the hours ended meanwhile
  checkOpening();
  $("lang").hidden = false;
  if (wasShowing || wasRdv) ($("closed").hidden ? $("choose-title") : $("closed-title")).focus();
  refresh().catch(() => {});
}

// A touch, a key or a wheel anywhere: someone is there. Left alone, a kiosk with something
// chosen (a ticket shown, English, the contrast mode, a priority, a need) asks, then starts afresh.
const chosen = () => lang !== "fr" || contrast || category || needs.size || !$("ticket").hidden || !$("rdv").hidden;
function stillThere() {
  clearTimeout(idleTimer);
  $("still-there").hidden = true;
  idleTimer = setTimeout(() => {
    if (!chosen()) return;
    $("still-there-text").textContent = t(T.stillThere)(Math.round(WARN_MS / 1000));
    $("still-there").hidden = false;
    idleTimer = setTimeout(nextCitizen, WARN_MS);
  }, $("ticket").hidden ? IDLE_MS : TICKET_MS);
}
for (const type of ["pointerdown", "keydown", "wheel"]) {
  document.addEventListener(type, stillThere, { capture: true, passive: true });
}

let pending;
live(() => { clearTimeout(pending); pending = setTimeout(() => refresh().catch(() => {}), 300); },
  (up) => {
    const banner = $("offline");
    banner.hidden = up;
    banner.textContent = t(T.offline);
  });
load().catch((e) => {
  document.querySelector("main").prepend(el("p", { class: "error", role: "alert" }, e.message));
});
