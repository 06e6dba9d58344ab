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
window.suivantSpeech = [];  // and with which voice

let services = {};  // id -> the site's service (name, colour)

function callText(c) {
  return `${c.label} → ${t(T.counter)} ${c.counter}`;
}

// A site that gives its services colours gets each call marked with it, and the service's
// name beside it (the colour is never the only sign)
function mark(node, c) {
  const s = services[c.service];
  if (s && s.colour) {
    node.style.borderLeft = `1.2vw solid ${s.colour}`;
    node.append(el("span", { class: "service" }, s.name));
  }
  return node;
}

function render(flash) {
  const now = document.getElementById("now");
  if (calls.length) {
    const c = calls[0];
    now.replaceChildren(el("span", { id: "now-label" }, c.label), el("span", { class: "arrow", "aria-hidden": "true" }, "→"),
      el("span", {}, `${t(T.counter)} ${c.counter}`));
    now.setAttribute("aria-label", callText(c));
    now.style.borderLeft = "";
    mark(now, c);
  }
  if (flash) {
    now.classList.remove("flash");
    void now.offsetWidth;  // restart the animation
    now.classList.add("flash");
  }
  document.getElementById("history").replaceChildren(
    ...calls.slice(1, HISTORY).map((c) => mark(el("li", {}, callText(c)), c)));
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

// The browser's own voice when it has one in the page's language; otherwise the bridge's
// (espeak-ng, offline). Either way at most SPEAK_TIMEOUT_MS, so the queue never sticks.
function speak(text) {
  const voice = "speechSynthesis" in window &&
    speechSynthesis.getVoices().find((v) => v.lang.startsWith(lang));
  window.suivantSpeech.push({ text, via: voice ? "voice" : "bridge" });
  return new Promise((done) => {
    const timer = setTimeout(done, SPEAK_TIMEOUT_MS);
    const end = () => { clearTimeout(timer); done(); };
    if (voice) {
      const u = new SpeechSynthesisUtterance(text);
      u.lang = voice.lang;
      u.voice = voice;
      u.rate = 0.9;
      u.onend = u.onerror = end;
      speechSynthesis.speak(u);
      return;
    }
    const audio = new Audio(`/api/announce.wav?lang=${lang}&text=${encodeURIComponent(text)}`);
    audio.onended = audio.onerror = end;
    audio.play().catch(end);  // sound not allowed yet: the call is on screen anyway
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
  const c = { label: ev.label, counter: ev.counter, at: ev.at, service: ev.service };
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
  services = Object.fromEntries(site.services.map((s) => [s.id, s]));
  document.getElementById("history").setAttribute("aria-label", t(T.last));
  // the calls standing now: each counter's current ticket, newest first
  const { counters } = await api("/api/counters");
  for (const k of counters.filter((k) => k.ticket && k.ticket.called_at)
    .sort((a, b) => b.ticket.called_at.localeCompare(a.ticket.called_at))) {
    calls.push({ label: k.ticket.label, counter: k.number, at: k.ticket.called_at, service: k.ticket.service });
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
