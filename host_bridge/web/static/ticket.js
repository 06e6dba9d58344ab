// The citizen's ticket page (from the kiosk's QR code): no login, no personal data. Place and
// estimated wait, live; an alert when the turn is near and when called; give up the ticket;
// the service's FAQ, most read first.
import { ahead, api, ApiError, askedFor, el, explain, langLink, live, newKey, range, t } from "./suivant.js";

const T = {
  unknown: { fr: "Ce ticket n'existe pas (ou plus : les tickets d'un jour s'effacent le lendemain).",
    en: "This ticket does not exist (or no more: a day's tickets are gone the next day)." },
  malformed: { fr: "Cette adresse ne correspond à aucun ticket. Vérifiez-la, ou scannez à nouveau le code QR de votre ticket.",
    en: "This address matches no ticket. Check it, or scan your ticket's QR code again." },
  back: { fr: "Retour à l'accueil", en: "Back to the home page" },
  wait: { fr: "Attente estimée : ", en: "Estimated wait: " },
  near: { fr: "C'est bientôt votre tour : rapprochez-vous des guichets.",
    en: "Your turn is near: come close to the counters." },
  called: { fr: (k) => `C'est à vous : guichet ${k}.`, en: (k) => `Your turn: counter ${k}.` },
  recalled: { fr: (k) => `Rappel : on vous attend au guichet ${k}.`, en: (k) => `Reminder: counter ${k} is waiting for you.` },
  served: { fr: "Vous avez été reçu. Merci de votre visite.", en: "You have been seen. Thank you for your visit." },
  absent: { fr: "Vous avez été appelé mais n'étiez pas là. Reprenez un ticket à la borne si besoin.",
    en: "You were called but not there. Take a new ticket at the kiosk if needed." },
  cancelled: { fr: "Ticket annulé.", en: "Ticket cancelled." },
  giveUp: { fr: "Je ne peux plus attendre", en: "I can't wait any longer" },
  sure: { fr: "Annuler votre ticket ? Votre place sera perdue.", en: "Cancel your ticket? You will lose your place." },
  faq: { fr: "Questions fréquentes", en: "Frequently asked questions" },
  // a transfer keeps the label and the arrival time (domain/queue.py _on_transferred)
  moved: { fr: (s, l) => `Votre ticket a été transféré vers le service ${s}. Vous gardez votre numéro ${l} et votre heure d'arrivée : seules les personnes arrivées avant vous dans ce service passent avant vous.`,
    en: (s, l) => `Your ticket was transferred to the service ${s}. You keep your number ${l} and your arrival time: only people who arrived before you in this service go before you.` },
  offline: { fr: "Connexion perdue : nouvel essai… (votre place est gardée)",
    en: "Connection lost: retrying… (your place is kept)" },
};

// everything after /ticket/ (a malformed address is still this page: the bridge says 404)
const id = (() => {
  try { return decodeURIComponent(location.pathname.slice("/ticket/".length)); } catch (e) { return ""; }
})();
let ticket = null, nearShown = false, calls = 0, site = null, faqOf = null, movedTo = null;

function buzz(pattern) {
  if (navigator.vibrate) navigator.vibrate(pattern);
}

async function refresh() {
  let answer;
  try {
    if (!id) throw new ApiError(422, null);
    answer = await api(`/api/tickets/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e.status === 404 || e.status === 422) {
      document.getElementById("status").replaceChildren(
        el("p", { class: "error" }, t(e.status === 404 ? T.unknown : T.malformed)),
        el("p", {}, el("a", { href: "/", id: "back" }, t(T.back))));
      return false;
    }
    throw e;
  }
  const before = ticket;
  ticket = answer.ticket;
  render(before);
  return true;
}

function render(before) {
  const service = site.services.find((s) => s.id === ticket.service);
  document.getElementById("service").textContent = service ? service.name : ticket.service;
  const label = document.getElementById("label");
  label.textContent = ticket.label;
  label.setAttribute("aria-label", `Ticket ${ticket.label}`);
  document.title = `${ticket.label} — ${site.name}`;
  const asked = askedFor(ticket.needs);  // what they asked for at the kiosk: the agent sees it too
  document.getElementById("needs").hidden = !asked;
  document.getElementById("needs").textContent = asked || "";
  const status = document.getElementById("status");
  const waiting = ticket.status === "waiting";
  document.getElementById("ahead").textContent = waiting ? ahead(ticket.ahead) : "";
  document.getElementById("wait").textContent = waiting ? t(T.wait) + range(ticket.estimate) : "";
  let message = null, cls = "alert";
  if (waiting && ticket.ahead <= 2) {
    message = t(T.near);
    if (!nearShown) buzz([200, 100, 200]);
    nearShown = true;
  } else if (ticket.status === "called") {
    cls = "alert called";
    message = ticket.recalls ? t(T.recalled)(ticket.counter) : t(T.called)(ticket.counter);
    const n = 1 + ticket.recalls;
    if (n !== calls) buzz([500, 200, 500, 200, 500]);
    calls = n;
  } else if (ticket.status !== "waiting") {
    message = t(T[ticket.status]);
  }
  // Moved to another service: seen live (the service changed under this page), or on a later
  // visit from the label, whose letter stays its first service's
  const first = site.services.find((s) => s.letter === ticket.label.slice(0, -3));
  if (before && before.service !== ticket.service) movedTo = ticket.service;
  const moved = waiting && (movedTo === ticket.service || (first && first.id !== ticket.service));
  status.replaceChildren(
    ...(moved ? [el("p", { class: "alert", id: "moved" }, t(T.moved)(service ? service.name : ticket.service, ticket.label))] : []),
    ...(message ? [el("p", { class: cls, id: "status-text" }, message)] : []));
  const box = document.getElementById("cancel-box");
  box.replaceChildren(...(waiting ? [el("button", { class: "danger", id: "give-up", onclick: giveUp }, t(T.giveUp))] : []));
  if (faqOf !== ticket.service) loadFaq();
}

async function giveUp() {
  if (!confirm(t(T.sure))) return;
  try {
    await api(`/api/tickets/${encodeURIComponent(id)}/cancel`, { method: "POST", key: newKey() });
  } catch (e) { /* already called or gone: the refresh shows what is true */ }
  await refresh();
}

async function loadFaq() {
  const of = faqOf = ticket.service;
  const { faq } = await api(`/api/services/${encodeURIComponent(of)}/faq`);
  if (of !== faqOf) return;  // moved again meanwhile: the newer list is on its way
  const section = document.getElementById("faq");
  section.hidden = !faq.length;
  if (!faq.length) return;
  document.getElementById("faq-title").textContent = t(T.faq);
  document.getElementById("faq-list").replaceChildren(...faq.map((entry) => {
    const d = el("details", { "data-faq": entry.id }, el("summary", {}, entry.question),
      el("p", {}, entry.answer));
    let counted = false;
    d.addEventListener("toggle", () => {
      if (!d.open || counted) return;
      counted = true;  // the bridge counts one view per ticket and entry anyway
      api(`/api/services/${encodeURIComponent(of)}/faq/${entry.id}/view`
        + `?ticket=${encodeURIComponent(ticket.id)}`, { method: "POST" })
        .catch(() => {});
    });
    return d;
  }));
  section.hidden = false;
}

async function start() {
  site = await api("/api/site");
  document.getElementById("site").textContent = site.name;
  langLink();
  if (!(await refresh())) return;
  let pending;
  live(() => { clearTimeout(pending); pending = setTimeout(() => refresh().catch(() => {}), 200); },
    (up) => {
      const banner = document.getElementById("offline");
      banner.hidden = up;
      banner.textContent = t(T.offline);
      if (up) refresh().catch(() => {});
    });
}
start().catch((e) => {
  document.querySelector("main").prepend(el("p", { class: "error", role: "alert" }, explain(e)));
});
