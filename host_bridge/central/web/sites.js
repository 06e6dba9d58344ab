// The network's sites: each one's state (connected, silent, never heard from) in words with
// an icon and a colour, when it was last heard from, how far central is behind it, its open
// counters and people waiting now, today's figures, the messages central refused. Sorted by
// any column, filtered by region, refreshed every 15 s.
import { ago, call, el, lagCell, min, refusal, say, signIn, sortableTable, stateCell, STATES, t } from "./central.js";

const REFRESH_MS = 15000;
const ORDER = { silent: 0, never: 1, connected: 2 };  // the ones to look at first
let region = new URLSearchParams(location.search).get("region") || "";
let sorted = { col: 2, dir: 1 };

const num = (v) => v === null || v === undefined ? "—" : String(v);

const COLUMNS = [
  { label: { fr: "Site", en: "Site" }, value: (s) => s.name.toLowerCase(),
    cell: (s) => el("a", { href: `/central/site?id=${encodeURIComponent(s.id)}` }, s.name) },
  { label: { fr: "Région", en: "Region" }, value: (s) => s.region.toLowerCase(), cell: (s) => s.region || "—", text: true },
  { label: { fr: "État", en: "State" }, value: (s) => ORDER[s.state] * 1e9 + (s.seconds_since_state ?? 0), cell: stateCell, text: true },
  { label: { fr: "Dernières nouvelles", en: "Last heard from" }, value: (s) => s.seconds_since_state, cell: (s) => ago(s.seconds_since_state), text: true },
  { label: { fr: "Retard de la centrale", en: "Central's lag" }, value: (s) => s.lag.events, cell: lagCell, text: true },
  { label: { fr: "Guichets ouverts", en: "Counters open" }, value: (s) => s.open_counters, cell: (s) => num(s.open_counters) },
  { label: { fr: "En attente", en: "Waiting" }, value: (s) => s.waiting, cell: (s) => num(s.waiting) },
  { label: { fr: "Tickets aujourd'hui", en: "Tickets today" }, value: (s) => s.today && s.today.issued, cell: (s) => num(s.today && s.today.issued) },
  { label: { fr: "Reçus aujourd'hui", en: "Received today" }, value: (s) => s.today && s.today.served, cell: (s) => num(s.today && s.today.served) },
  { label: { fr: "Attente médiane aujourd'hui", en: "Median wait today" }, value: (s) => s.today && s.today.wait_median,
    cell: (s) => min(s.today && s.today.wait_median) },
  { label: { fr: "Messages refusés (doublons)", en: "Refused messages (duplicates)" }, value: (s) => s.refused,
    // duplicates are normal after a lost acknowledgement (each stored once): said apart
    cell: (s) => `${s.refused}${s.duplicates ? t({ fr: ` (${s.duplicates} doublon${s.duplicates > 1 ? "s" : ""})`,
      en: ` (${s.duplicates} duplicate${s.duplicates > 1 ? "s" : ""})` }) : ""}` },
];

function counts(list) {
  const n = (state) => list.filter((s) => s.state === state).length;
  const items = [
    t({ fr: `${list.length} site${list.length > 1 ? "s" : ""}`, en: `${list.length} site${list.length === 1 ? "" : "s"}` }),
    `${STATES.connected.icon} ${n("connected")} ${t({ fr: n("connected") > 1 ? "connectés" : "connecté", en: "connected" })}`,
    `${STATES.silent.icon} ${n("silent")} ${t({ fr: n("silent") > 1 ? "silencieux" : "silencieux", en: "silent" })}`,
    `${STATES.never.icon} ${n("never")} ${t({ fr: n("never") > 1 ? "jamais connectés" : "jamais connecté", en: "never connected" })}`,
    t({ fr: `${list.reduce((a, s) => a + (s.waiting || 0), 0)} personnes en attente`, en: `${list.reduce((a, s) => a + (s.waiting || 0), 0)} people waiting` }),
  ];
  const box = document.getElementById("counts");  // said again only when it changes
  if (box.textContent !== items.join("")) box.replaceChildren(...items.map((x) => el("li", {}, x)));
}

async function refresh() {
  let data;
  try {
    data = await call(`/api/central/sites${region ? `?region=${encodeURIComponent(region)}` : ""}`);
  } catch (e) {
    say(refusal(e));
    return;
  }
  say("");
  const select = document.getElementById("region");
  if (select.options.length === 1) {
    for (const r of data.regions) select.append(el("option", { value: r }, r));
    select.value = region;
    if (data.regions.length <= 1 && data.scope.kind === "region") select.disabled = true;
  }
  counts(data.sites);
  sorted = sortableTable("sites", COLUMNS.map((c) => ({ ...c, label: t(c.label) })), data.sites, sorted);
  document.getElementById("updated").textContent = t({ fr: `Mis à jour à ${new Date().toLocaleTimeString("fr-FR")}.`,
    en: `Updated at ${new Date().toLocaleTimeString("en-GB")}.` })
    + (data.refused_unattributed ? t({ fr: ` ${data.refused_unattributed} message(s) refusé(s) ne nommaient aucun site connu.`,
      en: ` ${data.refused_unattributed} refused message(s) named no known site.` }) : "");
}

async function start() {
  for (const [id, words] of [["title", { fr: "Suivant — les sites du réseau", en: "Suivant — the network's sites" }],
    ["sites-title", { fr: "Les sites", en: "Sites" }], ["region-label", { fr: "Région", en: "Region" }],
    ["all-regions", { fr: "Toutes les régions", en: "All regions" }], ["refresh", { fr: "Actualiser", en: "Refresh" }]]) {
    const node = document.getElementById(id);
    node.firstChild.textContent = t(words);
  }
  document.getElementById("legend").textContent = t({
    fr: "Connecté : le site a donné son état dans les 30 dernières secondes. Silencieux : plus de nouvelles depuis. Retard : les événements du site que la centrale n'a pas encore reçus.",
    en: "Connected: the site sent its state within the last 30 seconds. Silent: no news since. Lag: the site's events central has not received yet." });
  await signIn(async () => {
    document.getElementById("board").hidden = false;
    document.getElementById("region").onchange = (ev) => {
      region = ev.target.value;
      const url = new URL(location.href);
      if (region) url.searchParams.set("region", region); else url.searchParams.delete("region");
      history.replaceState(null, "", url);
      refresh();
    };
    document.getElementById("refresh").onclick = refresh;
    await refresh();
    setInterval(refresh, REFRESH_MS);
  });
}

start();
