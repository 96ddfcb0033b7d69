"""Doctrine PDFs as NATO publishes them: furniture out, pages joined, paragraphs numbered, cited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cimic import Assistant
from cimic.chunking import chunk_document
from cimic.documents import load_corpus

from .doctrine_pdf import FOOTER, HEADER, DoctrinePdf


def build_doctrine(path: Path, header: str = HEADER, footer: str = FOOTER) -> Path:
    d = DoctrinePdf(header=header, footer=footer)
    d.heading("CHAPTER 1 - FUNDAMENTALS")
    d.heading("Section 1 - General", size=12)
    d.lines(
        [
            "1.1 Purpose. This publication sets out the doctrine for the fictional Harbour",
            "Liaison function and the civil-military cooperation of deployed forces with ports.",
        ]
    )
    d.lines(["1.2 Principles. The Harbour Liaison function rests on three principles:"])
    d.lines(
        [
            "a. Transparency with the civil port authority.",
            "b. Shared planning of berths and cargo.",
            "c. Early warning of dredging work.",
        ],
        x=25,
    )
    for i in range(30):
        d.lines(
            [f"1.{i + 3} Paragraph {i} describes quay number {i} and the cranes that", "serve it."]
        )
    d.lines(
        [
            "1.40 Coordination. Liaison officers meet the harbour master every morning to agree",
            "the order of arrivals, and they record every decision in the shared berth plan so",
            "that both staffs can see it. The meeting also covers the movement of",
            "ammunition through the port and the safety zones around it.",
        ],
        break_after=2,
    )
    d.lines(
        [
            "1.41 Records. The berth plan is an authoritative document: it is kept for the",
            "whole operation and reviewed weekly by the opera-",
            "tions staff and the port authority's civil-",
            "military liaison cell.",
        ]
    )
    d.table(
        [
            ["Role", "Who", "When"],
            ["Berth plan", "Liaison officer", "Daily at 0800"],
            ["Review", "Operations staff", "Weekly"],
        ]
    )
    d.columns(
        [
            "The left column speaks of tugboats",
            "and their crews, who work in shifts",
            "around the clock.",
        ],
        [
            "The right column speaks of cranes",
            "and their operators, who need",
            "clear instructions.",
        ],
    )
    return d.save(path)


@pytest.fixture(scope="module")
def doctrine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("doctrine") / "corpus"
    root.mkdir()
    build_doctrine(root / "ajp-9.9.pdf")
    return root


@pytest.fixture(scope="module")
def doc(doctrine):
    corpus = load_corpus(doctrine)
    assert not corpus.skipped, corpus.skipped
    return corpus.by_doc()["ajp-9.9.pdf"]


def test_running_header_footer_and_page_numbers_are_out_of_the_text(doc):
    assert HEADER not in doc.text and "Edition A Version" not in doc.text
    assert not re.search(r"(?m)^\s*1-\d\s*$", doc.text)
    for chunk in chunk_document(doc):
        assert HEADER not in chunk.text and "AJP-9.9" not in chunk.text
    assert doc.classification == HEADER
    assert doc.page_labels == ("1-1", "1-2", "1-3")


def test_furniture_is_found_by_repetition_whatever_it_says(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    build_doctrine(
        root / "draft.pdf",
        header="Exercise Steadfast Harbour working draft",
        footer="Harbour handbook, second printing",
    )
    d = load_corpus(root).by_doc()["draft.pdf"]
    assert "working draft" not in d.text and "second printing" not in d.text
    assert d.classification is None
    assert "1.40 Coordination" in d.text


def test_a_paragraph_across_a_page_break_is_one_passage_citing_both_pages(doc):
    chunks = chunk_document(doc)
    para = next(c for c in chunks if c.para == "1.40")
    assert "shared berth plan so\nthat both staffs can see it" in para.text
    assert "safety zones around it." in para.text
    assert (para.page, para.page_end) == (2, 3)
    assert doc.text[para.start : para.end] == para.text


def test_hyphenated_words_are_rejoined_and_real_hyphens_kept(doc):
    assert "reviewed weekly by the operations staff" in doc.text
    assert "opera-" not in doc.text
    assert "port authority's civil-military liaison cell" in doc.text  # written so elsewhere


def test_numbered_paragraph_keeps_its_sub_items_and_its_number(doc):
    chunks = chunk_document(doc)
    p12 = next(c for c in chunks if c.para == "1.2")
    for item in ("a. Transparency", "b. Shared planning", "c. Early warning"):
        assert item in p12.text
    assert {c.para for c in chunks} >= {"1.1", "1.2", "1.3", "1.32", "1.40", "1.41"}
    assert p12.section == "CHAPTER 1 - FUNDAMENTALS › Section 1 - General"


def test_tables_and_columns_do_not_interleave_with_prose(doc):
    chunks = chunk_document(doc)
    table = next(c for c in chunks if c.kind == "table")
    assert table.text.splitlines() == [
        "Role | Who | When",
        "Berth plan | Liaison officer | Daily at 0800",
        "Review | Operations staff | Weekly",
    ]
    flat = " ".join(doc.text.split())
    assert "tugboats and their crews, who work in shifts around the clock." in flat
    assert "cranes and their operators, who need clear instructions." in flat
    assert all("Role | Who" not in c.text for c in chunks if c.kind != "table")


def test_answers_cite_paragraph_pages_and_classification(doctrine, tmp_path, fake_encoder):
    assistant = Assistant.open(doctrine, tmp_path / "index", encoder=fake_encoder)
    answer = assistant.ask("harbour master every morning order of arrivals", k=3)
    top = next(p for p in answer.passages + answer.weak_matches if p.para == "1.40")
    assert top.pages == "pp. 1-2–1-3" and top.place() == "para 1.40, pp. 1-2–1-3"
    assert top.classification == HEADER
    assert assistant.document(top.doc).text[top.start : top.end] == top.text
    d = top.to_dict()
    assert d["para"] == "1.40" and d["pages"] == "pp. 1-2–1-3"
    assert "para 1.40, pp. 1-2–1-3" in answer.to_markdown()


def test_a_scanned_pdf_without_text_is_skipped_with_a_reason(tmp_path):
    from fpdf import FPDF

    root = tmp_path / "corpus"
    root.mkdir()
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 100, 150, style="F")  # a page image stands in for a scan
    pdf.output(str(root / "scan.pdf"))
    corpus = load_corpus(root)
    assert not corpus.documents
    assert corpus.skipped[0].path == "scan.pdf" and "scanned" in corpus.skipped[0].reason
