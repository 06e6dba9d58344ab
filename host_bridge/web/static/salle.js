// The hall screen (a TV): the latest call large, the ones before below; a chime and a spoken
// announcement per call and recall, one after the other, never two at once. Speech is the
// browser's own (speechSynthesis, offline); no cloud.
import { annonce } from "./nombres.js";
import { api, el, live, t, lang } from "./suivant.js";

const HISTORY = 8;
const SPEAK_TIMEOUT_MS = 10000;  // a voice that never says "done" must not block the queue
const T = {
  counter: { fr: "Guichet", en: "Counter" },
  last: { fr: "Derniers appels", en: "Latest calls" },
  sound: { fr: "Activer le son des appels", en: "Turn on the call sound" },
  offline: { fr: "Connexion perdue : nouvel essai…", en: "Connection lost: retrying…" },
};

const calls = [];  // newest first: {label, counter, at}
const queue = [];  // announcements waiting to be spoken
let speaking = false, audio = null, zone;
window.suivantAnnouncements = [];  // what was (or would be) said, for the tests and for support

function callText(c) {
  return `${c.label} → ${t(T.counter)} ${c.counter}`;
}

function render(flash) {
  const now = document.getElementById("now");
  if (calls.length) {
    const c = calls[0];
    now.replaceChildren(el("span", { id: "now-label" }, c.label), el("span", { class: "arrow", "aria-hidden": "true" }, "→"),
      el("span", {}, `${t(T.counter)} ${c.counter}`));
    now.setAttribute("aria-label", callText(c));
  }
  if (flash) {
    now.classList.remove("flash");
    void now.offsetWidth;  // restart the animation
    now.classList.add("flash");
  }
  document.getElementById("history").replaceChildren(
    ...calls.slice(1, HISTORY).map((c) => el("li", {}, callText(c))));
}

function chime() {
  if (!audio || audio.state !== "running") return Promise.resolve();
  return new Promise((done) => {
    const start = audio.currentTime;
    for (const [i, freq] of [659.25, 523.25].entries()) {  // E5 then C5: a two-tone « ding-dong »
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + i * 0.45);
      gain.gain.exponentialRampToValueAtTime(0.4, start + i * 0.45 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.45 + 0.8);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + i * 0.45);
      osc.stop(start + i * 0.45 + 0.85);
    }
    setTimeout(done, 1300);
  });
}

function speak(text) {
  if (!("speechSynthesis" in window)) return Promise.resolve();
  return new Promise((done) => {
    const u = new SpeechSynthesisUtterance(text);
    u.lang = lang === "fr" ? "fr-FR" : "en-GB";
    const voice = speechSynthesis.getVoices().find((v) => v.lang.startsWith(lang));
    if (voice) u.voice = voice;
    u.rate = 0.9;
    const timer = setTimeout(done, SPEAK_TIMEOUT_MS);
    u.onend = u.onerror = () => { clearTimeout(timer); done(); };
    speechSynthesis.speak(u);
  });
}

async function drain() {
  if (speaking) return;
  speaking = true;
  while (queue.length) {
    const text = queue.shift();
    await chime();
    await speak(text);
  }
  speaking = false;
}

function announce(c) {
  const text = annonce(c.label, c.counter, lang);
  window.suivantAnnouncements.push(text);
  queue.push(text);
  drain();
}

function onEvent(ev) {
  if (ev.type !== "TicketCalled" && ev.type !== "TicketRecalled") return;
  const c = { label: ev.label, counter: ev.counter, at: ev.at };
  const i = calls.findIndex((x) => x.label === c.label && x.counter === c.counter);
  if (i >= 0) calls.splice(i, 1);  // a recall moves the call back to the top
  calls.unshift(c);
  calls.length = Math.min(calls.length, HISTORY);
  render(true);
  announce(c);
}

function soundButton() {
  const b = document.getElementById("sound");
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  audio = new Ctx();
  b.textContent = t(T.sound);
  b.hidden = audio.state === "running";
  b.onclick = () => audio.resume().then(() => { b.hidden = true; });
}

function tick() {
  document.getElementById("clock").textContent =
    new Date().toLocaleTimeString(lang === "fr" ? "fr-FR" : "en-GB",
      { hour: "2-digit", minute: "2-digit", timeZone: zone });
}

async function start() {
  const site = await api("/api/site");
  document.getElementById("site").textContent = site.name;
  zone = site.timezone;  // the hall's clock shows the site's time, whatever the TV's setting
  document.getElementById("history").setAttribute("aria-label", t(T.last));
  // the calls standing now: each counter's current ticket, newest first
  const { counters } = await api("/api/counters");
  for (const k of counters.filter((k) => k.ticket && k.ticket.called_at)
    .sort((a, b) => b.ticket.called_at.localeCompare(a.ticket.called_at))) {
    calls.push({ label: k.ticket.label, counter: k.number, at: k.ticket.called_at });
  }
  render(false);
  soundButton();
  tick();
  setInterval(tick, 10000);
  live(onEvent, (up) => {
    const banner = document.getElementById("offline");
    banner.hidden = up;
    banner.textContent = t(T.offline);
  });
}
start();
