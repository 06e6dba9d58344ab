// « Poser une question à l'accueil » on the ticket page (issue 17). The citizen types; the FAQ
// entries of their service that match are shown before anything is sent (the bridge matches:
// domain/faq_match.py), and one that answers closes the question there. Otherwise the question
// goes to the reception's « Questions » panel; answers arrive live (a long poll on this ticket's
// conversation only: texts never travel on the public event stream), with a sound and a
// vibration when the alerts are on. No login, no personal data asked.
import { api, el, explain, t } from "./suivant.js";

const MAX = 500;  // characters of a message (the bridge refuses more)
const T = {
  title: { fr: "Une question ?", en: "A question?" },
  intro: { fr: "Posez votre question à l'accueil pendant que vous attendez : on vous répond ici.",
    en: "Ask reception your question while you wait: the answer comes here." },
  private: { fr: "Ne donnez pas d'informations personnelles (nom, adresse, numéro de dossier…).",
    en: "Do not give personal information (name, address, file number…)." },
  label: { fr: "Votre question", en: "Your question" },
  reply: { fr: "Votre réponse", en: "Your reply" },
  ask: { fr: "Poser une question à l'accueil", en: "Ask reception a question" },
  send: { fr: "Envoyer", en: "Send" },
  left: { fr: (n) => `${n} caractères restants`, en: (n) => `${n} characters left` },
  empty: { fr: "Écrivez votre question avant de l'envoyer.", en: "Write your question before sending it." },
  matchTitle: { fr: "Ces réponses de la FAQ répondent peut-être à votre question :",
    en: "These FAQ answers may answer your question:" },
  itAnswers: { fr: "Oui, cela répond à ma question", en: "Yes, this answers my question" },
  sendAnyway: { fr: "Non, envoyer ma question à l'accueil", en: "No, send my question to reception" },
  solvedByFaq: { fr: "Tant mieux : votre question est réglée. Vous pouvez en poser une autre.",
    en: "Good: your question is settled. You can ask another one." },
  you: { fr: "Vous", en: "You" },
  desk: { fr: "L'accueil", en: "Reception" },
  sent: { fr: "Votre question est envoyée : l'accueil vous répond ici dès que possible.",
    en: "Your question is sent: reception answers here as soon as possible." },
  answered: { fr: "L'accueil vous a répondu.", en: "Reception answered you." },
  late: { fr: "Personne n'a encore pu vous répondre : votre question sera traitée au guichet.",
    en: "Nobody could answer yet: your question will be dealt with at the counter." },
  capped: { fr: "Vous ne pouvez plus écrire ici aujourd'hui : posez votre question au guichet. Votre ticket reste valable.",
    en: "You cannot write here any more today: ask at the counter. Your ticket is still valid." },
  done: { fr: "Ma question est réglée", en: "My question is settled" },
  closed: { fr: "Cette conversation est close. Vous pouvez poser une autre question.",
    en: "This conversation is closed. You can ask another question." },
  blocked: { fr: "L'accueil a clos cette conversation.", en: "Reception closed this conversation." },
  ended: { fr: "Votre ticket est terminé : les questions se posent au guichet ou à l'accueil.",
    en: "Your ticket has ended: ask at the counter or at reception." },
  faqAttached: { fr: "Réponse de la FAQ :", en: "FAQ answer:" },
};
const REFUSED = {
  too_frequent: { fr: "Vous écrivez trop vite : patientez quelques secondes, ou attendez la réponse de l'accueil.",
    en: "You are writing too fast: wait a few seconds, or wait for reception's answer." },
  ticket_closed: T.ended, conversation_blocked: T.blocked, conversation_full: T.capped,
  invalid_text: { fr: "Une question fait 500 caractères au plus.", en: "A question is 500 characters at most." },
  questions_off: { fr: "Ce site ne prend pas de questions en ligne : adressez-vous à l'accueil.",
    en: "This site takes no questions online: ask at reception." },
};
const refused = (e) => (e && REFUSED[e.code] ? t(REFUSED[e.code]) : explain(e));

// A text box with its label and a count of what is left (announced only on request: the
// counter is described by the field, not live, so a screen reader is not interrupted)
function textBox(idPrefix, labelText, value) {
  const area = el("textarea", { id: `${idPrefix}-text`, name: "text", rows: "3", maxlength: String(MAX),
    "aria-describedby": `${idPrefix}-left questions-private` });
  area.value = value;
  const left = el("p", { class: "muted small", id: `${idPrefix}-left` }, t(T.left)(MAX - value.length));
  area.addEventListener("input", () => { left.textContent = t(T.left)(MAX - area.value.length); });
  return { area, nodes: [el("label", { for: area.id }, labelText), area, left] };
}

export function questions({ id, alert, ticketLive }) {
  const enc = encodeURIComponent;
  const base = `api/tickets/${enc(id)}/questions`;
  const section = document.getElementById("questions");
  let view = null, matches = null, note = null, error = null, polling = false, draft = "";
  let live = true, seenStaff = null;

  const staffCount = (v) => v.messages.filter((m) => m.from === "staff").length;

  function message(m) {
    const faq = m.faq ? el("blockquote", { class: "faq-quote" },
      el("p", { class: "muted" }, t(T.faqAttached)), el("p", { class: "strong" }, m.faq.question),
      el("p", {}, m.faq.answer)) : null;
    return el("li", { class: `msg ${m.from}`, "data-from": m.from },
      el("p", { class: "who" }, t(m.from === "staff" ? T.desk : T.you)),
      m.text ? el("p", { class: "text" }, m.text) : null, faq);
  }

  // Three parts: the thread and its notices are redrawn on every change; the form only when
  // what the citizen may do changes, so an answer arriving never wipes a reply being typed.
  function notices() {
    const items = [];
    if (view.status === "blocked") items.push(el("p", { class: "alert", id: "questions-state" }, t(T.blocked)));
    else if (view.status === "open" && view.late) items.push(el("p", { class: "alert", id: "questions-late" }, t(T.late)));
    else if (view.status === "closed" && view.messages.length && view.can_write) {
      items.push(el("p", { class: "muted", id: "questions-state" }, t(T.closed)));
    } else if (!view.can_write && !ticketLive()) {
      if (view.messages.length) items.push(el("p", { class: "muted", id: "questions-state" }, t(T.ended)));
    } else if (!view.can_write) {  // the day's messages all used: the ticket itself still holds
      items.push(el("p", { class: "alert", id: "questions-state" }, t(T.capped)));
    }
    if (error) items.push(el("p", { class: "error", role: "alert", id: "questions-error" }, error));
    return items;
  }

  function drawThread() {
    document.getElementById("questions-thread").replaceChildren(...(view.messages.length
      ? [el("ol", { class: "thread", id: "thread", "aria-label": t(T.title) }, ...view.messages.map(message))] : []));
    document.getElementById("questions-notices").replaceChildren(...notices());
    if (view.late && note === t(T.sent)) note = null;  // no longer true: the late notice says why
    const live_ = document.getElementById("questions-note");
    live_.className = note ? "alert" : "sr-only";
    live_.textContent = note || "";
  }

  function form() {
    const open = view.status === "open";
    if (!view.can_write) return [];
    const items = [...(open ? [] : [el("p", { id: "questions-intro" }, t(T.intro))]),
      el("p", { class: "muted", id: "questions-private" }, t(T.private))];
    if (matches) {
      items.push(matchList());
    } else {
      const box = textBox("question", t(open ? T.reply : T.label), draft);
      box.area.addEventListener("input", () => { draft = box.area.value; });
      items.push(el("form", { id: "question-form", onsubmit: submit }, ...box.nodes,
        el("button", { type: "submit", id: "question-send" }, t(open ? T.send : T.ask))));
    }
    if (open) {
      items.push(el("button", { class: "secondary", type: "button", id: "question-done", onclick: close }, t(T.done)));
    }
    return items;
  }

  let drawn = null;  // what the form was drawn for
  function draw(force = true) {
    if (!view) return;
    if (!section.firstChild) {
      section.replaceChildren(el("h2", { id: "questions-title" }, t(T.title)),
        el("div", { id: "questions-thread" }), el("div", { id: "questions-notices" }),
        el("div", { id: "questions-form" }),
        // polite: an answer is announced when the reader is free; the call stays assertive
        el("p", { role: "status", id: "questions-note", class: "sr-only" }));
    }
    const shape = `${view.status}/${view.can_write}/${!!matches}`;
    if (force || shape !== drawn) {
      // the citizen typing as the form changes (the desk closed it): the new box keeps the
      // focus and the caret, so a phone's keyboard stays up
      const typing = document.activeElement && document.activeElement.id === "question-text"
        ? [document.activeElement.selectionStart, document.activeElement.selectionEnd] : null;
      document.getElementById("questions-form").replaceChildren(...form());
      drawn = shape;
      const box = document.getElementById("question-text");
      if (typing && box) {
        box.focus();
        box.setSelectionRange(...typing);
      }
    }
    drawThread();
    section.hidden = false;
  }

  function matchList() {
    return el("div", { id: "matches", role: "group", "aria-labelledby": "matches-title" },
      el("p", { id: "matches-title", class: "strong" }, t(T.matchTitle)),
      ...matches.map((entry) => el("div", { class: "card match", "data-faq": entry.id },
        el("p", { class: "strong" }, entry.question), el("p", {}, entry.answer),
        el("button", { type: "button", class: "secondary", onclick: () => faqAnswered(entry) }, t(T.itAnswers)))),
      el("button", { type: "button", id: "send-anyway", onclick: () => send(draft) }, t(T.sendAnyway)));
  }

  async function submit(event) {
    event.preventDefault();
    error = note = null;
    const text = draft.trim();
    if (!text) {
      error = t(T.empty);
      draw();
      document.getElementById("question-text").focus();
      return;
    }
    if (view.status === "open") return send(text);  // a reply: the FAQ was offered before
    try {
      const { faq } = await api(`${base}/match`, { method: "POST", body: { text } });
      if (faq.length) {
        matches = faq;
        draw();
        document.querySelector("#matches button")?.focus();  // the first « Oui, cela répond »
        return;
      }
    } catch (e) { /* matching is a help: without it the question still goes */ }
    await send(text);
  }

  async function faqAnswered(entry) {
    try {
      await api(`${base}/faq-answered`, { method: "POST", body: { entry: entry.id } });
    } catch (e) { /* counted or not, the citizen has their answer */ }
    matches = null;
    draft = "";
    note = t(T.solvedByFaq);
    draw();
    document.getElementById("question-text")?.focus();  // ready for another, not back at the top
  }

  async function send(text) {
    error = null;
    try {
      view = await api(base, { method: "POST", body: { text: text.trim() } });
      matches = null;
      draft = "";
      note = t(T.sent);
      seenStaff = staffCount(view);
      poll();
    } catch (e) {
      matches = null;
      error = refused(e);
    }
    draw();
    document.getElementById("question-text")?.focus();
  }

  async function close() {
    try {
      view = await api(`${base}/close`, { method: "POST" });
      note = null;
    } catch (e) {
      error = refused(e);
    }
    draw();
    document.getElementById("question-text")?.focus();
  }

  function changed(next) {
    const before = seenStaff;
    view = next;
    seenStaff = staffCount(next);
    if (before !== null && seenStaff > before) {
      note = t(T.answered);
      alert();  // sound and vibration, as for the call (when the citizen turned the alerts on)
    }
    draw(false);
  }

  // one long poll at a time, only while a conversation is open: nobody else starts one
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      while (live && view && view.status === "open") {
        try {
          changed(await api(`${base}?after=${enc(view.version)}&wait=25`));
        } catch (e) {
          if (e.status === 404) { live = false; break; }
          await new Promise((r) => setTimeout(r, 5000));  // offline, restarted: try again
        }
      }
    } finally {
      polling = false;
    }
  }

  return {
    async load() {
      try {
        view = await api(base);
      } catch (e) {
        section.hidden = true;  // off on this site, or a ticket of another day
        return;
      }
      seenStaff = staffCount(view);
      draw();
      poll();
    },
    // the ticket moved on (called, served…): what the citizen may still do changes
    async ticketChanged() {
      if (!view || polling) return;
      try { changed(await api(base)); } catch (e) { /* the next change tries again */ }
    },
  };
}
