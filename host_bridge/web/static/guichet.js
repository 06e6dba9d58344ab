// The agent console: the terminal's actions for desks without a board (or beside one: both
// go to the same queue, so they stay in step). The staff token stays in this tab only.
import { api, el, explain, langLink, live, newKey, staffSignIn, t, lang } from "./suivant.js";

const T = {
  counter: { fr: "Guichet", en: "Counter" },
  serving: { fr: "Ticket en cours", en: "Serving" },
  none: { fr: "aucun", en: "none" },
  status: { open: { fr: "ouvert", en: "open" }, paused: { fr: "en pause", en: "paused" },
    closed: { fr: "fermé", en: "closed" } },
  waiting: { fr: "en attente", en: "waiting" },
  calledAt: { fr: (h, r) => `appelé à ${h}` + (r ? ` · ${r} rappel${r > 1 ? "s" : ""}` : ""),
    en: (h, r) => `called at ${h}` + (r ? ` · recalled ${r}×` : "") },
  next: { fr: "Suivant", en: "Next" },
  recall: { fr: "Rappel", en: "Recall" },
  absent: { fr: "Absent", en: "No-show" },
  finish: { fr: "Terminer", en: "Finish" },
  pause: { fr: "Pause", en: "Pause" },
  open: { fr: "Ouvrir", en: "Open" },
  close: { fr: "Fermer le guichet", en: "Close the counter" },
  transferTo: { fr: "Transférer vers", en: "Transfer to" },
  transfer: { fr: "Transfert", en: "Transfer" },
  offline: { fr: "Connexion perdue : nouvel essai…", en: "Connection lost: retrying…" },
};

let token = null, me = null, site = null, number = null;

function say(text, error = true) {
  document.getElementById("message").replaceChildren(...(text ? [el("p", { class: error ? "error" : "alert" }, text)] : []));
}

async function showDesk(account, staffToken) {
  me = account;
  token = staffToken;
  document.getElementById("desk").hidden = false;
  const allowed = site.counters.filter((k) => me.role === "admin" || !me.counters.length || me.counters.includes(k.number));
  const select = document.getElementById("counter");
  select.replaceChildren(...allowed.map((k) => el("option", { value: k.number }, k.name)));
  const asked = Number(new URLSearchParams(location.search).get("guichet") || sessionStorage.getItem("suivant-counter"));
  number = allowed.some((k) => k.number === asked) ? asked : allowed[0].number;
  select.value = number;
  select.onchange = () => { number = Number(select.value); sessionStorage.setItem("suivant-counter", number); refresh(); };
  document.getElementById("transfer-to").replaceChildren(...site.services.map((s) => el("option", { value: s.id }, s.name)));
  await refresh();
}

async function act(action, body) {
  say("");
  try {
    await api(`/api/counters/${number}/${action}`, { method: "POST", token, key: newKey(), body });
  } catch (e) {
    say(explain(e));
  }
  await refresh();
}

async function refresh() {
  const [k, { services }] = await Promise.all([api(`/api/counters/${number}`), api("/api/services")]);
  document.getElementById("desk-title").textContent = `${k.name} — ${t(T.status[k.status])}`;
  const current = document.getElementById("current");
  current.textContent = k.ticket ? k.ticket.label : "—";
  current.setAttribute("aria-label", `${t(T.serving)} : ${k.ticket ? k.ticket.label : t(T.none)}`);
  document.getElementById("current-detail").textContent = k.ticket ?
    t(T.calledAt)(new Date(k.ticket.called_at).toLocaleTimeString(lang === "fr" ? "fr-FR" : "en-GB",
      { hour: "2-digit", minute: "2-digit", timeZone: site.timezone }), k.ticket.recalls) : "";
  document.getElementById("waiting").replaceChildren(...k.services.flatMap((id) => {
    const s = services.find((x) => x.id === id);
    return [el("dt", {}, s.name), el("dd", { "data-waiting": id }, `${s.waiting} ${t(T.waiting)}`)];
  }));
  const open = k.status === "open", serving = !!k.ticket;
  const buttons = [
    ["next", T.next, false], ["recall", T.recall, !serving], ["absent", T.absent, !serving],
    ["finish", T.finish, !serving],
    open ? ["pause", T.pause, false] : ["open", T.open, false],
    ["close", T.close, k.status === "closed"],
  ];
  document.getElementById("actions").replaceChildren(...buttons.map(([action, label, disabled]) =>
    el("button", { id: action, class: action === "next" ? "" : action === "close" ? "danger" : "secondary",
      disabled, onclick: () => act(action) }, t(label))));
  document.getElementById("transfer").disabled = !serving;
}

async function start() {
  site = await api("/api/site");
  document.getElementById("title").textContent = `${site.name} — ${t(T.counter).toLowerCase()}`;
  langLink();
  document.getElementById("counter-label").textContent = t(T.counter) + " ";
  document.getElementById("transfer-label").textContent = t(T.transferTo) + " ";
  document.getElementById("transfer").textContent = t(T.transfer);
  document.getElementById("transfer").onclick = () => act("transfer", { service: document.getElementById("transfer-to").value });
  await staffSignIn({ fr: "Connexion agent", en: "Agent sign-in" }, ["agent", "admin"], showDesk, say);
  let pending;
  live(() => { clearTimeout(pending); if (number !== null && me) pending = setTimeout(() => refresh().catch(() => {}), 200); },
    (up) => {
      const banner = document.getElementById("offline");
      banner.hidden = up;
      banner.textContent = t(T.offline);
    });
}
start().catch((e) => say(e.message));
