// Numbers in French words, for the spoken calls: « C dix-sept », not « C un sept ».
// Traditional spelling (hyphens inside the tens, « et » in 21, 31... 71, « quatre-vingts »),
// 0 to 999 999. An ES module: the hall screen imports it, and the tests run it under node.
const UNITS = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
  "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit",
  "dix-neuf"];
const TENS = ["", "", "vingt", "trente", "quarante", "cinquante", "soixante"];

function belowHundred(n) {
  if (n < 20) return UNITS[n];
  if (n < 70) {
    const t = Math.floor(n / 10), u = n % 10;
    return TENS[t] + (u === 0 ? "" : u === 1 ? " et un" : "-" + UNITS[u]);
  }
  if (n < 80) return n === 71 ? "soixante et onze" : "soixante-" + UNITS[n - 60];
  if (n === 80) return "quatre-vingts";
  return "quatre-vingt-" + UNITS[n - 80];
}

function belowThousand(n) {
  const h = Math.floor(n / 100), rest = n % 100;
  if (h === 0) return belowHundred(rest);
  const hundreds = h === 1 ? "cent" : UNITS[h] + (rest === 0 ? " cents" : " cent");
  return rest === 0 ? hundreds : hundreds + " " + belowHundred(rest);
}

export function enLettres(n) {
  if (!Number.isInteger(n) || n < 0 || n > 999999) throw new RangeError(`not 0-999999: ${n}`);
  const thousands = Math.floor(n / 1000), rest = n % 1000;
  if (thousands === 0) return belowThousand(rest);
  // « mille » never takes an s; « quatre-vingts » and « deux cents » lose theirs before it
  const head = thousands === 1 ? "mille"
    : belowThousand(thousands).replace(/(vingts|cents)$/, (w) => w.slice(0, -1)) + " mille";
  return rest === 0 ? head : head + " " + belowThousand(rest);
}

// « Ticket C dix-sept, guichet trois »: a ticket label (letter + digits) and a counter.
export function annonce(label, counter, lang = "fr") {
  const m = /^([A-Z]+)0*(\d+)$/.exec(label);
  if (lang !== "fr") return `Ticket ${m ? m[1] + " " + m[2] : label}, counter ${counter}`;
  const ticket = m ? `${m[1]} ${enLettres(Number(m[2]))}` : label;
  return `Ticket ${ticket}, guichet ${enLettres(counter)}`;
}
