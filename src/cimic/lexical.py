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
        self._max: np.ndarray | None = None

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Index texts (one per chunk); each term's postings sorted by row, as queries need."""
        import bm25s
        from scipy.sparse import csc_matrix

        corpus = [terms(t) or ["\u2205"] for t in texts]
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        sc = retriever.scores
        m = csc_matrix(
            (sc["data"], sc["indices"], sc["indptr"]), shape=(len(texts), len(sc["indptr"]) - 1)
        )
        if not m.has_sorted_indices:
            m.sort_indices()
            retriever.scores = {**sc, "data": m.data, "indices": m.indices, "indptr": m.indptr}
        return cls(retriever, len(texts))

    def query(
        self, query_terms: Sequence[str], weights: Sequence[float] | None = None
    ) -> LexicalQuery:
        """A question's terms (each with its weight) over this index: top rows and exact scores."""
        weights = [1.0] * len(query_terms) if weights is None else list(weights)
        merged: dict[int, float] = {}
        for t, w in zip(query_terms, weights, strict=True):
            if t in self._vocab:
                i = self._vocab[t]
                merged[i] = merged.get(i, 0.0) + w
        return LexicalQuery(self, list(merged.items()))

    def max_scores(self) -> np.ndarray:
        """Each term's largest BM25 score over all rows (computed once, on first use)."""
        if self._max is None:
            csc = self._bm25.scores
            indptr, data = csc["indptr"], np.asarray(csc["data"], dtype=np.float32)
            out = np.zeros(len(indptr) - 1, dtype=np.float32)
            full = np.flatnonzero(np.diff(indptr) > 0)
            if len(full):
                out[full] = np.maximum.reduceat(data, indptr[full].astype(np.int64))
            self._max = out
        return self._max

    def scores(
        self, query_terms: Sequence[str], weights: Sequence[float] | None = None
    ) -> np.ndarray:
        """BM25 score of every row: each known term's BM25 (times its weight), summed per row.

        One weighted bincount over the terms' postings (bm25s adds term by term with np.add.at,
        ~10x slower on the long postings of a large library); zeros when no term is known.
        """
        return self.query(query_terms, weights).dense()

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


# A term's postings are read in full only while the question's postings so far stay under this;
# past it, rarer terms find the candidates and commoner ones are only looked up (see top).
POSTINGS_BUDGET = 50_000


class LexicalQuery:
    """One question's weighted terms over a LexicalIndex.

    `top` finds the best rows without scoring every row a common term occurs in (MaxScore:
    Turtle & Flood 1995): the rarest terms' postings give candidates, and a commoner term's best
    possible contribution bounds what any row outside them can score; when that bound cannot reach
    the m-th candidate, the candidates hold the exact top m. `at` gives exact scores of any rows by
    binary search in each term's (row-sorted) postings.
    """

    def __init__(self, index: LexicalIndex, terms: list[tuple[int, float]]):
        self.index = index
        csc = index._bm25.scores
        self._indptr, self._indices, self._data = csc["indptr"], csc["indices"], csc["data"]
        df = {i: int(self._indptr[i + 1] - self._indptr[i]) for i, _ in terms}
        self.terms = sorted(terms, key=lambda iw: df[iw[0]])  # rarest first
        self.df = [df[i] for i, _ in self.terms]
        absent = getattr(index._bm25, "nonoccurrence_array", None)  # BM25L / BM25+ only
        self._absent = 0.0 if absent is None else float(sum(float(absent[i]) * w for i, w in terms))

    def _postings(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self._indptr[i]), int(self._indptr[i + 1])
        return self._indices[a:b], self._data[a:b]

    def dense(self) -> np.ndarray:
        """Every row's score (float32, length n): one weighted bincount over all the postings."""
        n = self.index.n
        if not self.terms or n == 0:
            return np.zeros(n, dtype=np.float32)
        parts = [self._postings(i) for i, _ in self.terms]
        rows = np.concatenate([r for r, _ in parts])
        values = np.concatenate(
            [
                np.asarray(d, dtype=np.float32) * w
                for (_, d), (_, w) in zip(parts, self.terms, strict=True)
            ]
        )
        out = np.bincount(rows, weights=values, minlength=n).astype(np.float32)
        if self._absent:
            out += np.float32(self._absent)
        return out

    def at(self, rows: np.ndarray, skip: int = 0) -> np.ndarray:
        """Exact scores of rows (float32), from the terms after the first `skip` (rarest) ones."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), self._absent, dtype=np.float64)
        if not len(rows):
            return out.astype(np.float32)
        for i, w in self.terms[skip:]:
            r, d = self._postings(i)
            if not len(r):
                continue
            pos = np.searchsorted(r, rows)
            pos = np.minimum(pos, len(r) - 1)
            found = r[pos] == rows
            out[found] += np.asarray(d[pos[found]], dtype=np.float64) * w
        return out.astype(np.float32)

    def _partial(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows holding one of the k rarest terms and their scores from those terms (float64)."""
        parts = [self._postings(i) for i, _ in self.terms[:k]]
        rows = np.concatenate([r for r, _ in parts]).astype(np.int64)
        values = np.concatenate(
            [
                np.asarray(d, dtype=np.float64) * w
                for (_, d), (_, w) in zip(parts, self.terms, strict=False)
            ]
        )
        if len(rows) * 16 > self.index.n:  # many postings: a dense pass is cheaper than a sort
            full = np.bincount(rows, weights=values, minlength=self.index.n)
            hit = np.flatnonzero(full)
            return hit, full[hit]
        hit, inverse = np.unique(rows, return_inverse=True)
        return hit, np.bincount(inverse, weights=values, minlength=len(hit))

    def top(self, m: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """The (at most) m rows with the highest scores above zero, among allowed rows when given,
        best first: exactly the rows a full scoring would rank first (ties aside)."""
        if not self.terms or m <= 0:
            return np.zeros(0, dtype=np.int64)
        bound = self.index.max_scores()
        ub = [float(bound[i]) * w for i, w in self.terms]
        k, used = 1, self.df[0]
        while k < len(self.terms) and used + self.df[k] <= POSTINGS_BUDGET:
            used += self.df[k]
            k += 1
        while True:
            rows, part = self._partial(k)
            if allowed is not None:
                keep = allowed[rows]
                rows, part = rows[keep], part[keep]
            rest = sum(ub[k:])
            if k == len(self.terms):
                exact, cand = part, rows
                break
            if len(rows) >= m:
                theta = np.partition(part, len(part) - m)[len(part) - m]
                if theta >= rest:  # no row outside the candidates can reach the m-th
                    cand = rows[part + rest >= theta]
                    exact = self.at(cand, skip=k).astype(np.float64) - self._absent
                    exact += part[part + rest >= theta]
                    break
            k += 1
        positive = exact > 0
        cand, exact = cand[positive], exact[positive]
        if len(cand) > m:
            pick = np.argpartition(-exact, m - 1)[:m]
            cand, exact = cand[pick], exact[pick]
        order = np.lexsort((cand, -exact))
        return cand[order]

    def covers(self, pool: int, allowed: np.ndarray | None = None) -> bool:
        """Whether every one of the pool's rows holds at least one of the terms."""
        if not self.terms or pool == 0:
            return False
        if allowed is None and self.df[-1] >= self.index.n:
            return True
        if sum(self.df) < pool:
            return False
        full = self.dense()
        return bool(np.count_nonzero(full if allowed is None else full[allowed]) >= pool)
