"""Ranked chunks -> extractive passages: near-duplicates merged, key sentences highlighted, abstention."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from .abstention import AbstentionModel, Evidence, explain
from .lexical import terms
from .retrieval import Candidates
from .store import IndexData
from .types import Answer, Chunk, Passage

NEAR_DUPLICATE = 0.85  # share of the shorter passage's terms found in the longer one
HIGHLIGHT_MARGIN = 0.04


@lru_cache(maxsize=100_000)
def _all_terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


@lru_cache(maxsize=100_000)
def _term_set(text: str) -> frozenset[str]:
    # List numbering ("1.", "2.") says nothing about content.
    return frozenset(t for t in terms(text) if not t.isdigit())


def near_duplicate(a: Chunk, b: Chunk) -> bool:
    """Whether two chunks say the same thing (one restates the other)."""
    if a.doc == b.doc and a.entry is not None and a.entry == b.entry:
        return False  # pieces of one long glossary entry complement each other
    ta, tb = _term_set(a.text), _term_set(b.text)
    small = min(len(ta), len(tb))
    return small >= 5 and len(ta & tb) / small >= NEAR_DUPLICATE


def merge_duplicates(data: IndexData, rows: list[int], limit: int) -> list[list[int]]:
    """Group the ranking into at most `limit` groups of near-duplicates, best-ranked first.

    Each group is ordered by rank; a later row that restates a group's member joins it.
    """
    groups: list[list[int]] = []
    for row in rows:
        chunk = data.chunks[row]
        home = next(
            (g for g in groups if any(near_duplicate(chunk, data.chunks[r]) for r in g)), None
        )
        if home is not None:
            home.append(row)
        elif len(groups) < limit:
            groups.append([row])
    return groups


def most_complete(data: IndexData, group: list[int]) -> int:
    """The member of a duplicate group to show: the longest, ties to the better rank."""
    return max(group, key=lambda r: (len(data.chunks[r].text), -group.index(r)))


def highlight_spans(data: IndexData, row: int, query_vector: np.ndarray) -> list[tuple[int, int]]:
    """The sentence(s) of a chunk closest to the question, as spans inside the chunk text.

    A sentence that introduces a list ("… include:") is highlighted together with the list.
    """
    lo, hi = int(data.sentence_rows[row]), int(data.sentence_rows[row + 1])
    text = data.chunks[row].text
    if hi <= lo:
        return [(0, len(text))]
    spans = [(int(s), int(e)) for s, e in data.sentences[lo:hi, 1:]]
    sims = data.sentence_vectors[lo:hi] @ query_vector
    best = float(sims.max())
    picked = sorted(i for i in np.argsort(-sims)[:2] if sims[i] >= best - HIGHLIGHT_MARGIN)
    out: list[tuple[int, int]] = []
    for i in picked:
        start, end = spans[i]
        if text[start:end].rstrip().endswith(":"):
            end = max(end, list_end(text, end))
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


_ITEM = re.compile(r"^(?:[-•*·▪◦–]|\d{1,3}[.)])\s+")


def list_end(text: str, pos: int) -> int:
    """End of the list that starts after an introduction ending at pos (pos if none follows).

    Items are bulleted or numbered lines, or lines that a comma, semicolon or colon runs into.
    """
    end, cursor, started, runs_on = pos, pos, False, True
    for line in text[pos:].splitlines(keepends=True):
        stripped = line.strip()
        if not stripped:
            if started:
                break
        elif _ITEM.match(stripped) or runs_on:
            started = True
            end = cursor + len(line.rstrip())
            runs_on = stripped.endswith((",", ";", ":"))
        else:
            break
        cursor += len(line)
    return end


def _pages(doc, c) -> str | None:
    """ "p. 5", or "pp. 1-7–1-8" for a passage across a page break (printed labels)."""
    if c.page is None:
        return None
    first, last = doc.page_label(c.page), doc.page_label(c.page_end or c.page)
    return f"p. {first}" if first == last else f"pp. {first}–{last}"


def to_passage(data: IndexData, row: int, score: float, highlights, also: list[int]) -> Passage:
    """A Passage for chunk row, with its document's citation metadata."""
    c = data.chunks[row]
    doc = data.documents[c.doc]
    return Passage(
        text=c.text,
        doc=c.doc,
        title=doc.title,
        source=c.source or doc.source,
        section=c.section,
        start=c.start,
        end=c.end,
        score=score,
        highlights=highlights,
        nato_agreed=c.nato_agreed,
        kind=c.kind,
        keywords=c.keywords,
        page=c.page,
        pages=_pages(doc, c),
        para=c.para,
        classification=doc.classification,
        also_in=[(data.chunks[r].doc, data.chunks[r].start, data.chunks[r].end) for r in also],
    )


def build_answer(
    question: str,
    query: str,
    data: IndexData,
    cands: Candidates,
    k: int,
    evidence: Evidence,
    model: AbstentionModel,
) -> Answer:
    """Passages for the best k distinct chunks, or an abstention that says why, with weak matches."""
    passages = []
    for group in merge_duplicates(data, cands.rows, k):
        shown = most_complete(data, group)
        also = [r for r in group if r != shown]
        spans = highlight_spans(data, shown, cands.query_vector)
        passages.append(to_passage(data, shown, cands.fused[group[0]], spans, also))
    if not passages:
        return Answer(question, query, [], True, "The documents hold nothing to search yet.", [])
    if model.abstains(evidence):
        why = explain(evidence, model)
        return Answer(
            question,
            query,
            [],
            True,
            f"{why} The closest passages are shown as weak matches.",
            passages[: min(3, k)],
        )
    return Answer(
        question, query, passages, False, f"{len(passages)} passage(s) from the documents."
    )
