// The agent console: the terminal's actions for desks without a board (or beside one: both
// go to the same queue, so they stay in step). The staff token stays in this tab only.
import { api, ApiError, el, explain, langLink, live, needName, newKey, staffSignIn, t, lang } from "./suivant.js";
import { questionsPanel } from "./guichet_questions.js";

const T = {
  counter: { fr: "Guichet", en: "Counter" },
  serving: { fr: "Ticket en cours", en: "Serving" },
  none: { fr: "aucun", en: "none" },
  status: { open: { fr: "ouvert", en: "open" }, paused: { fr: "en pause", en: "paused" },
    closed: { fr: "fermé", en: "closed" } },
  waiting: { fr: (n, p) => `${n} en attente` + (p ? `, dont ${p} prioritaire${p > 1 ? "s" : ""}` : ""),
    en: (n, p) => `${n} waiting` + (p ? `, ${p} of them priority` : "") },
  calledAt: { fr: (h, r) => `appelé à ${h}` + (r ? ` · ${r} rappel${r > 1 ? "s" : ""}` : ""),
    en: (h, r) => `called at ${h}` + (r ? ` · recalled ${r}×` : "") },
  priority: { fr: "Ticket prioritaire", en: "Priority ticket" },
  needs: { fr: (list, n) => `${n > 1 ? "Besoins" : "Besoin"} : ${list}`, en: (list, n) => `${n > 1 ? "Needs" : "Need"}: ${list}` },
  lacks: { fr: (items) => `Ce guichet n'a pas : ${items}.`, en: (items) => `This counter lacks: ${items}.` },
  foundAt: { fr: (need, names) => `${need} (à trouver au ${names.join(" ou au ")})`,
    en: (need, names) => `${need} (found at ${names.join(" or at ")})` },
  next: { fr: "Suivant", en: "Next" },
  recall: { fr: "Rappel", en: "Recall" },
  absent: { fr: "Absent", en: "No-show" },
  finish: { fr: "Terminer", en: "Finish" },
  pause: { fr: "Pause", en: "Pause" },
  open: { fr: "Ouvrir", en: "Open" },
  close: { fr: "Fermer le guichet", en: "Close the counter" },
  transferTo: { fr: "Transférer vers", en: "Transfer to" },
  transfer: { fr: "Transfert", en: "Transfer" },
  undo: { fr: (label, s) => `Annuler « Absent » pour ${label} (encore ${s} s)`,
    en: (label, s) => `Undo “No-show” for ${label} (${s} s left)` },
  markedAbsent: {
    fr: (label, s) => `${label} marqué absent. Vous pouvez annuler pendant ${s === 60 ? "1 minute" : `${s} s`}.`,
    en: (label, s) => `${label} marked as a no-show. You can undo it for ${s === 60 ? "1 minute" : `${s} s`}.` },
  undone: { fr: (label) => `${label} est de retour à sa place dans la file.`,
    en: (label) => `${label} is back in its place in the line.` },
  transferred: { fr: (label, to) => `${label} transféré vers ${to}.`, en: (label, to) => `${label} transferred to ${to}.` },
  offline: { fr: "Connexion perdue : nouvel essai…", en: "Connection lost: retrying…" },
  rdv: { fr: (h) => `RDV ${h}`, en: (h) => `Appointment ${h}` },
  rdvCall: { fr: (m) => m === 0 ? "appelé à l'heure" : m > 0 ? `appelé ${m} min après l'heure` : `appelé ${-m} min avant l'heure`,
    en: (m) => m === 0 ? "called on time" : m > 0 ? `called ${m} min after the time` : `called ${-m} min before the time` },
  rdvWaiting: { fr: (list, more) => `Rendez-vous : ${list}` + (more ? ` et ${more} autre${more > 1 ? "s" : ""}` : ""),
    en: (list, more) => `Appointments: ${list}` + (more ? ` and ${more} more` : "") },
  rdvItem: { fr: (label, h) => `${label} à ${h}`, en: (label, h) => `${label} at ${h}` },
  checkin: { fr: "Enregistrer un rendez-vous", en: "Check in an appointment" },
  checkinLabel: { fr: "Code de réservation, numéro de pré-demande ANTS, ou initiales et heure", en: "Booking code, ANTS pre-application number, or initials and time" },
  checkinHelp: { fr: "Pour un citoyen venu à l'accueil : son ticket est marqué rendez-vous, avec l'heure (exemple : JD 10:30).",
    en: "For a citizen at the reception desk: the ticket is marked appointment, with its time (example: JD 10:30)." },
  checkinGo: { fr: "Enregistrer", en: "Check in" },
  checkedIn: { fr: (label, h, service) => `${label} : rendez-vous de ${h} enregistré (${service}).`,
    en: (label, h, service) => `${label}: the ${h} appointment is checked in (${service}).` },
  checkedLate: { fr: (label, h, service) => `${label} : rendez-vous de ${h} arrivé trop tard, ticket sans rendez-vous (${service}).`,
    en: (label, h, service) => `${label}: the ${h} appointment came too late, a walk-in ticket (${service}).` },
  checkedAgain: { fr: (label) => `Déjà enregistré : son ticket est ${label}.`, en: (label) => `Already checked in: its ticket is ${label}.` },
};

// The check-in's refusals (POST /api/appointments/check-in), for the agent
const CHECKIN_REFUSALS = {
  unknown_appointment: { fr: "Aucun rendez-vous d'aujourd'hui ne correspond : vérifiez le code, ou le jour du rendez-vous.",
    en: "No appointment today matches: check the code, or the appointment's day." },
  appointment_too_late: { fr: "Trop tard pour ce rendez-vous : le site refuse les retards au-delà du délai. Donnez un ticket sans rendez-vous si besoin.",
    en: "Too late for this appointment: the site refuses late arrivals past the limit. Give a walk-in ticket if needed." },
  appointment_ended: { fr: "Ce rendez-vous est terminé (déjà reçu, annulé ou noté manqué).", en: "This appointment is over (seen, cancelled or marked missed)." },
  appointment_cancelled: { fr: "Ce rendez-vous a été annulé dans l'outil de réservation.", en: "This appointment was cancelled in the booking tool." },
  appointment_noshow: { fr: "Ce rendez-vous a été noté manqué : donnez un ticket sans rendez-vous.", en: "This appointment was marked missed: give a walk-in ticket." },
  appointment_seen: { fr: "Ce rendez-vous a déjà été reçu aujourd'hui.", en: "This appointment was already seen today." },
  appointment_ambiguous: { fr: "Plusieurs rendez-vous ont ces initiales et cette heure : utilisez le code de réservation.",
    en: "Several appointments have these initials and time: use the booking code." },
};

// The bridge's refusals this page meets and suivant.js does not word
const REFUSALS = {
  same_service: { fr: "Ce ticket est déjà dans ce service : choisissez-en un autre.",
    en: "This ticket is already in that service: choose another one." },
  nothing_to_undo: { fr: "Rien à annuler : le ticket est déjà revenu dans la file, ou a été rappelé.",
    en: "Nothing to undo: the ticket is already back in line, or called again." },
  undo_expired: { fr: "Trop tard pour annuler « Absent » : le délai est passé. Le citoyen peut reprendre un ticket.",
    en: "Too late to undo the no-show: the time is up. The citizen can take a new ticket." },
  undo_refused: { fr: "Impossible d'annuler : son numéro a été donné à un nouveau ticket. Donnez-lui un nouveau ticket.",
    en: "Cannot undo: its number was given to a new ticket. Give the citizen a new ticket." },
};

let token = null, me = null, site = null, number = null, undoTimer = null;
let panel = null;  // the citizens' questions (guichet_questions.js)
const $ = (id) => document.getElementById(id);

function say(text, error = true) {
  $("message").replaceChildren(...(text ? [el("p", { class: error ? "error" : "alert" }, text)] : []));
}

function refusal(e) {
  return REFUSALS[e && e.code] ? t(REFUSALS[e.code]) : explain(e);
}

async function showDesk(account, staffToken) {
  me = account;
  token = staffToken;
  $("desk").hidden = false;
  const allowed = site.counters.filter((k) => me.role === "admin" || !me.counters.length || me.counters.includes(k.number));
  const select = $("counter");
  select.replaceChildren(...allowed.map((k) => el("option", { value: k.number }, k.name)));
  const asked = Number(new URLSearchParams(location.search).get("guichet") || sessionStorage.getItem("suivant-counter"));
  number = allowed.some((k) => k.number === asked) ? asked : allowed[0].number;
  select.value = number;
  select.onchange = () => {
    number = Number(select.value);
    sessionStorage.setItem("suivant-counter", number);
    seat();
    refresh();
    if (panel) panel.counterChanged();  // the questions show at the counters that take them
  };
  seat();
  await refresh();
  // the citizens' questions, for the agents the site lets answer (others: the panel stays hidden)
  panel = questionsPanel({ section: $("questions-panel"), site, token, say, counter: () => number });
  panel.start();
}

// A named agent sits at the chosen counter: from then on its board's presses are hers (the
// audit log says so). Machine tokens have no seat.
async function seat() {
  if (!me.session) return;
  try {
    await api("api/staff/counter", { method: "POST", token, body: { counter: number } });
  } catch (e) {
    say(refusal(e));
  }
}

// One press: -> the counter as the bridge answered, or null when refused (and said so)
async function act(action, body) {
  say("");
  let answer = null;
  try {
    answer = (await api(`api/counters/${number}/${action}`, { method: "POST", token, key: newKey(), body })).counter;
  } catch (e) {
    say(refusal(e));
  }
  await refresh();
  keepFocus();
  return answer;
}

// A pressed button that is now disabled or hidden has dropped the keyboard's focus: give it to
// the next thing to do (the undo just offered, else « Suivant »), never to the top of the page.
function keepFocus() {
  const f = document.activeElement;
  if (f && f !== document.body && !f.disabled && f.offsetParent !== null) return;
  ($("undo-row").hidden ? $("next") : $("undo-absent")).focus();
}

// The buttons are made once and updated: a button keeps the keyboard's focus across refreshes
function buttons() {
  const make = (id, cls, label, onclick) => el("button", { id, class: cls, onclick }, t(label));
  const ticketOf = () => $("current").textContent;
  $("actions").replaceChildren(
    make("next", "", T.next, () => act("next")),
    make("recall", "secondary", T.recall, () => act("recall")),
    make("absent", "secondary", T.absent, async () => {
      const label = ticketOf();
      const k = await act("absent");
      if (k && k.undo_absent) say(t(T.markedAbsent)(label, k.undo_absent.seconds_left), false);
    }),
    make("finish", "secondary", T.finish, () => act("finish")),
    make("open", "secondary", T.open, (ev) => act(ev.currentTarget.id)),  // « open » or « pause »
    make("close", "danger", T.close, () => act("close")));
  $("undo-absent").onclick = async () => {
    const label = $("undo-absent").dataset.label;
    if (await act("undo-absent")) {
      say(t(T.undone)(label), false);
      $("next").focus();
    }
  };
  $("transfer").onclick = async () => {
    const to = site.services.find((s) => s.id === $("transfer-to").value);
    const label = ticketOf();
    if (to && await act("transfer", { service: to.id })) say(t(T.transferred)(label, to.name), false);
  };
}

// The undo of « Absent », offered while the bridge allows it; it counts down and goes by itself.
// Counted on this PC's clock from the seconds the bridge says are left (the two clocks may
// differ), and never back up: a later refresh of the same absence keeps the earlier end.
let undoShown = null;  // {until, end}: the absence offered (the bridge's `until`), its end here
function showUndo(undo) {
  clearInterval(undoTimer);
  const row = $("undo-row"), button = $("undo-absent");
  if (!undo) { row.hidden = true; undoShown = null; return; }
  let end = Date.now() + undo.seconds_left * 1000;
  if (undoShown && undoShown.until === undo.until) end = Math.min(end, undoShown.end);
  undoShown = { until: undo.until, end };
  button.dataset.label = undo.label;
  const paint = () => {
    const left = Math.ceil((end - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(undoTimer);
      const had = document.activeElement === button;
      row.hidden = true;
      if (had) $("next").focus();
      return;
    }
    button.textContent = t(T.undo)(undo.label, left);
  };
  row.hidden = false;
  paint();
  undoTimer = setInterval(paint, 1000);
}

// The needs this counter does not offer, and which counters do: said only on a site that
// says what its counters offer (elsewhere nobody knows, and nothing is claimed)
function lacks(needs) {
  if (!site.counters.some((k) => k.offers && k.offers.length)) return null;
  const here = site.counters.find((k) => k.number === number);
  const missing = needs.filter((n) => !(here && (here.offers || []).includes(n)));
  if (!missing.length) return null;
  return t(T.lacks)(missing.map((n) => {
    const at = site.counters.filter((k) => (k.offers || []).includes(n)).map((k) => k.name);
    return at.length ? t(T.foundAt)(needName(n), at) : needName(n);
  }).join(", "));
}

async function refresh() {
  const [k, { services }] = await Promise.all([api(`api/counters/${number}`), api("api/services")]);
  $("desk-title").textContent = `${k.name} — ${t(T.status[k.status])}`;
  const current = $("current"), ticket = k.ticket;
  const category = ticket && ticket.category &&
    (site.priority_categories.find((c) => c.id === ticket.category) || { name: ticket.category });
  current.textContent = ticket ? ticket.label : "—";
  const needs = ticket && ticket.needs && ticket.needs.length ? ticket.needs : [];
  const needsText = needs.length ? t(T.needs)(needs.map(needName).join(", "), needs.length) : "";
  current.setAttribute("aria-label", `${t(T.serving)} : ${ticket ? ticket.label : t(T.none)}` +
    (category ? ` — ${t(T.priority)}` : "") + (needsText ? ` — ${needsText}` : ""));
  const rdv = ticket && ticket.appointment_at ? appointmentText(ticket) : "";
  $("current-appointment").hidden = !rdv;
  $("current-appointment").textContent = rdv;
  if (rdv) current.setAttribute("aria-label", `${current.getAttribute("aria-label")} — ${rdv}`);
  $("current-priority").hidden = !category;
  $("current-priority").textContent = category ? `${t(T.priority)} : ${category.name}` : "";
  $("current-needs").hidden = !needsText;
  $("current-needs").textContent = needsText;
  const lacking = lacks(needs);
  $("current-needs-elsewhere").hidden = !lacking;
  $("current-needs-elsewhere").textContent = lacking || "";
  $("current-detail").textContent = ticket ?
    t(T.calledAt)(new Date(ticket.called_at).toLocaleTimeString(lang === "fr" ? "fr-FR" : "en-GB",
      { hour: "2-digit", minute: "2-digit", timeZone: site.timezone }), ticket.recalls) : "";
  $("waiting").replaceChildren(...k.services.flatMap((id) => {
    const s = services.find((x) => x.id === id), rdv = appointmentsWaiting(s);
    return [el("dt", {}, s.name), el("dd", { "data-waiting": id }, t(T.waiting)(s.waiting, s.priority_waiting),
      rdv ? el("span", { class: "rdv-list", "data-appointments": id }, rdv) : null)];
  }));
  const serving = !!ticket;
  for (const id of ["recall", "absent", "finish"]) $(id).disabled = !serving;
  const toggle = $("open") || $("pause");
  toggle.id = k.status === "open" ? "pause" : "open";
  toggle.textContent = t(k.status === "open" ? T.pause : T.open);
  $("close").disabled = k.status === "closed";
  showUndo(k.undo_absent);
  // a ticket goes to another service some counter serves: never back to its own
  const served = new Set(site.counters.flatMap((c) => c.services));
  const targets = site.services.filter((s) => served.has(s.id) && !(ticket && s.id === ticket.service));
  const select = $("transfer-to"), kept = select.value;
  select.replaceChildren(...targets.map((s) => el("option", { value: s.id }, s.name)));
  if (targets.some((s) => s.id === kept)) select.value = kept;
  select.disabled = $("transfer").disabled = !serving;
}

// « 10 h 30 » (French) or "10:30", in the site's time
function clock(iso) {
  const p = Object.fromEntries(new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    timeZone: site.timezone }).formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return lang === "fr" ? `${Number(p.hour)} h ${p.minute}` : `${p.hour}:${p.minute}`;
}

// « RDV 10 h 30 · appelé 4 min après l'heure »: the appointment, and how its call fell
function appointmentText(ticket) {
  const late = ticket.called_at ? Math.round((Date.parse(ticket.called_at) - Date.parse(ticket.appointment_at)) / 60000) : null;
  return t(T.rdv)(clock(ticket.appointment_at)) + (late === null ? "" : ` · ${t(T.rdvCall)(late)}`);
}

// The appointments waiting in a service, the next ones named in call order (the service's
// view has them: no waiting list read after every event): text or null
function appointmentsWaiting(s) {
  const next = s.next_appointments || [];
  if (!s.appointments_waiting || !next.length) return null;
  return t(T.rdvWaiting)(next.map((x) => t(T.rdvItem)(x.label, clock(x.appointment_at))).join(", "),
    Math.max(0, s.appointments_waiting - next.length));
}

// Reception's check-in: the same endpoint as the kiosk's, with the agent's token
async function checkIn(ev) {
  ev.preventDefault();
  const field = $("checkin-key"), key = field.value.trim(), out = $("checkin-result");
  if (!key) { field.focus(); return; }
  out.className = "";
  try {
    // by hand, not api(): its status says whether it was checked in before (200) or now (201)
    const r = await fetch("api/appointments/check-in", { method: "POST", body: JSON.stringify({ key }),
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, "Idempotency-Key": newKey() } });
    const a = await r.json().catch(() => null);
    if (!r.ok) throw new ApiError(r.status, a);
    a.again = r.status === 200;
    const name = (site.services.find((s) => s.id === a.ticket.service) || { name: a.ticket.service }).name;
    const at = clock(a.appointment.at);
    out.textContent = a.again ? t(T.checkedAgain)(a.ticket.label)
      : t(a.ticket.appointment_at ? T.checkedIn : T.checkedLate)(a.ticket.label, at, name);
    out.className = "alert";
    field.value = "";  // the citizen's code stays on no screen
  } catch (e) {
    out.textContent = CHECKIN_REFUSALS[e.code] ? t(CHECKIN_REFUSALS[e.code]) : explain(e);
    out.className = "error";
    field.select();
  }
  refresh().catch(() => {});
}

async function start() {
  site = await api("api/site");
  $("title").textContent = `${site.name} — ${t(T.counter).toLowerCase()}`;
  langLink();
  $("counter-label").textContent = t(T.counter) + " ";
  $("transfer-label").textContent = t(T.transferTo) + " ";
  $("transfer").textContent = t(T.transfer);
  $("checkin-title").textContent = t(T.checkin);
  $("checkin-label").textContent = t(T.checkinLabel);
  $("checkin-help").textContent = t(T.checkinHelp);
  $("checkin-go").textContent = t(T.checkinGo);
  $("checkin").onsubmit = checkIn;
  buttons();
  await staffSignIn({ fr: "Connexion agent", en: "Agent sign-in" }, ["agent", "admin"], showDesk, say);
  let pending;
  live(() => { clearTimeout(pending); if (number !== null && me) pending = setTimeout(() => refresh().catch(() => {}), 200); },
    (up) => {
      const banner = $("offline");
      banner.hidden = up;
      banner.textContent = t(T.offline);
    });
}
start().catch((e) => say(e.message));
