// The citizen's ticket page (from the kiosk's QR code): no login, no personal data. Place and
// estimated wait, live; an alert when the turn is near and when called (a sound and a
// vibration once « Activer les alertes » was tapped: browsers allow neither before a tap);
// « Me prévenir » (Web Push, or an SMS where the browser cannot); « Je serai en retard » and
// « Je suis là » where the site offers them; give up the ticket; the service's FAQ; a question
// to the reception desk (ticket_questions.js); the survey once served (ticket_survey.js).
import { ahead, api, ApiError, askedFor, el, explain, lang, langLink, live, newKey, root, t, waitWords } from "./suivant.js";
import { questions } from "./ticket_questions.js";
import { survey } from "./ticket_survey.js";

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
  appointment: { fr: (h) => `Rendez-vous à ${h}`, en: (h) => `Appointment at ${h}` },
  callableFrom: { fr: (h) => `Vous serez appelé(e) à partir de ${h}.`, en: (h) => `You will be called from ${h} on.` },
  delay: { fr: "Je serai en retard", en: "I will be late" },
  delayHelp: { fr: "On ne vous appellera pas pendant quelques minutes et vous gardez votre place (une seule fois).",
    en: "You will not be called for a few minutes and you keep your place (once)." },
  held: { fr: (h) => `Votre place est gardée : on ne vous appellera pas avant ${h}.`,
    en: (h) => `Your place is kept: you will not be called before ${h}.` },
  absentBack: { fr: "Vous avez été appelé mais n'étiez pas là.", en: "You were called but not there." },
  comeback: { fr: "Je suis là", en: "I am here" },
  comebackHelp: { fr: (h) => `Vous pouvez encore demander à revenir dans la file, jusqu'à ${h} (une seule fois).`,
    en: (h) => `You can still ask to go back in line, until ${h} (once).` },
  tooLate: { fr: "Ce n'est plus possible pour ce ticket.", en: "This is no longer possible for this ticket." },
  alertsTitle: { fr: "Être prévenu", en: "Get alerted" },
  alertsOn: { fr: "Activer les alertes", en: "Turn on alerts" },
  alertsActive: { fr: "Alertes activées", en: "Alerts on" },
  alertsHelp: { fr: "Un son et une vibration à l'appel, tant que cette page reste ouverte.",
    en: "A sound and a vibration at the call, while this page stays open." },
  pushOn: { fr: "Me prévenir", en: "Notify me" },
  pushOff: { fr: "Ne plus me prévenir", en: "Stop notifying me" },
  pushDone: { fr: "C'est noté : ce téléphone vous préviendra quand votre tour approche et à l'appel, même page fermée.",
    en: "Done: this phone will tell you when your turn is near and at the call, even with the page closed." },
  pushStopped: { fr: "Vous ne serez plus prévenu sur ce téléphone.", en: "This phone will no longer notify you." },
  noPush: { fr: "Ce navigateur ne peut pas recevoir de notifications.", en: "This browser cannot receive notifications." },
  iosTab: { fr: "Sur iPhone et iPad, les notifications ne marchent que depuis l'écran d'accueil : touchez Partager, puis « Sur l'écran d'accueil », et rouvrez votre ticket depuis cette icône.",
    en: "On iPhone and iPad, notifications work only from the Home Screen: tap Share, then “Add to Home Screen”, and open your ticket again from that icon." },
  denied: { fr: "Les notifications sont bloquées pour ce site : autorisez-les dans les réglages du navigateur.",
    en: "Notifications are blocked for this site: allow them in the browser's settings." },
  pushFailed: { fr: "L'inscription aux notifications n'a pas abouti.", en: "Signing up for notifications did not work." },
  keepOpen: { fr: "Gardez cette page ouverte : elle affiche l'appel.", en: "Keep this page open: it shows the call." },
  smsInstead: { fr: "Recevez plutôt un SMS :", en: "Get a text message instead:" },
  smsToo: { fr: "Ou recevez un SMS :", en: "Or get a text message:" },
  phone: { fr: "Votre numéro de mobile", en: "Your mobile number" },
  smsSend: { fr: "Recevoir un SMS", en: "Get a text message" },
  smsDone: { fr: (m) => `Vous recevrez un SMS au ${m} quand votre tour approche et à l'appel. Votre numéro est effacé dès la fin de votre ticket.`,
    en: (m) => `You will get a text message at ${m} when your turn is near and at the call. Your number is erased when your ticket ends.` },
  smsReplies: { fr: "Répondez RETARD pour garder votre place quelques minutes, ANNULER pour annuler votre ticket.",
    en: "Reply RETARD to keep your place a few minutes, ANNULER to cancel your ticket." },
  smsStop: { fr: "Ne plus recevoir de SMS", en: "Stop text messages" },
  smsStopped: { fr: "Vous ne recevrez plus de SMS ; votre numéro est effacé.", en: "No more text messages; your number is erased." },
  offline: { fr: "Connexion perdue : nouvel essai… (votre place est gardée)",
    en: "Connection lost: retrying… (your place is kept)" },
};

// The refusals of the SMS and push routes (api/sms.py, api/push.py), in the page's words
const REFUSED = {
  format: { fr: "Ce numéro n'est pas reconnu : un mobile français (06 ou 07 et 8 chiffres) ou un numéro international (+…).",
    en: "This number is not recognised: a French mobile (06 or 07 and 8 digits) or an international number (+…)." },
  not_mobile: { fr: "Seul un mobile (06 ou 07) peut recevoir un SMS.", en: "Only a mobile (06 or 07) can receive a text message." },
  too_long: { fr: "Ce numéro est trop long.", en: "This number is too long." },
  number_busy: { fr: "Ce numéro suit déjà trop de tickets.", en: "This number already follows too many tickets." },
  too_many_changes: { fr: "Le numéro de ce ticket a trop changé : gardez le précédent.", en: "This ticket's number changed too often: keep the previous one." },
  full: { fr: "Le service d'alertes est complet pour le moment : gardez cette page ouverte.",
    en: "The alert service is full right now: keep this page open." },
  ticket_not_live: { fr: "Ce ticket n'attend plus.", en: "This ticket is no longer waiting." },
  ticket_ended: { fr: "Ce ticket n'attend plus.", en: "This ticket is no longer waiting." },
  sms_not_configured: { fr: "Ce site n'envoie pas de SMS.", en: "This site sends no text messages." },
  busy: { fr: "Trop de demandes en ce moment : réessayez dans une minute.", en: "Too many requests right now: try again in a minute." },
};
const refused = (e) => {
  const known = e && (REFUSED[e.body && e.body.reason] || REFUSED[e.code]);
  if (known) return t(known);
  if (e && (e.code === "delay_refused" || e.code === "comeback_refused")) return t(T.tooLate);
  if (e && e.code === "invalid_subscription") return t(T.pushFailed);
  return explain(e);
};

// everything after /ticket/ (a malformed address is still this page: the bridge says 404)
const id = (() => {
  try { return decodeURIComponent(location.pathname.slice(`${root}ticket/`.length)); } catch (e) { return ""; }
})();
let ticket = null, nearShown = false, calls = 0, site = null, faqOf = null, movedTo = null;
let audio = null, actionError = null, acted = 0;  // a WebAudio context once the alerts are on
let chat = null, opinion = null;  // the question to reception, the survey
const enc = encodeURIComponent;
const TICK_MS = 60000;  // the wait's minutes are asked again this often without any event

function buzz(pattern) {
  if (navigator.vibrate) navigator.vibrate(pattern);
}

// « 10 h 30 » / "10:30", in the site's time zone (a phone abroad reads the hall's clock)
function hm(iso) {
  const parts = new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZone: site.timezone }).formatToParts(new Date(iso));
  const get = (type) => parts.find((p) => p.type === type).value;
  return lang === "en" ? `${get("hour")}:${get("minute")}` : `${Number(get("hour"))} h ${get("minute")}`;
}

// Three short beeps (WebAudio: nothing to download), only once the alerts were turned on
function tone(times = 3) {
  if (!audio) return;
  const start = audio.currentTime + 0.05;
  for (let i = 0; i < times; i++) {
    const at = start + i * 0.4, osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + 0.32);
  }
}

// « Activer les alertes »: the tap is what lets the page sound and vibrate later
function alertsOn() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (Context && !audio) audio = new Context();
  if (audio) audio.resume();
  buzz(100);
  tone(1);  // one beep now: the citizen hears what the call will sound like
  const button = document.getElementById("alerts-on");
  button.setAttribute("aria-pressed", "true");
  button.textContent = t(T.alertsActive);
}

async function refresh() {
  let answer;
  try {
    if (!id) throw new ApiError(422, null);
    answer = await api(`api/tickets/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e.status === 404 || e.status === 422) {
      delete document.getElementById("status").dataset.said;
      document.getElementById("status").replaceChildren(
        el("p", { class: "error" }, t(e.status === 404 ? T.unknown : T.malformed)),
        el("p", {}, el("a", { href: root, id: "back" }, t(T.back))));
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
  const appointment = document.getElementById("appointment");
  appointment.hidden = !ticket.appointment_at;
  // checked in early: not called before a little before its time (held tickets say it below)
  const early = ticket.status === "waiting" && ticket.appointment_at && ticket.callable_from && !ticket.held_until;
  appointment.textContent = ticket.appointment_at ? t(T.appointment)(hm(ticket.appointment_at)) +
    (early ? ` — ${t(T.callableFrom)(hm(ticket.callable_from))}` : "") : "";
  const asked = askedFor(ticket.needs);  // what they asked for at the kiosk: the agent sees it too
  document.getElementById("needs").hidden = !asked;
  document.getElementById("needs").textContent = asked || "";
  const status = document.getElementById("status");
  const waiting = ticket.status === "waiting";
  document.getElementById("ahead").textContent = waiting ? ahead(ticket.ahead) : "";
  document.getElementById("wait").textContent = waiting ? t(T.wait) + waitWords(ticket.estimate) : "";
  let message = null, cls = "alert";
  if (waiting && ticket.ahead <= 2 && !ticket.callable_from) {  // not before it may be called
    message = t(T.near);
    if (!nearShown) buzz([200, 100, 200]);
    nearShown = true;
  } else if (ticket.status === "called") {
    cls = "alert called";
    message = ticket.recalls ? t(T.recalled)(ticket.counter) : t(T.called)(ticket.counter);
    const n = 1 + ticket.recalls;
    if (n !== calls) {
      buzz([500, 200, 500, 200, 500]);
      tone(3);
    }
    calls = n;
  } else if (ticket.status === "absent" && ticket.comeback_until) {
    message = t(T.absentBack);
  } else if (ticket.status !== "waiting") {
    calls = 0;  // back in line later (« Je suis là », an undone absence): the next call rings
    message = t(T[ticket.status]);
  }
  // Moved to another service: seen live (the service changed under this page), or on a later
  // visit from the label, whose letter stays its first service's
  const first = site.services.find((s) => s.letter === ticket.label.slice(0, -3));
  if (before && before.service !== ticket.service) movedTo = ticket.service;
  const moved = waiting && (movedTo === ticket.service || (first && first.id !== ticket.service));
  // the live region is rewritten only when what it says changes: a refresh each minute (or
  // at another ticket's event) must not read « C'est bientôt votre tour » out again
  const said = JSON.stringify([moved, message, cls, ticket.recalls]);  // each recall is said again
  if (status.dataset.said !== said) {
    status.dataset.said = said;
    status.replaceChildren(
      ...(moved ? [el("p", { class: "alert", id: "moved" }, t(T.moved)(service ? service.name : ticket.service, ticket.label))] : []),
      ...(message ? [el("p", { class: cls, id: "status-text" }, message)] : []));
  }
  // the buttons are made again only when they change: the minute's refresh must not take
  // the keyboard's focus off « Je serai en retard » or « Je ne peux plus attendre »
  const actions = JSON.stringify([waiting, ticket.status, ticket.held_until, ticket.can_delay,
    ticket.comeback_until, actionError, acted]);  // each tap's refusal is said again
  const box = document.getElementById("cancel-box");
  if (box.dataset.shown !== actions) {
    box.dataset.shown = actions;
    renderActions(waiting);
    box.replaceChildren(...(waiting ? [el("button", { class: "danger", id: "give-up", onclick: giveUp }, t(T.giveUp))] : []));
  }
  document.getElementById("alerts").hidden = !(waiting || ticket.status === "called");
  if (faqOf !== ticket.service) loadFaq();
  if (chat && before && before.status !== ticket.status) chat.ticketChanged();
  if (opinion) opinion.ticketChanged(ticket);
}

// « Je serai en retard » while waiting (where the site offers it), « Je suis là » once absent
function renderActions(waiting) {
  const items = [];
  if (waiting && ticket.held_until) {
    items.push(el("p", { id: "held", class: "alert" }, t(T.held)(hm(ticket.held_until))));
  } else if (waiting && ticket.can_delay) {
    items.push(el("button", { class: "secondary", id: "delay", type: "button", "aria-describedby": "delay-help",
      onclick: () => act("delay") }, t(T.delay)), el("p", { class: "muted", id: "delay-help" }, t(T.delayHelp)));
  }
  if (ticket.status === "absent" && ticket.comeback_until) {
    items.push(el("p", { id: "comeback-help" }, t(T.comebackHelp)(hm(ticket.comeback_until))),
      el("button", { id: "comeback", type: "button", "aria-describedby": "comeback-help",
        onclick: () => act("comeback") }, t(T.comeback)));
  }
  if (actionError) items.push(el("p", { class: "error", role: "alert", id: "action-error" }, actionError));
  document.getElementById("actions").replaceChildren(...items);
}

async function act(what) {
  actionError = null;
  acted += 1;
  try {
    await api(`api/tickets/${enc(id)}/${what}`, { method: "POST", key: newKey() });
  } catch (e) {
    actionError = refused(e);
  }
  await refresh();
}

// ----- « Me prévenir »: Web Push where the browser can, else an SMS where the site sends them
function pushSupport() {
  const ios = /iPad|iPhone|iPod/.test(navigator.userAgent)
    || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  if (ios && navigator.standalone === false) return "ios";  // Safari's tab: no push outside a Home Screen app
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return "none";
  return "ok";
}

const PUSHED = "suivant-push";  // the ticket this browser asked pushes for (one: bounded)
let pushKey = null, sms = { configured: false, phone: null, replies: false };

function say(id_, text) {
  document.getElementById(id_).textContent = text;
}

function pushButton(on) {
  const button = document.getElementById("push-on");
  button.hidden = !pushKey;
  button.textContent = t(on ? T.pushOff : T.pushOn);
  button.onclick = on ? pushOff : pushOn;
}

function offerSms(instead) {
  const form = document.getElementById("sms-form");
  if (!sms.configured || sms.phone) {
    form.hidden = true;
    if (instead && !sms.configured) say("sms-status", t(T.keepOpen));
    return;
  }
  say("sms-offer", t(instead ? T.smsInstead : T.smsToo));
  form.hidden = false;
}

function smsState() {
  const status = document.getElementById("sms-status");
  if (!sms.phone) return;
  status.replaceChildren(el("span", {}, t(T.smsDone)(sms.phone)),
    ...(sms.replies ? [" ", el("span", {}, t(T.smsReplies))] : []), " ",
    el("button", { class: "link", type: "button", id: "sms-stop", onclick: smsStop }, t(T.smsStop)));
  document.getElementById("sms-form").hidden = true;
}

async function pushOn() {
  const button = document.getElementById("push-on");
  // asked first, in the tap itself: Safari refuses a permission request after an await
  const asked = Notification.requestPermission();
  button.disabled = true;
  try {
    const registration = await navigator.serviceWorker.register(`${root}sw.js`);
    if (await asked !== "granted") {
      say("push-status", t(T.denied));
      offerSms(true);
      return;
    }
    await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.getSubscription()
      || await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64url(pushKey) });
    await api(`api/tickets/${enc(id)}/push`, { method: "POST", body: subscription.toJSON() });
    localStorage.setItem(PUSHED, id);
    say("push-status", t(T.pushDone));
    pushButton(true);
  } catch (e) {
    say("push-status", e instanceof ApiError ? refused(e) : t(T.pushFailed));
    offerSms(true);
  } finally {
    button.disabled = false;
  }
}

async function pushOff() {
  try {
    await api(`api/tickets/${enc(id)}/push`, { method: "DELETE" });
    localStorage.removeItem(PUSHED);
    say("push-status", t(T.pushStopped));
    pushButton(false);
  } catch (e) {
    say("push-status", refused(e));
  }
}

function fromBase64url(text) {
  const b64 = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function smsSend(event) {
  event.preventDefault();
  const button = document.getElementById("sms-send");
  button.disabled = true;
  try {
    const answer = await api(`api/tickets/${enc(id)}/sms`, { method: "POST",
      body: { phone: document.getElementById("phone").value } });
    sms = { ...sms, phone: answer.phone, replies: answer.replies };
    const phone = document.getElementById("phone");
    phone.removeAttribute("aria-invalid");
    phone.removeAttribute("aria-describedby");
    smsState();
  } catch (e) {
    document.getElementById("sms-status").replaceChildren(el("p", { class: "error", role: "alert", id: "sms-error" }, refused(e)));
    const phone = document.getElementById("phone");
    phone.setAttribute("aria-invalid", "true");  // read with its error when focused again
    phone.setAttribute("aria-describedby", "sms-error");
    phone.focus();
  } finally {
    button.disabled = false;
  }
}

async function smsStop() {
  try {
    await api(`api/tickets/${enc(id)}/sms`, { method: "DELETE" });
    sms = { ...sms, phone: null };
    say("sms-status", t(T.smsStopped));
    offerSms(pushSupport() !== "ok" || !pushKey);
  } catch (e) {
    say("sms-status", refused(e));
  }
}

async function setupAlerts() {
  say("alerts-title", t(T.alertsTitle));
  say("alerts-help", t(T.alertsHelp));
  const on = document.getElementById("alerts-on");
  on.textContent = t(T.alertsOn);
  on.onclick = alertsOn;
  say("phone-label", t(T.phone));
  say("sms-send", t(T.smsSend));
  document.getElementById("sms-form").onsubmit = smsSend;
  const support = pushSupport();
  const [key, smsAnswer] = await Promise.all([
    support === "ok" ? api("api/push/key").then((a) => a.key, () => null) : null,
    api(`api/tickets/${enc(id)}/sms`).catch(() => null)]);
  pushKey = key;
  if (smsAnswer) sms = smsAnswer;
  let subscribed = false;
  if (pushKey && localStorage.getItem(PUSHED) === id && Notification.permission === "granted") {
    const registration = await navigator.serviceWorker.getRegistration(`${root}ticket/`);
    subscribed = !!(registration && await registration.pushManager.getSubscription());
  }
  pushButton(subscribed);
  if (subscribed) say("push-status", t(T.pushDone));
  else if (support !== "ok") say("push-status", t(support === "ios" ? T.iosTab : T.noPush));
  if (sms.phone) smsState();
  else offerSms(!pushKey);
}

async function giveUp() {
  if (!confirm(t(T.sure))) return;
  try {
    await api(`api/tickets/${encodeURIComponent(id)}/cancel`, { method: "POST", key: newKey() });
  } catch (e) { /* already called or gone: the refresh shows what is true */ }
  await refresh();
}

async function loadFaq() {
  const of = faqOf = ticket.service;
  const { faq } = await api(`api/services/${encodeURIComponent(of)}/faq`);
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
      api(`api/services/${encodeURIComponent(of)}/faq/${entry.id}/view`
        + `?ticket=${encodeURIComponent(ticket.id)}`, { method: "POST" })
        .catch(() => {});
    });
    return d;
  }));
  section.hidden = false;
}

async function start() {
  site = await api("api/site");
  document.getElementById("site").textContent = site.name;
  langLink();
  chat = questions({ id, alert: () => { buzz([200, 100, 200]); tone(2); },
    ticketLive: () => !!ticket && (ticket.status === "waiting" || ticket.status === "called") });
  opinion = survey({ id });
  if (!(await refresh())) return;
  chat.load();
  setupAlerts().catch(() => {});  // the page works without: it shows the call on screen
  let pending;
  // asked again each minute too: with no event for a while the minutes left must still be true
  setInterval(() => { if (!document.hidden) refresh().catch(() => {}); }, TICK_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh().catch(() => {}); });
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
