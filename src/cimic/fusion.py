"""Small pure functions that merge rankings and scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RRF_K = 60


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Sum of 1/(k + rank) over the rankings each id appears in (rank starts at 1)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[int(item)] = fused.get(int(item), 0.0) + 1.0 / (k + rank)
    return fused


def min_max(scores: np.ndarray, lo: float | None = None) -> np.ndarray:
    """Scores rescaled to [0, 1] from `lo` (their minimum by default) to their maximum.

    Scores below a given `lo` become 0; all zeros when the range is empty.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    lo = scores.min() if lo is None else float(lo)
    hi = scores.max()
    if hi - lo <= 1e-12:
        return np.zeros_like(scores)
    return np.clip((scores - lo) / (hi - lo), 0.0, 1.0)


def weighted_scores(
    dense: np.ndarray,
    lexical: np.ndarray,
    weight: float = 0.5,
    floors: tuple[float | None, float | None] = (None, None),
) -> np.ndarray:
    """Convex mix of min-max-normalised dense and lexical scores over the same rows.

    `floors` (dense, lexical) replace each side's minimum as the bottom of its scale.
    """
    return weight * min_max(dense, floors[0]) + (1.0 - weight) * min_max(lexical, floors[1])


def rank(scores: dict[int, float] | np.ndarray) -> list[int]:
    """Ids ordered by descending score (ties by id for determinism)."""
    if isinstance(scores, dict):
        return [i for i, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]
    order = np.lexsort((np.arange(len(scores)), -np.asarray(scores)))
    return [int(i) for i in order]
