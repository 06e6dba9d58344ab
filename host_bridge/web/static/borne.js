// The kiosk: a big button per service, a signed priority path, the ticket with its QR code.
import { ahead, api, el, explain, langLink, live, newKey, range, t } from "./suivant.js";

const T = {
  choose: { fr: "Choisissez votre démarche", en: "Choose what you came for" },
  waiting: { fr: (n) => n === 0 ? "personne n'attend" : n === 1 ? "1 personne attend" : `${n} personnes attendent`,
    en: (n) => n === 1 ? "1 person waiting" : `${n} people waiting` },
  closed: { fr: "aucun guichet ouvert pour l'instant", en: "no counter open at the moment" },
  prioTitle: { fr: "Accès prioritaire", en: "Priority access" },
  prioText: { fr: "Sur présentation de votre carte au guichet : carte mobilité inclusion, carte de priorité famille, femme enceinte…",
    en: "Show your card at the counter: mobility inclusion card, family priority card, pregnancy…" },
  prioChosen: { fr: (c) => `Accès prioritaire : ${c}. Choisissez maintenant votre démarche.`,
    en: (c) => `Priority access: ${c}. Now choose what you came for.` },
  cancelPrio: { fr: "Annuler l'accès prioritaire", en: "Cancel priority access" },
  yourTicket: { fr: "Votre ticket", en: "Your ticket" },
  wait: { fr: "Attente estimée :", en: "Estimated wait:" },
  follow: { fr: "Suivez votre place sur votre téléphone : scannez ce code.",
    en: "Follow your place on your phone: scan this code." },
  qr: { fr: "Code QR vers la page de votre ticket", en: "QR code to your ticket's page" },
  done: { fr: "Terminé", en: "Done" },
  failed: { fr: "Le ticket n'a pas pu être pris : ", en: "The ticket could not be taken: " },
  offline: { fr: "Connexion au serveur perdue : nouvel essai…", en: "Lost the server: retrying…" },
  printed: { fr: "Votre ticket est imprimé : prenez-le sous l'écran.", en: "Your ticket is printed: take it below the screen." },
  unprinted: { fr: "L'imprimante ne répond pas : aucun ticket n'a été créé. Vous pouvez prendre votre ticket sans l'imprimer (notez son numéro ou scannez son code), ou vous adresser à l'accueil.",
    en: "The printer does not answer: no ticket was made. You can take your ticket without printing it (note its number or scan its code), or ask at the reception desk." },
  noPrint: { fr: "Prendre le ticket sans l'imprimer", en: "Take the ticket without printing" },
};

let site, category = null, backTimer;

// The kiosk's own account (role "kiosk"): given once as /borne#kiosk=<token> when the kiosk PC
// is set up, kept by this browser, and sent with each ticket so that the kiosk, which takes
// tickets for everyone, is not held to the per-address limit of anonymous clients. The
// fragment never reaches the server or its logs, and leaves the address bar at once.
const KIOSK_KEY = "suivant-kiosk-token";
const given = new URLSearchParams(location.hash.slice(1)).get("kiosk");
if (given) {
  localStorage.setItem(KIOSK_KEY, given);
  history.replaceState(null, "", location.pathname + location.search);
}

async function load() {
  site = await api("/api/site");
  document.getElementById("site").textContent = site.name;
  document.title = `${t(T.choose)} — ${site.name}`;
  langLink();
  document.getElementById("choose-title").textContent = t(T.choose);
  document.getElementById("priority-title").textContent = t(T.prioTitle);
  document.getElementById("priority-text").textContent = t(T.prioText);
  renderCategories();
  await refresh();
}

function renderCategories() {
  const box = document.getElementById("categories");
  box.replaceChildren();
  if (category) {
    const c = site.priority_categories.find((x) => x.id === category);
    box.append(el("p", { class: "alert", role: "status" }, t(T.prioChosen)(c.name)),
      el("button", { class: "secondary", onclick: () => { category = null; renderCategories(); } },
        t(T.cancelPrio)));
    return;
  }
  for (const c of site.priority_categories) {
    box.append(el("button", { "data-category": c.id, onclick: () => { category = c.id; renderCategories(); } },
      c.name), " ");
  }
}

async function refresh() {
  const { services } = await api("/api/services");
  const grid = document.getElementById("services");
  grid.replaceChildren(...services.map((s) => el("button", {
    class: "service", "data-service": s.id, onclick: () => take(s),
  }, `${s.letter} — ${s.name}`, el("small", {},
    s.counters_open ? `${t(T.waiting)(s.waiting)} · ${range(s.estimate_for_new_ticket)}` : t(T.closed)))));
}

async function take(service, print = true) {
  const body = { service: service.id, print };
  if (category) body.category = category;
  const box = document.getElementById("ticket");
  try {
    const answer = await issue(body);
    show(answer.ticket, service, answer.printed);
  } catch (e) {
    const unprinted = e.code === "printer_failed";
    box.replaceChildren(el("p", { class: "error", role: "alert", id: "ticket-error" },
      unprinted ? t(T.unprinted) : t(T.failed) + explain(e)),
    ...(unprinted ? [el("button", { id: "no-print", onclick: () => take(service, false) }, t(T.noPrint)), " "] : []),
    el("button", { class: unprinted ? "secondary" : "", onclick: home }, t(T.done)));
    document.getElementById("choose").hidden = true;
    box.hidden = false;
    clearTimeout(backTimer);
    backTimer = setTimeout(home, 30000);
  }
}

// A token the site no longer has counts as none: the kiosk goes on, as an anonymous client.
function issue(body) {
  return api("/api/tickets", { method: "POST", body, key: newKey(),
    token: localStorage.getItem(KIOSK_KEY) || undefined });
}

function show(ticket, service, printed) {
  const box = document.getElementById("ticket");
  const page = `/ticket/${encodeURIComponent(ticket.id)}`;
  box.replaceChildren(
    el("h2", {}, t(T.yourTicket)),
    ...(printed ? [el("p", { class: "alert", id: "printed" }, t(T.printed))] : []),
    el("p", { class: "big-number", id: "ticket-label" }, ticket.label),
    el("p", {}, service.name),
    el("p", { id: "ticket-ahead" }, ahead(ticket.ahead)),
    el("p", {}, `${t(T.wait)} ${range(ticket.estimate)}`),
    el("img", { src: `/api/tickets/${encodeURIComponent(ticket.id)}/qr.svg`, alt: t(T.qr) }),
    el("p", {}, t(T.follow), " ", el("a", { href: page, id: "ticket-link" }, page.slice(0, 16) + "…")),
    el("button", { onclick: home }, t(T.done)));
  document.getElementById("choose").hidden = true;
  box.hidden = false;
  category = null;
  renderCategories();
  clearTimeout(backTimer);
  backTimer = setTimeout(home, 30000);  // the next citizen needs the kiosk
}

function home() {
  clearTimeout(backTimer);
  document.getElementById("ticket").hidden = true;
  document.getElementById("choose").hidden = false;
  refresh();
}

let pending;
live(() => { clearTimeout(pending); pending = setTimeout(() => refresh().catch(() => {}), 300); },
  (up) => {
    const banner = document.getElementById("offline");
    banner.hidden = up;
    banner.textContent = t(T.offline);
  });
load().catch((e) => {
  document.querySelector("main").prepend(el("p", { class: "error", role: "alert" }, e.message));
});
