// The « Questions » panel of the agent console (issue 17): the citizens' open questions, live,
// longest waiting first, for the agents the site lets answer ([questions] counters) and admins.
// Answer in a few words or with a FAQ entry, close, close as abusive; an admin can turn a good
// answer into a new FAQ entry. Each card keeps what is being typed while answers come and go.
import { api, el, explain, t } from "./suivant.js";

const T = {
  title: { fr: "Questions des usagers", en: "Citizens' questions" },
  count: { fr: (n) => n ? ` (${n} en attente)` : " (aucune en attente)", en: (n) => n ? ` (${n} waiting)` : " (none waiting)" },
  none: { fr: "Aucune question ouverte.", en: "No open question." },
  since: { fr: (m) => m < 1 ? "posée à l'instant" : `sans réponse depuis ${m} min`,
    en: (m) => m < 1 ? "just asked" : `unanswered for ${m} min` },
  late: { fr: "délai dépassé : l'usager est invité à demander au guichet", en: "overdue: the citizen is told to ask at the counter" },
  answeredState: { fr: "répondue, en attente de l'usager", en: "answered, waiting for the citizen" },
  ticket: { waiting: { fr: "ticket en attente", en: "ticket waiting" }, called: { fr: "ticket appelé", en: "ticket called" },
    served: { fr: "ticket reçu", en: "ticket seen" }, absent: { fr: "ticket absent", en: "ticket no-show" },
    cancelled: { fr: "ticket annulé", en: "ticket cancelled" } },
  citizen: { fr: "Usager", en: "Citizen" },
  colon: { fr: " : ", en: ": " },
  desk: { fr: "Accueil", en: "Reception" },
  reply: { fr: (l) => `Réponse à ${l}`, en: (l) => `Answer to ${l}` },
  attach: { fr: "Joindre une réponse de la FAQ", en: "Attach a FAQ answer" },
  noFaq: { fr: "— aucune —", en: "— none —" },
  send: { fr: "Répondre", en: "Answer" },
  close: { fr: "Clore", en: "Close" },
  abusive: { fr: "Clore : abusif", en: "Close: abusive" },
  sureAbusive: { fr: "Clore cette conversation comme abusive ? L'usager ne pourra plus écrire aujourd'hui.",
    en: "Close this conversation as abusive? The citizen will not be able to write again today." },
  toFaq: { fr: "Ajouter à la FAQ", en: "Add to the FAQ" },
  faqQuestion: { fr: "Question (telle que la FAQ l'affichera)", en: "Question (as the FAQ will show it)" },
  faqAnswer: { fr: "Réponse", en: "Answer" },
  faqSave: { fr: "Enregistrer dans la FAQ", en: "Save in the FAQ" },
  faqSaved: { fr: (s) => `Ajoutée à la FAQ du service ${s}.`, en: (s) => `Added to the FAQ of ${s}.` },
  empty: { fr: "Écrivez une réponse ou joignez une réponse de la FAQ.", en: "Write an answer or attach a FAQ answer." },
  closed: { fr: "Conversations closes aujourd'hui", en: "Conversations closed today" },
  closedBy: { closed: { fr: "close", en: "closed" }, blocked: { fr: "close : abusive", en: "closed: abusive" } },
  badge: { fr: (n) => `${n} question${n > 1 ? "s" : ""} d'usager${n > 1 ? "s" : ""} en attente de réponse`,
    en: (n) => `${n} citizen question${n > 1 ? "s" : ""} waiting for an answer` },
  arrived: { fr: (l) => `Nouvelle question de ${l}.`, en: (l) => `New question from ${l}.` },
};
const REFUSED = {
  conversation_blocked: { fr: "Cette conversation a été close comme abusive.", en: "This conversation was closed as abusive." },
  conversation_full: { fr: "Cette conversation a atteint sa limite de messages : la suite se règle au guichet.",
    en: "This conversation reached its message limit: the rest is dealt with at the counter." },
  unknown_conversation: { fr: "Cette conversation n'existe plus (le jour a changé).", en: "This conversation no longer exists (the day changed)." },
  unknown_faq_entry: { fr: "Cette entrée de la FAQ n'existe plus : choisissez-en une autre.", en: "This FAQ entry no longer exists: choose another one." },
  faq_changed: { fr: "La FAQ a changé entre-temps : la liste est à jour, choisissez à nouveau.",
    en: "The FAQ changed meanwhile: the list is up to date, choose again." },
  faq_exists: { fr: "Cette question est déjà dans la FAQ du service.", en: "This question is already in the service's FAQ." },
  invalid_config: { fr: "La FAQ de ce service ne peut pas recevoir cette entrée (50 entrées au plus, question de 300 caractères, réponse de 2 000).",
    en: "This service's FAQ cannot take this entry (50 entries at most, 300-character question, 2,000-character answer)." },
  forbidden: { fr: "Ce compte ne répond pas aux questions des usagers.", en: "This account does not answer citizens' questions." },
  conversation_closed: { fr: "Cette conversation est close.", en: "This conversation is closed." },
  no_config_file: { fr: "Ce pont n'a pas de fichier de site : la FAQ se modifie dans le fichier.", en: "This bridge has no site file: edit the FAQ in the file." },
};
// the FAQ's route answers as the administration's does: its reason says why (no site file…)
const refused = (e) => {
  const known = e && (REFUSED[e.body && e.body.reason] || REFUSED[e.code]);
  return known ? t(known) : explain(e);
};
const minutesSince = (iso) => Math.max(0, Math.floor((Date.now() - new Date(iso)) / 60000));

export function questionsPanel({ section, site, token, say, counter }) {
  const cards = new Map();  // conversation id -> its card's parts
  const faqs = new Map();   // service id -> its FAQ entries (for « Joindre »)
  let view = null, running = false, known = null, stopped = false;
  // kept from one change to the next: folded or unfolded as the agent left it
  const closedSummary = el("summary", {});
  const closedBox = el("details", { id: "questions-closed" }, closedSummary);

  function message(m) {
    return el("li", { class: `msg ${m.from}` },
      el("span", { class: "who" }, t(m.from === "staff" ? T.desk : T.citizen), t(T.colon)),
      m.text ? el("span", { class: "text" }, m.text) : null,
      m.faq ? el("span", { class: "faq-note" }, ` [FAQ${t(T.colon)}${m.faq.question}]`) : null);
  }

  async function faqOf(service) {
    if (!faqs.has(service)) {
      try { faqs.set(service, (await api(`api/services/${encodeURIComponent(service)}/faq`)).faq); }
      catch (e) { return []; }
    }
    return faqs.get(service);
  }

  function meta(c) {
    const bits = [el("strong", {}, c.label), ` · ${c.service_name} · ${t(T.ticket[c.ticket_status] || { fr: c.ticket_status, en: c.ticket_status })}`];
    if (c.status !== "open") bits.push(` · ${t(T.closedBy[c.status] || T.closedBy.closed)}`);
    else if (c.waiting_since) {
      bits.push(" · ", el("span", { class: c.late ? "late" : "" }, t(T.since)(minutesSince(c.waiting_since))));
      if (c.late) bits.push(" — ", el("span", { class: "late" }, t(T.late)));
    } else bits.push(` · ${t(T.answeredState)}`);
    return bits;
  }

  function replyForm(c, parts) {
    const area = el("textarea", { id: `answer-${c.id}`, rows: "2", maxlength: "1000" });
    const pick = el("select", { id: `attach-${c.id}` }, el("option", { value: "" }, t(T.noFaq)));
    const fill = () => faqOf(c.service).then((list) => pick.replaceChildren(
      el("option", { value: "" }, t(T.noFaq)),
      ...list.map((f) => el("option", { value: f.id, "data-question": f.question }, f.question))));
    fill();
    const error = el("div", { class: "card-error" });
    const form = el("form", { class: "answer-form" },
      el("label", { for: area.id }, t(T.reply)(c.label)), area,
      el("p", {}, el("label", { for: pick.id }, t(T.attach)), " ", pick),
      el("p", { class: "row" },
        el("button", { type: "submit" }, t(T.send)),
        el("button", { type: "button", class: "secondary close-normal", onclick: () => close(c, false, error) }, t(T.close)),
        el("button", { type: "button", class: "danger close-abusive", onclick: () => close(c, true, error) }, t(T.abusive))),
      error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = area.value.trim(), entry = pick.value === "" ? null : Number(pick.value);
      if (!text && entry === null) { error.replaceChildren(el("p", { class: "error", role: "alert" }, t(T.empty))); area.focus(); return; }
      // the entry named by its question too: the FAQ may have been reordered since it was listed
      const question = entry === null ? null : pick.selectedOptions[0].dataset.question;
      try {
        update(await api(`api/questions/${encodeURIComponent(c.id)}/answer`, { method: "POST", token,
          body: { text, faq_entry: entry, faq_question: question } }));
        area.value = "";
        pick.value = "";
        error.replaceChildren();
      } catch (e) {
        if (e.code === "faq_changed" || e.code === "unknown_faq_entry") { faqs.delete(c.service); fill(); }
        error.replaceChildren(el("p", { class: "error", role: "alert" }, refused(e)));
      }
    });
    parts.area = area;
    return form;
  }

  function faqForm(c) {
    const asked = c.messages.find((m) => m.from === "citizen");
    const answered = [...c.messages].reverse().find((m) => m.from === "staff" && m.text);
    const q = el("textarea", { id: `faq-q-${c.id}`, rows: "2", maxlength: "300" });
    const a = el("textarea", { id: `faq-a-${c.id}`, rows: "3", maxlength: "2000" });
    q.value = asked ? asked.text.slice(0, 300) : "";
    a.value = answered ? answered.text : "";
    const out = el("div", { role: "status" });
    const form = el("form", {},
      el("label", { for: q.id }, t(T.faqQuestion)), q, el("label", { for: a.id }, t(T.faqAnswer)), a,
      el("p", {}, el("button", { type: "submit", class: "secondary" }, t(T.faqSave))), out);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api(`api/questions/${encodeURIComponent(c.id)}/faq`, { method: "POST", token,
          body: { question: q.value.trim(), answer: a.value.trim() } });
        faqs.delete(c.service);
        // saved once: the form goes, the note stays (a second click would add it twice)
        form.replaceWith(el("p", { class: "alert", role: "status" }, t(T.faqSaved)(c.service_name)));
      } catch (e) {
        out.replaceChildren(el("p", { class: "error", role: "alert" }, refused(e)));
      }
    });
    return el("details", { class: "to-faq" }, el("summary", {}, t(T.toFaq)), form);
  }

  async function close(c, abusive, error) {
    if (abusive && !confirm(t(T.sureAbusive))) return;
    try {
      update(await api(`api/questions/${encodeURIComponent(c.id)}/close`, { method: "POST", token, body: { abusive } }));
    } catch (e) {
      error.replaceChildren(el("p", { class: "error", role: "alert" }, refused(e)));
    }
  }

  // a card per conversation: its head and thread redrawn at each change, its forms kept
  function card(c) {
    let parts = cards.get(c.id);
    if (!parts) {
      parts = { root: el("article", { class: "card question", "data-conversation": c.id, "aria-labelledby": `head-${c.id}` }),
        head: el("h3", { id: `head-${c.id}` }), thread: el("ol", { class: "thread" }), forms: el("div") };
      parts.root.append(parts.head, parts.thread, parts.forms);
      cards.set(c.id, parts);
    }
    parts.head.replaceChildren(...meta(c));
    parts.thread.replaceChildren(...c.messages.map(message));
    const shape = `${c.status}`;
    if (parts.shape !== shape) {
      const forms = [];
      if (c.status === "open" && view.may_answer) forms.push(replyForm(c, parts));
      if (view.may_add_faq && c.messages.some((m) => m.from === "staff" && m.text)) forms.push(faqForm(c));
      parts.forms.replaceChildren(...forms);
      parts.shape = shape;
    } else if (view.may_add_faq && !parts.forms.querySelector(".to-faq") && c.messages.some((m) => m.from === "staff" && m.text)) {
      parts.forms.append(faqForm(c));
    }
    return parts.root;
  }

  // a counter that does not take the questions ([questions] counters) shows none of them
  const here = () => !view.counters || !view.counters.length || view.counters.includes(counter());
  // open while its citizen can still read the answer; a ticket ended: with the closed ones
  const live = (c) => c.status === "open" && (c.ticket_status === "waiting" || c.ticket_status === "called");

  function draw() {
    const badge = document.getElementById("questions-badge");
    if (!here()) {
      section.hidden = true;
      if (badge) badge.hidden = true;
      return;
    }
    // a card is moved, never rebuilt; moving takes the focus away: it is given back, caret too
    const focused = section.contains(document.activeElement) ? document.activeElement : null;
    const caret = focused && typeof focused.selectionStart === "number" ? [focused.selectionStart, focused.selectionEnd] : null;
    const open = view.conversations.filter(live);
    const closed = view.conversations.filter((c) => !live(c));
    const waiting = open.filter((c) => c.waiting_since).length;
    const title = el("h2", { id: "questions-panel-title" }, t(T.title), el("span", { id: "questions-count" }, t(T.count)(waiting)));
    const list = open.length ? open.map(card) : [el("p", { class: "muted", id: "questions-none" }, t(T.none))];
    closedSummary.textContent = `${t(T.closed)} (${closed.length})`;
    closedBox.replaceChildren(closedSummary, ...closed.map(card));
    const done = closed.length ? [closedBox] : [];
    for (const id of [...cards.keys()]) if (!view.conversations.some((c) => c.id === id)) cards.delete(id);
    section.replaceChildren(title, ...list, ...done, el("p", { class: "sr-only", role: "status", id: "questions-announce" }));
    if (focused && section.contains(focused) && document.activeElement !== focused) {
      focused.focus();
      if (caret) focused.setSelectionRange(...caret);
    }
    section.hidden = false;
    const ids = new Set(open.filter((c) => c.waiting_since).map((c) => c.id));
    if (known) {
      const fresh = open.find((c) => ids.has(c.id) && !known.has(c.id));
      if (fresh) document.getElementById("questions-announce").textContent = t(T.arrived)(fresh.label);
    }
    known = ids;
    document.title = `${waiting ? `(${waiting}) ` : ""}${site.name} — ${t({ fr: "guichet", en: "counter" })}`;
    // seen from the counter's buttons without scrolling: how many wait, a link down to them
    if (badge) {
      badge.hidden = !waiting;
      badge.firstChild.textContent = t(T.badge)(waiting);
    }
  }

  function update(conversation) {
    const i = view.conversations.findIndex((c) => c.id === conversation.id);
    if (i >= 0) view.conversations[i] = conversation;
    draw();
  }

  async function loop() {
    running = true;
    while (!stopped) {
      try {
        view = await api(`api/questions?after=${encodeURIComponent(view.version)}&wait=25`, { token });
        draw();
      } catch (e) {
        if (e.status === 401 || e.status === 403) break;
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
    running = false;
  }

  return {
    // -> false when this account may not see the questions (the panel stays hidden)
    async start() {
      try {
        view = await api("api/questions", { token });
      } catch (e) {
        if (e.status !== 403 && e.status !== 404) say(refused(e));
        section.hidden = true;
        return false;
      }
      draw();
      if (!running) loop();
      // « sans réponse depuis N min » moves on between changes
      setInterval(() => { if (view) for (const c of view.conversations) if (cards.has(c.id)) cards.get(c.id).head.replaceChildren(...meta(c)); }, 30000);
      return true;
    },
    stop() { stopped = true; },
    counterChanged() { if (view) draw(); },
  };
}
