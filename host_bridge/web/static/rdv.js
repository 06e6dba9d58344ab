// The link in a booking confirmation (/rdv/<code>): the citizen, once at the town hall, checks
// in from their phone and gets their ticket page. A button, not a check-in on load: mail
// clients open links to preview them, and a citizen may open it at home hours before.
import { api, el, explain, lang, langLink, newKey, root, t } from "./suivant.js";

const T = {
  title: { fr: "Votre rendez-vous", en: "Your appointment" },
  code: { fr: (c) => `Code de réservation : ${c}`, en: (c) => `Booking code: ${c}` },
  help: { fr: "Vous êtes arrivé(e) sur place ? Enregistrez votre arrivée : vous recevrez votre numéro et suivrez votre place ici.",
    en: "Have you arrived? Check in: you will get your number and follow your place here." },
  arrive: { fr: "Je suis arrivé(e), j'enregistre mon arrivée", en: "I have arrived: check me in" },
  working: { fr: "Enregistrement…", en: "Checking in…" },
  none: { fr: "Cette adresse ne contient pas de code de réservation : utilisez le lien de votre confirmation, ou la borne « J'ai un rendez-vous ».",
    en: "This address holds no booking code: use the link in your confirmation, or the kiosk's « I have an appointment »." },
};

// everything after the site's rdv/ (behind a proxy's prefix too: root is "/suivant/" there)
const code = (() => {
  try { return decodeURIComponent(location.pathname.slice(`${root}rdv/`.length)).trim().slice(0, 120); } catch (e) { return ""; }
})();
document.documentElement.lang = lang;
document.title = `${t(T.title)} — Suivant`;
langLink();
document.getElementById("title").textContent = t(T.title);
const button = document.getElementById("arrive");
const status = document.getElementById("status");
button.textContent = t(T.arrive);

if (!code) {
  button.hidden = true;
  document.getElementById("help").textContent = t(T.none);
} else {
  document.getElementById("code-line").append(el("strong", {}, t(T.code)(code)));
  document.getElementById("help").textContent = t(T.help);
  const key = newKey();  // one tap, retried or tapped twice: one check-in
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = t(T.working);
    try {
      const answer = await api("api/appointments/check-in", { method: "POST", body: { key: code }, key });
      location.replace(`${root}ticket/${encodeURIComponent(answer.ticket.id)}${lang === "en" ? "?lang=en" : ""}`);
    } catch (e) {
      status.textContent = explain(e);
      button.disabled = false;
    }
  });
}
