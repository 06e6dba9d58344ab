// The indicators of a site (/central/site?id=…), a region or the whole network
// (/central/indicateurs[?region=…]) over a period, with the site's own definitions; the CSV;
// the Services Publics+ yearly summary, per site and in total.
import { ago, call, day, downloadCsv, el, lagCell, min, pct, plainTable, refusal, say, signIn, sortableTable, stateCell, t } from "./central.js";

const params = new URLSearchParams(location.search);
const site = location.pathname.startsWith("/central/site") ? params.get("id") || "" : null;
let region = params.get("region") || "";

const T = {
  from: { fr: "Du", en: "From" }, to: { fr: "au", en: "To" },
  show: { fr: "Afficher", en: "Show" }, csv: { fr: "Exporter en CSV", en: "Export as CSV" },
  region: { fr: "Région", en: "Region" }, allRegions: { fr: "Toutes les régions (le réseau)", en: "All regions (the network)" },
  service: { fr: "Service", en: "Service" }, site: { fr: "Site", en: "Site" },
  allServices: { fr: "Tous services", en: "All services" }, allSites: { fr: "Tous les sites", en: "All sites" },
  cols: { fr: ["Tickets", "Reçus", "Absents", "Abandons", "Attente moyenne", "Médiane", "90e centile",
    "Dans le délai cible", "Durée de service", "Taux d'absence"],
  en: ["Tickets", "Served", "No-shows", "Cancelled", "Mean wait", "Median", "90th percentile",
    "Within target", "Service time", "No-show rate"] },
  sat: { fr: "Satisfaction (bornes d'avis et enquête sur téléphone)", en: "Satisfaction (feedback terminals and phone survey)" },
  satText: { fr: (v, s, n) => `${v} avis · ${s} satisfaits · satisfaction nette ${n}`,
    en: (v, s, n) => `${v} opinions · ${s} satisfied · net satisfaction ${n}` },
  noVotes: { fr: "Aucun avis sur la période.", en: "No opinion over the period." },
  year: { fr: (y) => `Synthèse annuelle ${y} (Services Publics+)`, en: (y) => `Yearly summary ${y} (Services Publics+)` },
  yearRows: { fr: ["Jours d'ouverture", "Tickets", "Usagers reçus", "Attente moyenne", "Reçus dans le délai cible", "Satisfaction", "Avis recueillis"],
    en: ["Days open", "Tickets", "Citizens received", "Mean wait", "Received within target", "Satisfaction", "Opinions"] },
  siteDays: { fr: "Journées d'ouverture (tous sites)", en: "Site-days open (all sites)" },
};

function title(scope, named) {
  if (scope.kind === "site") return t({ fr: `${named} — indicateurs`, en: `${named} — indicators` });
  if (scope.kind === "region") return t({ fr: `Région ${scope.name} — indicateurs`, en: `Region ${scope.name} — indicators` });
  return t({ fr: "Le réseau — indicateurs", en: "The network — indicators" });
}

function query() {
  const from = document.getElementById("from").value, to = document.getElementById("to").value;
  const q = new URLSearchParams({ from, to });
  if (site !== null) q.set("site", site); else if (region) q.set("region", region);
  return q;
}

const row = (name, f) => [name, String(f.issued), String(f.served), String(f.absent), String(f.cancelled),
  min(f.wait_mean), min(f.wait_median), min(f.wait_p90), pct(f.within_target), min(f.service_mean), pct(f.absent_rate)];

async function show() {
  const q = query();
  let data;
  try {
    data = await call(`/api/central/indicators?${q}`);
  } catch (e) {
    say(refusal(e, q.get("from"), q.get("to")));
    return;
  }
  say("");
  const named = data.site ? data.site.name : null;
  document.getElementById("ind-title").textContent = title(data.scope, named);
  document.title = `${title(data.scope, named)} — Suivant`;
  document.getElementById("period-text").textContent = t({
    fr: `Du ${day(data.from)} au ${day(data.to)} : ${data.days.length} jour${data.days.length > 1 ? "s" : ""} d'ouverture${data.scope.kind === "site" ? "" : ` sur ${data.scope.sites} site${data.scope.sites > 1 ? "s" : ""}`}.`,
    en: `From ${day(data.from)} to ${day(data.to)}: ${data.days.length} day${data.days.length === 1 ? "" : "s"} open${data.scope.kind === "site" ? "" : ` across ${data.scope.sites} site${data.scope.sites === 1 ? "" : "s"}`}.` });
  if (data.scope.kind === "site") {
    plainTable("figures", [t(T.service), ...t(T.cols)],
      [...Object.entries(data.services).map(([id, f]) => row(data.service_names[id] || id, f)), row(t(T.allServices), data.total)]);
    document.getElementById("missing").textContent = "";
  } else {
    const heads = [t(T.site), ...t(T.cols)];
    const keys = [null, "issued", "served", "absent", "cancelled", "wait_mean", "wait_median", "wait_p90", "within_target", "service_mean", "absent_rate"];
    const cells = row("", data.total).map((_, i) => i);
    sortableTable("figures", cells.map((i) => ({
      label: heads[i],
      value: (s) => s.total ? (i === 0 ? s.name.toLowerCase() : s.total[keys[i]]) : null,
      cell: (s) => i === 0 ? (s.id ? el("a", { href: `/central/site?id=${encodeURIComponent(s.id)}&from=${q.get("from")}&to=${q.get("to")}` }, s.name) : s.name)
        : row(s.name, s.total)[i],
    })), data.sites, { col: 0, dir: 1 }, row(t(T.allSites), data.total));  // the total last, unsorted
    document.getElementById("missing").textContent = data.without_state.length
      ? t({ fr: `Sans nouvelles, donc hors des chiffres : ${data.without_state.map((x) => x.name).join(", ")}.`,
        en: `Never heard from, so left out of the figures: ${data.without_state.map((x) => x.name).join(", ")}.` }) : "";
  }
  const s = data.satisfaction;
  document.getElementById("satisfaction").textContent = s.votes
    ? t(T.satText)(s.votes, pct(s.satisfied), s.net === null ? "—" : `${Math.round(s.net * 100)}`) : t(T.noVotes);
  const year = Number(data.to.slice(0, 4));
  document.getElementById("year-title").textContent = t(T.year)(year);
  if (site !== null) {
    await showYear(year);
    return;
  }
  // many sites' whole year is read from every event of the year (tens of seconds for a
  // hundred sites the first time, then kept): asked for, not read at each « Afficher »
  document.getElementById("year").replaceChildren();
  document.getElementById("year-sites-box").hidden = true;
  const ask = document.getElementById("year-ask"), button = document.getElementById("year-button");
  ask.hidden = false;
  button.textContent = t({ fr: `Calculer la synthèse ${year}`, en: `Work out the ${year} summary` });
  document.getElementById("year-note").textContent = t({ fr: "Toute l'année de chaque site : cela peut prendre une minute.",
    en: "Every site's whole year: this may take a minute." });
  button.onclick = async () => {
    button.disabled = true;
    document.getElementById("year-note").textContent = t({ fr: "Calcul en cours…", en: "Working it out…" });
    try {
      await showYear(year);
      ask.hidden = true;
    } catch (e) {
      say(refusal(e));
    } finally {
      button.disabled = false;
    }
  };
}

async function showYear(year) {
  const q = new URLSearchParams({ year: String(year) });
  if (site !== null) q.set("site", site); else if (region) q.set("region", region);
  const y = await call(`/api/central/annual?${q}`);
  const values = (x) => [String(x.days_open), String(x.tickets), String(x.received), min(x.wait_mean_minutes),
    pct(x.received_within_target), pct(x.satisfaction), String(x.opinions)];
  const total = site !== null && y.sites.length ? y.sites[0] : y.total;
  const pairs = t(T.yearRows).map((k, i) => [k, values(total)[i]]);
  if (site === null) pairs.push([t(T.siteDays), String(y.total.site_days_open)]);
  document.getElementById("year").replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const box = document.getElementById("year-sites-box");
  box.hidden = site !== null;
  if (site === null) {
    plainTable("year-sites", [t(T.site), ...t(T.yearRows)],
      [...y.sites.map((x) => [x.name, ...values(x)]), [t(T.allSites), ...values(y.total)]]);
  }
}

// A site's page: how it is now (its state, lag, counters, people waiting per service)
async function showNow() {
  const s = await call(`/api/central/sites/${encodeURIComponent(site)}`);
  document.getElementById("now-title").textContent = t({ fr: `${s.name} en ce moment`, en: `${s.name} right now` });
  const pairs = [
    [t({ fr: "État", en: "State" }), stateCell(s)],
    [t({ fr: "Région", en: "Region" }), s.region || "—"],
    [t({ fr: "Dernières nouvelles", en: "Last heard from" }), ago(s.seconds_since_state)],
    [t({ fr: "Retard de la centrale", en: "Central's lag" }), lagCell(s)],
    [t({ fr: "Guichets ouverts", en: "Counters open" }), s.open_counters === null ? "—" : String(s.open_counters)],
    [t({ fr: "Tickets aujourd'hui", en: "Tickets today" }), s.today ? String(s.today.issued) : "—"],
  ];
  document.getElementById("now").replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  plainTable("now-services", [t({ fr: "Service", en: "Service" }), t({ fr: "En attente", en: "Waiting" }),
    t({ fr: "Délai cible", en: "Target wait" })],
  s.services.map((x) => [x.name, x.waiting === null || x.waiting === undefined ? "—" : String(x.waiting), `${x.target_wait_minutes} min`]));
  document.getElementById("now-box").hidden = false;
}

function iso(d) {
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

async function start() {
  for (const [id, key] of [["from-label", "from"], ["to-label", "to"], ["show", "show"], ["csv", "csv"],
    ["region-label", "region"], ["all-regions", "allRegions"], ["sat-title", "sat"]]) {
    document.getElementById(id).textContent = t(T[key]);
  }
  const to = new Date(), from = new Date(to.getTime() - 29 * 86400000);
  document.getElementById("from").value = params.get("from") || iso(from);
  document.getElementById("to").value = params.get("to") || iso(to);
  if (site !== null) document.getElementById("nav-figures").removeAttribute("aria-current");
  else document.getElementById("nav-figures").setAttribute("aria-current", "page");
  await signIn(async (me) => {
    if (site === "") {  // /central/site without its id: say where to choose one
      say(t({ fr: "Aucun site choisi : choisissez-en un dans la liste des sites.", en: "No site chosen: choose one in the list of sites." }));
      return;
    }
    document.getElementById("board").hidden = false;
    if (site === null && me.role === "network" && me.regions.length) {
      const select = document.getElementById("region");
      for (const r of me.regions) select.append(el("option", { value: r }, r));
      select.value = region;
      document.getElementById("region-box").hidden = false;
      select.onchange = () => { region = select.value; show(); };
    }
    document.getElementById("period").onsubmit = (ev) => { ev.preventDefault(); show(); };
    document.getElementById("csv").onclick = async () => {
      const q = query();
      try {
        await downloadCsv(q, `indicateurs-${site || region || "reseau"}-${q.get("from")}-${q.get("to")}.csv`);
      } catch (e) {
        say(refusal(e, q.get("from"), q.get("to")));
      }
    };
    if (site !== null) {
      try { await showNow(); } catch (e) { say(refusal(e)); return; }
    }
    await show();
  });
}

start();
