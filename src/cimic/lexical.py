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

    def at(self, rows: np.ndarray) -> np.ndarray:
        """Exact scores of rows (float32)."""
        rows = np.asarray(rows, dtype=np.int64)
        return (self._lookup(rows, self.terms) + self._absent).astype(np.float32)

    def _lookup(self, rows: np.ndarray, terms: list[tuple[int, float]]) -> np.ndarray:
        """The rows' summed scores from the given terms (float64), by binary search in each
        term's row-sorted postings."""
        out = np.zeros(len(rows), dtype=np.float64)
        for i, w in terms:
            r, d = self._postings(i)
            if not len(r) or not len(rows):
                continue
            pos = np.minimum(np.searchsorted(r, rows), len(r) - 1)
            found = r[pos] == rows
            out[found] += np.asarray(d[pos[found]], dtype=np.float64) * w
        return out

    def top(self, m: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """The (at most) m rows with the highest scores above zero, among allowed rows when given,
        best first: exactly the rows a full scoring would rank first (ties aside)."""
        if not self.terms or m <= 0:
            return np.zeros(0, dtype=np.int64)
        bound = self.index.max_scores()
        ub = np.array([float(bound[i]) * w for i, w in self.terms])
        df = np.array(self.df, dtype=np.float64)
        # Terms that bound the most per posting read go first (rare, heavily weighted ones).
        order = np.argsort(-(ub / np.maximum(df, 1.0)), kind="stable").tolist()
        rest = float(ub.sum())
        acc = np.zeros(self.index.n, dtype=np.float64)  # calloc: only touched pages cost
        seen = np.zeros(self.index.n, dtype=bool)
        touched: list[np.ndarray] = []
        read, next_check, k = 0, POSTINGS_BUDGET, 0
        while True:
            # Read terms' postings up to the next check (at least one term).
            while k < len(order):
                t = order[k]
                i, w = self.terms[t]
                r, d = self._postings(i)
                acc[r] += np.asarray(d, dtype=np.float64) * w  # a term's rows are distinct
                fresh = r[~seen[r]]
                seen[fresh] = True
                touched.append(fresh)
                rest -= ub[t]
                read += len(r)
                k += 1
                if read >= next_check:
                    break
            rows = np.concatenate(touched).astype(np.int64) if touched else np.zeros(0, np.int64)
            if allowed is not None:
                rows = rows[allowed[rows]]
            part = acc[rows]
            if k == len(order):
                cand, exact = rows, part
                break
            if len(rows) >= m:
                theta = np.partition(part, len(part) - m)[len(part) - m]
                if theta >= rest:  # no row outside the candidates can reach the m-th
                    near = part + rest >= theta
                    cand = rows[near]
                    later = [self.terms[t] for t in order[k:]]
                    exact = part[near] + self._lookup(cand, later)
                    break
            next_check = read + max(POSTINGS_BUDGET, read // 2)  # geometric: O(postings) checks
        positive = exact > 0
        cand, exact = cand[positive], exact[positive]
        if len(cand) > m:
            pick = np.argpartition(-exact, m - 1)[:m]
            cand, exact = cand[pick], exact[pick]
        order_out = np.lexsort((cand, -exact))
        return cand[order_out]

    def covers(self, pool: int, allowed: np.ndarray | None = None) -> bool:
        """Whether every one of the pool's rows holds at least one of the terms.

        Usually answered without a pass over the postings: a term in every row says yes, fewer
        postings than rows say no, and so does any of a few rows spread over the pool that holds
        none of the terms; only when those all hold one are the rows counted.
        """
        if not self.terms or pool == 0:
            return False
        if allowed is None and self.df[-1] >= self.index.n:
            return True
        if sum(self.df) < pool:
            return False
        ids = np.arange(self.index.n) if allowed is None else np.flatnonzero(allowed)
        sample = ids[np.linspace(0, len(ids) - 1, num=min(64, len(ids))).astype(np.int64)]
        if not (self._lookup(sample, [(i, 1.0) for i, _ in self.terms]) > 0).all():
            return False
        seen = np.zeros(self.index.n, dtype=bool)
        for i, _ in self.terms:
            seen[self._postings(i)[0]] = True
        return bool(np.count_nonzero(seen if allowed is None else seen[allowed]) >= pool)
