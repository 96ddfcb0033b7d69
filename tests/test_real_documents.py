"""Documents as users have them: hard-wrapped Markdown, front matter, links, scraped chrome, speeches.

Every document here is written by the test; each one has a shape that used to lose or misplace text.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cimic import Assistant
from cimic.abstention import AbstentionModel
from cimic.chunking import MAX_CHARS, MIN_CHARS, chunk_document
from cimic.documents import read_document
from cimic.embedding import HashingEncoder

from .conftest import write_corpus

LOOSE = AbstentionModel.never()


def _doc(tmp_path: Path, text: str, name: str = "doc.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_document(path, name)


def _wrap(paragraph: str, width: int = 72) -> str:
    return "\n".join(textwrap.wrap(" ".join(paragraph.split()), width))


NETWORK = (
    "Participating organisations coordinate humanitarian assistance through "
    "United Nations clusters, regional bodies and national agencies that meet every month. "
    "Each organisation names one liaison officer. The liaison officers agree a common "
    "calendar of assessments so that no district is visited twice in the same week, and "
    "they share their findings in one report for the whole network."
)


def test_the_first_line_of_a_wrapped_paragraph_is_not_a_heading(tmp_path: Path):
    others = [
        "The secretariat keeps the register of members and publishes it on the first day of "
        "every quarter, together with the minutes of the last assembly and its decisions.",
        "Members who leave the network return their credentials to the secretariat within "
        "thirty days, and their liaison officer hands over the open assessments in writing.",
    ]
    text = "# The network\n\n" + "\n\n".join(_wrap(p, 80) for p in [NETWORK, *others]) + "\n"
    first_line = _wrap(NETWORK, 80).splitlines()[0]
    assert len(first_line.split()) <= 12 and not first_line.endswith((".", ",", ":"))
    doc = _doc(tmp_path, text)
    chunks = chunk_document(doc)
    assert all(first_line not in (c.section or "") for c in chunks)
    holder = [c for c in chunks if "Participating organisations" in c.text]
    assert holder and holder[0].text.startswith("Participating organisations")
    # A line that ends a sentence inside a wrapped paragraph does not end the paragraph.
    assert any(line.endswith(".") for line in _wrap(NETWORK, 80).splitlines()[:-1])
    assert any("Each organisation names" in c.text and "whole network." in c.text for c in chunks)
    assert all(c.section == "The network" for c in chunks)


def test_front_matter_is_metadata_not_a_passage(tmp_path: Path):
    text = (
        "---\n"
        "title: Women, Peace and Security in Practice\n"
        "date: 2024-03-08\n"
        "url: https://example.org/wps-practice\n"
        "tags: [gender, security]\n"
        "---\n\n"
        "Field teams report on the participation of women in local councils every season, and "
        "the reports are gathered into one annual review.\n"
    )
    doc = _doc(tmp_path, text)
    assert doc.title == "Women, Peace and Security in Practice"
    assert doc.date == "2024-03-08" and doc.source == "https://example.org/wps-practice"
    chunks = chunk_document(doc)
    assert len(chunks) == 1 and chunks[0].text.startswith("Field teams")
    assert not any("---" in c.text or "title:" in c.text for c in chunks)
    # Without a title in the front matter, the title is the first line after it, never "---".
    plain = _doc(tmp_path, "---\ndate: 2024\n---\n# Field reports\n\nTeams report.\n", "b.md")
    assert plain.title == "Field reports"
    # A block that is not YAML stays text: nothing is dropped.
    broken = _doc(tmp_path, "---\n: [unclosed\n---\nThe text goes on here.\n", "c.md")
    assert broken.content_start == 0 and "unclosed" in broken.title + "".join(
        c.text for c in chunk_document(broken)
    )


def test_link_addresses_are_metadata_not_searched_text(tmp_path: Path):
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "links.md": "Our press office answers questions from journalists on weekdays; see "
            "[the contact page](https://example.org/ferry-crossing-harbour-timetable-winter) "
            "for its opening hours and the names of its staff.\n",
            "ferry.md": "The ferry crossing at the harbour runs on a winter timetable from "
            "November to March, with two sailings a day.\n",
        },
    )
    assistant = Assistant.open(
        corpus, tmp_path / "index", encoder=HashingEncoder(dim=64), abstention=LOOSE
    )
    answer = assistant.ask("ferry crossing harbour timetable winter")
    assert answer.passages[0].doc == "ferry.md"
    press = assistant.ask("press office journalists contact page opening hours")
    top = press.passages[0]
    assert top.doc == "links.md" and "(https://example.org/ferry" in top.text  # quoted verbatim
    assert top.links == [
        {
            "text": "the contact page",
            "url": "https://example.org/ferry-crossing-harbour-timetable-winter",
        }
    ]
    assert top.to_dict()["links"] == top.links


def test_link_lists_and_forms_anywhere_are_chrome(tmp_path: Path):
    text = (
        "The training centre runs courses on civil-military cooperation for staff officers of "
        "member and partner nations.\n\n"
        "- [Home](https://example.org/)\n"
        "- [Courses](https://example.org/courses)\n"
        "- [Contact](https://example.org/contact)\n\n"
        "Courses last two weeks and end with an exercise in which the students plan a "
        "humanitarian operation together.\n\n"
        "Email Address\n"
        "First Name\n"
        "Last Name\n"
        "Country\n\n"
        "[Share](https://x.example/s) | [Print](https://example.org/p) | [Mail](mailto:a@b.c)\n\n"
        "The nations represented at the last course were:\n"
        "France\n"
        "Germany\n"
        "Italy\n"
        "Norway\n"
    )
    chunks = chunk_document(_doc(tmp_path, text))
    joined = "\n".join(c.text for c in chunks)
    for chrome in ("[Home]", "[Courses]", "Email Address", "First Name", "[Share]"):
        assert chrome not in joined
    assert "runs courses" in joined and "end with an exercise" in joined
    assert all(n in joined for n in ("France", "Germany", "Italy", "Norway"))  # a list, kept


def test_bold_numbered_items_and_speech_paragraphs_are_packed(tmp_path: Path):
    items = "\n\n".join(
        f"**{roman}. {name}**\n\nThe plan sets out what the nations do for {name.lower()} and "
        f"reports on it every year."
        for roman, name in [
            ("I", "Participation"),
            ("II", "Prevention"),
            ("III", "Protection"),
            ("IV", "Relief"),
            ("V", "Partnerships"),
        ]
    )
    chunks = chunk_document(_doc(tmp_path, "# Action plan\n\n" + items + "\n"))
    assert len(chunks) == 1 and all(n in chunks[0].text for n in ("I. Part", "V. Partner"))
    speech = (
        "# Remarks at the opening session\n\n"
        "Thank you.\n\n"
        "00:01:23\n\n"
        + "\n\n".join(
            f"Paragraph {n}: the speaker thanks the hosts and recalls what the partners have "
            f"achieved in year {n} of the programme."
            for n in range(1, 20)
        )
        + "\n\nThank you very much.\n\n00:14:02\n\nApplause.\n"
    )
    chunks = chunk_document(_doc(tmp_path, speech, "speech.md"))
    assert all(c.section == "Remarks at the opening session" for c in chunks)
    assert all(len(c.text) >= MIN_CHARS and len(c.text) <= MAX_CHARS for c in chunks)
    assert len(chunks) <= 4
    joined = "\n".join(c.text for c in chunks)
    assert "Thank you very much." in joined and "Applause." in joined


@pytest.mark.parametrize("width", [60, 72, 80])
def test_wrapped_documents_keep_every_word_in_a_passage(tmp_path: Path, width: int):
    paragraphs = [NETWORK] * 3
    text = "\n\n".join(_wrap(p, width) for p in paragraphs) + "\n"
    doc = _doc(tmp_path, text)
    chunks = chunk_document(doc)
    words = sorted(w for c in chunks for w in c.text.split())
    assert words == sorted(text.split())
