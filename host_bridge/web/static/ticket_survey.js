// The one question after the visit (issue 17), in the Services Publics+ way: « Êtes-vous
// satisfait de l'accueil ? » on four points, and a comment if the citizen wants. Asked once per
// ticket, once it is served; counted with the feedback terminals' votes (source: the phone).
import { api, el, explain, t } from "./suivant.js";

const MAX = 500;
const T = {
  title: { fr: "Votre avis", en: "Your opinion" },
  question: { fr: "Êtes-vous satisfait de l'accueil ?", en: "Are you satisfied with how you were received?" },
  scores: {
    4: { fr: "Très satisfait", en: "Very satisfied" },
    3: { fr: "Plutôt satisfait", en: "Rather satisfied" },
    2: { fr: "Plutôt pas satisfait", en: "Rather not satisfied" },
    1: { fr: "Pas du tout satisfait", en: "Not satisfied at all" },
  },
  comment: { fr: "Un commentaire ? (facultatif)", en: "A comment? (optional)" },
  commentHelp: { fr: "Sans informations personnelles. 500 caractères au plus.",
    en: "No personal information. 500 characters at most." },
  send: { fr: "Envoyer mon avis", en: "Send my opinion" },
  pick: { fr: "Choisissez une réponse avant d'envoyer.", en: "Choose an answer before sending." },
  thanks: { fr: "Merci pour votre avis : il aide ce service à s'améliorer.",
    en: "Thank you for your opinion: it helps this service improve." },
  already: { fr: "Merci : votre avis a bien été enregistré.", en: "Thank you: your opinion was recorded." },
};
const REFUSED = {
  not_served: { fr: "L'avis se donne une fois reçu au guichet.", en: "You can give your opinion once seen at the counter." },
  survey_off: { fr: "Ce site ne recueille pas d'avis en ligne.", en: "This site does not collect opinions online." },
};

export function survey({ id }) {
  const section = document.getElementById("survey");
  const base = `api/tickets/${encodeURIComponent(id)}/survey`;
  let state = null, shown = false;

  function done(text) {
    section.replaceChildren(el("h2", { id: "survey-title" }, t(T.title)),
      el("p", { class: "alert", role: "status", id: "survey-thanks" }, text));
    section.hidden = false;
  }

  function ask() {
    const choices = [4, 3, 2, 1].map((score) => el("div", { class: "choice" },
      el("input", { type: "radio", name: "score", id: `score-${score}`, value: String(score) }),
      el("label", { for: `score-${score}` }, t(T.scores[score]))));
    const comment = el("textarea", { id: "survey-comment", name: "comment", rows: "3",
      maxlength: String(MAX), "aria-describedby": "survey-comment-help" });
    const error = el("div", { id: "survey-error" });
    const form = el("form", { id: "survey-form" },
      el("fieldset", {}, el("legend", { class: "strong" }, t(T.question)), ...choices),
      el("label", { for: "survey-comment" }, t(T.comment)), comment,
      el("p", { class: "muted", id: "survey-comment-help" }, t(T.commentHelp)),
      el("button", { type: "submit", id: "survey-send" }, t(T.send)), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const picked = form.querySelector("input[name=score]:checked");
      if (!picked) {
        error.replaceChildren(el("p", { class: "error", role: "alert" }, t(T.pick)));
        document.getElementById("score-4").focus();
        return;
      }
      const text = comment.value.trim();
      try {
        await api(base, { method: "POST", body: { score: Number(picked.value), comment: text || null } });
        done(t(T.thanks));
      } catch (e) {
        if (e.code === "already_answered") done(t(T.already));
        else error.replaceChildren(el("p", { class: "error", role: "alert" },
          REFUSED[e.code] ? t(REFUSED[e.code]) : explain(e)));
      }
    });
    section.replaceChildren(el("h2", { id: "survey-title" }, t(T.title)), form);
    section.hidden = false;
  }

  return {
    // called at each render: asks once the ticket is served, and never twice on this page
    async ticketChanged(ticket) {
      if (ticket.status !== "served" || shown) return;
      shown = true;
      try {
        state = await api(base);
      } catch (e) {
        shown = false;  // the next change tries again
        return;
      }
      if (state.asked) ask();
      else if (state.answered) done(t(T.already));
    },
  };
}
