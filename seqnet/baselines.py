"""Honest baselines beside every model: what simple features and scikit-learn models score on
the same split.

Each baseline is fitted on the training split, has its one hyper-parameter chosen on the
validation split, and is scored on the test split with the same metrics as the model
(:func:`seqnet.metrics.score`):

* sequences — ``gc``: GC content and length alone (logistic regression); ``kmer``: the
  k-mer spectrum (k = 1..6 for DNA / RNA, both strands merged into canonical k-mers;
  k = 1..2 for protein), as frequencies in a sparse matrix, with an L2-penalised logistic
  regression; with ``level="all"`` also ``gkmer``: gapped k-mers (6 informative
  positions in windows of 8), the features of gkm-SVM, with the same regression.
* time series, tables, images — ``logistic``: (multinomial) logistic regression on the
  flattened, standardised inputs; ``knn``: k-nearest neighbours; with ``level="all"``
  also ``forest``: a random forest.

Regression tasks use ridge regression and k-nearest-neighbour regression in the same
places.  Multi-label tasks fit one model per task; masked (NaN) labels are left out.
"""

from __future__ import annotations

import itertools
import logging
import time

import numpy as np
from scipy import sparse

from seqnet.errors import ConfigError
from seqnet.metrics import score

log = logging.getLogger("seqnet")

#: What ``--baselines`` takes.
LEVELS = ("none", "fast", "all")

#: Regularisation strengths (inverse, as scikit-learn's ``C``) tried on the validation split.
C_GRID = (0.01, 0.1, 1.0, 10.0)

#: Neighbour counts tried on the validation split.
K_GRID = (1, 5, 15, 45)


# ----------------------------------------------------------------------------- features


def gc_features(tokens: np.ndarray, lengths: np.ndarray | None, alphabet) -> np.ndarray:
    """``(N, 2)``: GC fraction of the known bases, and the real length / 1000.

    Parameters
    ----------
    tokens : numpy.ndarray, shape (N, L), uint8
    lengths : numpy.ndarray, shape (N,), or None
    alphabet : Alphabet
    """
    gc_codes = [i for i, letter in enumerate(alphabet.letters) if letter in "GC"]
    known = (tokens < alphabet.size).sum(axis=1)
    gc = np.isin(tokens, gc_codes).sum(axis=1) / np.maximum(known, 1)
    length = known if lengths is None else lengths
    return np.stack([gc, np.asarray(length, dtype=np.float64) / 1000.0], axis=1)


def _kmer_codes(tokens: np.ndarray, k: int, size: int, positions: tuple[int, ...] | None = None) -> np.ndarray:
    """``(N, L')`` int64 codes of the (gapped) k-mer starting at each position; -1 where it
    holds an unknown letter or runs off the end."""
    positions = tuple(range(k)) if positions is None else positions
    span = positions[-1] + 1
    n, length = tokens.shape
    if length < span:
        return np.full((n, 0), -1, dtype=np.int64)
    codes = np.zeros((n, length - span + 1), dtype=np.int64)
    bad = np.zeros(codes.shape, dtype=bool)
    for p in positions:
        window = tokens[:, p : p + codes.shape[1]].astype(np.int64)
        bad |= window >= size
        codes = codes * size + np.minimum(window, size - 1)
    codes[bad] = -1
    return codes


def _revcomp_codes(k: int, alphabet) -> np.ndarray:
    """Code of the reverse complement of every k-mer code (complementable alphabets)."""
    comp = alphabet.complement_tokens()[: alphabet.size].astype(np.int64)
    size = alphabet.size
    codes = np.arange(size ** k)
    digits = np.stack([(codes // size ** (k - 1 - i)) % size for i in range(k)], axis=1)
    rc = comp[digits[:, ::-1]]
    return (rc * size ** np.arange(k - 1, -1, -1)).sum(axis=1)


def _count_matrix(codes: np.ndarray, n_codes: int, merge: np.ndarray | None) -> sparse.csr_matrix:
    """Sparse ``(N, n_codes)`` k-mer frequencies (rows sum to 1); ``merge`` maps a code to
    its canonical one (both strands counted as one)."""
    rows = np.repeat(np.arange(codes.shape[0]), codes.shape[1])
    flat = codes.ravel()
    keep = flat >= 0
    rows, flat = rows[keep], flat[keep]
    if merge is not None:
        flat = merge[flat]
    m = sparse.csr_matrix((np.ones(len(flat)), (rows, flat)), shape=(codes.shape[0], n_codes))
    totals = np.asarray(m.sum(axis=1)).ravel()
    return sparse.diags(1.0 / np.maximum(totals, 1)) @ m


def kmer_features(tokens: np.ndarray, alphabet, *, gapped: bool = False) -> sparse.csr_matrix:
    """Sparse k-mer spectrum of every sequence, canonical k-mers for DNA / RNA.

    Parameters
    ----------
    tokens : numpy.ndarray, shape (N, L), uint8
    alphabet : Alphabet
    gapped : bool
        Gapped 6-mers in windows of 8 (28 gap patterns) instead of contiguous k-mers
        k = 1..6 (1..2 for protein). Default is False.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (N, F)
    """
    size = alphabet.size
    if gapped:
        patterns = [(6, c) for c in itertools.combinations(range(8), 6)] if size == 4 else [(2, (0, 2))]
    else:
        patterns = [(k, None) for k in range(1, (6 if size == 4 else 2) + 1)]
    blocks = []
    for k, positions in patterns:
        merge = None
        if alphabet.has_complement and (positions is None or positions == tuple(range(k))):
            merge = np.minimum(np.arange(size ** k), _revcomp_codes(k, alphabet))
        blocks.append(_count_matrix(_kmer_codes(tokens, k, size, positions), size ** k, merge))
    return sparse.hstack(blocks, format="csr")


# ----------------------------------------------------------------------------- models


def _observed(y: np.ndarray) -> np.ndarray:
    """Rows whose label is known (masked multi-label cells are NaN)."""
    return ~np.isnan(y) if y.dtype.kind == "f" else np.ones(len(y), dtype=bool)


def _classifier(name: str, param):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    if name == "knn":
        return KNeighborsClassifier(n_neighbors=param)
    if name == "forest":
        return RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=1)
    return LogisticRegression(C=param, max_iter=2000)


def _regressor(name: str, param):
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor

    if name == "knn":
        return KNeighborsRegressor(n_neighbors=param)
    if name == "forest":
        return RandomForestRegressor(n_estimators=200, random_state=0, n_jobs=1)
    return Ridge(alpha=1.0 / param)


def _fit_predict(model_name: str, param, task_type: str, x_train, y_train, x_eval) -> np.ndarray:
    """Predictions ``(N_eval, T)`` (probabilities, or values for regression)."""
    if task_type == "regression":
        return np.stack([_regressor(model_name, param).fit(x_train, y_train[:, t]).predict(x_eval)
                         for t in range(y_train.shape[1])], axis=1)
    if task_type == "multiclass":
        prob = np.zeros((x_eval.shape[0], int(y_train.max()) + 1 if len(y_train) else 0))
        if len(np.unique(y_train)) < 2:  # one class only: predict it
            prob[:, int(y_train[0])] = 1.0
            return prob
        model = _classifier(model_name, param).fit(x_train, y_train)
        prob[:, model.classes_] = model.predict_proba(x_eval)
        return prob
    out = np.full((x_eval.shape[0], y_train.shape[1]), 0.5)
    for t in range(y_train.shape[1]):
        seen = _observed(y_train[:, t])
        labels = y_train[seen, t]
        if len(np.unique(labels)) < 2:  # one class only: nothing to learn
            out[:, t] = labels[0] if len(labels) else 0.5
            continue
        out[:, t] = _classifier(model_name, param).fit(x_train[seen], labels).predict_proba(x_eval)[:, 1]
    return out


def _pad_classes(prob: np.ndarray, n_classes: int) -> np.ndarray:
    if prob.shape[1] >= n_classes:
        return prob
    return np.hstack([prob, np.zeros((prob.shape[0], n_classes - prob.shape[1]))])


def _headline(metrics: dict) -> float:
    """What the validation split maximises: mean AUROC, or mean Pearson for regression."""
    key = "pearson" if "pearson" in metrics else "auroc"
    v = metrics[key]["mean"]
    return -np.inf if v is None else v


def fit_and_score(model_name: str, grid, x: dict, parts: dict) -> dict:
    """Fit ``model_name`` on the training split for every value of ``grid``, keep the one
    the validation split scores best, and return its test metrics (plus ``param``)."""
    train, valid, test = parts["train"], parts["valid"], parts["test"]
    task_type, names = train.task_type, train.names
    n_classes = len(names)
    best, best_param = -np.inf, grid[0]
    if len(grid) > 1 and len(valid):
        for param in grid:
            prob = _fit_predict(model_name, param, task_type, x["train"], train.y, x["valid"])
            if task_type == "multiclass":
                prob = _pad_classes(prob, n_classes)
            got = _headline(score(valid.y, prob, task_type, names, split="valid"))
            if got > best:
                best, best_param = got, param
    prob = _fit_predict(model_name, best_param, task_type, x["train"], train.y, x["test"])
    if task_type == "multiclass":
        prob = _pad_classes(prob, n_classes)
    metrics = score(test.y, prob, task_type, names, split="test")
    metrics.pop("split"), metrics.pop("n")
    return {**metrics, "param": best_param}


# ----------------------------------------------------------------------------- per kind


def sequence_baselines(parts: dict, level: str) -> dict:
    """``gc`` and ``kmer`` (and ``gkmer`` with ``level="all"``) on a split SequenceSet."""
    alphabet = parts["train"].alphabet
    plans = {
        "gc": (lambda d: gc_features(d.tokens, d.lengths, alphabet), C_GRID[2:3]),
        "kmer": (lambda d: kmer_features(d.tokens, alphabet), C_GRID),
    }
    if level == "all":
        plans["gkmer"] = (lambda d: kmer_features(d.tokens, alphabet, gapped=True), C_GRID)
    out = {}
    for name, (features, grid) in plans.items():
        x = {k: features(d) for k, d in parts.items()}
        out[name] = fit_and_score("logistic", grid, x, parts)
    return out


def array_baselines(parts: dict, level: str) -> dict:
    """``logistic`` and ``knn`` (and ``forest`` with ``level="all"``) on a split ArraySet."""
    x = {k: np.nan_to_num(d.x.reshape(len(d), -1).astype(np.float64)) for k, d in parts.items()}
    n_train = len(parts["train"])
    neighbours = tuple(k for k in K_GRID if k <= n_train) or (n_train,)  # no more neighbours than records
    out = {"logistic": fit_and_score("logistic", C_GRID, x, parts),
           "knn": fit_and_score("knn", neighbours, x, parts)}
    if level == "all":
        out["forest"] = fit_and_score("forest", (None,), x, parts)
    return out


def baselines(parts: dict, level: str = "fast") -> dict:
    """The baselines of a split data set (see the module docstring).

    Parameters
    ----------
    parts : dict
        ``{"train", "valid", "test"}`` -> SequenceSet or ArraySet (arrays preprocessed as
        for the model).
    level : str
        ``"none"``, ``"fast"`` or ``"all"``. Default is ``"fast"``.

    Returns
    -------
    dict
        Baseline name -> its test metrics (as :func:`seqnet.metrics.score` gives them,
        without ``split`` / ``n``) and the chosen ``param``; empty with ``level="none"``,
        or without a test split, or when the training split has fewer than 2 records.
    """
    if level not in LEVELS:
        raise ConfigError(f"baselines must be one of {', '.join(LEVELS)}, got {level!r}")
    if level == "none" or len(parts["test"]) == 0 or len(parts["train"]) < 2:
        return {}
    t0 = time.perf_counter()
    if parts["train"].kind == "sequence":
        out = sequence_baselines(parts, level)
    else:
        out = array_baselines(parts, level)
    log.info("baselines (%s) fitted in %.1f s", ", ".join(out), time.perf_counter() - t0)
    return out
