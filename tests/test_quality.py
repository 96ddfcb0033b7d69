"""Answer quality with the real model, on questions of our own (not the dev set)."""

from __future__ import annotations

import pytest

from cimic.answer import near_duplicate

GLOSSARY = "ccoe-cimic-concepts-and-terminology.txt"


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("What is CMI?", "CMI"),
        ("Define wargaming", "Wargaming"),
        ("What does MDO mean?", "Multi-Domain Operations (MDO)"),
        ("What is meant by deconflict?", "Deconflict"),
        ("What is co-existence?", "Co-existence"),
    ],
)
def test_the_defining_entry_comes_first(real_assistant, question, section):
    top = real_assistant.ask(question).passages[0]
    assert top.doc == GLOSSARY and top.kind == "glossary" and top.section == section


def test_nato_agreed_definition_is_marked(real_assistant):
    top = real_assistant.ask("What is civil-military cooperation?").passages[0]
    assert top.nato_agreed and "(NATO agreed)" in top.text


def test_glossary_source_travels_with_the_passage(real_assistant):
    top = real_assistant.ask("What is wargaming?").passages[0]
    assert (
        top.source
        == "https://www.act.nato.int/our-work/wargaming-the-future-at-the-cde-conference/"
    )
    assert "Scenario planning" in top.keywords


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "What are the activities of civil-military interaction?",
            "CMI is one of the two core activities",
        ),
        ("What does OPR stand for in the gender office?", "Office of Primary Responsibility (OPR)"),
    ],
)
def test_acronyms_meet_their_long_forms(real_assistant, question, expected):
    assert any(expected in p.text for p in real_assistant.ask(question).passages[:3])


@pytest.mark.parametrize(
    ("variant", "original"),
    [
        (
            "How does NATO organize its defense training?",
            "How does NATO organise its defence training?",
        ),
        ("What is wargamming?", "What is wargaming?"),
        ("What is civil preparedeness?", "What is civil preparedness?"),
        ("Who closed the Deep-Dive sesion?", "Who closed the Deep-Dive session?"),
    ],
)
def test_spelling_variants_and_typos_keep_the_answer(real_assistant, variant, original):
    want = real_assistant.ask(original).passages[0]
    got = [(p.doc, p.start) for p in real_assistant.ask(variant).passages[:3]]
    assert (want.doc, want.start) in got


@pytest.mark.parametrize(
    "question",
    [
        "What is wargaming?",
        "What is civil preparedness?",
        "What is Allied Command Operations?",
        "What are the five areas of human security?",
        "What is societal resilience?",
    ],
)
def test_top_passages_are_distinct(real_assistant, question):
    passages = real_assistant.ask(question, k=5).passages
    texts = [" ".join(p.text.split()) for p in passages]
    assert len(set(texts)) == len(texts)
    chunks = {(c.doc, c.start): c for c in real_assistant._data.chunks}
    shown = [chunks[(p.doc, p.start)] for p in passages]
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert not near_duplicate(a, b)


def test_restatement_is_recorded_in_also_in(real_assistant):
    top = real_assistant.ask("What is wargaming?").passages[0]
    assert top.section == "Wargaming" and top.also_in
    doc, start, end = top.also_in[0]
    text = real_assistant.document(doc).text[start:end]
    assert text.startswith("Wargaming is a deliberate") and len(text) < len(top.text)


@pytest.mark.parametrize(
    ("question", "items"),
    [
        (
            "Which areas make up human security for NATO?",
            [
                "trafficking in human beings",
                "children in armed conflict",
                "sexual violence",
                "protection of civilians",
                "cultural property protection",
            ],
        ),
        (
            "Who are the non-military actors?",
            [
                "Governmental Organisations",
                "Host Nations",
                "International Organisations",
                "Non-Governmental Organisations",
                "private sector",
            ],
        ),
        (
            "List the baseline requirements for civil preparedness",
            [
                "continuity of government",
                "energy supplies",
                "food and water",
                "mass casualties",
                "civil transportation systems",
            ],
        ),
    ],
)
def test_enumerations_come_whole_in_the_top_passage(real_assistant, question, items):
    top = " ".join(real_assistant.ask(question).passages[0].text.split())
    for item in items:
        assert item in top


@pytest.mark.parametrize(
    "question",
    [
        "What is the best way to bake bread?",
        "What is NATO's annual budget?",
        "Who is the current Supreme Allied Commander Europe?",
        "How do I reset my password on the website?",
        "What is the capital of Australia?",
    ],
)
def test_abstains_when_the_documents_do_not_cover_it(real_assistant, question):
    answer = real_assistant.ask(question)
    assert answer.abstained and answer.passages == []
    assert "weak matches" in answer.message
    assert answer.weak_matches  # closest passages offered, marked as weak


@pytest.mark.parametrize(
    "question",
    [
        "What does the Civil-Military Engagement Group do?",
        "What is soft power?",
        "How does climate change affect security?",
        "What risks did women face near the camps?",
        # a long name the documents hold as written
        "What is the NATO Policy for the Protection of Civilians?",
    ],
)
def test_answers_what_the_documents_cover(real_assistant, question):
    assert not real_assistant.ask(question).abstained


def test_follow_up_is_rewritten_and_topic_shift_is_not(real_assistant):
    history = ["What are hybrid threats?"]
    follow = real_assistant.ask("How can CIMIC help against them?", history=history)
    assert "hybrid threats" in follow.query and not follow.abstained
    assert any("hybrid" in p.text.lower() for p in follow.passages[:2])
    shift = real_assistant.ask(
        "What is the role of the Nordic Centre for Gender in Military Operations?", history=history
    )
    assert shift.query == shift.question


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("What salary does a NATO gender advisor earn?", "amount of money"),
        ("When is the next Joint Cooperation Exercise?", "date"),
        ("Which countries have appointed a national gender focal point?", "country names"),
        # a long name whose words the documents hold apart ("comprehensive approach", "action")
        ("What is the Comprehensive Approach Action Plan?", "neither define nor name"),
    ],
)
def test_abstention_says_what_is_missing(real_assistant, question, says):
    answer = real_assistant.ask(question)
    assert answer.abstained and answer.weak_matches
    first = answer.message.split(". ")[0]
    assert says in first and first.startswith("The documents")


def test_question_words_meet_their_nearest_corpus_words(real_assistant):
    from cimic.questions import read_question
    from cimic.retrieval import embed_question_words, neighbour_terms, words_to_embed

    data = real_assistant.current()
    enc = real_assistant.encoder
    assert "recruits" not in data.word_index  # not in the corpus: embedded with the question
    question = read_question("Where do recruits train?")
    assert "recruits" in words_to_embed(data, question)
    near = neighbour_terms(data, question.text, embed_question_words(data, question, enc))
    assert "soldier" in near or "troop" in near
    assert "recruit" not in near  # the question's own terms are searched anyway
    sourdough = read_question("sourdough")
    assert neighbour_terms(data, "sourdough", embed_question_words(data, sourdough, enc)) == ()


def test_remembered_word_neighbours_are_the_ones_a_search_finds(real_assistant, monkeypatch):
    """A corpus word's neighbours are searched once per loaded index and then remembered; a word
    the corpus lacks is searched every time (its vector comes with the question)."""
    from cimic import retrieval
    from cimic.questions import read_question
    from cimic.retrieval import embed_question_words, neighbour_terms

    data = real_assistant.current()
    enc = real_assistant.encoder
    question = read_question("How do civilians and recruits cooperate with the military?")
    words = embed_question_words(data, question, enc)
    data.neighbour_memo.clear()
    fresh = neighbour_terms(data, question.text, words)
    assert "civilians" in data.neighbour_memo and "recruits" not in data.neighbour_memo
    searched: list[int] = []
    search = type(data.word_vectors).search_many
    monkeypatch.setattr(
        type(data.word_vectors),
        "search_many",
        lambda self, q, k: searched.append(len(q)) or search(self, q, k),
    )
    assert neighbour_terms(data, question.text, words) == fresh
    unknown = [w for w in words.embedded if w not in data.word_index]
    assert "recruits" in unknown and searched == [len(unknown)]  # only the words the corpus lacks
    monkeypatch.setattr(retrieval, "NEIGHBOUR_MEMO", 1)  # full: started afresh, still right
    assert neighbour_terms(data, question.text, words) == fresh
    assert len(data.neighbour_memo) <= len(question.focus)


def test_a_question_costs_one_encoder_run_and_one_short_run_for_its_unknown_words(real_assistant):
    """The question's words the corpus lacks are embedded once, in one short run, and shared by
    retrieval and the abstention evidence (no per-word runs)."""
    enc = real_assistant.encoder
    calls = []
    real_many, real_one = enc.embed_queries, enc.embed_query
    enc.embed_queries = lambda texts: calls.append(list(texts)) or real_many(texts)
    enc.embed_query = lambda text: calls.append([text]) or real_one(text)
    question = "How do recruits bake sourdough for the troops?"
    try:
        real_assistant.ask(question)
    finally:
        enc.embed_queries, enc.embed_query = real_many, real_one
    assert calls[0] == [question] or calls[1] == [question]
    assert len(calls) == 2 and {"recruits", "sourdough", "bake"} <= {w for c in calls for w in c}
