"""The FAQ entries of a service that match a citizen's question, best first (issue 17's chat).

Plain French word matching, written here rather than taken from a library:
- accents: `unicodedata` NFKD then combining marks dropped, and œ/æ spelt out (NFKD keeps them).
  Unidecode would do the same for French but is GPL and transliterates whole scripts we don't
  need; one line of the standard library is enough here.
- plurals and a few endings: the short `_stem` below. Snowball's French stemmer (PyStemmer,
  snowballstemmer) over-folds short words — identité and identique both become « ident »,
  rendez becomes « rend » — leaves accents alone, and would be a dependency for a handful of
  rules. Prefix matching (words of 5 letters or more) covers the rest: « déclar » finds
  « déclaration », and a half-typed « passep » finds « passeport ».
- no weighting by rarity (TF-IDF/BM25): a service has a few entries, so rarity is noise, and
  each entry's score then depends on that entry alone — adding an entry never reorders others.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache

from host_bridge.domain.site import FaqEntry

MAX_QUESTION_CHARS = 500
MAX_QUESTION_WORDS = 50
MAX_ENTRY_CHARS = 2000  # the site file does not bound FAQ texts: a pasted page costs no more
MIN_SCORE = 0.25  # share of the best score (every word of the question in the entry's question)
_QUESTION_WEIGHT, _ANSWER_WEIGHT = 2.0, 1.0
_PREFIX_MIN, _PREFIX_FOUND = 5, 0.75  # a prefix match counts a little less than the whole word

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
_WORD = re.compile(r"[^\W_]+")  # apostrophes, hyphens and all punctuation separate words
# Folded (no accents). Besides articles and pronouns: the words of asking (« je voudrais
# savoir », « faut-il », « bonjour ») that every question carries and no answer is about.
_STOP = frozenset("""
    a ai as au aux avec avez avoir besoin bonjour c ce ces cet cette comment combien d dans de
    des dois doit donc du elle est et etre faut il ils j je l la le les leur leurs m ma madame
    mais me merci mes moi mon monsieur n ne nos notre nous on ont ou oui non par pas peut peux
    pour pourquoi puis qu quand que quel quelle quelles quels qui quoi s sa savoir se ses si son
    sont souhaite souhaiterais sur svp t ta te tes toi ton tu un une voudrais voudrait vos votre
    vous y en
""".split())
# Words citizens use for the same thing (after _stem): « quels papiers » is « que dois-je
# apporter », « vous ouvrez à quelle heure » is « les horaires d'ouverture ».
_SAME = {"papier": "piece", "document": "piece", "justificatif": "piece", "apport": "piece",
         "fournir": "piece", "rdv": "rendez", "heure": "horaire",
         **dict.fromkeys(("ouvert", "ouvre", "ouvrez", "ouvrir", "ouvrent", "ferme", "fermez",
                          "fermer", "fermeture"), "ouverture")}


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("eaux"):
        return word[:-1]  # bureaux → bureau
    if len(word) > 4 and word.endswith("aux"):
        return word[:-2] + "l"  # journaux → journal
    if len(word) > 3 and word[-1] in "sx" and word[-2] != "s":  # « naiss » is being typed
        word = word[:-1]  # pièces → piece, prix → pri (both sides fold alike)
    if len(word) >= 6 and word.endswith("ive"):
        word = word[:-3] + "if"  # justificative → justificatif
    if len(word) >= 7 and word.endswith(("er", "ez")):
        word = word[:-2]  # déclarer → declar, which then prefixes « declaration »
    return word


def words(text: str, max_chars: int = MAX_QUESTION_CHARS,
          max_words: int = MAX_QUESTION_WORDS) -> tuple[str, ...]:
    """The folded words of `text` that carry meaning, in order; bounded before any work."""
    text = unicodedata.normalize("NFKD", text[:max_chars].casefold().translate(_LIGATURES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    found = _WORD.findall(text)[:max_words]
    return tuple(_SAME.get(s, s) for s in (_stem(w) for w in found if w not in _STOP))


_Words = tuple[frozenset[str], tuple[str, ...]]  # as a set, and sorted for the prefix search


def _indexed(text: str) -> _Words:
    found = frozenset(words(text, MAX_ENTRY_CHARS, MAX_ENTRY_CHARS))
    return found, tuple(sorted(found))


@lru_cache(maxsize=512)  # entries come from the site file: the same few, asked about all day
def _entry_words(entry: FaqEntry) -> tuple[_Words, _Words]:
    return _indexed(entry.question), _indexed(entry.answer)


def _found(word: str, among: _Words) -> float:
    """1 if the entry has the word, less if one of the two begins the other (5 letters or more)."""
    exact, ordered = among
    if word in exact:
        return 1.0
    if len(word) >= _PREFIX_MIN:
        at = bisect_left(ordered, word)  # the words that begin with `word` sort right here
        if (at < len(ordered) and ordered[at].startswith(word)
                or any(word[:n] in exact for n in range(_PREFIX_MIN, len(word)))):
            return _PREFIX_FOUND
    return 0.0


def score(question_words: Sequence[str], entry: FaqEntry) -> float:
    """0 (nothing in common) to 1 (every word of the question is in the entry's question)."""
    if not question_words:
        return 0.0
    in_question, in_answer = _entry_words(entry)
    total = sum(max(_QUESTION_WEIGHT * _found(w, in_question), _ANSWER_WEIGHT * _found(w, in_answer))
                for w in question_words)
    return total / (_QUESTION_WEIGHT * len(question_words))


def matches(question: str, entries: Sequence[FaqEntry], limit: int = 3) -> list[int]:
    """Indexes of the entries that answer `question` best, best first, at most `limit`.

    Word order is free; an entry scoring below MIN_SCORE is left out, so [] means « ask the
    reception ». Ties keep the site file's order.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a whole number ≥ 0, not {limit!r}")
    asked = tuple(dict.fromkeys(words(question)))  # a repeated word counts once
    scored = [(score(asked, entry), i) for i, entry in enumerate(entries)]
    best = sorted((-s, i) for s, i in scored if s >= MIN_SCORE)
    return [i for _, i in best[:limit]]
