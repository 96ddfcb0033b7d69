"""Markdown sections, HTML main text, PDF pages: fixtures are generated here, not shipped as blobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cimic import Assistant
from cimic.abstention import AbstentionModel
from cimic.chunking import chunk_document
from cimic.documents import load_corpus

HTML_PAGE = """<!doctype html><html><head><title>Field Hygiene Guide</title>
<link rel="canonical" href="https://example.org/guides/field-hygiene"></head>
<body><nav><a href="/">Home</a> | <a href="/login">Log in</a> | <a href="/subscribe">Subscribe</a></nav>
<main><article><h1>Field Hygiene Guide</h1>
<p>Water purification tablets must be used in every canteen before drinking. Each soldier carries a
supply for five days of operations in the field.</p>
<p>Latrines are dug at least fifty metres from any water source and from the kitchen tents, and they are
inspected every morning by the hygiene officer of the company.</p>
</article></main>
<footer>Copyright 2026 · Privacy policy · Cookie settings</footer></body></html>"""

MARKDOWN = """# Convoy procedures

## Before departure

Every vehicle is checked for fuel, water and spare tyres before the convoy leaves the base.

## On the road

Vehicles keep a distance of fifty metres and the lead vehicle sets the speed for the whole column.
"""


def make_pdf(path: Path, pages: list[str]) -> None:
    """Write a small text PDF, one string per page."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Winter Operations Handbook")
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))


PDF_PAGES = [
    "Winter Operations Handbook. Chapter one describes clothing layers for cold weather.",
    "Snow chains are fitted to all wheeled vehicles when the temperature drops below minus five degrees.",
    "Frostbite is treated by slow rewarming of the affected limb in lukewarm water.",
]


@pytest.fixture
def mixed_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "hygiene.html").write_text(HTML_PAGE, encoding="utf-8")
    (root / "convoy.md").write_text(MARKDOWN, encoding="utf-8")
    make_pdf(root / "winter.pdf", PDF_PAGES)
    return root


def test_markdown_headings_become_sections(mixed_corpus: Path):
    doc = load_corpus(mixed_corpus).by_doc()["convoy.md"]
    chunks = chunk_document(doc)
    assert [c.section for c in chunks] == [
        "Convoy procedures › Before departure",
        "Convoy procedures › On the road",
    ]
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_html_main_text_without_chrome(mixed_corpus: Path):
    doc = load_corpus(mixed_corpus).by_doc()["hygiene.html"]
    assert doc.title == "Field Hygiene Guide"
    assert doc.source == "https://example.org/guides/field-hygiene"
    assert "Water purification tablets" in doc.text and "Latrines are dug" in doc.text
    for chrome in ("Log in", "Subscribe", "Cookie settings", "Privacy policy"):
        assert chrome not in doc.text


def test_pdf_text_per_page(mixed_corpus: Path):
    doc = load_corpus(mixed_corpus).by_doc()["winter.pdf"]
    assert doc.title == "Winter Operations Handbook"
    assert len(doc.page_starts) == 3
    assert doc.page_at(doc.text.index("Snow chains")) == 2
    chunks = chunk_document(doc)
    assert {c.page for c in chunks} == {1, 2, 3}
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text


def test_pdf_question_is_answered_with_its_page(mixed_corpus: Path, tmp_path: Path, fake_encoder):
    a = Assistant.open(
        mixed_corpus, tmp_path / "index", encoder=fake_encoder, abstention=AbstentionModel.never()
    )
    answer = a.ask("When are snow chains fitted to vehicles?")
    top = answer.passages[0]
    assert top.doc == "winter.pdf" and top.page == 2
    assert a.document(top.doc).text[top.start : top.end] == top.text
    assert "p. 2" in answer.to_markdown()


def test_citation_contract_holds_for_every_format(mixed_corpus: Path, tmp_path: Path, fake_encoder):
    a = Assistant.open(
        mixed_corpus, tmp_path / "index", encoder=fake_encoder, abstention=AbstentionModel.never()
    )
    for q in [
        "latrines water source",
        "convoy distance",
        "frostbite rewarming",
        "fuel spare tyres",
    ]:
        for p in a.ask(q).passages:
            assert a.document(p.doc).text[p.start : p.end] == p.text


def test_encrypted_pdf_is_skipped_with_reason(tmp_path: Path):
    from pypdf import PdfReader, PdfWriter

    root = tmp_path / "corpus"
    root.mkdir()
    make_pdf(tmp_path / "plain.pdf", ["Secret text about field kitchens."])
    writer = PdfWriter(clone_from=PdfReader(str(tmp_path / "plain.pdf")))
    writer.encrypt(user_password="s3cret", owner_password="owner")
    with open(root / "locked.pdf", "wb") as f:
        writer.write(f)
    (root / "ok.txt").write_text("A readable document.", encoding="utf-8")
    corpus = load_corpus(root)
    assert [d.doc for d in corpus.documents] == ["ok.txt"]
    assert corpus.skipped[0].path == "locked.pdf" and "encrypted" in corpus.skipped[0].reason


def test_pdf_parsing_has_a_time_limit(tmp_path: Path):
    from cimic.documents import _read_pdf

    make_pdf(tmp_path / "slow.pdf", ["Any text."])
    with pytest.raises(ValueError, match="took longer than"):
        _read_pdf(tmp_path / "slow.pdf", timeout=0.001)  # the child cannot even start in time
