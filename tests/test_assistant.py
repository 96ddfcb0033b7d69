"""The Python API on a tiny corpus with the fake encoder: answers, contract, rebuilds, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from cimic import Assistant, QueryError
from cimic.abstention import AbstentionModel
from cimic.assistant import MAX_QUESTION_CHARS


@pytest.fixture
def assistant(tiny_corpus: Path, tmp_path: Path, fake_encoder) -> Assistant:
    # Hashing vectors give lower cosines than a real model: a looser operating point.
    loose = AbstentionModel.never()
    return Assistant.open(tiny_corpus, tmp_path / "index", encoder=fake_encoder, abstention=loose)


def _contract(assistant: Assistant, answer) -> None:
    for p in answer.passages + answer.weak_matches:
        assert assistant.document(p.doc).text[p.start : p.end] == p.text
        for s, e in p.highlights:
            assert 0 <= s < e <= len(p.text)


def test_ask_returns_cited_passages(assistant: Assistant):
    answer = assistant.ask("What are the duties of the kitchen officer?", k=3)
    assert not answer.abstained
    assert answer.query == answer.question
    assert 1 <= len(answer.passages) <= 3
    top = answer.passages[0]
    assert "Order rations" in top.text and top.doc == "kitchen.md"
    assert top.title == "Field kitchens" and top.highlights
    _contract(assistant, answer)


def test_glossary_source_travels_with_passage(assistant: Assistant):
    answer = assistant.ask("sprocket alignment parade", k=1)
    assert answer.passages[0].source == "Sprocket Manual"
    assert answer.passages[0].kind == "glossary"


def test_passages_are_frozen(assistant: Assistant):
    p = assistant.ask("gadget device", k=1).passages[0]
    with pytest.raises(AttributeError):
        p.text = "changed"


def test_follow_up_uses_history(assistant: Assistant):
    answer = assistant.ask("And what does it do?", history=["What is a gadget?"])
    assert answer.query == "And what does it do? (gadget)"


def test_doc_filter(assistant: Assistant):
    answer = assistant.ask("kitchen officer duties gadget", docs=["glossary.txt"])
    assert {p.doc for p in answer.passages + answer.weak_matches} == {"glossary.txt"}


@pytest.mark.parametrize(
    ("question", "k", "message"),
    [
        ("", 5, "empty"),
        ("   \n\t ", 5, "empty"),
        ("\x00\x01\u202e", 5, "empty"),
        ("x" * (MAX_QUESTION_CHARS + 1), 5, "at most"),
        ("fine question", 0, "k must be"),
        ("fine question", 51, "k must be"),
    ],
)
def test_bad_questions_get_clear_errors(assistant: Assistant, question: str, k: int, message: str):
    with pytest.raises(QueryError, match=message):
        assistant.ask(question, k=k)


def test_odd_characters_are_answered(assistant: Assistant):
    for q in ["gadget 🙂 device", "гаджет", "gadget\u202edevice", "\ud800gadget"]:
        _contract(assistant, assistant.ask(q))


def test_rebuild_embeds_only_what_changed(assistant: Assistant, tiny_corpus: Path):
    assert not assistant.stale()
    report = assistant.rebuild()
    assert not report.published and report.chunks_embedded == 0
    path = tiny_corpus / "kitchen.md"
    path.write_text(
        path.read_text(encoding="utf-8") + "\nThe bakery opens at dawn.\n", encoding="utf-8"
    )
    assert assistant.stale()
    report = assistant.rebuild()
    assert report.changed == ("kitchen.md",) and report.unchanged == ("glossary.txt",)
    kitchen_chunks = sum(c.doc == "kitchen.md" for c in assistant._data.chunks)
    assert report.chunks_embedded == kitchen_chunks < report.chunks
    assert "bakery" in assistant.ask("When does the bakery open?").passages[0].text
    _contract(assistant, assistant.ask("gadget"))


def test_removed_document_disappears(assistant: Assistant, tiny_corpus: Path):
    (tiny_corpus / "glossary.txt").unlink()
    report = assistant.rebuild()
    assert report.removed == ("glossary.txt",)
    answer = assistant.ask("What is a gadget?", k=5)
    assert all(p.doc == "kitchen.md" for p in answer.passages + answer.weak_matches)


def test_warm_loads_what_a_first_question_would_wait_for(assistant: Assistant, capsys):
    from cimic import answer_types, vocabulary
    from cimic.serve import _warm

    before = assistant.ask("What are the duties of the kitchen officer?", k=3)
    vocabulary.english_words.cache_clear()
    answer_types._readings.cache_clear()
    _warm(assistant)
    assert vocabulary.english_words.cache_info().currsize == 1
    assert answer_types._readings.cache_info().currsize >= 1
    assert capsys.readouterr().err == ""
    # warming answers nothing and changes no answer
    assert assistant.ask("What are the duties of the kitchen officer?", k=3) == before


def test_a_failed_warm_up_is_reported_and_the_server_goes_on(capsys):
    from cimic.serve import _warm

    class Broken:
        def warm(self):
            raise RuntimeError("no index yet")

    _warm(Broken())
    assert "warm-up failed (no index yet)" in capsys.readouterr().err
