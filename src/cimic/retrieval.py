"""Question -> ranked chunk rows: dense and lexical search, fused into one ranking."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import answer_types as at
from .fusion import rank, reciprocal_rank_fusion, weighted_scores
from .lexical import _term, best_rows, content_words, terms, tokens, words
from .questions import Question, is_enumeration, lead_in, read_question
from .store import IndexData
from .types import Chunk
from .vocabulary import Vocabulary, is_acronym

FUSION_METHODS = ("weighted", "rrf", "dense", "lexical")  # the last two: one side alone, to measure
DEPTH = 50  # rows each side contributes to fusion
DENSE_SHARE = 4  # candidates: DEPTH * DENSE_SHARE rows from the dense side
LEXICAL_SHARE = 4  # ... and DEPTH * LEXICAL_SHARE from the lexical side
FILTER_EXACT = 20_000  # a document filter with up to this many rows scores all of them exactly
# Chosen on the tuning half of eval/questions.jsonl (eval/README.md), confirmed on the held-out half.
DENSE_WEIGHT = 0.7  # weighted fusion: share of the (min-max normalised) dense score
SENTENCE_MIX = 0.75  # dense score: share given to the best-matching sentence of the chunk
NEIGHBOURS = 5  # lexical side: per question word, this many nearest corpus words are also searched
NEIGHBOUR_COSINE = 0.5  # ... when their word vectors are at least this close
NEIGHBOUR_MEMO = 100_000  # corpus words whose neighbours a loaded index remembers (a few MB)
NEIGHBOUR_WEIGHT = 0.5  # ... with this share of a question word's BM25 weight
MAX_EMBEDDED_WORDS = 3  # unknown question words embedded per question, besides its verb and head
_BLOCK = 8_192  # sentence vectors compared per block (float16 on disk, float32 here: 12 MB)
DEFINITION_BOOST = 0.3  # "What is X?": the entry defining X, as a share of the top fused score
LIST_BOOST = 0.1  # "What are the seven …?": passages that enumerate
LIST_LEAD_IN = 3.0  # ... scaled by the share of the question's terms their lead-in names
DOCUMENT_BOOST = 0.2  # "Which manual …?": passages that name a publication (answer_types.DOCUMENT)
_QUALIFIED = re.compile(
    r"\s+(?:in|within|according to|for|under|inside)\s+(?:the\s+)?(?:NATO|Alliance)\b.*$"
)
_DEFINES = re.compile(
    r"\b(is|are|refers? to|means?|defined as|describes?|encompass(es)?|involves?|includes?)\b"
)


@dataclass(frozen=True)
class QuestionWords:
    """Vectors of a question's words: the index's for corpus words, and for the few it lacks the
    ones embedded with the question itself (one encoder run, see words_to_embed)."""

    data: IndexData
    embedded: dict[str, np.ndarray]

    def get(self, word: str) -> np.ndarray | None:
        """The word's vector, None when neither the corpus nor the question's run has it."""
        row = self.data.word_index.get(word)
        if row is not None and self.data.word_vectors is not None:
            return self.data.word_vectors.vector(row)
        return self.embedded.get(word)


def words_to_embed(data: IndexData, question: Question) -> list[str]:
    """The question's words the corpus lacks that are worth a vector: the longest few content
    words (to find their corpus neighbours), and its verb, head noun and counted words (which the
    abstention evidence compares with the passages' words)."""
    if data.word_vectors is None or not data.word_vectors.size:
        return []
    qwords = [w for w in dict.fromkeys(content_words(question.text)) if len(w) > 2 and w.isalpha()]
    unknown = sorted((w for w in qwords if w not in data.word_index), key=lambda w: -len(w))
    asked = [question.verb, question.head, *question.counted]
    extra = [w for w in asked if w and w not in data.word_index]
    return list(dict.fromkeys(unknown[:MAX_EMBEDDED_WORDS] + extra))


def embed_question_words(data: IndexData, question: Question, encoder) -> QuestionWords:
    """QuestionWords with the words the corpus lacks embedded in one run of their own."""
    todo = words_to_embed(data, question) if encoder is not None else []
    vectors = np.asarray(encoder.embed_queries(todo), np.float32) if todo else []
    return QuestionWords(data, dict(zip(todo, vectors, strict=True)))


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
    words: QuestionWords | None = None  # the question's word vectors, for the abstention evidence
    expansion: tuple[str, ...] | None = None  # Vocabulary.expand of the question, read once


def sentence_aware(
    chunk_cos: np.ndarray, best_sentence: np.ndarray, mix: float = SENTENCE_MIX
) -> np.ndarray:
    """Blend a chunk's cosine with its best sentence's, so one precise sentence can lift a long chunk."""
    return (1.0 - mix) * chunk_cos + mix * np.maximum(chunk_cos, best_sentence)


def _best_sentence(data: IndexData, rows: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
    """Each row's best sentence cosine (-1 for a row without sentences).

    The rows' sentences are gathered in one read of the (memory-mapped, float16) sentence
    vectors, scored in one product, and each row takes the maximum of its run.
    """
    out = np.full(len(rows), -1.0, dtype=np.float32)
    if not len(rows) or not len(data.sentence_vectors):
        return out
    rows = np.asarray(rows, dtype=np.int64)
    lo, hi = data.sentence_rows[rows], data.sentence_rows[rows + 1]
    count = hi - lo
    has = count > 0
    if not has.any():
        return out
    first = np.cumsum(count) - count  # where each row's run starts in the gathered block
    ids = np.repeat(lo - first, count) + np.arange(int(count.sum()))
    q = np.asarray(query_vector, dtype=np.float32)
    every = len(ids) == len(data.sentence_vectors)  # an exhaustive scan reads the array in order
    scores = np.empty(len(ids), dtype=np.float32)
    for a in range(0, len(ids), _BLOCK):  # float32 copies of at most _BLOCK rows at a time
        part = slice(a, a + _BLOCK) if every else ids[a : a + _BLOCK]
        scores[a : a + _BLOCK] = data.sentence_vectors.dot(part, q)
    out[has] = np.maximum.reduceat(scores, first[has])
    return out


def neighbour_terms(data: IndexData, query: str, words: QuestionWords) -> tuple[str, ...]:
    """Index terms of the corpus words nearest each question word ("civilians" -> "civil").

    Nearness is the cosine of word vectors computed at index time, searched in the index's word
    index (exact, or IVF for a large vocabulary: a question's cost does not grow with it); the
    question words the corpus lacks were embedded with the question (the longest few), so a
    paraphrase that shares no word with its answer still meets the answer's words on the lexical
    side.
    """
    if data.word_vectors is None or not data.word_vectors.size or NEIGHBOURS <= 0:
        return ()
    qwords = [w for w in dict.fromkeys(content_words(query)) if len(w) > 2 and w.isalpha()]
    memo = data.neighbour_memo
    # (one get per word: another question may start the memory afresh meanwhile)
    near: dict[str, tuple[str, ...]] = {w: v for w in qwords if (v := memo.get(w)) is not None}
    vectors = {w: v for w in qwords if w not in near and (v := words.get(w)) is not None}
    rows = list(vectors)
    if rows:
        sims, ids = data.word_vectors.search_many(np.vstack(list(vectors.values())), NEIGHBOURS + 1)
        if len(memo) >= NEIGHBOUR_MEMO:  # bounded: a long-running process starts it afresh
            memo.clear()
        for j, w in enumerate(rows):
            found = tuple(
                word
                for i, cos in zip(ids[j].tolist(), sims[j].tolist(), strict=True)
                if (word := data.vocabulary.vector_words[i] if i >= 0 else w) != w
                and cos >= NEIGHBOUR_COSINE
            )
            near[w] = found
            if w in data.word_index:  # a corpus word's vector is the index's own: always the same
                memo[w] = found
    own = set(terms(query))
    out = [_term(word) for w in qwords if w in near for word in near[w]]
    return tuple(t for t in dict.fromkeys(out) if t not in own)


_TITLE = re.compile(r"(?:[A-Z][\w’'-]*\s+){1,5}[A-Z][\w’'-]*(?=\s+[a-z(])")


def term_head(term: str) -> str:
    """The term before a qualifier naming the Alliance ("exercise in NATO terms" -> "exercise")."""
    return _QUALIFIED.split(term, maxsplit=1)[0]


def term_aliases(term: str, vocabulary: Vocabulary) -> list[tuple[str, ...]]:
    """Index-term forms of a term: itself, its parts "X (Y)", and its acronym pair."""
    forms = [term, *re.findall(r"\(([^)]+)\)", term), re.sub(r"\s*\([^)]*\)", "", term)]
    # A misspelt term ("basline requirments") is also read with each unknown word corrected
    # ("defintion of gender perspectiv" -> "gender perspective").
    fixed = " ".join(
        w.lower() if is_acronym(w) else vocabulary.correct(w.lower()) or w.lower()
        for w in tokens(term)
    )
    fixed = re.sub(r"^(?:the\s+)?(?:definition|meaning)\s+of\s+(?:the\s+|an?\s+)?", "", fixed)
    if fixed != " ".join(words(term)):
        forms.append(fixed)
    head = term_head(term)
    if head != term and head.strip():
        forms.append(head)
    out: list[tuple[str, ...]] = []
    for form in forms:
        out.append(tuple(terms(form)))
        out.append(vocabulary.swapped(form))  # the other form of an acronym pair, in place
    return [a for a in dict.fromkeys(out) if a]


def defines(chunk: Chunk, aliases: list[tuple[str, ...]]) -> bool:
    """Whether the chunk is the definition of a term: its glossary entry, or opens with it."""
    return _defines(chunk.text, chunk.section, chunk.kind, aliases)


def _defines(text: str, section: str | None, kind: str, aliases: list[tuple[str, ...]]) -> bool:
    title, says, head = _opening(text)
    if kind == "glossary":
        heading = _heading_terms(section or "")
        if any(len(set(a) ^ heading) <= 1 for a in aliases):
            return True
        # An entry without a label line opens with its term in capitals ("Gender Equality
        # supports …"): two or more capitalised words, then the entry's own words.
        if title and title in aliases:
            return True
    return says and any(head[: len(a)] == a for a in aliases)


@lru_cache(maxsize=8_192)
def _opening(text: str) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
    """What a passage's opening says, read once per passage text: the terms of a capitalised title
    it opens with, whether its first sentence defines, and the terms of that sentence's start."""
    body = text.lstrip('“"- ')
    title = _TITLE.match(body)
    first = re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0]
    head = tuple(terms(" ".join(first.split()[:12])))
    return (tuple(terms(title.group(0))) if title else ()), bool(_DEFINES.search(first)), head


@lru_cache(maxsize=8_192)
def _heading_terms(section: str) -> frozenset[str]:
    return frozenset(terms(section))


@lru_cache(maxsize=8_192)
def _enumerates(text: str, section: str) -> frozenset[str] | None:
    """The terms an enumerating passage's heading and lead-in name; None when it enumerates nothing."""
    if not is_enumeration(text):
        return None
    return frozenset(terms(f"{section} {lead_in(text)}"))


def boosts(data: IndexData, question: Question, rows: list[int]) -> dict[int, float]:
    """Extra weight, as a share of the top score, for rows that fit the question's form.

    Reads each row's text, section and kind from the chunk table without making Chunks.
    """
    out: dict[int, float] = {}
    aliases = term_aliases(question.term, data.vocabulary) if question.term else []
    wants_list = question.wants_list
    doc_boost = DOCUMENT_BOOST if at.DOCUMENT in question.types else 0.0
    if not aliases and not wants_list and not doc_boost:
        return out
    own = set(terms(question.text))
    table = data.chunks
    for row in rows:
        text = table.text(row)
        section = table.string(row, "section")
        kind = table.string(row, "kind") or "paragraph"
        extra = DEFINITION_BOOST if aliases and _defines(text, section, kind, aliases) else 0.0
        if doc_boost and at.instances(at.DOCUMENT, text):
            extra += doc_boost
        named = _enumerates(text, section or "") if wants_list else None
        if named is not None:
            # An enumeration lists what its lead-in names: the more of the question it names, the more
            # it is the list asked for ("seven baseline requirements … include:" over "three core
            # functions:" for "List the baseline requirements").
            extra += LIST_BOOST * LIST_LEAD_IN * len(named & own) / len(own) if own else LIST_BOOST
        if extra:
            out[row] = extra
    return out


def _dense_candidates(
    data: IndexData, query_vector: np.ndarray, allowed: np.ndarray | None, count: int
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """The top `count` rows by chunk cosine (within the allowed rows), and the least cosine of all
    of them (the dense scale's floor): (scores, rows, least)."""
    if allowed is None:
        return data.dense.nearest_and_least(query_vector, count)
    ids = np.flatnonzero(allowed)
    if not len(ids):
        return np.zeros(0, np.float32), np.zeros(0, np.int64), None
    if len(ids) <= FILTER_EXACT:  # a few documents: every one of their rows, exactly
        cos = data.dense.rows(ids) @ query_vector
        top = np.argsort(-cos, kind="stable")[:count]
        return cos[top].astype(np.float32), ids[top], float(cos.min())
    scores, found = data.dense.search_within(query_vector, count, ids)
    farthest = data.dense.search_within(-query_vector, 1, ids)[0]
    return scores, found, (-float(farthest[0]) if len(farthest) else None)


def search(
    data: IndexData,
    query_vector: np.ndarray,
    question: Question | str,
    fusion: str = "weighted",
    docs: Collection[str] | None = None,
    depth: int = DEPTH,
    encoder=None,
    exhaustive: bool = False,
    words: QuestionWords | None = None,
) -> Candidates:
    """Rank chunk rows for a question (read once); `docs` restricts the search to those documents.

    Only candidates are scored in full: the DEPTH * DENSE_SHARE rows nearest by chunk vector and
    the DEPTH * LEXICAL_SHARE best BM25 rows (every row of a small index). `exhaustive` scores
    every row instead, the reference that bench/bench_library.py measures the candidates against.
    `words` are the question's word vectors (embedded with it, see Assistant.retrieve); without
    them, `encoder` embeds the words the corpus lacks in a run of their own.
    """
    if isinstance(question, str):
        question = read_question(question)
    query = question.text
    n = len(data.chunks)
    qterms = tuple(terms(query))
    allowed = data.chunks.doc_mask(docs) if docs else None
    # The lexical side also searches the other form of each acronym and corrected typos.
    if words is None:
        words = embed_question_words(data, question, encoder)
    near = neighbour_terms(data, query, words)
    expansion = tuple(data.vocabulary.expand(query))
    asked = qterms + expansion
    lex_all = data.lexical.scores(asked + near, [1.0] * len(asked) + [NEIGHBOUR_WEIGHT] * len(near))
    if allowed is not None:
        lex_all = np.where(allowed, lex_all, 0.0)
    if exhaustive:
        rows = np.arange(n) if allowed is None else np.flatnonzero(allowed)
        chunk_cos = data.dense.rows(rows) @ query_vector if len(rows) else np.zeros(0, np.float32)
        least = float(chunk_cos.min()) if len(chunk_cos) else None
    else:
        d_scores, d_ids, least = _dense_candidates(data, query_vector, allowed, depth * DENSE_SHARE)
        # The best BM25 rows, without partitioning every row a common term occurs in.
        lex_top = best_rows(lex_all, depth * LEXICAL_SHARE)
        rows = np.union1d(d_ids, lex_top).astype(np.int64)
        chunk_cos = np.empty(len(rows), dtype=np.float32)
        at = np.searchsorted(rows, d_ids)  # d_ids are all in rows
        chunk_cos[at] = d_scores
        missing = np.ones(len(rows), dtype=bool)
        missing[at] = False
        if missing.any():  # BM25 candidates the dense side did not bring: their cosines
            chunk_cos[missing] = data.dense.rows(rows[missing]) @ query_vector
    dense = sentence_aware(chunk_cos, _best_sentence(data, rows, query_vector))
    lexical = lex_all[rows]
    # Each side's scale starts at its least score over every row, the same whether every row or
    # only candidates are scored: for BM25 the least of all rows' scores; for the dense side the
    # least chunk cosine, found in the same pass as the nearest rows (exact, below ANN_THRESHOLD
    # rows) or by searching for the question's opposite (IVF probes the lists where the least lies).
    pool = n if allowed is None else int(allowed.sum())
    if exhaustive or np.count_nonzero(lex_all) >= pool:  # every row holds a question term
        lex_pool = lex_all if allowed is None else lex_all[allowed]
        lex_floor = float(lex_pool.min()) if len(lex_pool) else None
    else:
        lex_floor = 0.0  # some row holds none: BM25 scores are never negative
    floors = (least, lex_floor)
    if fusion == "rrf":
        dense_rank = [int(rows[i]) for i in np.argsort(-dense, kind="stable")[:depth]]
        lex_rank = [
            int(rows[i]) for i in np.argsort(-lexical, kind="stable")[:depth] if lexical[i] > 0
        ]
        fused = reciprocal_rank_fusion([dense_rank, lex_rank])
    else:
        weight = {"dense": 1.0, "lexical": 0.0}.get(fusion, DENSE_WEIGHT)
        mixed = weighted_scores(dense, lexical, weight, floors)
        top = np.argsort(-mixed, kind="stable")[: depth * 2]
        fused = {int(rows[i]): float(mixed[i]) for i in top}
    top = max(fused.values(), default=0.0)
    for row, extra in boosts(data, question, list(fused)).items():
        fused[row] += extra * top
    ranked = rank(fused)
    pos = {int(r): i for i, r in enumerate(rows.tolist())}
    return Candidates(
        ranked,
        fused,
        {r: float(dense[pos[r]]) for r in ranked},
        {r: float(lexical[pos[r]]) for r in ranked},
        qterms,
        query_vector,
        near,
        words,
        expansion,
    )
