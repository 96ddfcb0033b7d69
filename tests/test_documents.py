"""Ingestion: UTF-8 text read verbatim, unreadable files skipped with a reason, chrome excluded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cimic.documents import chrome_prefix_end, load_corpus
from cimic.errors import CorpusError

from .conftest import CORPUS, write_corpus


def test_reads_txt_and_md_verbatim(tiny_corpus: Path):
    corpus = load_corpus(tiny_corpus)
    docs = corpus.by_doc()
    assert sorted(docs) == ["glossary.txt", "kitchen.md"]
    assert docs["kitchen.md"].text == (tiny_corpus / "kitchen.md").read_text(encoding="utf-8")
    assert corpus.skipped == ()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("latin1.txt", "défense".encode("latin-1"), "not valid UTF-8"),
        ("binary.txt", b"\x00\x01\x02abc", "binary"),
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "no text"),
        ("utf16.txt", "hello".encode("utf-16"), "UTF-16"),
        ("report.docx", b"PK\x03\x04", "unsupported format"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("empty.html", b"<html><body><nav>Home</nav></body></html>", "no main text"),
    ],
)
def test_unreadable_files_are_skipped_with_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
):
    root = write_corpus(tmp_path / "c", {"good.txt": "A readable document about field kitchens."})
    (root / name).write_bytes(data)
    corpus = load_corpus(root)
    assert [d.doc for d in corpus.documents] == ["good.txt"]
    assert len(corpus.skipped) == 1
    assert corpus.skipped[0].path == name
    assert reason in corpus.skipped[0].reason


def test_utf8_byte_order_mark_is_kept_but_not_content(tmp_path: Path):
    root = write_corpus(tmp_path / "c", {})
    (root / "bom.txt").write_bytes("\ufeffA document that starts with a byte-order mark.".encode())
    doc = load_corpus(root).documents[0]
    assert doc.text.startswith("\ufeff") and doc.content_start == 1


def test_symlink_outside_corpus_not_followed(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("outside text", encoding="utf-8")
    root = write_corpus(tmp_path / "c", {"good.txt": "Inside text."})
    os.symlink(secret, root / "link.txt")
    corpus = load_corpus(root)
    assert [d.doc for d in corpus.documents] == ["good.txt"]
    assert "outside the corpus" in corpus.skipped[0].reason


def test_nested_paths_use_forward_slashes(tmp_path: Path):
    root = write_corpus(tmp_path / "c", {"sub/dir/page.md": "# Title\n\nSome text here."})
    assert [d.doc for d in load_corpus(root).documents] == ["sub/dir/page.md"]


def test_missing_corpus_dir_says_what_to_do(tmp_path: Path):
    with pytest.raises(CorpusError, match="create it"):
        load_corpus(tmp_path / "nope")


def test_catalog_supplies_citation_metadata():
    docs = load_corpus(CORPUS).by_doc()
    assert len(docs) == 4
    ims = docs["nato-ims-office-of-the-gender-advisor.txt"]
    assert ims.title == "IMS Office of the Gender Advisor (IMS GENAD)"
    assert ims.date == "2021-01-12"
    assert all(d.publisher for d in docs.values())


def test_web_chrome_of_the_deep_dive_is_excluded():
    doc = load_corpus(CORPUS).by_doc()["nato-genad-deep-dive-gender-perspectives-in-cimic.txt"]
    content = doc.text[doc.content_start :]
    assert content.startswith("On 12 June 2025")
    for chrome in ("newsletter", "password", "download videos"):
        assert chrome not in content.lower()


@pytest.mark.parametrize(
    ("text", "starts_with"),
    [
        ("Accept all cookies\nSign in to your account\nThe real article starts here.", "The real"),
        ("The report opens with content.\nClick here to subscribe.", "The report"),
        ("Skip to main content\n\n\nBody text of a page.", "Body text"),
    ],
)
def test_chrome_rule_is_general(text: str, starts_with: str):
    assert text[chrome_prefix_end(text) :].startswith(starts_with)


def test_chrome_rule_never_swallows_a_whole_document():
    text = "Click here.\nSubscribe to the newsletter."
    assert chrome_prefix_end(text) == 0
