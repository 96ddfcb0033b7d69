"""Question form, conversation rewriting and corpus vocabulary: pure functions, no model."""

from __future__ import annotations

import pytest

from cimic.conversation import DEPENDENT, MAYBE, STANDALONE, dependence, rewrite, topic
from cimic.questions import asks_enumeration, defined_term, is_enumeration
from cimic.vocabulary import Vocabulary, _one_edit, learn_acronyms


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("What is a field kitchen?", "field kitchen"),
        ("Define logistics", "logistics"),
        ("What does SOP mean?", "SOP"),
        ("What is meant by host nation support?", "host nation support"),
        ("How is deconfliction defined?", "deconfliction"),
        ("What is the definition of resilience?", "resilience"),
        ("What does the term quick impact project mean?", "quick impact project"),
        ("What does the acronym SOP stand for?", "SOP"),
        ("What is the term for a field kitchen?", "term for a field kitchen"),
        ("Why do armies train?", None),
        (
            "What is the role of the battalion commander in planning the winter exercise at the base?",
            None,
        ),
    ],
)
def test_defined_term(question, term):
    assert defined_term(question) == term


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What are the four pillars of logistics?", True),
        ("List the duties of the duty officer", True),
        ("Who are the members of the committee?", True),
        ("What does the kit include?", True),
        ("What is logistics?", False),
        ("Which five areas does it cover?", True),
        # a number inside a code counts nothing
        ("Which page of AJP-3.19 defines CMI?", False),
    ],
)
def test_asks_enumeration(question, expected):
    assert asks_enumeration(question) is expected


def test_enumerations_in_text():
    assert is_enumeration("Duties:\n- one\n- two\n- three")
    assert is_enumeration("areas:\nfirst thing,\nsecond thing,\nthird thing,\nand the last.")
    assert not is_enumeration("A plain paragraph. With two sentences.")


@pytest.mark.parametrize(
    ("question", "level"),
    [
        ("and in peacetime?", DEPENDENT),
        ("What about Lebanon?", DEPENDENT),
        ("Why?", DEPENDENT),
        ("What activities does it include?", MAYBE),
        ("Which deployments did she draw on?", MAYBE),
        ("What is wargaming?", STANDALONE),
        ("Which five areas does human security cover?", STANDALONE),
    ],
)
def test_dependence_from_wording(question, level):
    assert dependence(question) == level


def test_topic_strips_the_interrogative_head():
    assert topic("What is civil-military interaction?") == "civil-military interaction"
    assert topic("Who is Major Linda Rullens?") == "Major Linda Rullens"
    assert topic("Why is the gender perspective relevant?") == "gender perspective relevant"


def test_rewrite_takes_the_last_topic_that_stood_alone():
    r = rewrite(
        "And how is it measured?", ["What is civil preparedness?", "What are its functions?"]
    )
    assert r.query == "And how is it measured? (civil preparedness)" and r.dependence == DEPENDENT


def test_new_topic_is_not_dragged_back():
    r = rewrite("What are the seven baseline requirements?", ["What is CMI?"])
    assert r.query == "What are the seven baseline requirements?" and r.dependence == STANDALONE


def test_no_history_means_no_rewrite():
    assert rewrite("What does it include?", []).query == "What does it include?"


TEXT = (
    "The Civil-Military Interaction (CMI) is a core activity. The Office of Primary Responsibility "
    "(OPR) advises. Standing Operating Procedures (SOPs) apply. The result (see annex) is (OK)."
)


def test_acronyms_are_learnt_from_text():
    pairs = learn_acronyms([TEXT])
    assert pairs["CMI"] == "Civil-Military Interaction"
    assert pairs["OPR"] == "Office of Primary Responsibility"
    assert pairs["SOPs"] == "Standing Operating Procedures"
    assert "OK" not in pairs


def test_acronym_expansion_goes_both_ways():
    v = Vocabulary.learn([TEXT])
    assert v.expand("What is CMI?") == ["civil", "militari", "interact"]
    assert v.expand("what is civil-military interaction") == ["cmi"]
    assert v.expand("what is cmi") == []  # lower-case "cmi" is an ordinary word, not the acronym


def test_typos_are_corrected_to_corpus_words():
    v = Vocabulary.learn(["cooperation between civilians and the military " * 3, "cooperative"])
    assert v.correct("cooperaton") == "cooperation"
    assert v.correct("civlians") == "civilians"
    assert v.correct("cooperation") is None  # known words stay
    assert v.correct("zebra") is None


def test_a_real_word_the_corpus_lacks_is_no_typo():
    """ "wealth" is one letter from "health" and "quality" from "equality", but the model's
    tokenizer knows both as English words: they are searched as asked, not "corrected"."""
    v = Vocabulary.learn(["health and equality of women and men " * 3])
    assert v.correct("wealth") is None and v.correct("quality") is None
    assert v.correct("helth") == "health" and v.correct("equalty") == "equality"
    assert "health" not in v.expand("How does a nation's wealth shape its forces?")


def test_a_rarer_real_word_is_no_typo_either():
    """ "wield" is no whole word of the model's tokenizer, but pyspellchecker's English list has
    it: it is not read as the corpus's "field"."""
    v = Vocabulary.learn(["the field of military operations " * 3])
    assert v.correct("wield") is None
    assert v.correct("feild") == "field"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("abcd", "abcd", True),
        ("abcd", "abed", True),
        ("abcd", "abd", True),
        ("abcd", "bacd", True),
        ("abcd", "abcde", True),
        ("abcd", "badc", False),
        ("abcd", "ab", False),
    ],
)
def test_one_edit(a, b, expected):
    assert _one_edit(a, b) is expected


def test_typo_correction_finds_every_corpus_word_one_edit_away():
    """Corrections come from generating a typo's one-edit variants; checked against comparing the
    typo with every corpus word (accented letters and all four kinds of edit included)."""
    import random

    from cimic.vocabulary import MIN_TYPO_LEN

    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyzéü"
    corpus = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(3000)]
    v = Vocabulary.learn([" ".join(corpus + corpus[:500])])  # some words more frequent

    def brute(typo: str) -> str | None:
        if typo in v.word_counts or len(typo) < MIN_TYPO_LEN or not typo.isalpha():
            return None
        near = sorted(w for w in v.word_counts if len(w) >= MIN_TYPO_LEN - 1 and _one_edit(w, typo))
        return max(near, key=lambda w: v.word_counts[w]) if near else None

    corrected = 0
    for word in rng.sample(sorted(v.word_counts), 300):
        i = rng.randrange(len(word))
        c = rng.choice(letters)
        for typo in (
            word[:i] + word[i + 1 :],
            word[:i] + c + word[i:],
            word[:i] + c + word[i + 1 :],
        ):
            assert v.correct(typo) == brute(typo), typo
            corrected += v.correct(typo) is not None
    assert corrected > 300


def test_one_standing_for_something_named_before_leans_on_the_conversation():
    from cimic.conversation import MAYBE, rewrite

    r = rewrite("When was the first one adopted?", ["What is NATO's policy on trafficking?"])
    assert r.dependence == MAYBE and "policy on trafficking" in r.query
    assert rewrite("When was the first policy adopted?", ["What is CIMIC?"]).query == (
        "When was the first policy adopted?"
    )


CASED = (
    "At SHAPE in Mons, the Office of Primary Responsibility (OPR) advises. Later the office "
    "of Lt Col Verbanck met NATO staff; NATO and SHAPE agreed.\nAs NATO grows, the Office of "
    "Primary Responsibility is AM 86-1-1 is ready."
)


def test_the_corpus_teaches_how_its_names_are_written():
    from cimic.vocabulary import learn_case

    cased = learn_case([CASED])
    assert cased["nato"] == "NATO" and cased["shape"] == "SHAPE" and cased["opr"] == "OPR"
    assert cased["verbanck"] == "Verbanck"  # a name, no English word
    assert cased["office of primary responsibility"] == "Office of Primary Responsibility"
    assert "office" not in cased  # an English word, also written in lower case
    assert "am" not in cased  # a short function word, whatever a manual's code writes
    # a sentence's first word opens no name, and a line break ends one
    assert "at shape" not in cased and "as nato" not in cased
    assert not any(k.startswith("responsibility is") for k in cased)


def test_a_question_typed_in_lower_case_reads_the_names_of_the_corpus():
    v = Vocabulary.learn([CASED])
    assert v.truecase("who works in the office of primary responsibility at shape") == (
        "who works in the Office of Primary Responsibility at SHAPE"
    )
    assert (
        v.truecase("what did verbanck tell nato's staff?") == "what did Verbanck tell NATO's staff?"
    )
    # a question with any capital is read as typed
    assert v.truecase("Who works at shape?") == "Who works at shape?"
    assert Vocabulary().truecase("who works at shape") == "who works at shape"
