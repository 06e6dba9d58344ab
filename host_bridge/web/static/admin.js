// Administration: the site's services (and their FAQ), counters, priority categories, opening
// hours and rules, as forms built from the configuration itself; saved at once, live (the
// bridge checks it as it checks the file, and says which field is wrong). The boards, read-only.
import { api, el, explain, lang, langLink, staffSignIn, t } from "./suivant.js";

const T = {
  save: { fr: "Enregistrer et appliquer", en: "Save and apply" },
  saved: { fr: (b) => `Enregistré et appliqué. L'ancienne version est gardée (${b}).`,
    en: (b) => `Saved and applied. The previous version is kept (${b}).` },
  add: { fr: "Ajouter", en: "Add" }, remove: { fr: "Retirer", en: "Remove" },
  // the boards' roles and links (protocol.md), as people call them
  role: { fr: { counter: "boîtier de guichet", display: "afficheur de guichet", hall: "écran de salle", feedback: "borne d'avis" },
    en: { counter: "counter terminal", display: "counter display", hall: "hall screen", feedback: "feedback terminal" } },
  link: { fr: { mqtt: "réseau (MQTT)", serial: "câble série" }, en: { mqtt: "network (MQTT)", serial: "serial cable" } },
  devices: { fr: "Boîtiers", en: "Boards" },
  refused: { fr: (m) => `Non enregistré. ${m}`, en: (m) => `Not saved. ${m}` },
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
  undo_absent_seconds: "« Absent » annulable pendant (s)",
  offers: "Accueil adapté, séparé par des virgules (hearing_loop : boucle magnétique, sign_language : interprète LSF, seated : guichet assis ou bas)",
  comeback_minutes: "« Je suis là » : un absent peut revenir dans la file pendant (min, 0 : jamais)",
  comeback_after: "…derrière ce nombre de tickets",
  delay_minutes: "« Je serai en retard » : place gardée sans appel pendant (min, 0 : non proposé)",
  appointments: "Rendez-vous",
  ical: "Agenda iCal des rendez-vous (fichier ou adresse https)",
  refresh_minutes: "Agenda relu toutes les (min)",
  callable_before_minutes: "Appelable avant l'heure du rendez-vous (min)",
  late_minutes: "En retard au-delà de (min)",
  late: "En retard : walk_in (avec les tickets sans rendez-vous) ou refuse (voir l'accueil)",
  no_show_minutes: "Noté absent s'il n'est pas arrivé après (min)",
};
const LABELS_EN = {
  site: "Site", services: "Services", counters: "Counters", priority_categories: "Priority categories",
  hours: "Opening hours (ranges HH:MM-HH:MM, separated by commas)", rules: "Queue rules",
  id: "Identifier", name: "Name", letter: "Letter", timezone: "Time zone",
  target_wait_minutes: "Target wait (min)", default_service_minutes: "Usual service time (min)",
  colour: "Colour (#rrggbb)", faq: "Frequent questions", question: "Question", answer: "Answer",
  number: "Number", services_of_counter: "Services served, in order (identifiers, separated by commas)",
  monday: "Monday", tuesday: "Tuesday", wednesday: "Wednesday", thursday: "Thursday", friday: "Friday",
  saturday: "Saturday", sunday: "Sunday",
  guard_seconds: "Double press ignored for (s)", max_recalls: "Recalls at most",
  recall_min_delay_seconds: "Between two calls of a ticket, at least (s)",
  priority_max_in_row: "Priority tickets in a row, at most",
  priority_starvation_minutes: "…unless an ordinary ticket has waited for (min)",
  refuse_outside_hours: "Refuse tickets outside opening hours",
  undo_absent_seconds: "« No-show » can be undone for (s)",
  offers: "Adapted reception, separated by commas (hearing_loop: hearing loop, sign_language: LSF interpreter, seated: seated or low counter)",
  comeback_minutes: "« I am here »: a no-show may go back in line for (min, 0: never)",
  comeback_after: "…behind this many tickets",
  delay_minutes: "« I will be late »: place kept without a call for (min, 0: not offered)",
  appointments: "Appointments",
  ical: "Appointments' iCal calendar (a file or an https address)",
  refresh_minutes: "Calendar read again every (min)",
  callable_before_minutes: "Callable before the appointment's time (min)",
  late_minutes: "Late beyond (min)",
  late: "Late: walk_in (with the tickets without appointment) or refuse (see reception)",
  no_show_minutes: "Marked missed when not arrived after (min)",
};
const label = (k) => (lang === "en" && LABELS_EN[k]) || LABELS[k] || k;
const ITEM = { fr: { services: "Service", counters: "Guichet", priority_categories: "Catégorie", faq: "Question" },
  en: { services: "Service", counters: "Counter", priority_categories: "Category", faq: "Question" } };
const item = (k) => t(ITEM)[k] || k;
const colon = lang === "fr" ? " : " : ": ";
// "services[1].faq[0]" -> "Service 2, Question 1": what a « Remove » or « Add » button acts on
const human = (path) => steps(path).filter(([, i]) => i !== undefined).map(([k, i]) => `${item(k)} ${i + 1}`).join(", ");
const BLANK = {
  services: () => ({ id: "", letter: "", name: "", target_wait_minutes: 20, default_service_minutes: 8, faq: [] }),
  counters: () => ({ number: 0, name: "", services: [], offers: [] }),
  priority_categories: () => ({ id: "", name: "" }),
  faq: () => ({ question: "", answer: "" }),
};

// A refusal said as a person would: where (« Service État civil »), which field (« l'attente
// cible »), its rule and the value received. The bridge gives the field's path and a reason
// code (api/errors.py); the rules are site_config.py's, in words.
const FIELD = {
  fr: { id: "l'identifiant", name: "le nom", letter: "la lettre", timezone: "le fuseau horaire",
    target_wait_minutes: "l'attente cible", default_service_minutes: "la durée habituelle d'un passage",
    colour: "la couleur", question: "la question", answer: "la réponse", number: "le numéro",
    services: "les services traités", faq: "les questions fréquentes",
    guard_seconds: "le délai de double appui", max_recalls: "le nombre de rappels",
    recall_min_delay_seconds: "le délai entre deux appels", priority_max_in_row: "le nombre de tickets prioritaires d'affilée",
    priority_starvation_minutes: "l'attente maximale d'un ticket ordinaire", refuse_outside_hours: "le refus hors horaires",
    undo_absent_seconds: "le délai pour annuler « Absent »" },
  en: { id: "the identifier", name: "the name", letter: "the letter", timezone: "the time zone",
    target_wait_minutes: "the target wait", default_service_minutes: "the usual service time",
    colour: "the colour", question: "the question", answer: "the answer", number: "the number",
    services: "the services served", faq: "the frequent questions",
    guard_seconds: "the double-press delay", max_recalls: "the number of recalls",
    recall_min_delay_seconds: "the delay between two calls", priority_max_in_row: "the number of priority tickets in a row",
    priority_starvation_minutes: "the longest wait of an ordinary ticket", refuse_outside_hours: "refusing outside hours",
    undo_absent_seconds: "the time to undo a no-show" },
};
const RULE = {
  fr: { id: "ne doit contenir que des lettres minuscules, des chiffres et des tirets",
    letter: "doit être une seule lettre majuscule, de A à Z", name: "ne doit pas être vide",
    question: "ne doit pas être vide", answer: "ne doit pas être vide",
    target_wait_minutes: "doit être entre 1 et 1440 minutes",
    default_service_minutes: "doit être de plus de 0 et d'au plus 480 minutes",
    colour: "doit s'écrire #rrggbb (par exemple #000091)", number: "doit être entre 1 et 999",
    timezone: "doit être un fuseau horaire connu (par exemple Europe/Paris)",
    guard_seconds: "doit être entre 0 et 60 secondes", max_recalls: "doit être entre 0 et 20",
    recall_min_delay_seconds: "doit être entre 0 et 3600 secondes", priority_max_in_row: "doit être d'au moins 1",
    priority_starvation_minutes: "doit être entre 0 et 1440 minutes",
    undo_absent_seconds: "doit être entre 0 et 300 secondes" },
  en: { id: "may only hold lowercase letters, digits and dashes",
    letter: "must be one capital letter, A to Z", name: "must not be empty",
    question: "must not be empty", answer: "must not be empty",
    target_wait_minutes: "must be between 1 and 1440 minutes",
    default_service_minutes: "must be above 0 and at most 480 minutes",
    colour: "must be written #rrggbb (for example #000091)", number: "must be between 1 and 999",
    timezone: "must be a known time zone (for example Europe/Paris)",
    guard_seconds: "must be between 0 and 60 seconds", max_recalls: "must be between 0 and 20",
    recall_min_delay_seconds: "must be between 0 and 3600 seconds", priority_max_in_row: "must be at least 1",
    priority_starvation_minutes: "must be between 0 and 1440 minutes",
    undo_absent_seconds: "must be between 0 and 300 seconds" },
};
const DAY = { fr: LABELS, en: { monday: "Monday", tuesday: "Tuesday", wednesday: "Wednesday",
  thursday: "Thursday", friday: "Friday", saturday: "Saturday", sunday: "Sunday" } };
const WHY = {
  fr: { missing: (f) => `${f} est obligatoire.`, wrong_type: (f, v) => `${f} n'a pas la bonne forme (reçu : ${v}).`,
    unknown_key: (f) => `le champ « ${f} » n'existe pas ici.`,
    duplicate: (f, v) => `« ${v} » est déjà pris ailleurs pour ${f} ; chaque valeur doit être unique.`,
    unknown_service: (f, v) => `le service « ${v} » n'existe pas : indiquez l'identifiant d'un service de la liste.`,
    unknown_counter: (f, v) => `le guichet ${v} n'existe pas.`,
    empty: (f) => `il en faut au moins un.`,
    bad_range: (f, v) => `les plages s'écrivent comme 08:30-12:00, séparées par des virgules (reçu : ${v}).`,
    range_reversed: (f, v) => `une plage finit avant de commencer (reçu : ${v}).`,
    ranges_overlap: (f, v) => `deux plages se chevauchent (reçu : ${v}).`,
    no_hours: () => "aucun horaire d'ouverture alors que les tickets sont refusés hors des horaires : tout ticket serait refusé.",
    not_editable: () => "cette partie ne se change pas depuis cette page.",
    too_large: () => "la configuration est trop grande.",
    no_config_file: () => "ce serveur n'a pas été démarré depuis un fichier de configuration : rien ne peut être enregistré.",
    invalid: (f, v) => `${f} est refusé (reçu : ${v}).` },
  en: { missing: (f) => `${f} is required.`, wrong_type: (f, v) => `${f} does not have the right form (got: ${v}).`,
    unknown_key: (f) => `there is no field « ${f} » here.`,
    duplicate: (f, v) => `« ${v} » is already taken elsewhere for ${f}; each value must be unique.`,
    unknown_service: (f, v) => `there is no service « ${v} »: give the identifier of a service in the list.`,
    unknown_counter: (f, v) => `there is no counter ${v}.`,
    empty: () => "at least one is needed.",
    bad_range: (f, v) => `ranges are written like 08:30-12:00, separated by commas (got: ${v}).`,
    range_reversed: (f, v) => `a range ends before it starts (got: ${v}).`,
    ranges_overlap: (f, v) => `two ranges overlap (got: ${v}).`,
    no_hours: () => "no opening hours while tickets are refused outside them: every ticket would be refused.",
    not_editable: () => "this part is not changed from this page.",
    too_large: () => "the configuration is too large.",
    no_config_file: () => "this server was not started from a configuration file: nothing can be saved.",
    invalid: (f, v) => `${f} is refused (got: ${v}).` },
};
const SECTION = { fr: { services: "Services", counters: "Guichets", priority_categories: "Catégories prioritaires",
  hours: "Horaires d'ouverture" },
  en: { services: "Services", counters: "Counters", priority_categories: "Priority categories", hours: "Opening hours" } };
const capital = (x) => x.charAt(0).toUpperCase() + x.slice(1);

// "services[0].faq[2].question" -> [["services", 0], ["faq", 2], ["question"]]
function steps(path) {
  return path.split(".").map((p) => {
    const m = p.match(/^([^[]+)(?:\[(\d+)\])?$/);
    return m ? (m[2] === undefined ? [m[1]] : [m[1], Number(m[2])]) : [p];
  });
}

function valueAt(body, path) {
  let node = body;
  for (const [k, i] of steps(path)) {
    node = node && node[k];
    if (i !== undefined) node = node && node[i];
  }
  return node;
}

function shown(v) {
  if (v === undefined || v === null || v === "") return t({ fr: "rien", en: "nothing" });
  return Array.isArray(v) ? v.join(", ") : String(v);
}

// -> the sentence for a refused save, from the bridge's codes and the body that was sent
function refusal(e, sent) {
  const b = e.body || {};
  if (b.error === "site_change_refused") {
    const service = sent.services && sent.services.find((s) => s.id === b.service);
    const name = service ? service.name : (config.services.find((s) => s.id === b.service) || {}).name || b.service;
    if (b.reason === "service_in_use") return t({ fr: `Le service ${name} a des tickets aujourd'hui : il ne peut être retiré que demain.`,
      en: `The service ${name} has tickets today: it can only be removed tomorrow.` });
    if (b.reason === "counter_in_use") return t({ fr: `Le guichet ${b.counter} a servi aujourd'hui : il ne peut être retiré que demain.`,
      en: `Counter ${b.counter} was used today: it can only be removed tomorrow.` });
    return t({ fr: "L'identifiant du site et son fuseau horaire ne changent qu'au redémarrage du serveur.",
      en: "The site's identifier and time zone only change when the server restarts." });
  }
  if (!["invalid_config", "config_not_changed"].includes(b.error) || !b.field) return explain(e);
  const parts = steps(b.field);
  const where = [];
  let node = sent;
  for (const [k, i] of parts.slice(0, -1)) {
    node = node && node[k];
    if (i === undefined) {
      where.push(k === "rules" ? t({ fr: "Règles de la file", en: "Queue rules" }) : k === "hours"
        ? t({ fr: "Horaires d'ouverture", en: "Opening hours" }) : label(k));
      continue;
    }
    node = node && node[i];
    const named = node && (node.name || node.question);
    if (k === "services") where.push(`${t({ fr: "Service", en: "Service" })} ${named || i + 1}`);
    else if (k === "counters") where.push(`${t({ fr: "Guichet", en: "Counter" })} ${node && node.number || i + 1}`);
    else if (k === "priority_categories") where.push(`${t({ fr: "Catégorie", en: "Category" })} ${named || i + 1}`);
    else if (k === "faq") where.push(`${t({ fr: "question", en: "question" })} ${i + 1}`);
    else where.push(`${k} ${i + 1}`);
  }
  const [last, index] = parts[parts.length - 1];
  if (parts.length === 1 && LABELS[last]) where.push(t(SECTION)[last] || label(last));
  const value = valueAt(sent, b.field);
  const isDay = last in DAY.en;
  if (isDay) where.push(t(DAY)[last]);
  const field = isDay ? t({ fr: "les plages", en: "the ranges" }) : (t(FIELD)[last] || `« ${last} »`);
  let text;
  const got = `(${t({ fr: "reçu : ", en: "got: " })}${shown(value)}).`;
  if (b.reason === "wrong_type" && typeof value === "number" && !Number.isInteger(value)) {
    text = `${field} ${t({ fr: "doit être un nombre entier", en: "must be a whole number" })} ${got}`;
  } else if ((b.reason === "invalid_value" || b.reason === "wrong_type") && t(RULE)[last]) {
    text = `${field} ${t(RULE)[last]} ${got}`;
  } else if (b.reason === "unknown_key") {
    text = t(WHY).unknown_key(last);
  } else if (b.reason === "empty" && index === undefined && last === "services" && parts.length > 1) {
    text = t({ fr: "il doit traiter au moins un service.", en: "it must serve at least one service." });
  } else {
    text = (t(WHY)[b.reason] || t(WHY).invalid)(field, shown(value));
  }
  return where.length ? `${where.join(", ")}${lang === "fr" ? " : " : ": "}${text}` : capital(text);
}

let token = null, config = null, uid = 0;

function say(text) {
  document.getElementById("message").replaceChildren(...(text ? [el("p", { class: "error" }, text)] : []));
}

// One input for a scalar or a list of strings; `get()` reads it back in the config's type
function input(key, value, path, text = label(key)) {
  const id = `f${++uid}`;
  const list = Array.isArray(value);
  const long = key === "answer";
  const box = el("label", { class: "field", for: id }, text);
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
    const set = el("fieldset", { "data-path": path }, el("legend", {}, label(key)));
    const items = [];
    const list = el("div");
    const addItem = (value) => {
      const here = `${path}[${items.length}]`;  // as its legend numbers it
      const fs = el("fieldset", {}, el("legend", {}, `${item(key)} ${items.length + 1}`));
      const entry = { fs, get: editor(null, value, `${path}[${items.length}]`, fs) };
      items.push(entry);
      fs.append(el("button", { type: "button", class: "secondary", "data-remove": here,
        "aria-label": `${t(T.remove)}${colon}${human(here)}`, onclick: () => {
          items.splice(items.indexOf(entry), 1);
          fs.remove();
        } }, t(T.remove)));
      list.append(fs);
    };
    value.forEach(addItem);
    const where = human(path);
    set.append(list, el("button", { type: "button", class: "secondary", "data-add": key,
      "aria-label": `${t(T.add)}${colon}${item(key)}${where ? ` (${where})` : ""}`,
      onclick: () => addItem(BLANK[key] ? BLANK[key]() : {}) }, `${t(T.add)}${colon}${item(key)}`));
    into.append(set);
    return () => items.map((i) => i.get());
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const target = key === null ? into : el("fieldset", { "data-path": path }, el("legend", {}, label(key)));
    if (key !== null) into.append(target);
    const getters = Object.entries(value).map(([k, v]) => {
      const sub = path ? `${path}.${k}` : k;
      if (v && typeof v === "object" && !(Array.isArray(v) && (v.length === 0 ? !BLANK[k] : typeof v[0] !== "object"))) {
        return [k, editor(k, v, sub, target)];
      }
      const f = input(k, v, sub, k === "services" && key === null && "number" in value ? label("services_of_counter") : undefined);
      target.append(f.box);
      return [k, f.get];
    });
    return () => Object.fromEntries(getters.map(([k, g]) => [k, g()]));
  }
  const f = input(key, value, path);
  into.append(f.box);
  return f.get;
}

let read = null, sent = null;

async function load() {
  config = await api("api/admin/config", { token });
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
    sent = read();
    const answer = await api("api/admin/config", { method: "PUT", token, body: sent });
    document.getElementById("saved").textContent = t(T.saved)(answer.backup);
    say("");
    await load();
  } catch (e) {
    const field = e.body && e.body.field && document.querySelector(`[data-path="${CSS.escape(e.body.field)}"]`);
    say(t(T.refused)(refusal(e, sent || {})));
    if (field) field.focus();
  }
}

async function devices() {
  const { devices, rollout } = await api("api/devices", { token });
  const update = (u) => {
    if (!u) return "—";
    const word = t(T.update)[u.state] || u.state;
    return `${u.build} : ${word}${u.detail ? ` (${u.detail})` : ""}`;
  };
  const rows = devices.map((d) => [d.id, t(T.role)[d.role] || d.role, d.counter ?? "—", t(T.link)[d.link] || d.link,
    d.online ? t(T.online) : t(T.offline), d.last_seen ? new Date(d.last_seen).toLocaleString(lang === "fr" ? "fr-FR" : "en-GB") : "—",
    d.firmware || "—", update(d.update)]);
  document.getElementById("rollout").textContent = rollout
    ? t(T.rolloutLine)(rollout.id, t(T.rollout)[rollout.state] || rollout.state, rollout.reason) : "";
  document.getElementById("devices").replaceChildren(
    el("thead", {}, el("tr", {}, t(T.devCols).map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, String(c)))))));
  document.getElementById("devices-box").hidden = false;
}

async function start() {
  const site = await api("api/site");
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
start().catch((e) => say(explain(e)));
