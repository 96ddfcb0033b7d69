"""Ranked chunks -> extractive passages: near-duplicates merged, key sentences highlighted, abstention."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from .abstention import AbstentionModel, Evidence, explain
from .lexical import terms
from .markup import links
from .retrieval import Candidates
from .store import IndexData
from .types import Answer, Chunk, Passage

NEAR_DUPLICATE = 0.85  # share of the shorter passage's terms found in the longer one
# rows² x distinct terms up to which duplicate grouping multiplies densely (see _duplicates)
DENSE_PRODUCT = 4_000_000
HIGHLIGHT_MARGIN = 0.04


@lru_cache(maxsize=2_048)
def _term_set(text: str) -> frozenset[str]:
    # List numbering ("1.", "2.") says nothing about content.
    return frozenset(t for t in terms(text) if not t.isdigit())


@lru_cache(maxsize=2_048)
def _term_keys(text: str) -> np.ndarray:
    # _term_set as 64-bit hashes, so many texts' terms can be compared in one array operation.
    return np.array([hash(t) for t in _term_set(text)], dtype=np.int64)


def duplicates_among(chunks: list[Chunk], keys: list[np.ndarray] | None = None) -> np.ndarray:
    """Which pairs of chunks say the same thing (one restates the other): a bool matrix.

    A pair is a duplicate when the shorter one's terms (at least 5, numbers aside) are
    NEAR_DUPLICATE shared; term sets become rows of a 0/1 matrix, so every pair's shared terms are
    one product. `keys` are the chunks' term sets as integer ids when known (the index stores
    them); otherwise their texts are read. Pieces of one long glossary entry complement each other
    and are never duplicates.
    """
    if keys is None:
        keys = [_term_keys(c.text) for c in chunks]
    return _duplicates(keys, [(c.doc, c.entry) if c.entry is not None else None for c in chunks])


def _duplicates(keys: list[np.ndarray], entry: list) -> np.ndarray:
    n = len(keys)  # each key array holds distinct term ids (a set)
    size = np.array([len(k) for k in keys], dtype=np.float32)
    shared = np.zeros((n, n), dtype=np.float32)
    if keys and size.sum():
        # Rows x terms as a 0/1 matrix (a term counted once per row): shared terms of every pair
        # in one product. Dense while rows² x distinct terms stays small (40 passages of a few
        # hundred terms: a fifth of the sparse product's time), sparse beyond, where a dense
        # product's cost would grow with longer passages. Both count exactly.
        ids = np.concatenate(keys)
        distinct, column = np.unique(ids, return_inverse=True)
        row = np.repeat(np.arange(n), size.astype(np.int64))
        if n * n * len(distinct) <= DENSE_PRODUCT:
            m = np.zeros((n, len(distinct)), np.float32)
            m[row, column] = 1.0
            shared = m @ m.T
        else:
            from scipy.sparse import csr_matrix

            m = csr_matrix((np.ones(len(ids), np.float32), (row, column)), shape=(n, len(distinct)))
            shared = (m @ m.T).toarray()
    small = np.minimum.outer(size, size)
    dup = (small >= 5) & (shared >= NEAR_DUPLICATE * np.maximum(small, 1) - 1e-6)
    if any(e is not None for e in entry):
        codes = {e: i for i, e in enumerate(dict.fromkeys(e for e in entry if e is not None))}
        label = np.array([codes[e] if e is not None else -1 - i for i, e in enumerate(entry)])
        dup &= label[:, None] != label[None, :]  # pieces of one entry are never duplicates
    return dup


def near_duplicate(a: Chunk, b: Chunk) -> bool:
    """Whether two chunks say the same thing (one restates the other)."""
    return bool(duplicates_among([a, b])[0, 1])


def merge_duplicates(data: IndexData, rows: list[int], limit: int) -> list[list[int]]:
    """Group the ranking into at most `limit` groups of near-duplicates, best-ranked first.

    Each group is ordered by rank; a later row that restates a group's member joins it. The
    rows' term sets come from the index, so no text is read.
    """
    if data.chunk_terms is None:
        dup = duplicates_among([data.chunks[r] for r in rows])
    else:
        cols = data.chunks.columns
        entry = [
            (int(cols["doc"][r]), int(cols["entry"][r])) if cols["entry"][r] >= 0 else None
            for r in rows
        ]
        dup = _duplicates([data.chunk_terms[r] for r in rows], entry)
    earlier: list[list[int]] = [[] for _ in rows]  # for each position, the earlier ones it restates
    for i, j in np.argwhere(np.tril(dup, -1)).tolist():
        earlier[i].append(j)
    groups: list[list[int]] = []
    group_of: dict[int, int] = {}  # position in rows -> its group
    for i in range(len(rows)):
        homes = [group_of[j] for j in earlier[i] if j in group_of]
        if homes:  # the earliest group that holds a restatement of this row
            group_of[i] = min(homes)
            groups[group_of[i]].append(rows[i])
        elif len(groups) < limit:
            group_of[i] = len(groups)
            groups.append([rows[i]])
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
    sims = data.sentence_vectors.dot(slice(lo, hi), query_vector)
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
        links=links(c.text),
        also_in=[(data.chunks[r].doc, data.chunks[r].start, data.chunks[r].end) for r in also],
    )


DUPLICATE_DEPTH = 40  # ranked rows searched for restatements of the shown passages


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
    # A restatement ranked below the first DUPLICATE_DEPTH rows is too far down to matter.
    for group in merge_duplicates(data, cands.rows[: max(DUPLICATE_DEPTH, 4 * k)], k):
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
