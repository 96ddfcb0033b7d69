"""Chunking follows structure: glossary entries, paragraphs, whole lists, exact spans, size bound."""

from __future__ import annotations

import pytest

from cimic.chunking import MAX_CHARS, chunk_document, sentence_spans, split_span
from cimic.documents import load_corpus, read_document

from .conftest import CORPUS, GLOSSARY, PROSE


def _doc(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_document(path, name)


def test_glossary_entry_is_one_unit_with_source_and_keywords(tmp_path):
    chunks = chunk_document(_doc(tmp_path, "g.txt", GLOSSARY))
    # The title line over the glossary is kept as a short passage of its own.
    assert [c.kind for c in chunks] == ["paragraph"] + ["glossary"] * 3
    assert chunks[0].text == "Concepts and Terminology"
    first = chunks[1]
    assert first.text.startswith("Widget doctrine is the set of rules")
    assert first.text.endswith("It is reviewed every year.")
    assert first.source == "https://example.org/widgets"
    assert first.keywords == ("Widgets", "Doctrine", "Planning")
    assert "Doctrine" in first.search_text and "example.org" in first.search_text
    assert first.section == "Widget doctrine"


def test_nato_agreed_definition_is_marked(tmp_path):
    chunks = [c for c in chunk_document(_doc(tmp_path, "g.txt", GLOSSARY)) if c.kind == "glossary"]
    assert [c.nato_agreed for c in chunks] == [False, True, False]


def test_list_stays_with_its_introduction(tmp_path):
    chunks = chunk_document(_doc(tmp_path, "k.md", PROSE))
    lists = [c for c in chunks if c.kind == "list"]
    assert len(lists) == 1
    assert lists[0].text.startswith("The duties of the kitchen officer are to:")
    assert lists[0].text.endswith("Keep the hygiene log.")
    assert all(c.section == "Field kitchens" for c in chunks)


def test_long_unit_is_split_at_sentence_boundaries(tmp_path):
    sentences = [f"Sentence {i} explains one more detail of the long paragraph." for i in range(60)]
    doc = _doc(tmp_path, "long.txt", " ".join(sentences) + "\n")
    chunks = chunk_document(doc)
    assert len(chunks) > 1
    for c in chunks:
        assert len(c.text) <= MAX_CHARS
        assert c.text.endswith("paragraph.")


def test_long_list_splits_between_items(tmp_path):
    items = "\n".join(
        f"- Item {i} describes a duty of the officer in some detail here." for i in range(40)
    )
    doc = _doc(tmp_path, "l.txt", "The officer must:\n" + items + "\n")
    chunks = chunk_document(doc)
    assert len(chunks) > 1
    assert chunks[0].text.startswith("The officer must:")
    for c in chunks:
        assert c.text.splitlines()[-1].endswith("here.")


@pytest.mark.parametrize("doc", load_corpus(CORPUS).documents, ids=lambda d: d.doc)
def test_every_corpus_chunk_is_an_exact_bounded_span(doc):
    chunks = chunk_document(doc)
    assert chunks
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert 0 < len(c.text) <= MAX_CHARS
        assert c.start >= doc.content_start


def test_corpus_glossary_is_parsed():
    doc = load_corpus(CORPUS).by_doc()["ccoe-cimic-concepts-and-terminology.txt"]
    entries = {c.entry for c in chunk_document(doc) if c.kind == "glossary"}
    assert len(entries) == 43  # one per 'Definition' label
    wargaming = [
        c for c in chunk_document(doc) if c.kind == "glossary" and c.section == "Wargaming"
    ]
    assert wargaming and wargaming[0].keywords == (
        "Concept development",
        "Decision-making",
        "Scenario planning",
    )


def test_split_span_keeps_short_text_whole():
    assert split_span("abc", 0, 3) == [(0, 3)]


def test_sentence_spans_cover_sentences_and_items():
    text = "First sentence here. Second one “quoted.” Third?\n- item one\n- item two"
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == [
        "First sentence here.",
        "Second one “quoted.”",
        "Third?",
        "- item one",
        "- item two",
    ]


def test_paragraph_after_the_last_key_words_is_a_passage_of_its_own(tmp_path):
    entries = "".join(
        f"Definition\nTerm {n} is a thing defined here for the test.\nSource\nManual {n}\n"
        f"Key words\nAlpha {n} / Beta {n}\n"
        for n in range(3)
    )
    appended = (
        "The liaison cell meets every Tuesday in the old barracks to review the sprocket ledger."
    )
    doc = _doc(tmp_path, "glossary.txt", entries + appended + "\n")
    chunks = chunk_document(doc)
    holding = [c for c in chunks if appended in c.text]
    assert len(holding) == 1 and holding[0].kind != "glossary"
    assert all(appended not in " ".join(c.keywords) for c in chunks)
    assert chunks[-2].keywords == ("Alpha 2", "Beta 2")  # the last entry keeps its own key words
