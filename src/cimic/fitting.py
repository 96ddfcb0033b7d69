"""Fitting the abstention model: logistic regression with cross-validation (SciPy, scikit-learn).

Only evaluation and eval/fit_abstention.py import this; answering a question reads the fitted
numbers from abstention_model.json and needs no scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .abstention import FEATURES, AbstentionModel

MAX_FALSE_ABSTENTION = 0.03  # the operating point: abstain as much as this allows on answerable
FOLDS = 5
REPEATS = 5  # shuffles of the cross-validation
FLOOR_SHARE = 0.75  # a stated margin, not fitted: the floor sits a quarter below the weakest answer
# ... the weakest but for the lowest 1 % of answerable questions, so that one odd question (a
# four-word "Which country is SHAPE in?" at cosine 0.24) does not let far-off ones through
FLOOR_QUANTILE = 0.01
SEED = 0


def choose_threshold(p_answerable: np.ndarray, budget: float = MAX_FALSE_ABSTENTION) -> float:
    """The highest threshold that abstains on at most `budget` of the answerable questions."""
    p = np.sort(np.asarray(p_answerable, dtype=np.float64))
    allowed = int(np.floor(budget * len(p)))  # how many answerable questions may fall below
    if len(p) == 0:
        return 0.5
    if allowed >= len(p):
        return float(p[-1])
    # Any threshold up to p[allowed] abstains on at most `allowed` answerable questions.
    return float(p[allowed])


# Each feature's expected direction: evidence for an answer (+1) or against it (-1). The fit keeps
# every weight on its side (or at zero), so the model stays readable and a far-off question with
# low similarity cannot be answered because correlated features cancel out.
SIGNS = {
    "log_dense": 1,
    "agreement": 1,
    "focus": 1,
    "focus_min": 1,
    "head": 1,
    "type_missing": -1,
    "form_missing": -1,
    "subject_missing": -1,
    "predicate": 1,
    "verb_meaning": 1,
    "year_missing": -1,
    "list_missing": -1,
}
CS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def _fit_logistic(
    Z: np.ndarray, y: np.ndarray, C: float, signs: list[int]
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression with sign-constrained weights (L-BFGS-B)."""
    from scipy.optimize import minimize

    n, d = Z.shape

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        z = Z @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        ll = np.logaddexp(0, z) - y * z
        g = p - y
        value = ll.sum() + 0.5 / C * (w @ w)
        grad = np.concatenate([Z.T @ g + w / C, [g.sum()]])
        return float(value), grad

    bounds = [(0, None) if s > 0 else (None, 0) for s in signs] + [(None, None)]
    res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return res.x[:d], float(res.x[d])


def _predict(Z: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(Z @ w + b)))


def fit_abstention(
    X: np.ndarray,
    y: Sequence[int],
    fitted_on: str,
    budget: float = MAX_FALSE_ABSTENTION,
    features: tuple[str, ...] = FEATURES,
) -> AbstentionModel:
    """Fit the model on features X (rows in FEATURES order) and labels y (1 = answerable).

    The regularisation strength is chosen by stratified cross-validation (log loss); the threshold
    from the cross-validated probabilities of the answerable questions, so it is not set on the
    data the weights were fitted to.
    """
    from sklearn.model_selection import StratifiedKFold

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    labels = y.astype(int)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    signs = [SIGNS[f] for f in features]
    folds = min(FOLDS, int(min(np.bincount(labels, minlength=2))))
    if folds < 2:
        raise ValueError("need at least two answerable and two out-of-scope questions to fit")
    # Cross-validation repeated over REPEATS shuffles: the threshold is a low quantile of the
    # answerable questions' held-out probabilities, and one shuffle's few lowest ones are noisy.
    splits = [
        list(StratifiedKFold(folds, shuffle=True, random_state=SEED + r).split(Z, labels))
        for r in range(REPEATS)
    ]
    best = None
    for C in CS:
        pooled = []
        for cv in splits:
            p_cv = np.zeros(len(y))
            for train, test in cv:
                w, b = _fit_logistic(Z[train], y[train], C, signs)
                p_cv[test] = _predict(Z[test], w, b)
            pooled.append(p_cv)
        p_all = np.concatenate(pooled)
        y_all = np.tile(y, REPEATS)
        eps = 1e-9
        loss = -np.mean(y_all * np.log(p_all + eps) + (1 - y_all) * np.log(1 - p_all + eps))
        if best is None or loss < best[0]:
            best = (loss, C, p_all)
    _, C, p_all = best
    threshold = choose_threshold(p_all[np.tile(labels, REPEATS) == 1], budget)
    w, b = _fit_logistic(Z, y, C, signs)
    return AbstentionModel(
        features=tuple(features),
        mean=tuple(round(float(v), 6) for v in mean),
        scale=tuple(round(float(v), 6) for v in scale),
        coef=tuple(round(float(v), 6) for v in w),
        intercept=round(b, 6),
        threshold=round(threshold, 6),
        fitted_on=f"{fitted_on}; C={C:g} by {folds}-fold CV x {REPEATS}, weights sign-constrained; "
        f"threshold from CV probabilities at false abstention <= {budget}",
    )


def fit_outcomes(
    outcomes, fitted_on: str = "", budget: float = MAX_FALSE_ABSTENTION
) -> AbstentionModel:
    """fit_abstention over evaluation outcomes (their evidence and whether they are answerable).

    The floor is FLOOR_SHARE of the best cosine of the answerable questions in the fitting set at
    their FLOOR_QUANTILE: far below nearly anything answerable that was seen, where only questions
    from other fields lie.
    """
    X = np.vstack([o.evidence.vector() for o in outcomes])
    y = [int(o.answerable) for o in outcomes]
    model = fit_abstention(X, y, fitted_on or f"{len(outcomes)} questions", budget)
    dense = [o.evidence.dense for o in outcomes if o.answerable]
    floor = float(np.quantile(dense, FLOOR_QUANTILE)) if dense else 0.0
    return replace(model, floor=round(float(FLOOR_SHARE * floor), 6))
