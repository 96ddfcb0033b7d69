"""BM25 (bm25s) over the chunk rows, with a tokenizer that folds case, spelling and word forms."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

# British -> American endings, applied before stemming so both spellings meet. Kept as text (an
# unmatched group is replaced by nothing) so the rules can be hashed into the index manifest.
_SPELLING_RULES = (
    # Noun and verb told apart by British spelling only (practice/practise, licence/license):
    # one form, as American spelling writes both.
    (r"(?<=\w{3})ctis(e|es|ed|ing)$", r"ctic\1"),
    # An agent noun spelt -er and -or (adviser/advisor): the -or form, which keeps the noun apart
    # from the verb ("advises"); -iser is otherwise the -ise verb's noun ("organiser").
    (r"^(advis|supervis)er(s)?$", r"\1or\2"),
    (r"(?<=\w{3})is(e|es|ed|ing|ation|ations|er|ers)$", r"iz\1"),
    (r"(?<=\w{2})ys(e|es|ed|ing)$", r"yz\1"),
    (r"(?<=\w{3})our(s|ed|ing|able)?$", r"or\1"),
    (r"(?<=[fc])ence$", "ense"),
    (r"(?<=[^aeiou])tre(s)?$", r"ter\1"),
    (r"(?<=\w{4})mme(s)?$", r"m\1"),
    (r"(?<=\w{3})ll(ed|ing|er)$", r"l\1"),
)
_SPELLING = [(re.compile(p), r) for p, r in _SPELLING_RULES]
# Bump when the analyzer changes in a way the hash below cannot see (e.g. code in `terms`).
ANALYZER_VERSION = 1


_QUESTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "does",
        "do",
        "did",
        "can",
        "could",
        "would",
        "should",
        "tell",
        "me",
        "please",
        "explain",
        "describe",
        "list",
        "name",
    ]
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    # Question words carry the form of a question, not its topic.
    return frozenset(STOPWORDS_EN) | _QUESTION_WORDS


@lru_cache(maxsize=1)
def analyzer_settings() -> dict:
    """What the manifest records about the tokenizer: a change means the BM25 terms are stale.

    A version, and a hash of the token pattern, spelling folds, stop words and stemmer version.
    """
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    try:
        stemmer = version("PyStemmer")
    except PackageNotFoundError:
        stemmer = "unknown"
    rules = {
        "token": _TOKEN.pattern,
        "spelling": [list(r) for r in _SPELLING_RULES],
        "stopwords": sorted(_stopwords()),
        "stemmer": f"PyStemmer {stemmer} english",
    }
    digest = hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:16]
    return {"version": ANALYZER_VERSION, "rules": digest, "stemmer": rules["stemmer"]}


def fold_spelling(word: str) -> str:
    """One spelling for British and American forms (defence/defense, organise/organize)."""
    if len(word) < 6:
        return word
    for pattern, repl in _SPELLING:
        new = pattern.sub(repl, word)
        if new != word:
            return new
    return word


def tokens(text: str) -> list[str]:
    """Word tokens of text as written (case kept: "OPLAN" is an acronym, "oplan" a word)."""
    return _TOKEN.findall(text)


def words(text: str) -> list[str]:
    """Lower-cased word tokens of text (hyphenated compounds split)."""
    return _TOKEN.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Words of text without stop words."""
    stop = _stopwords()
    return [w for w in words(text) if w not in stop and (len(w) > 1 or w.isdigit())]


@lru_cache(maxsize=65536)
def _term(word: str) -> str:
    return _stemmer().stemWord(fold_spelling(word))


def terms(text: str) -> list[str]:
    """Index terms of text: content words, spelling-folded and stemmed."""
    return [_term(w) for w in content_words(text)]


class LexicalIndex:
    """BM25 over a fixed list of texts; row i is chunk i."""

    def __init__(self, retriever, n: int):
        self._bm25 = retriever
        self.n = n
        self._vocab: dict[str, int] = retriever.vocab_dict
        self._matrix = None

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Index texts (one per chunk)."""
        import bm25s

        corpus = [terms(t) or ["\u2205"] for t in texts]
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        return cls(retriever, len(texts))

    def matrix(self):
        """The BM25 scores as a sparse rows x terms matrix (scipy CSC over bm25s's arrays, no copy)."""
        if self._matrix is None:
            from scipy.sparse import csc_matrix

            sc = self._bm25.scores
            shape = (self.n, len(sc["indptr"]) - 1)
            self._matrix = csc_matrix((sc["data"], sc["indices"], sc["indptr"]), shape=shape)
        return self._matrix

    def scores(
        self, query_terms: Sequence[str], weights: Sequence[float] | None = None
    ) -> np.ndarray:
        """BM25 score of every row: each known term's BM25 (times its weight), summed per row.

        One sparse product of the terms' columns of the BM25 matrix and their weights (about 2 ms
        over a million rows and a million postings, half a weighted bincount's time; bm25s adds
        term by term with np.add.at, ~10x slower); zeros when no term is known.
        """
        weights = [1.0] * len(query_terms) if weights is None else list(weights)
        merged: dict[int, float] = {}  # a term asked twice (question and neighbour) adds up
        for t, w in zip(query_terms, weights, strict=True):
            if t in self._vocab:
                merged[self._vocab[t]] = merged.get(self._vocab[t], 0.0) + w
        if not merged or self.n == 0:
            return np.zeros(self.n, dtype=np.float32)
        ids = np.fromiter(merged, dtype=np.int64, count=len(merged))
        w = np.fromiter(merged.values(), dtype=np.float32, count=len(merged))
        out = np.asarray(self.matrix()[:, ids] @ w, dtype=np.float32)
        absent = getattr(self._bm25, "nonoccurrence_array", None)  # BM25L / BM25+ only
        if absent is not None:
            out += np.float32(sum(float(absent[i]) * v for i, v in merged.items()))
        return out

    def ids(self, query_terms: Iterable[str]) -> np.ndarray:
        """Sorted ids of the known terms among query_terms (int32): a text's term set, compactly."""
        found = {self._vocab[t] for t in query_terms if t in self._vocab}
        return np.array(sorted(found), dtype=np.int32)

    def known(self, term: str) -> bool:
        """Whether the term occurs anywhere in the indexed texts."""
        return term in self._vocab

    def save(self, directory: Path) -> None:
        """Write the index files into directory."""
        self._bm25.save(str(directory))

    @classmethod
    def load(cls, directory: Path, n: int) -> LexicalIndex:
        """Read an index written by save."""
        import bm25s

        return cls(bm25s.BM25.load(str(directory)), n)


SAMPLE_ROWS = 20_000  # scores sampled to find a threshold for the best rows (see best_rows)


def best_rows(scores: np.ndarray, m: int) -> np.ndarray:
    """The (at most) m rows with the highest scores above zero, best first (ties: lower row).

    Without partitioning every row that holds a term (half a library for a common word: 8-12 ms
    at 10^6): a strided sample of the scores gives a threshold that a few times m rows pass, and
    only those are partitioned; when fewer than m pass, every positive row is. Exact either way.
    """
    if m <= 0 or not len(scores):
        return np.zeros(0, dtype=np.int64)
    step = len(scores) // SAMPLE_ROWS
    if step >= 2:
        sample = scores[::step]
        want = min(len(sample), 4 * (m // step + 1))  # a margin of about four times m
        tau = np.partition(sample, len(sample) - want)[len(sample) - want]
        if tau > 0:
            rows = np.flatnonzero(scores >= tau)
            if len(rows) >= m:  # the m best are all at or above tau
                return _best(rows, scores[rows], m)
    rows = np.flatnonzero(scores > 0)
    return _best(rows, scores[rows], m)


def _best(rows: np.ndarray, scores: np.ndarray, m: int) -> np.ndarray:
    """The (at most) m rows with the highest positive scores, best first (ties: lower row)."""
    positive = scores > 0
    rows, scores = rows[positive], scores[positive]
    if len(rows) > m:
        pick = np.argpartition(-scores, m - 1)[:m]
        rows, scores = rows[pick], scores[pick]
    return rows[np.lexsort((rows, -scores))]
