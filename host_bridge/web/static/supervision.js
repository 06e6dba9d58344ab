// The supervisor's page: the queues live, and the indicators of a period (table, chart,
// tickets per weekday and hour, satisfaction), its CSV, and the year's published summary.
import { api, ApiError, el, explain, langLink, live, periodRefused, range, staffSignIn, t, lang } from "./suivant.js";

const T = {
  live: { fr: "En ce moment", en: "Right now" },
  service: { fr: "Service", en: "Service" },
  waiting: { fr: "En attente", en: "Waiting" },
  open: { fr: "Guichets ouverts", en: "Counters open" },
  estimate: { fr: "Attente pour un nouveau ticket", en: "Wait for a new ticket" },
  counter: { fr: "Guichet", en: "Counter" },
  state: { fr: "État", en: "State" },
  serving: { fr: "Ticket en cours", en: "Serving" },
  status: { open: { fr: "ouvert", en: "open" }, paused: { fr: "en pause", en: "paused" },
    closed: { fr: "fermé", en: "closed" } },
  indicators: { fr: "Indicateurs", en: "Indicators" },
  from: { fr: "Du", en: "From" }, to: { fr: "au", en: "To" },
  show: { fr: "Afficher", en: "Show" }, csv: { fr: "Exporter en CSV", en: "Export as CSV" },
  all: { fr: "Tous services", en: "All services" },
  cols: { fr: ["Tickets", "Reçus", "Absents", "Abandons", "Attente moyenne", "Médiane", "90e centile",
    "Dans le délai cible", "Durée de service", "Taux d'absence"],
  en: ["Tickets", "Served", "No-shows", "Cancelled", "Mean wait", "Median", "90th percentile",
    "Within target", "Service time", "No-show rate"] },
  chart: { fr: "Attente moyenne par service (min) ; le trait : le délai cible",
    en: "Mean wait per service (min); the line: the target" },
  heat: { fr: "Tickets par jour et par heure", en: "Tickets per weekday and hour" },
  perCounter: { fr: "Par guichet", en: "Per counter" },
  perCounterCols: { fr: ["Guichet", "Reçus", "Absents", "Durée de service"], en: ["Counter", "Served", "No-shows", "Service time"] },
  days: { fr: ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."], en: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] },
  sat: { fr: "Satisfaction (bornes d'avis et enquête sur téléphone)", en: "Satisfaction (feedback terminals and the phone survey)" },
  satText: { fr: (v, s, n) => `${v} avis · ${s} satisfaits · satisfaction nette ${n}`,
    en: (v, s, n) => `${v} opinions · ${s} satisfied · net satisfaction ${n}` },
  noVotes: { fr: "Aucun avis sur la période.", en: "No opinion over the period." },
  satCaption: { fr: "Avis par source", en: "Opinions by source" },
  satCols: { fr: ["Source", "Avis", "Satisfaits", "Satisfaction nette"], en: ["Source", "Opinions", "Satisfied", "Net satisfaction"] },
  sources: { terminal: { fr: "borne", en: "terminal" }, phone: { fr: "téléphone", en: "phone" } },
  together: { fr: "Ensemble", en: "Together" },
  rate: { fr: (p) => `Taux de réponse à l'enquête après la visite : ${p} des usagers reçus.`,
    en: (p) => `Response rate of the survey after the visit: ${p} of the citizens received.` },
  noRate: { fr: "Taux de réponse à l'enquête après la visite : aucun usager reçu sur la période.",
    en: "Response rate of the survey after the visit: no citizen received over the period." },
  comments: { fr: "Commentaires de l'enquête", en: "Comments of the survey" },
  noComments: { fr: "Aucun commentaire sur la période.", en: "No comment over the period." },
  commentsText: { fr: (n, max) => `${n} ${n > 1 ? "commentaires" : "commentaire"}, du plus récent au plus ancien${n >= max ? ` (les ${max} plus récents)` : ""}.`,
    en: (n, max) => `${n} ${n > 1 ? "comments" : "comment"}, newest first${n >= max ? ` (the ${max} newest)` : ""}.` },
  scores: { 4: { fr: "très satisfait", en: "very satisfied" }, 3: { fr: "plutôt satisfait", en: "rather satisfied" },
    2: { fr: "plutôt pas satisfait", en: "rather not satisfied" }, 1: { fr: "pas du tout satisfait", en: "not satisfied at all" } },
  questions: { fr: "Questions des usagers", en: "Citizens' questions" },
  helpfulCaption: { fr: "Entrées de la FAQ qui ont répondu à une question sans l'accueil", en: "FAQ entries that answered a question without reception" },
  helpfulCols: { fr: ["Service", "Question de la FAQ", "Questions réglées"], en: ["Service", "FAQ question", "Questions settled"] },
  questionsCaption: { fr: "Questions posées depuis la page du ticket, par service", en: "Questions asked from the ticket page, per service" },
  questionsCols: { fr: ["Service", "Questions", "Part répondue par la FAQ", "Délai médian de première réponse"],
    en: ["Service", "Questions", "Share answered by the FAQ", "Median time to the first answer"] },
  questionsText: { fr: (n, faq) => n === 0 ? "Aucune question sur la période." : `${n} ${n > 1 ? "questions posées" : "question posée"} sur la période ; ${faq} ${n > 1 ? "répondues" : "répondue"} par la FAQ sans l'accueil.`,
    en: (n, faq) => n === 0 ? "No question over the period." : `${n} ${n > 1 ? "questions" : "question"} asked over the period; ${faq} answered by the FAQ without the reception.` },
  year: { fr: (y) => `Synthèse annuelle ${y} (Services Publics+)`, en: (y) => `Yearly summary ${y} (Services Publics+)` },
  rdv: { fr: "Rendez-vous et sans rendez-vous", en: "Appointments and walk-ins" },
  rdvCols: { fr: ["Rendez-vous", "Sans rendez-vous", "Part de rendez-vous", "Non honorés (jamais venus)", "Absents à l'appel",
    "Taux de non-honorés", "Appel par rapport à l'heure (médiane)", "Appelés au plus 5 min après l'heure"],
  en: ["Appointments", "Walk-ins", "Share of appointments", "Missed (never came)", "Absent at the call",
    "No-show rate", "Call against the time (median)", "Called at most 5 min after the time"] },
  noRdv: { fr: "Aucun rendez-vous sur la période.", en: "No appointment over the period." },
  rdvText: { fr: (n, all, share, miss, rate) => `Sur la période, ${n} ${n > 1 ? "tickets" : "ticket"} de rendez-vous sur ${all} (${share}) ; ${miss} ${miss > 1 ? "rendez-vous non honorés" : "rendez-vous non honoré"} (${rate}).`,
    en: (n, all, share, miss, rate) => `Over the period, ${n} appointment ${n > 1 ? "tickets" : "ticket"} out of ${all} (${share}); ${miss} missed (${rate}).` },
  rdvCalls: { fr: (when, ok) => ` Les rendez-vous ont été appelés en médiane ${when} ; ${ok} au plus 5 minutes après l'heure.`,
    en: (when, ok) => ` Appointments were called, in the median, ${when}; ${ok} at most 5 minutes after the time.` },
  yearRows: { fr: ["Jours d'ouverture", "Tickets", "Usagers reçus", "Attente moyenne", "Reçus dans le délai cible", "Satisfaction", "Avis recueillis"],
    en: ["Days open", "Tickets", "Citizens received", "Mean wait", "Received within target", "Satisfaction", "Opinions"] },
};

// The live alert and today's charts (GET /api/indicators/today)
const A = {
  title: { fr: "Délais cibles", en: "Target waits" },
  titleLate: { fr: "⚠ Attente au-delà du délai cible", en: "⚠ Wait past its target" },
  calm: { fr: "Toutes les attentes sont dans leur délai cible.", en: "Every wait is within its target." },
  some: { fr: (n) => n === 1 ? "Un service dépasse son délai cible :" : `${n} services dépassent leur délai cible :`,
    en: (n) => n === 1 ? "One service is past its target:" : `${n} services are past their target:` },
  late: { fr: (s, m, c) => `${s} : une personne attend depuis ${m} min, au-delà du délai cible de ${c} min.`,
    en: (s, m, c) => `${s}: one person has been waiting for ${m} min, past the target of ${c} min.` },
  raised: { fr: (names) => `Alerte : l'attente dépasse le délai cible pour ${names}.`,
    en: (names) => `Alert: the wait is past its target for ${names}.` },
  cleared: { fr: (names, n) => `Fin d'alerte : ${names} ${n > 1 ? "sont revenus dans leur" : "est revenu dans son"} délai cible.`,
    en: (names, n) => `Alert over: ${names} ${n > 1 ? "are" : "is"} back within ${n > 1 ? "their" : "its"} target.` },
  today: { fr: "Aujourd'hui", en: "Today" },
  longest: { fr: "Plus longue attente en cours", en: "Longest wait now" },
  longestCell: { fr: (m, c, late) => `${m} min${late ? ` — au-delà du délai cible (${c} min)` : ""}`,
    en: (m, c, late) => `${m} min${late ? ` — past the target (${c} min)` : ""}` },
  and: { fr: " et ", en: " and " },
  table: { fr: "Les chiffres en tableau", en: "The figures as a table" },
  waitingTitle: { fr: "Personnes en attente au fil de la journée", en: "People waiting through the day" },
  waitingCols: { fr: ["Heure", "En attente", "Au plus dans les 10 min"], en: ["Time", "Waiting", "At most within 10 min"] },
  waitingText: { fr: (peak, now) => `Au plus ${peak} ${peak > 1 ? "personnes" : "personne"} en attente à la fois aujourd'hui ; ${now} en ce moment.`,
    en: (peak, now) => `At most ${peak} ${peak === 1 ? "person" : "people"} waiting at once today; ${now} right now.` },
  waitsTitle: { fr: "Attentes par rapport au délai cible", en: "Waits against the target" },
  waitsCols: { fr: ["Attente", "Personnes appelées"], en: ["Wait", "People called"] },
  buckets: { fr: ["jusqu'à la moitié du délai", "de la moitié au délai", "du délai à 1,5 fois", "de 1,5 à 2 fois", "plus de 2 fois le délai"],
    en: ["up to half the target", "half to the target", "target to 1.5 times", "1.5 to 2 times", "over twice the target"] },
  short: { fr: ["≤ ½", "½ – 1", "1 – 1½", "1½ – 2", "> 2"], en: ["≤ ½", "½ – 1", "1 – 1½", "1½ – 2", "> 2"] },
  target: { fr: "délai cible", en: "target" },
  axisWaits: { fr: "attente, en fois le délai cible de son service", en: "wait, in times its service's target" },
  waitsText: { fr: (n, w, p, l, x) => n === 0 ? "Personne n'a encore été appelé aujourd'hui."
    : `Sur ${n} ${n > 1 ? "personnes appelées" : "personne appelée"} aujourd'hui, ${w} (${p} %) ${w > 1 ? "l'ont été dans leur" : "l'a été dans son"} délai cible`
      + (l ? `, ${l} au-delà${x ? ` (dont ${x} plus de deux fois)` : ""}.` : "."),
  en: (n, w, p, l, x) => n === 0 ? "Nobody has been called yet today."
    : `Of ${n} ${n > 1 ? "people" : "person"} called today, ${w} (${p} %) ${w === 1 ? "was" : "were"} called within the target`
      + (l ? `, ${l} past it${x ? ` (${x} over twice)` : ""}.` : ".") },
  hoursTitle: { fr: "Tickets par heure", en: "Tickets per hour" },
  hoursCols: { fr: ["Heure", "Tickets"], en: ["Hour", "Tickets"] },
  hoursText: { fr: (n, h, k) => n === 0 ? "Aucun ticket aujourd'hui pour l'instant."
    : `${n} ${n > 1 ? "tickets" : "ticket"} aujourd'hui ; l'heure la plus chargée : ${h} h – ${h + 1} h (${k} ${k > 1 ? "tickets" : "ticket"}).`,
  en: (n, h, k) => n === 0 ? "No ticket yet today."
    : `${n} ${n > 1 ? "tickets" : "ticket"} today; the busiest hour: ${h}:00 – ${h + 1}:00 (${k} ${k > 1 ? "tickets" : "ticket"}).` },
};

let token = null, site = null;
let today = null, fetchedAt = 0, lateBefore = null;
const pct = (x) => x === null || x === undefined ? "—" : `${Math.round(x * 100)} %`;
const min = (x) => x === null || x === undefined ? "—" : `${x.toFixed(1).replace(".", lang === "fr" ? "," : ".")} min`;

function say(text) {
  document.getElementById("message").replaceChildren(...(text ? [el("p", { class: "error" }, text)] : []));
}

function table(id, head, rows) {
  document.getElementById(id).replaceChildren(
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c))))));
}

async function refreshLive() {
  const [{ services }, { counters }] = await Promise.all([api("api/services"), api("api/counters")]);
  table("live-services", [t(T.service), t(T.waiting), t(T.open), t(T.estimate), t(A.longest)],
    services.map((s) => [s.name, String(s.waiting), String(s.counters_open), range(s.estimate_for_new_ticket),
      el("span", { "data-longest": s.id })]));
  checkAlert();
  table("live-counters", [t(T.counter), t(T.state), t(T.serving)],
    counters.map((k) => [k.name, t(T.status[k.status]), k.ticket ? k.ticket.label : "—"]));
}

function chart(figures) {
  const services = site.services;
  const max = Math.max(1, ...services.map((s) => Math.max(figures.services[s.id].wait_mean || 0, s.target_wait_minutes)));
  const rowH = 34, width = 640, label = 190, h = services.length * rowH + 10;
  const x = (v) => label + (v / max) * (width - label - 60);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${h}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", t(T.chart));
  let inner = "";
  services.forEach((s, i) => {
    const f = figures.services[s.id], y = 5 + i * rowH, w = f.wait_mean || 0;
    const late = w > s.target_wait_minutes;
    inner += `<text x="0" y="${y + 20}" font-size="14">${s.name.replace(/[<&]/g, "")}</text>`
      + `<rect x="${label}" y="${y + 4}" width="${Math.max(0, x(w) - label)}" height="22" fill="${late ? "#c9191e" : "#000091"}"></rect>`
      + `<line x1="${x(s.target_wait_minutes)}" x2="${x(s.target_wait_minutes)}" y1="${y}" y2="${y + 30}" stroke="#1b1b1b" stroke-width="3"></line>`
      + `<text x="${x(w) + 6}" y="${y + 20}" font-size="14">${f.wait_mean === null ? "—" : Math.round(w)}${late ? " !" : ""}</text>`;
  });
  svg.innerHTML = inner;
  // its words: which services waited past their target on average (the table has the waits)
  const past = services.filter((s) => (figures.services[s.id].wait_mean || 0) > s.target_wait_minutes)
    .map((s) => t({ fr: `${s.name} (${min(figures.services[s.id].wait_mean)} pour un délai cible de ${s.target_wait_minutes} min)`,
      en: `${s.name} (${min(figures.services[s.id].wait_mean)} for a target of ${s.target_wait_minutes} min)` }));
  const sentence = past.length
    ? t({ fr: `En moyenne sur la période, au-delà du délai cible : ${past.join(" ; ")}.`, en: `On average over the period, past the target: ${past.join("; ")}.` })
    : t({ fr: "En moyenne sur la période, chaque service est dans son délai cible.", en: "On average over the period, every service is within its target." });
  svg.setAttribute("aria-label", `${t(T.chart)}. ${sentence}`);
  document.getElementById("bars").replaceChildren(el("p", {}, t(T.chart)), svg, el("p", { id: "bars-text" }, sentence));
}

async function refreshIndicators() {
  const from = document.getElementById("from").value, to = document.getElementById("to").value;
  let figures;
  try {
    figures = await api(`api/indicators?from=${from}&to=${to}`, { token });
  } catch (e) {
    say(periodRefused(e, from, to));
    return;
  }
  say("");
  const row = (name, f) => [name, String(f.issued), String(f.served), String(f.absent), String(f.cancelled),
    min(f.wait_mean), min(f.wait_median), min(f.wait_p90), pct(f.within_target), min(f.service_mean), pct(f.absent_rate)];
  table("figures", [t(T.service), ...t(T.cols)],
    [...site.services.map((s) => row(s.name, figures.services[s.id])), row(t(T.all), figures.total)]);
  chart(figures);
  appointments(figures);
  const box = document.getElementById("per-counter-box");  // only where the site turned it on
  box.hidden = !figures.counters;
  if (figures.counters) {
    document.getElementById("per-counter-title").textContent = t(T.perCounter);
    table("per-counter", t(T.perCounterCols), Object.entries(figures.counters).map(([n, k]) =>
      [`${t({ fr: "Guichet", en: "Counter" })} ${n}`, String(k.served), String(k.absent), min(k.service_mean)]));
  }
  const busy = [...Array(24).keys()].filter((h) => figures.per_hour.some((day) => day[h] > 0));
  const hours = [];  // the office hours, and any other hour that had tickets
  for (let h = Math.min(8, ...busy); h <= Math.max(18, ...busy); h++) hours.push(h);
  const top = Math.max(1, ...figures.per_hour.flat());
  document.getElementById("heat").replaceChildren(
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, ""), hours.map((h) => el("th", { scope: "col" }, `${h} h`)))),
    el("tbody", {}, figures.per_hour.map((day, d) => el("tr", {}, el("th", { scope: "row" }, t(T.days)[d]),
      hours.map((h) => {
        const n = day[h], shade = Math.round(255 - (n / top) * 200);
        return el("td", { style: `background: rgb(${shade}, ${shade}, 255); color: ${shade < 140 ? "#fff" : "#1b1b1b"}` }, String(n));
      })))));
  satisfaction(figures.satisfaction);
  questions(figures.questions);
  comments(from, to).catch(() => {});  // the figures stand without them
  const year = Number(to.slice(0, 4));
  const y = await api(`api/indicators/annual?year=${year}`, { token });
  document.getElementById("year-title").textContent = t(T.year)(year);
  const values = [String(y.days_open), String(y.tickets), String(y.received), min(y.wait_mean_minutes),
    pct(y.received_within_target), pct(y.satisfaction), String(y.opinions)];
  document.getElementById("year").replaceChildren(...t(T.yearRows).flatMap((k, i) => [el("dt", {}, k), el("dd", {}, values[i])]));
}


// A table with its caption (the tables above are named by their heading)
function captioned(id, caption, head, rows) {
  table(id, head, rows);
  const box = document.getElementById(id);
  box.prepend(el("caption", {}, caption));
}

const net = (x) => x === null || x === undefined ? "—" : `${Math.round(x * 100)}`;

// Satisfaction (issue 17): all the votes, then each source's (« borne », « téléphone »), and
// the share of the citizens received who answered the survey on their phone
function satisfaction(s) {
  document.getElementById("satisfaction").textContent = s.votes
    ? t(T.satText)(s.votes, pct(s.satisfied), net(s.net)) : t(T.noVotes);
  const sources = s.by_source || {};
  const row = (name, v) => [name, String(v.votes), pct(v.satisfied), net(v.net)];
  captioned("sat-sources", t(T.satCaption), t(T.satCols), [
    ...["terminal", "phone"].filter((k) => sources[k]).map((k) => row(t(T.sources[k]), sources[k])),
    row(t(T.together), s)]);
  const rate = s.survey_response_rate;
  document.getElementById("survey-rate").textContent =
    rate === null || rate === undefined ? t(T.noRate) : t(T.rate)(pct(rate));
}

// The citizens' questions (issue 17), only when the bridge counts them
function questions(q) {
  const box = document.getElementById("questions-box");
  box.hidden = !q;
  if (!q) return;
  document.getElementById("questions-title").textContent = t(T.questions);
  const names = Object.fromEntries(site.services.map((s) => [s.id, s.name]));
  const none = { asked: 0, faq_share: null, first_answer_median_minutes: null };
  const row = (name, x) => [name, String(x.asked), pct(x.faq_share), min(x.first_answer_median_minutes)];
  const extra = Object.keys(q.services).filter((id) => !(id in names));  // a service since removed
  captioned("questions", t(T.questionsCaption), t(T.questionsCols), [
    ...site.services.map((s) => row(s.name, q.services[s.id] || none)),
    ...extra.map((id) => row(id, q.services[id])), row(t(T.all), q.total)]);
  document.getElementById("questions-text").textContent = t(T.questionsText)(q.total.asked, pct(q.total.faq_share));
  // the FAQ entries that answered citizens without staff: the ones to keep, and to copy
  const helpful = q.faq_helpful || [];
  document.getElementById("faq-helpful").hidden = !helpful.length;
  if (helpful.length) {
    captioned("faq-helpful", t(T.helpfulCaption), t(T.helpfulCols),
      helpful.map((h) => [names[h.service] || h.service, h.question, String(h.count)]));
  }
}

// The survey's comments, newest first; « guichet N » only where the site shows per-counter figures
const MAX_COMMENTS = 500;
async function comments(from, to) {
  document.getElementById("comments-title").textContent = t(T.comments);
  const { comments: list } = await api(`api/survey/comments?from=${from}&to=${to}`, { token });
  const names = Object.fromEntries(site.services.map((s) => [s.id, s.name]));
  const day = new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB", { dateStyle: "long", timeZone: "UTC" });
  document.getElementById("comments-text").textContent = list.length
    ? t(T.commentsText)(list.length, MAX_COMMENTS) : t(T.noComments);
  document.getElementById("comments").replaceChildren(...list.map((c) => el("li", {},
    el("p", {}, [day.format(new Date(`${c.day}T12:00:00Z`)), names[c.service] || c.service,
      `${c.score}/4 (${t(T.scores[c.score])})`,
      ...(c.counter === undefined ? [] : [`${t({ fr: "guichet", en: "counter" })} ${c.counter}`])].join(" · ")),
    el("blockquote", {}, c.text))));
}


// Call time against the appointment's time, in words: « 4 min après l'heure », « à l'heure »
function lateness(x) {
  if (x === null || x === undefined) return "—";
  const m = Math.abs(x).toFixed(1).replace(".", lang === "fr" ? "," : ".");
  if (Math.abs(x) < 0.05) return t({ fr: "à l'heure", en: "on time" });
  return x > 0 ? t({ fr: `${m} min après l'heure`, en: `${m} min after the time` })
    : t({ fr: `${m} min avant l'heure`, en: `${m} min before the time` });
}

// The appointments' figures (issue 15): a sentence, and the table when there were any
function appointments(figures) {
  document.getElementById("rdv-title").textContent = t(T.rdv);
  const f = figures.total, missed = f.appointments_missed + f.appointments_absent;
  const any = f.appointments + f.appointments_missed > 0;
  document.getElementById("rdv-text").textContent = !any ? t(T.noRdv)
    : t(T.rdvText)(f.appointments, f.issued, pct(f.appointment_share), missed, pct(f.appointment_noshow_rate))
      + (f.punctuality_median === null ? "" : t(T.rdvCalls)(lateness(f.punctuality_median), pct(f.called_on_time)));
  document.getElementById("rdv").hidden = !any;
  const row = (name, x) => [name, String(x.appointments), String(x.walk_ins), pct(x.appointment_share),
    String(x.appointments_missed), String(x.appointments_absent), pct(x.appointment_noshow_rate),
    lateness(x.punctuality_median), pct(x.called_on_time)];
  table("rdv", [t(T.service), ...t(T.rdvCols)],
    [...site.services.map((s) => row(s.name, figures.services[s.id])), row(t(T.all), f)]);
}


// --- the alert: each service's longest wait, counted on by the page between events ---------
async function refreshToday() {
  today = await api("api/indicators/today", { token });
  fetchedAt = Date.now();
  checkAlert();
  charts();
}

function checkAlert() {
  if (!today) return;
  const now = Date.parse(today.now) + (Date.now() - fetchedAt);  // the bridge's clock, carried on
  const late = [];
  for (const s of site.services) {
    const d = today.services[s.id];
    if (!d || !d.oldest_since) continue;
    const waited = (now - Date.parse(d.oldest_since)) / 60000;
    if (waited > d.target_minutes) late.push({ id: s.id, name: s.name, minutes: Math.floor(waited), target: d.target_minutes });
  }
  for (const cell of document.querySelectorAll("[data-longest]")) {  // the live table's column
    const d = today.services[cell.dataset.longest];
    const waited = d && d.oldest_since ? (now - Date.parse(d.oldest_since)) / 60000 : null;
    cell.textContent = waited === null ? "—" : t(A.longestCell)(Math.floor(waited), d.target_minutes, waited > d.target_minutes);
    cell.classList.toggle("late", waited !== null && waited > d.target_minutes);
  }
  document.getElementById("alert-box").classList.toggle("on", late.length > 0);
  document.getElementById("alert-title").textContent = t(late.length ? A.titleLate : A.title);
  document.getElementById("alert-state").textContent = late.length ? t(A.some)(late.length) : t(A.calm);
  document.getElementById("alerts").replaceChildren(...late.map((l) => el("li", {}, t(A.late)(l.name, l.minutes, l.target))));
  // read out only what changed: a service past its target, or back within it
  const ids = new Set(late.map((l) => l.id));
  const names = (list) => list.map((s) => s.name).join(t(A.and));
  const raised = late.filter((l) => !(lateBefore && lateBefore.has(l.id)));
  const cleared = lateBefore ? site.services.filter((s) => lateBefore.has(s.id) && !ids.has(s.id)) : [];
  if (raised.length || cleared.length) {
    document.getElementById("alert-live").textContent = [
      raised.length ? t(A.raised)(names(raised)) : "", cleared.length ? t(A.cleared)(names(cleared), cleared.length) : ""]
      .filter(Boolean).join(" ");
  }
  lateBefore = ids;
}

// --- today's charts: small inline SVG drawn here (no library), each with its sentence and table
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

// A figure: title, the drawing (role img, named), the sentence, and the figures in a table
function figure(id, title, drawing, sentence, cols, rows) {
  drawing.setAttribute("role", "img");
  drawing.setAttribute("aria-label", `${title}. ${sentence}`);
  const box = document.getElementById(id);
  box.setAttribute("role", "figure");  // RGAA 1.9: the figure named by its caption
  box.setAttribute("aria-label", sentence);
  box.replaceChildren(
    el("h3", {}, title), drawing, el("figcaption", {}, sentence),
    el("details", {}, el("summary", {}, t(A.table)),
      el("table", { "aria-label": title }, el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col" }, c)))),
        el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, String(c)))))))));
}

// Bars with a value over each and a label under: -> the svg
function bars(values, labels, { colour = () => "#000091", hatch = () => false, marker = null, axis = "" } = {}) {
  const W = 440, H = 230, left = 30, bottom = 44, top = 24;
  const max = Math.max(1, ...values);
  const step = (W - left - 8) / values.length, bw = Math.min(56, Math.max(4, step * 0.7));
  const y = (v) => H - bottom - (v / max) * (H - bottom - top);
  const out = svg("svg", { viewBox: `0 0 ${W} ${H}` },
    svg("defs", {}, svg("pattern", { id: "hatch", width: 8, height: 8, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
      svg("rect", { width: 8, height: 8, fill: "#c9191e" }), svg("line", { x1: 0, y1: 0, x2: 0, y2: 8, stroke: "#fff", "stroke-width": 3 }))),
    svg("line", { x1: left, x2: W - 4, y1: H - bottom, y2: H - bottom, stroke: "#1b1b1b", "stroke-width": 2 }));
  const every = Math.ceil(values.length / 10);  // labels that do not overlap
  values.forEach((v, i) => {
    const x = left + i * step + (step - bw) / 2;
    out.append(svg("rect", { x, y: y(v), width: bw, height: Math.max(0, H - bottom - y(v)),
      fill: hatch(i) ? "url(#hatch)" : colour(i) }));
    if (v > 0) out.append(text(x + bw / 2, y(v) - 5, String(v), { "text-anchor": "middle" }));
    if (i % every === 0) out.append(text(x + bw / 2, H - bottom + 18, labels[i], { "text-anchor": "middle" }));
  });
  if (marker !== null) {  // a dashed line and its word: the target, not told by colour alone
    const mx = left + marker * step;
    out.append(svg("line", { x1: mx, x2: mx, y1: top - 6, y2: H - bottom, stroke: "#1b1b1b", "stroke-width": 3, "stroke-dasharray": "6 4" }),
      text(mx + 4, top - 8 + 12, t(A.target), { "font-weight": "700" }));
  }
  if (axis) out.append(text(left, H - 6, axis));
  return out;
}

function text(x, y, words, attrs = {}) {
  const e = svg("text", { x, y, "font-size": 14, fill: "#1b1b1b", ...attrs });
  e.textContent = words;
  return e;
}

function charts() {
  const curve = today.waiting_over_day;
  const waitingNow = Object.values(today.services).reduce((n, s) => n + s.waiting, 0);
  const peak = Math.max(0, ...curve.map((p) => p.peak));
  figure("chart-waiting", t(A.waitingTitle),
    bars(curve.map((p) => p.peak), curve.map((p) => p.at.endsWith(":00") || curve.length < 8 ? p.at : "")),
    t(A.waitingText)(peak, waitingNow), t(A.waitingCols), curve.map((p) => [p.at, p.waiting, p.peak]));
  const w = today.waits, within = w.within_target, past = w.called - within;
  figure("chart-waits", t(A.waitsTitle),
    bars(w.buckets, t(A.short), { hatch: (i) => i >= 2, marker: 2, axis: t(A.axisWaits) }),
    t(A.waitsText)(w.called, within, w.called ? Math.round((within / w.called) * 100) : 0, past, w.buckets[w.buckets.length - 1]),
    t(A.waitsCols), w.buckets.map((n, i) => [t(A.buckets)[i], n]));
  const busy = [...Array(24).keys()].filter((h) => today.per_hour[h] > 0);
  const hours = [];
  for (let h = Math.min(8, ...busy); h <= Math.max(18, ...busy); h++) hours.push(h);
  const total = today.per_hour.reduce((a, b) => a + b, 0);
  const top = busy.reduce((best, h) => today.per_hour[h] > today.per_hour[best] ? h : best, busy[0] ?? 0);
  figure("chart-hours", t(A.hoursTitle), bars(hours.map((h) => today.per_hour[h]), hours.map((h) => `${h} h`)),
    t(A.hoursText)(total, top, today.per_hour[top]), t(A.hoursCols),
    hours.map((h) => [lang === "fr" ? `${h} h – ${h + 1} h` : `${h}:00 – ${h + 1}:00`, today.per_hour[h]]));
}

async function downloadCsv() {
  const from = document.getElementById("from").value, to = document.getElementById("to").value;
  const r = await fetch(`api/indicators.csv?from=${from}&to=${to}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) {
    let body = null;
    try { body = await r.json(); } catch (e) { /* a proxy's page: the status says enough */ }
    say(periodRefused(new ApiError(r.status, body), from, to));
    return;
  }
  const a = el("a", { href: URL.createObjectURL(await r.blob()), download: `indicateurs-${from}-${to}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
}

function iso(d) {
  return new Intl.DateTimeFormat("sv-SE", { timeZone: site.timezone }).format(d);  // YYYY-MM-DD
}

async function showBoard(me, staffToken) {
  token = staffToken;
  document.getElementById("board").hidden = false;
  const today = new Date();
  document.getElementById("to").value = iso(today);
  document.getElementById("from").value = iso(new Date(today.getTime() - 29 * 86400000));
  await Promise.all([refreshLive(), refreshIndicators(), refreshToday()]);
  setInterval(checkAlert, 5000);  // waits grow between events: the alert must not wait for one
}

async function start() {
  site = await api("api/site");
  langLink();
  document.getElementById("title").textContent = `${site.name} — supervision`;
  for (const [id, key] of [["live-title", "live"], ["ind-title", "indicators"], ["from-label", "from"],
    ["to-label", "to"], ["show", "show"], ["csv", "csv"], ["heat-title", "heat"], ["sat-title", "sat"],
    ["comments-title", "comments"]]) {
    document.getElementById(id).textContent = t(T[key]);
  }
  document.getElementById("today-title").textContent = t(A.today);
  document.getElementById("alert-title").textContent = t(A.title);
  document.getElementById("period").onsubmit = (ev) => { ev.preventDefault(); refreshIndicators(); };
  document.getElementById("csv").onclick = downloadCsv;
  await staffSignIn({ fr: "Connexion supervision", en: "Supervisor sign-in" }, ["supervisor", "admin"],
    showBoard, say);
  let pending;
  live(() => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      refreshLive().catch(() => {});
      if (token) refreshToday().catch(() => {});
    }, 300);
  }, (up) => {  // without the stream the tables and the alert stop following: said, not hidden
    const banner = document.getElementById("offline");
    banner.textContent = t({ fr: "Connexion perdue : les chiffres et l'alerte ne suivent plus, nouvel essai…",
      en: "Connection lost: the figures and the alert no longer follow, retrying…" });
    banner.hidden = up;
    if (up && token) Promise.all([refreshLive(), refreshToday()]).catch(() => {});
  });
}
start().catch((e) => say(explain(e)));
