// Administration: the site's services (and their FAQ), counters, priority categories, opening
// hours and rules, as forms built from the configuration itself; saved at once, live (the
// bridge checks it as it checks the file, and says which field is wrong). The boards, read-only.
import { api, el, explain, langLink, staffSignIn, t } from "./suivant.js";

const T = {
  save: { fr: "Enregistrer et appliquer", en: "Save and apply" },
  saved: { fr: (b) => `Enregistré et appliqué. L'ancienne version est gardée (${b}).`,
    en: (b) => `Saved and applied. The previous version is kept (${b}).` },
  add: { fr: "Ajouter", en: "Add" }, remove: { fr: "Retirer", en: "Remove" },
  devices: { fr: "Boîtiers", en: "Boards" },
  refused: { fr: (k, m) => `Non enregistré — ${k} : ${m}`, en: (k, m) => `Not saved — ${k}: ${m}` },
  online: { fr: "en ligne", en: "online" }, offline: { fr: "hors ligne", en: "offline" },
  devCols: { fr: ["Boîtier", "Rôle", "Guichet", "Liaison", "État", "Vu pour la dernière fois", "Micrologiciel", "Mise à jour"],
    en: ["Board", "Role", "Counter", "Link", "State", "Last seen", "Firmware", "Update"] },
  // the board's place in the latest rollout (protocol.md §9 report states)
  update: {
    fr: { waiting: "en attente", offered: "proposée", loading: "téléchargement", ready: "redémarrage",
      trial: "à l'essai", confirmed: "installée", refused: "refusée", rolled_back: "annulée (retour)",
      lost: "sans nouvelles" },
    en: { waiting: "waiting", offered: "offered", loading: "downloading", ready: "restarting",
      trial: "on trial", confirmed: "installed", refused: "refused", rolled_back: "rolled back",
      lost: "not heard from" },
  },
  rollout: {
    fr: { running: "en cours", done: "terminée", halted: "arrêtée", stopped: "arrêtée à la main" },
    en: { running: "running", done: "done", halted: "halted", stopped: "stopped by hand" },
  },
  rolloutLine: { fr: (id, st, why) => `Mise à jour ${id} : ${st}${why ? ` — ${why}` : ""}`,
    en: (id, st, why) => `Update ${id}: ${st}${why ? ` — ${why}` : ""}` },
};
const LABELS = {  // the config's keys, as people call them
  site: "Site", services: "Services", counters: "Guichets", priority_categories: "Catégories prioritaires",
  hours: "Horaires d'ouverture (plages HH:MM-HH:MM, séparées par des virgules)", rules: "Règles de la file",
  id: "Identifiant", name: "Nom", letter: "Lettre", timezone: "Fuseau horaire",
  target_wait_minutes: "Délai cible (min)", default_service_minutes: "Durée habituelle (min)",
  colour: "Couleur (#rrggbb)", faq: "Questions fréquentes", question: "Question", answer: "Réponse",
  number: "Numéro", services_of_counter: "Services traités, dans l'ordre (identifiants, séparés par des virgules)",
  monday: "lundi", tuesday: "mardi", wednesday: "mercredi", thursday: "jeudi", friday: "vendredi",
  saturday: "samedi", sunday: "dimanche",
  guard_seconds: "Double appui ignoré pendant (s)", max_recalls: "Rappels au plus",
  recall_min_delay_seconds: "Entre deux appels d'un ticket, au moins (s)",
  priority_max_in_row: "Tickets prioritaires d'affilée, au plus",
  priority_starvation_minutes: "…sauf si un ticket ordinaire attend depuis (min)",
  refuse_outside_hours: "Refuser les tickets hors des horaires",
};
const ITEM = { services: "Service", counters: "Guichet", priority_categories: "Catégorie", faq: "Question" };
const BLANK = {
  services: () => ({ id: "", letter: "", name: "", target_wait_minutes: 20, default_service_minutes: 8, faq: [] }),
  counters: () => ({ number: 0, name: "", services: [] }),
  priority_categories: () => ({ id: "", name: "" }),
  faq: () => ({ question: "", answer: "" }),
};

let token = null, config = null, uid = 0;

function say(text) {
  document.getElementById("message").replaceChildren(...(text ? [el("p", { class: "error" }, text)] : []));
}

// One input for a scalar or a list of strings; `get()` reads it back in the config's type
function input(key, value, path, label = LABELS[key] || key) {
  const id = `f${++uid}`;
  const list = Array.isArray(value);
  const long = key === "answer";
  const box = el("label", { class: "field", for: id }, label);
  let node;
  if (typeof value === "boolean") {
    node = el("input", { id, type: "checkbox", "data-path": path });
    node.checked = value;
  } else if (long) {
    node = el("textarea", { id, "data-path": path });
    node.value = value;
  } else {
    node = el("input", { id, type: typeof value === "number" ? "number" : "text", step: "any",
      "data-path": path });
    node.value = list ? value.join(", ") : value;
  }
  box.append(node);
  const get = () => typeof value === "boolean" ? node.checked
    : typeof value === "number" ? Number(node.value)
      : list ? node.value.split(",").map((x) => x.trim()).filter(Boolean) : node.value;
  return { box, get };
}

// A table (object) or an array of tables, as nested fieldsets; -> a function giving it back
function editor(key, value, path, into) {
  if (Array.isArray(value) && (value.length === 0 ? BLANK[key] : typeof value[0] === "object")) {
    const set = el("fieldset", { "data-path": path }, el("legend", {}, LABELS[key] || key));
    const items = [];
    const list = el("div");
    const addItem = (item) => {
      const fs = el("fieldset", {}, el("legend", {}, `${ITEM[key] || key} ${items.length + 1}`));
      const entry = { fs, get: editor(null, item, `${path}[${items.length}]`, fs) };
      items.push(entry);
      fs.append(el("button", { type: "button", class: "secondary", onclick: () => {
        items.splice(items.indexOf(entry), 1);
        fs.remove();
      } }, t(T.remove)));
      list.append(fs);
    };
    value.forEach(addItem);
    set.append(list, el("button", { type: "button", class: "secondary", "data-add": key,
      onclick: () => addItem(BLANK[key] ? BLANK[key]() : {}) }, `${t(T.add)} : ${ITEM[key] || key}`));
    into.append(set);
    return () => items.map((i) => i.get());
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const target = key === null ? into : el("fieldset", { "data-path": path }, el("legend", {}, LABELS[key] || key));
    if (key !== null) into.append(target);
    const getters = Object.entries(value).map(([k, v]) => {
      const sub = path ? `${path}.${k}` : k;
      if (v && typeof v === "object" && !(Array.isArray(v) && (v.length === 0 ? !BLANK[k] : typeof v[0] !== "object"))) {
        return [k, editor(k, v, sub, target)];
      }
      const f = input(k, v, sub, k === "services" && key === null && "number" in value ? LABELS.services_of_counter : undefined);
      target.append(f.box);
      return [k, f.get];
    });
    return () => Object.fromEntries(getters.map(([k, g]) => [k, g()]));
  }
  const f = input(key, value, path);
  into.append(f.box);
  return f.get;
}

let read = null;

async function load() {
  config = await api("/api/admin/config", { token });
  const box = document.getElementById("sections");
  box.replaceChildren();
  uid = 0;
  const getters = Object.entries(config).map(([k, v]) => [k, editor(k, v, k, box)]);
  read = () => Object.fromEntries(getters.map(([k, g]) => [k, g()]));
  document.getElementById("editor").hidden = false;
}

async function save(ev) {
  ev.preventDefault();
  document.getElementById("saved").textContent = "";
  try {
    const answer = await api("/api/admin/config", { method: "PUT", token, body: read() });
    document.getElementById("saved").textContent = t(T.saved)(answer.backup);
    say("");
    await load();
  } catch (e) {
    const field = e.body && e.body.key && document.querySelector(`[data-path="${CSS.escape(e.body.key)}"]`);
    say(t(T.refused)(e.body && e.body.key || "-", explain(e)));
    if (field) field.focus();
  }
}

async function devices() {
  const { devices, rollout } = await api("/api/devices", { token });
  const update = (u) => {
    if (!u) return "—";
    const word = t(T.update)[u.state] || u.state;
    return `${u.build} : ${word}${u.detail ? ` (${u.detail})` : ""}`;
  };
  const rows = devices.map((d) => [d.id, d.role, d.counter ?? "—", d.link,
    d.online ? t(T.online) : t(T.offline), d.last_seen ? new Date(d.last_seen).toLocaleString("fr-FR") : "—",
    d.firmware || "—", update(d.update)]);
  document.getElementById("rollout").textContent = rollout
    ? t(T.rolloutLine)(rollout.id, t(T.rollout)[rollout.state] || rollout.state, rollout.reason) : "";
  document.getElementById("devices").replaceChildren(
    el("thead", {}, el("tr", {}, t(T.devCols).map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, String(c)))))));
  document.getElementById("devices-box").hidden = false;
}

async function start() {
  const site = await api("/api/site");
  langLink();
  document.getElementById("title").textContent = `${site.name} — administration`;
  for (const [id, key] of [["save", "save"], ["devices-title", "devices"]]) {
    document.getElementById(id).textContent = t(T[key]);
  }
  document.getElementById("editor").onsubmit = save;
  await staffSignIn({ fr: "Connexion administration", en: "Administrator sign-in" }, ["admin"],
    async (me, staffToken) => {
      token = staffToken;
      await Promise.all([load(), devices()]);
    }, say);
}
start().catch((e) => say(e.message));
