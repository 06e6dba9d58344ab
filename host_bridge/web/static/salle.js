// The hall screen (a TV): the latest call large, the ones before below; a chime and a spoken
// announcement per call and recall, one after the other, never two at once. Speech is the
// browser's own (speechSynthesis, offline) or the bridge's (espeak-ng); no cloud.
//
// Shown and heard together: with the sound on, a call goes on screen at the instant its voice
// starts (the chime plays, and the bridge's recording loads, before), so a person who hears
// « guichet trois » sees it, and one who cannot hear sees the screen change as the others turn
// their heads. Calls that arrive while one is said wait their turn, at most MAX_BEHIND.
//
// The site's results (Services Publics+: waits, satisfaction) take the history's place in turn
// when no call is fresh; a call brings the history back at once. The newest call never leaves.
import { annonce } from "./nombres.js";
import { api, el, live, t, lang } from "./suivant.js";

const HISTORY = 8;  // the newest call and the 7 before it
const MAX_BEHIND = 3;  // calls waiting to be said; older ones go on screen at once, unsaid
const SPEAK_TIMEOUT_MS = 10000;  // a voice that never says "done" must not block the queue
const LOAD_TIMEOUT_MS = 3000;  // the bridge's recording: a call is not held longer than this
const CHIME_MS = 900;  // the voice starts while the second tone fades
const RESULTS_EVERY_MS = 600000;  // the period's figures change slowly
// fresh: how long after a call the history stays; calls / results: each turn's length.
// A test may shorten them (window.suivantHallTiming, set before the page runs).
const TIMING = { fresh: 60000, calls: 20000, results: 12000, ...(window.suivantHallTiming || {}) };
const ROWS = 6;  // services per slide of the waits

const T = {
  counter: { fr: "Guichet", en: "Counter" },
  last: { fr: "Derniers appels", en: "Latest calls" },
  idle: { fr: "En attente du prochain appel", en: "Waiting for the next call" },
  sound: { fr: "Activer le son des appels", en: "Turn on the call sound" },
  soundOn: { fr: "Son des appels activé.", en: "Call sound on." },
  offline: { fr: "Connexion perdue : nouvel essai…", en: "Connection lost: retrying…" },
  waitsTitle: { fr: "L'attente en ce moment", en: "Waiting now" },
  nobody: { fr: "personne n'attend", en: "nobody waiting" },
  people: { fr: (n) => n === 1 ? "1 personne attend" : `${n} personnes attendent`,
    en: (n) => n === 1 ? "1 person waiting" : `${n} people waiting` },
  closed: { fr: "aucun guichet ouvert", en: "no counter open" },
  under: { fr: "moins d'une minute", en: "under a minute" },
  over: { fr: "plus de deux heures", en: "over two hours" },
  heads: { fr: ["Service", "Qui attend", "Attente estimée"],
    en: ["Service", "Waiting", "Estimated wait"] },
  between: { fr: (a, b) => `entre ${a} et ${b} min`, en: (a, b) => `${a} to ${b} min` },
  uncertain: { fr: (m) => `environ ${m} min (incertain)`, en: (m) => `about ${m} min (uncertain)` },
  resultsTitle: { fr: (d) => `Nos résultats des ${d} derniers jours`, en: (d) => `Our results over the last ${d} days` },
  meanWait: { fr: (m) => `${m} min d'attente en moyenne`, en: (m) => `${m} min average wait` },
  withinTarget: { fr: (p) => `${p} % reçus dans le délai annoncé`, en: (p) => `${p}% received within the announced time` },
  served: { fr: (n) => `${n} personnes reçues`, en: (n) => `${n} people received` },
  satisfied: { fr: (p, n) => `${p} % des usagers satisfaits (${n} avis)`,
    en: (p, n) => `${p}% of visitors satisfied (${n} opinions)` },
  targets: { fr: "Délais annoncés : ", en: "Announced times: " },
};

const calls = [];  // on screen, newest first: {label, counter, at, service}
const pending = [];  // calls waiting for their announcement
let busy = false, audio = null, zone, site;
let services = {};  // id -> the site's service (name, colour, target)
window.suivantAnnouncements = [];  // what was (or would be) said, for the tests and for support
window.suivantSpeech = [];  // with which voice, when it was asked to start and when it started
window.suivantShown = [];  // when each call went on screen (performance.now())
window.suivantBoard = [];  // what the lower part showed, and from when

function callText(c) {
  return `${c.label} → ${t(T.counter)} ${c.counter}`;
}

// A site that gives its services colours gets each call marked with it, and the service's
// name beside it (the colour is never the only sign)
function mark(node, c) {
  const s = services[c.service];
  if (s && s.colour) {
    node.style.borderLeft = `calc(1.2 * var(--u)) solid ${s.colour}`;
    node.append(el("span", { class: "service" }, s.name));
  }
  return node;
}

function render(flash) {
  const now = document.getElementById("now");
  now.style.borderLeft = "";
  if (calls.length) {
    const c = calls[0];
    now.replaceChildren(el("span", { class: "call" }, el("span", { id: "now-label" }, c.label),
      el("span", { class: "arrow", "aria-hidden": "true" }, "→"), el("span", {}, `${t(T.counter)} ${c.counter}`)));
    now.setAttribute("aria-label", callText(c));
    mark(now, c);
  } else {
    now.replaceChildren(el("span", { class: "call" }, t(T.idle)));
    now.removeAttribute("aria-label");
  }
  if (flash) {
    now.classList.remove("flash");
    void now.offsetWidth;  // restart the animation
    now.classList.add("flash");
  }
  document.getElementById("history").replaceChildren(
    ...calls.slice(1, HISTORY).map((c) => mark(el("li", {}, el("span", { class: "call" }, callText(c))), c)));
}

function put(c) {  // a call on screen: a recall moves it back to the top
  const i = calls.findIndex((x) => x.label === c.label && x.counter === c.counter);
  if (i >= 0) calls.splice(i, 1);
  calls.unshift(c);
  calls.length = Math.min(calls.length, HISTORY);
}

function show(c) {
  put(c);
  render(true);
  const at = performance.now();
  window.suivantShown.push({ label: c.label, counter: c.counter, at });
  lastCallAt = at;
  rotate();
}

const soundOn = () => !audio || audio.state === "running";

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
    // the end told by the sound's own clock, not a timer (a page whose timers are held, as
    // under a test's fake clock, still shows its calls)
    const mark = audio.createOscillator(), silent = audio.createGain();
    silent.gain.value = 0;
    mark.connect(silent).connect(audio.destination);
    mark.onended = done;
    mark.start(start);
    mark.stop(start + CHIME_MS / 1000);
  });
}

// An announcement made ready to start at once: the browser's own voice when it has one in the
// page's language; otherwise the bridge's recording (espeak-ng, offline), loaded first, at most
// LOAD_TIMEOUT_MS. start() -> a promise of its end, at most SPEAK_TIMEOUT_MS later.
function voiceFor(text) {
  const voice = "speechSynthesis" in window &&
    speechSynthesis.getVoices().find((v) => v.lang.startsWith(lang));
  const entry = { text, via: voice ? "voice" : "bridge", at: null, started: null };
  const begun = () => { entry.started = performance.now(); };
  if (voice) {
    const u = new SpeechSynthesisUtterance(text);
    u.lang = voice.lang;
    u.voice = voice;
    u.rate = 0.9;
    u.onstart = begun;
    return { ready: Promise.resolve(), start: () => say(entry, (end) => {
      u.onend = u.onerror = end;
      speechSynthesis.speak(u);
    }) };
  }
  const sound = new Audio(`api/announce.wav?lang=${lang}&text=${encodeURIComponent(text)}`);
  sound.preload = "auto";
  sound.addEventListener("playing", begun, { once: true });
  const ready = new Promise((done) => {
    sound.oncanplaythrough = sound.onerror = done;
    setTimeout(done, LOAD_TIMEOUT_MS);
  });
  sound.load();
  return { ready, start: () => say(entry, (end) => {
    sound.onended = sound.onerror = end;
    sound.play().catch(end);  // sound not allowed: the call is on screen anyway
  }) };
}

function say(entry, begin) {
  entry.at = performance.now();
  window.suivantSpeech.push(entry);
  return new Promise((done) => {
    const timer = setTimeout(done, SPEAK_TIMEOUT_MS);
    begin(() => { clearTimeout(timer); done(); });
  });
}

async function drain() {
  if (busy) return;
  busy = true;
  let first = true;  // a burst of calls gets one chime
  while (pending.length) {
    const c = pending.shift();
    const text = annonce(c.label, c.counter, lang);
    window.suivantAnnouncements.push(text);
    if (!soundOn()) {  // nothing can be heard before someone allows it: no reason to wait
      show(c);
      voiceFor(text).start();
      continue;
    }
    const voice = voiceFor(text);
    await Promise.all([first ? chime() : null, voice.ready]);
    show(c);
    await voice.start();  // started in the same task as the screen changed
    first = false;
  }
  busy = false;
}

function onEvent(ev) {
  if (ev.type !== "TicketCalled" && ev.type !== "TicketRecalled") return;
  pending.push({ label: ev.label, counter: ev.counter, at: ev.at, service: ev.service });
  while (pending.length > MAX_BEHIND) {  // a burst bigger than a voice can follow: shown unsaid
    const c = pending.shift();
    put(c);
    render(false);
    lastCallAt = performance.now();
    rotate();
  }
  drain();
}

// ---- the lower part: the history, or the site's results in turn ---------------------------

let lastCallAt = -Infinity, turn = null, timer = null, slide = 0;
let results = null, resultsAt = -Infinity;

function showBoard(which) {
  if (turn === which) return;
  turn = which;
  document.getElementById("history").hidden = which !== "calls";
  document.getElementById("results").hidden = which !== "results";
  window.suivantBoard.push({ shows: which, at: performance.now() });
}

async function rotate() {
  clearTimeout(timer);
  const calm = performance.now() - lastCallAt;
  if (calm < TIMING.fresh) {
    showBoard("calls");
    timer = setTimeout(rotate, TIMING.fresh - calm);
    return;
  }
  if (turn === "calls") {
    const slides = await resultSlides();
    if (performance.now() - lastCallAt < TIMING.fresh) return rotate();  // a call came meanwhile
    if (slides.length) {
      const box = document.getElementById("results");
      box.replaceChildren(...slides[slide++ % slides.length]);
      box.setAttribute("aria-labelledby", "results-title");  // a region named by its slide's title
      showBoard("results");
      timer = setTimeout(rotate, TIMING.results);
      return;
    }
  }
  showBoard("calls");
  timer = setTimeout(rotate, TIMING.calls);
}

function estimateText(s) {
  const e = s.estimate_for_new_ticket;
  if (!s.counters_open || !e) return t(T.closed);
  if (e.high_minutes <= 1) return t(T.under);
  if (e.low_minutes >= 120) return t(T.over);
  // an uncertain estimate (a counter just opened or closed, little history): its guess, no range
  if (e.reliable === false) return t(T.uncertain)(e.minutes ?? Math.round((e.low_minutes + e.high_minutes) / 2));
  return t(T.between)(e.low_minutes, e.high_minutes);
}

// The slides, from the figures the supervision page reads: the live waits (/api/services)
// and, where the bridge publishes them, the period's results (/api/results: the same figures
// as /api/indicators, public). Each slide: [title, content].
async function resultSlides() {
  const slides = [];
  try {
    const { services: live } = await api("api/services");
    for (let i = 0; i < live.length; i += ROWS) {
      const rows = live.slice(i, i + ROWS).map((s) => el("tr", {},
        el("th", { scope: "row" }, s.name),
        el("td", {}, s.waiting ? t(T.people)(s.waiting) : t(T.nobody)),
        el("td", { class: "wait" }, estimateText(s))));
      const head = el("thead", {}, el("tr", {}, t(T.heads).map((h) => el("th", { scope: "col" }, h))));
      slides.push([el("h2", { id: "results-title" }, t(T.waitsTitle)), el("table", { "aria-labelledby": "results-title" }, head, el("tbody", {}, rows))]);
    }
  } catch (e) { /* the bridge is away: the history stays */ }
  if (performance.now() - resultsAt > RESULTS_EVERY_MS) {
    resultsAt = performance.now();
    try { results = await api("api/results"); } catch (e) { results = null; }  // not published here
  }
  if (results && results.total) slides.push(resultsSlide(results));
  return slides;
}

function resultsSlide(r) {
  const days = Math.round((Date.parse(r.to) - Date.parse(r.from)) / 86400000) + 1;
  const pct = (x) => Math.round(x * 100);
  const items = [];
  if (r.total.wait_mean !== null && r.total.wait_mean !== undefined) items.push(t(T.meanWait)(Math.round(r.total.wait_mean)));
  if (r.total.within_target !== null && r.total.within_target !== undefined) items.push(t(T.withinTarget)(pct(r.total.within_target)));
  const s = r.satisfaction;
  if (s && s.votes && s.satisfied !== null) items.push(t(T.satisfied)(pct(s.satisfied), s.votes));
  if (r.total.served) items.push(t(T.served)(r.total.served));
  const targets = Object.values(services).map((x) => `${x.name} ${x.target_wait_minutes} min`).join(" · ");
  return [el("h2", { id: "results-title" }, t(T.resultsTitle)(days)),
    el("ul", {}, items.map((x) => el("li", {}, x))),
    el("p", { class: "note" }, t(T.targets) + targets)];
}

// ---- sound, clock, start -------------------------------------------------------------------

function soundButton() {
  const b = document.getElementById("sound");
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  audio = new Ctx();
  b.textContent = t(T.sound);
  // a browser may start the sound at once, or only after someone touches the page (and may
  // stop it again): the button is there whenever it is off
  const update = () => { b.hidden = audio.state === "running"; };
  audio.onstatechange = update;
  update();
  b.onclick = () => audio.resume().then(() => {
    update();
    document.getElementById("status").textContent = t(T.soundOn);
  });
}

function tick() {
  document.getElementById("clock").textContent =
    new Date().toLocaleTimeString(lang === "fr" ? "fr-FR" : "en-GB",
      { hour: "2-digit", minute: "2-digit", timeZone: zone });
}

async function start() {
  site = await api("api/site");
  document.getElementById("site").textContent = site.name;
  zone = site.timezone;  // the hall's clock shows the site's time, whatever the TV's setting
  services = Object.fromEntries(site.services.map((s) => [s.id, s]));
  document.getElementById("history").setAttribute("aria-label", t(T.last));
  // the calls standing now: each counter's current ticket, newest first
  const { counters } = await api("api/counters");
  for (const k of counters.filter((k) => k.ticket && k.ticket.called_at)
    .sort((a, b) => b.ticket.called_at.localeCompare(a.ticket.called_at))) {
    calls.push({ label: k.ticket.label, counter: k.number, at: k.ticket.called_at, service: k.ticket.service });
  }
  render(false);
  soundButton();
  tick();
  setInterval(tick, 10000);
  rotate();
  live(onEvent, (up) => {
    const banner = document.getElementById("offline");
    banner.hidden = up;
    banner.textContent = t(T.offline);
  });
}
start();
