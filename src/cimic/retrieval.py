"""Question -> ranked chunk rows: dense and lexical search, fused into one ranking."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from .fusion import rank, reciprocal_rank_fusion, weighted_scores
from .lexical import terms
from .store import IndexData

FUSION_METHODS = ("rrf", "weighted")
DEPTH = 50  # rows each side contributes to fusion
FULL_DENSE = 20_000  # up to this many rows, every row gets its dense score


@dataclass(frozen=True)
class Candidates:
    """Fused ranking of chunk rows with the evidence behind it."""

    rows: list[int]  # best first
    fused: dict[int, float]
    dense: dict[int, float]  # cosine of every row considered
    lexical: dict[int, float]  # BM25 of every row considered
    query_terms: tuple[str, ...]
    query_vector: np.ndarray


def search(
    data: IndexData,
    query_vector: np.ndarray,
    query: str,
    fusion: str = "rrf",
    docs: Collection[str] | None = None,
    depth: int = DEPTH,
) -> Candidates:
    """Rank chunk rows for a query; `docs` restricts the search to those documents."""
    n = len(data.chunks)
    qterms = tuple(terms(query))
    allowed = None
    if docs:
        allowed = np.array([c.doc in docs for c in data.chunks], dtype=bool)
    # Scoring every row is cheap up to tens of thousands and gives each candidate its cosine.
    k_dense = n if n <= FULL_DENSE or allowed is not None else depth * 4
    d_scores, d_ids = data.dense.search(query_vector, k_dense)
    dense = {int(i): float(s) for s, i in zip(d_scores, d_ids, strict=True)}
    lex_all = data.lexical.scores(qterms)
    if allowed is not None:
        dense = {i: s for i, s in dense.items() if allowed[i]}
        lex_all = np.where(allowed, lex_all, 0.0)
    dense_rank = sorted(dense, key=lambda i: (-dense[i], i))[:depth]
    lex_top = [int(i) for i in np.argsort(-lex_all, kind="stable")[:depth] if lex_all[i] > 0]
    pool = list(dict.fromkeys(dense_rank + lex_top))
    lexical = {i: float(lex_all[i]) for i in pool}
    if fusion == "weighted":
        mixed = weighted_scores(
            np.array([dense.get(i, 0.0) for i in pool]), np.array([lexical[i] for i in pool])
        )
        fused = {i: float(s) for i, s in zip(pool, mixed, strict=True)}
    else:
        fused = reciprocal_rank_fusion([dense_rank, lex_top])
    return Candidates(rank(fused), fused, dense, lexical, qterms, query_vector)
