"""The FAQ entries shown to a citizen while they type a question (issue 17), on the example
site's FAQ: French accents, plurals, word order, half-typed words; bounded; never raises."""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from host_bridge.domain.faq_match import MAX_ENTRY_CHARS, matches, words
from host_bridge.domain.site import FaqEntry
from host_bridge.site_config import load
from support import EXAMPLE

FAQ = {s.id: s.faq for s in load(EXAMPLE).site.services}


def test_the_example_faq_is_the_one_these_tests_were_written_against():
    assert [e.question for e in FAQ["passeports-cni"]] == [
        "Faut-il un rendez-vous ?", "J'ai fait une pré-demande en ligne : que dois-je apporter ?"]
    assert [e.question for e in FAQ["etat-civil"]] == [
        "Comment obtenir un acte de naissance ?", "Quelles pièces pour déclarer une naissance ?"]
    assert [e.question for e in FAQ["accueil"]][1] == "Quels sont les horaires d'ouverture ?"


@pytest.mark.parametrize("service, question, expected", [
    # « papiers » is what citizens say for « que dois-je apporter »
    ("passeports-cni", "Quels papiers pour un passeport ?", [1]),
    ("passeports-cni", "quels papiers pour un passep", [1]),  # still typing
    ("passeports-cni", "Bonjour, je voudrais savoir quels papiers il faut apporter pour refaire "
                       "mon passeport, merci", [1]),
    ("passeports-cni", "Faut-il prendre un rdv ?", [0]),
    ("passeports-cni", "rendez vous obligatoire", [0]),
    ("etat-civil", "Comment obtenir un acte de naissance ?", [0, 1]),
    ("etat-civil", "naissance acte obtenir", [0, 1]),  # word order is free
    ("etat-civil", "ETAT CIVIL : OBTENIR L'ACTE DE NAISSANCE", [0]),  # 1/5 words: too few
    ("etat-civil", "acte de naiss", [0, 1]),  # half-typed: a prefix of 5 letters
    ("etat-civil", "Quels papiers pour déclarer la naissance de mon fils ?", [1, 0]),
    ("etat-civil", "declaration de naissances, quelles pieces ?", [1, 0]),  # no accents, plurals
    ("accueil", "Vous ouvrez à quelle heure le samedi ?", [1]),
    ("accueil", "horaires", [1]),
    ("accueil", "Où garer mon vélo ?", []),  # nothing in common: ask the reception
    ("accueil", "Est-ce que je dois, pour le ou la, et de mon à ?", []),  # stop words alone
    ("accueil", "", []),
])
def test_a_question_finds_the_entries_of_its_service_that_answer_it(service, question, expected):
    assert matches(question, FAQ[service]) == expected


def test_accents_plurals_and_word_order_do_not_change_what_is_found():
    typed, plain = "pièces justificatives passeports", "piece justificative passeport"
    assert words(typed) == words(plain) == ("piece", "piece", "passeport")
    assert matches(typed, FAQ["passeports-cni"]) == matches(plain, FAQ["passeports-cni"]) == [1]
    assert matches("passeport piece", FAQ["passeports-cni"]) == [1]


@pytest.mark.parametrize("text, folded", [
    ("L'acte", ("acte",)),                              # apostrophe separates, l is a stop word
    ("l’acte", ("acte",)),                              # the typographic apostrophe too
    ("rendez-vous", ("rendez",)),                       # hyphen separates, vous is a stop word
    ("Œuvres et cœur", ("oeuvre", "coeur")),            # ligatures spelt out
    ("ex æquo", ("ex", "aequo")),
    ("ÉTÉ été Été", ("ete", "ete", "ete")),
    ("bureaux journaux", ("bureau", "journal")),
    ("prix", ("pri",)),
    ("déclarer déclarez", ("declar", "declar")),
    ("justificatives", ("piece",)),
    ("papiers documents apporter fournir", ("piece",) * 4),  # what citizens call the papers
    ("rdv", ("rendez",)),
    ("heures ouvert fermé", ("horaire", "ouverture", "ouverture")),
    ("passeports", ("passeport",)),
    ("naiss", ("naiss",)),                              # not a plural: being typed
    ("le la les de des du un une", ()),
    ("¡ 🙂 — … !", ()),
    ("20 m²", ("20", "m2")),
])
def test_french_text_folds_to_its_meaningful_words(text, folded):
    assert words(text) == folded


def test_the_entrys_question_weighs_more_than_its_answer():
    in_answer = FaqEntry("Autre chose", "Retrait du passeport à l'accueil.")
    in_question = FaqEntry("Retrait du passeport", "À l'accueil.")
    assert matches("retrait passeport", [in_answer, in_question]) == [1, 0]


def test_equal_scores_keep_the_site_files_order_and_limit_cuts_the_list():
    same = [FaqEntry(f"Passeport {n}", "Réponse.") for n in "abcde"]
    assert matches("passeport", same) == [0, 1, 2]
    assert matches("passeport", same, limit=5) == [0, 1, 2, 3, 4]
    assert matches("passeport", same, limit=0) == []


@pytest.mark.parametrize("limit", [-1, 1.5, "3", None, True])
def test_a_limit_that_is_not_a_whole_number_is_refused(limit):
    with pytest.raises(ValueError, match="limit must be a whole number"):
        matches("passeport", FAQ["passeports-cni"], limit=limit)


def test_the_question_is_cut_at_500_characters_and_50_words_before_any_work():
    assert matches("x" * 500 + " passeport", [FaqEntry("Passeport", "Oui.")]) == []
    assert matches("x " * 50 + "passeport", [FaqEntry("Passeport", "Oui.")]) == []
    assert matches("x " * 49 + "passeport", [FaqEntry("Passeport", "Oui.")]) == [0]


def test_an_entry_is_read_up_to_its_bound_only():
    far = FaqEntry("Autre", "x" * MAX_ENTRY_CHARS + " passeport")
    assert matches("passeport", [far]) == []


def test_a_huge_question_of_emoji_and_control_characters_costs_no_more_than_500_characters():
    huge = ("🙂\x00\u200b\ud800é" * 250_000) + " passeport"
    started = time.perf_counter()
    assert matches(huge, FAQ["passeports-cni"] * 50) == []
    assert time.perf_counter() - started < 0.5


entries = st.lists(st.builds(FaqEntry, st.text(max_size=300), st.text(max_size=300)), max_size=8)
questions = st.one_of(st.text(max_size=700),
                      st.lists(st.sampled_from(["passeport", "pièces", "l'acte", "naissance", "de",
                                                "rendez-vous", "Œuvre", "\x00", "🙂", "horaires"]),
                               max_size=60).map(" ".join))


@hsettings(max_examples=150, deadline=None)
@given(questions, entries, st.integers(0, 10))
def test_any_text_gives_a_bounded_list_of_valid_distinct_indexes_the_same_every_time(
        question, faq, limit):
    found = matches(question, faq, limit)
    assert len(found) <= limit
    assert len(set(found)) == len(found)
    assert all(0 <= i < len(faq) for i in found)
    assert matches(question, list(faq), limit) == found


@hsettings(max_examples=150, deadline=None)
@given(questions, entries, st.builds(FaqEntry, st.text(max_size=200), st.text(max_size=200)),
       st.integers(0, 8))
def test_adding_an_unrelated_entry_never_removes_the_top_match(question, faq, unrelated, where):
    top = matches(question, faq, limit=1)
    if matches(question, [unrelated]):
        return  # related after all: it may rank first, rightly
    where = min(where, len(faq))
    more = faq[:where] + [unrelated] + faq[where:]
    assert [faq[i] for i in top] == [more[i] for i in matches(question, more, limit=1)]
