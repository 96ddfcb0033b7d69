"""Question -> ranked chunk rows: dense and lexical search, fused into one ranking."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from .fusion import rank, reciprocal_rank_fusion, weighted_scores
from .lexical import _term, content_words, terms
from .questions import Question, is_enumeration, lead_in, read_question
from .store import IndexData
from .types import Chunk
from .vocabulary import Vocabulary

FUSION_METHODS = ("weighted", "rrf", "dense", "lexical")  # the last two: one side alone, to measure
DEPTH = 50  # rows each side contributes to fusion
FULL_SCAN = 20_000  # up to this many rows, every row is scored on both sides
# Chosen on the tuning half of eval/questions.jsonl (eval/README.md), confirmed on the held-out half.
DENSE_WEIGHT = 0.7  # weighted fusion: share of the (min-max normalised) dense score
SENTENCE_MIX = 0.75  # dense score: share given to the best-matching sentence of the chunk
NEIGHBOURS = 5  # lexical side: per question word, this many nearest corpus words are also searched
NEIGHBOUR_COSINE = 0.5  # ... when their word vectors are at least this close
NEIGHBOUR_WEIGHT = 0.5  # ... with this share of a question word's BM25 weight
MAX_EMBEDDED_WORDS = 3  # question words unknown to the corpus embedded per question (shared with abstention, so cached)
_BLOCK = 8_192  # word vectors compared per block (float16 on disk, float32 in the product: 12 MB)
DEFINITION_BOOST = 0.3  # "What is X?": the entry defining X, as a share of the top fused score
LIST_BOOST = 0.1  # "What are the seven …?": passages that enumerate
LIST_LEAD_IN = 3.0  # ... scaled by the share of the question's terms their lead-in names
_DEFINES = re.compile(
    r"\b(is|are|refers? to|means?|defined as|describes?|encompass(es)?|involves?|includes?)\b"
)


@dataclass(frozen=True)
class Candidates:
    """Fused ranking of chunk rows with the evidence behind it."""

    rows: list[int]  # best first
    fused: dict[int, float]
    dense: dict[int, float]  # cosine evidence of every row considered
    lexical: dict[int, float]  # BM25 of every row considered
    query_terms: tuple[str, ...]
    query_vector: np.ndarray
    neighbour_terms: tuple[str, ...] = ()  # corpus words near the question's, searched as well


def sentence_aware(
    chunk_cos: np.ndarray, best_sentence: np.ndarray, mix: float = SENTENCE_MIX
) -> np.ndarray:
    """Blend a chunk's cosine with its best sentence's, so one precise sentence can lift a long chunk."""
    return (1.0 - mix) * chunk_cos + mix * np.maximum(chunk_cos, best_sentence)


def _best_sentence(data: IndexData, rows: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
    """Each row's best sentence cosine (-1 for a row without sentences).

    When many rows are asked for (a full scan), every sentence is scored in one product and each
    row takes the maximum of its run (np.maximum.reduceat); for a few candidates, row by row.
    """
    out = np.full(len(rows), -1.0, dtype=np.float32)
    if not len(rows) or not len(data.sentence_vectors):
        return out
    if len(rows) * 8 >= len(data.chunks):
        starts, ends = data.sentence_rows[:-1], data.sentence_rows[1:]
        has = ends > starts
        best = np.full(len(data.chunks), -1.0, dtype=np.float32)
        scores = np.asarray(data.sentence_vectors @ query_vector, dtype=np.float32)
        best[has] = np.maximum.reduceat(scores, starts[has])
        return best[rows]
    for n, row in enumerate(rows):
        lo, hi = data.sentence_rows[row], data.sentence_rows[row + 1]
        if hi > lo:
            out[n] = float((data.sentence_vectors[lo:hi] @ query_vector).max())
    return out


def neighbour_terms(data: IndexData, query: str, encoder=None) -> tuple[str, ...]:
    """Index terms of the corpus words nearest each question word ("civilians" -> "civil").

    Nearness is the cosine of word vectors computed at index time; a question word the corpus
    lacks is embedded on the spot (the longest few, each a short encoder pass, cached), so a
    paraphrase that shares no word with its answer still meets the answer's words on the lexical side.
    """
    if data.word_vectors is None or not len(data.word_vectors) or NEIGHBOURS <= 0:
        return ()
    qwords = [w for w in dict.fromkeys(content_words(query)) if len(w) > 2 and w.isalpha()]
    unknown = sorted((w for w in qwords if w not in data.word_index), key=lambda w: -len(w))
    embed = set(unknown[:MAX_EMBEDDED_WORDS]) if encoder is not None else set()
    rows, vectors = [], []
    for w in qwords:
        if w in data.word_index:
            rows.append(w)
            vectors.append(np.asarray(data.word_vectors[data.word_index[w]], dtype=np.float32))
        elif w in embed:
            rows.append(w)
            vectors.append(np.asarray(encoder.embed_query(w), dtype=np.float32))
    if not vectors:
        return ()
    q = np.vstack(vectors).T  # (d, m)
    sims = np.empty((len(data.word_vectors), q.shape[1]), dtype=np.float32)
    for lo in range(0, len(data.word_vectors), _BLOCK):
        block = np.asarray(data.word_vectors[lo : lo + _BLOCK], dtype=np.float32)
        sims[lo : lo + len(block)] = block @ q
    own = set(terms(query))
    out: list[str] = []
    k = min(NEIGHBOURS + 1, len(sims))
    for j, w in enumerate(rows):
        col = sims[:, j]
        top = np.argpartition(-col, k - 1)[:k]
        for i in top[np.argsort(-col[top], kind="stable")]:
            word = data.vocabulary.vector_words[i]
            if word != w and col[i] >= NEIGHBOUR_COSINE:
                out.append(_term(word))
    return tuple(t for t in dict.fromkeys(out) if t not in own)


def term_aliases(term: str, vocabulary: Vocabulary) -> list[tuple[str, ...]]:
    """Index-term forms of a term: itself, its parts "X (Y)", and its acronym pair."""
    forms = [term, *re.findall(r"\(([^)]+)\)", term), re.sub(r"\s*\([^)]*\)", "", term)]
    out: list[tuple[str, ...]] = []
    for form in forms:
        out.append(tuple(terms(form)))
        out.append(tuple(vocabulary.expand(form)))  # the other form of an acronym pair
    return [a for a in dict.fromkeys(out) if a]


def defines(chunk: Chunk, aliases: list[tuple[str, ...]]) -> bool:
    """Whether the chunk is the definition of a term: its glossary entry, or opens with it."""
    section = set(terms(chunk.section or ""))
    if chunk.kind == "glossary" and any(len(set(a) ^ section) <= 1 for a in aliases):
        return True
    first = re.split(r"(?<=[.!?])\s", chunk.text.lstrip('“"- '), maxsplit=1)[0]
    head = tuple(terms(" ".join(first.split()[:12])))
    return bool(_DEFINES.search(first)) and any(head[: len(a)] == a for a in aliases)


def boosts(data: IndexData, question: Question, rows: list[int]) -> dict[int, float]:
    """Extra weight, as a share of the top score, for rows that fit the question's form."""
    out: dict[int, float] = {}
    aliases = term_aliases(question.term, data.vocabulary) if question.term else []
    wants_list = question.wants_list
    own = set(terms(question.text))
    for row in rows:
        chunk = data.chunks[row]
        extra = DEFINITION_BOOST if aliases and defines(chunk, aliases) else 0.0
        if wants_list and is_enumeration(chunk.text):
            # An enumeration lists what its lead-in names: the more of the question it names, the more
            # it is the list asked for ("seven baseline requirements … include:" over "three core
            # functions:" for "List the baseline requirements").
            named = set(terms(f"{chunk.section or ''} {lead_in(chunk.text)}"))
            extra += LIST_BOOST * LIST_LEAD_IN * len(named & own) / len(own) if own else LIST_BOOST
        if extra:
            out[row] = extra
    return out


def search(
    data: IndexData,
    query_vector: np.ndarray,
    question: Question | str,
    fusion: str = "weighted",
    docs: Collection[str] | None = None,
    depth: int = DEPTH,
    encoder=None,
) -> Candidates:
    """Rank chunk rows for a question (read once); `docs` restricts the search to those documents.

    `encoder` embeds question words the corpus lacks, to find their nearest corpus words.
    """
    if isinstance(question, str):
        question = read_question(question)
    query = question.text
    n = len(data.chunks)
    qterms = tuple(terms(query))
    allowed = np.array([c.doc in docs for c in data.chunks], dtype=bool) if docs else None
    # The lexical side also searches the other form of each acronym and corrected typos.
    lex_all = data.lexical.scores(qterms + tuple(data.vocabulary.expand(query)))
    near = neighbour_terms(data, query, encoder)
    if near:
        lex_all = lex_all + NEIGHBOUR_WEIGHT * data.lexical.scores(near)
    if n <= FULL_SCAN or allowed is not None:
        d_scores, d_ids = data.dense.search(query_vector, n)
        rows = np.arange(n)
        chunk_cos = np.zeros(n, dtype=np.float32)
        chunk_cos[d_ids] = d_scores
    else:  # large index: score the union of both sides' top rows only
        d_scores, d_ids = data.dense.search(query_vector, depth * 4)
        lex_top = np.argpartition(-lex_all, depth)[:depth]
        rows = np.unique(np.concatenate([d_ids, lex_top]))
        chunk_cos = np.zeros(n, dtype=np.float32)
        chunk_cos[d_ids] = d_scores
        missing = np.setdiff1d(rows, d_ids)
        if len(missing):
            vecs = np.vstack([data.dense.vector(int(i)) for i in missing])
            chunk_cos[missing] = vecs @ query_vector
        chunk_cos = chunk_cos[rows]
    if allowed is not None:
        rows = rows[allowed[rows]]
        chunk_cos = chunk_cos[rows] if len(chunk_cos) == n else chunk_cos
    dense = sentence_aware(chunk_cos, _best_sentence(data, rows, query_vector))
    lexical = lex_all[rows]
    if fusion == "rrf":
        dense_rank = [int(rows[i]) for i in np.argsort(-dense, kind="stable")[:depth]]
        lex_rank = [
            int(rows[i]) for i in np.argsort(-lexical, kind="stable")[:depth] if lexical[i] > 0
        ]
        fused = reciprocal_rank_fusion([dense_rank, lex_rank])
    else:
        weight = {"dense": 1.0, "lexical": 0.0}.get(fusion, DENSE_WEIGHT)
        mixed = weighted_scores(dense, lexical, weight)
        top = np.argsort(-mixed, kind="stable")[: depth * 2]
        fused = {int(rows[i]): float(mixed[i]) for i in top}
    top = max(fused.values(), default=0.0)
    for row, extra in boosts(data, question, list(fused)).items():
        fused[row] += extra * top
    ranked = rank(fused)
    pos = {int(r): i for i, r in enumerate(rows)}
    return Candidates(
        ranked,
        fused,
        {r: float(dense[pos[r]]) for r in ranked},
        {r: float(lexical[pos[r]]) for r in ranked},
        qterms,
        query_vector,
        near,
    )
