// The supervisor's page: the queues live, and the indicators of a period (table, chart,
// tickets per weekday and hour, satisfaction), its CSV, and the year's published summary.
import { api, ApiError, el, explain, langLink, live, range, staffSignIn, t, lang } from "./suivant.js";

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
  sat: { fr: "Satisfaction (bornes d'avis)", en: "Satisfaction (feedback terminals)" },
  satText: { fr: (v, s, n) => `${v} avis · ${s} satisfaits · satisfaction nette ${n}`,
    en: (v, s, n) => `${v} opinions · ${s} satisfied · net satisfaction ${n}` },
  noVotes: { fr: "Aucun avis sur la période.", en: "No opinion over the period." },
  year: { fr: (y) => `Synthèse annuelle ${y} (Services Publics+)`, en: (y) => `Yearly summary ${y} (Services Publics+)` },
  yearRows: { fr: ["Jours d'ouverture", "Tickets", "Usagers reçus", "Attente moyenne", "Reçus dans le délai cible", "Satisfaction", "Avis recueillis"],
    en: ["Days open", "Tickets", "Citizens received", "Mean wait", "Received within target", "Satisfaction", "Opinions"] },
};

let token = null, site = null;
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
  const [{ services }, { counters }] = await Promise.all([api("/api/services"), api("/api/counters")]);
  table("live-services", [t(T.service), t(T.waiting), t(T.open), t(T.estimate)],
    services.map((s) => [s.name, String(s.waiting), String(s.counters_open), range(s.estimate_for_new_ticket)]));
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
  document.getElementById("bars").replaceChildren(el("p", {}, t(T.chart)), svg);
}

async function refreshIndicators() {
  const from = document.getElementById("from").value, to = document.getElementById("to").value;
  let figures;
  try {
    figures = await api(`/api/indicators?from=${from}&to=${to}`, { token });
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
  const s = figures.satisfaction;
  document.getElementById("satisfaction").textContent = s.votes
    ? t(T.satText)(s.votes, pct(s.satisfied), s.net === null ? "—" : `${Math.round(s.net * 100)}`) : t(T.noVotes);
  const year = Number(to.slice(0, 4));
  const y = await api(`/api/indicators/annual?year=${year}`, { token });
  document.getElementById("year-title").textContent = t(T.year)(year);
  const values = [String(y.days_open), String(y.tickets), String(y.received), min(y.wait_mean_minutes),
    pct(y.received_within_target), pct(y.satisfaction), String(y.opinions)];
  document.getElementById("year").replaceChildren(...t(T.yearRows).flatMap((k, i) => [el("dt", {}, k), el("dd", {}, values[i])]));
}

// A refused period in words: the bridge's reason code (api/indicators.py), the dates as people write them
function periodRefused(e, from, to) {
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

async function downloadCsv() {
  const from = document.getElementById("from").value, to = document.getElementById("to").value;
  const r = await fetch(`/api/indicators.csv?from=${from}&to=${to}`, { headers: { Authorization: `Bearer ${token}` } });
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
  await Promise.all([refreshLive(), refreshIndicators()]);
}

async function start() {
  site = await api("/api/site");
  langLink();
  document.getElementById("title").textContent = `${site.name} — supervision`;
  for (const [id, key] of [["live-title", "live"], ["ind-title", "indicators"], ["from-label", "from"],
    ["to-label", "to"], ["show", "show"], ["csv", "csv"], ["heat-title", "heat"], ["sat-title", "sat"]]) {
    document.getElementById(id).textContent = t(T[key]);
  }
  document.getElementById("period").onsubmit = (ev) => { ev.preventDefault(); refreshIndicators(); };
  document.getElementById("csv").onclick = downloadCsv;
  await staffSignIn({ fr: "Connexion supervision", en: "Supervisor sign-in" }, ["supervisor", "admin"],
    showBoard, say);
  let pending;
  live(() => { clearTimeout(pending); pending = setTimeout(() => refreshLive().catch(() => {}), 300); });
}
start().catch((e) => say(explain(e)));
