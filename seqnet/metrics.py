"""Classification and regression metrics (scikit-learn, SciPy), shaped for ``metrics.json``.

A metric that is undefined on the data (e.g. AUROC of a task whose labels are all 0)
is reported as ``None`` (JSON ``null``), never as a made-up number.

Shapes: classification ``{"split", "n", "auroc": {task: v, "mean": m}, "auprc": {...}}``
plus top-level ``"accuracy"`` and ``"macro_f1"`` for multi-class; regression
``{"split", "n", "pearson": {task: v, "mean": m}, "spearman": {...}, "mse": {...}}``.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score


def _safe(fn, y_true: np.ndarray, y_score: np.ndarray) -> float | None:
    if len(np.unique(y_true)) < 2:
        return None
    return float(fn(y_true, y_score))


def _with_mean(per_task: dict[str, float | None]) -> dict[str, float | None]:
    vals = [v for v in per_task.values() if v is not None]
    out = dict(per_task)
    out["mean"] = float(np.mean(vals)) if vals else None
    return out


def classification_metrics(
    y_true: np.ndarray,
    prob: np.ndarray,
    task_type: str,
    names: list[str],
    split: str = "test",
) -> dict:
    """Compute AUROC / AUPRC (and accuracy, macro-F1 for multi-class).

    Parameters
    ----------
    y_true : numpy.ndarray, shape (N, T) or (N,)
        0/1 targets ``(N, T)`` for binary / multi-label tasks (NaN: a masked missing
        label, left out of its task's metrics), class indices ``(N,)`` for multi-class.
    prob : numpy.ndarray, shape (N, T) or (N, K)
        Predicted probabilities (sigmoid per task, or softmax over ``K`` classes).
    task_type : str
        ``"binary"``, ``"multilabel"`` or ``"multiclass"``.
    names : list of str
        Task names (binary / multi-label) or class names (multi-class).
    split : str
        Name of the split the metrics describe. Default is ``"test"``.

    Returns
    -------
    dict
        ``{"split", "n", "auroc": {name: v, "mean": m}, "auprc": {...}}``, plus
        ``"accuracy"`` and ``"macro_f1"`` (unweighted mean of the per-class F1 over all
        ``names``) for multi-class; one-vs-rest per class for multi-class AUROC/AUPRC.
    """
    y_true = np.asarray(y_true)
    prob = np.asarray(prob, dtype=np.float64)
    if task_type == "multiclass":
        onehot = np.zeros((len(y_true), len(names)), dtype=np.int64)
        onehot[np.arange(len(y_true)), y_true.astype(np.int64)] = 1
        prob = prob.reshape(len(y_true), len(names))
        targets = onehot
    else:
        targets = y_true.reshape(len(y_true), len(names))
        prob = prob.reshape(len(y_true), len(names))
    # Masked (NaN) targets of a multi-label table count for nothing in their task.
    seen = [~np.isnan(targets[:, i]) if targets.dtype.kind == "f" else slice(None) for i in range(len(names))]
    auroc = {n: _safe(roc_auc_score, targets[seen[i], i], prob[seen[i], i]) for i, n in enumerate(names)}
    auprc = {n: _safe(average_precision_score, targets[seen[i], i], prob[seen[i], i]) for i, n in enumerate(names)}
    out: dict = {"split": split, "n": int(len(y_true)), "auroc": _with_mean(auroc), "auprc": _with_mean(auprc)}
    if task_type == "multiclass":
        pred = prob.argmax(axis=1)
        out["accuracy"] = float(accuracy_score(y_true, pred)) if len(y_true) else None
        # Macro-F1 over every class of the model, so a class absent from the split counts as 0.
        out["macro_f1"] = (
            float(f1_score(y_true, pred, labels=np.arange(len(names)), average="macro", zero_division=0))
            if len(y_true) else None
        )
    return out


def _correlation(kind: str, a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson or Spearman correlation; None when undefined (fewer than 2 values, or a constant)."""
    from scipy import stats

    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    r = stats.pearsonr(a, b)[0] if kind == "pearson" else stats.spearmanr(a, b)[0]
    return None if not np.isfinite(r) else float(r)


def regression_metrics(y_true: np.ndarray, pred: np.ndarray, names: list[str], split: str = "test") -> dict:
    """Pearson and Spearman correlation and mean squared error per target, with their means.

    Parameters
    ----------
    y_true : numpy.ndarray, shape (N, T)
        Targets.
    pred : numpy.ndarray, shape (N, T)
        Predictions.
    names : list of str
        Target names.
    split : str
        Name of the split. Default is ``"test"``.

    Returns
    -------
    dict
        ``{"split", "n", "pearson": {name: r, "mean": m}, "spearman": {...}, "mse": {...}}``.
    """
    y = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), len(names))
    p = np.asarray(pred, dtype=np.float64).reshape(len(y), len(names))
    out: dict = {"split": split, "n": int(len(y))}
    for kind in ("pearson", "spearman"):
        out[kind] = _with_mean({n: _correlation(kind, y[:, i], p[:, i]) for i, n in enumerate(names)})
    out["mse"] = _with_mean({n: (float(np.mean((y[:, i] - p[:, i]) ** 2)) if len(y) else None)
                             for i, n in enumerate(names)})
    return out


def score(y_true: np.ndarray, out: np.ndarray, task_type: str, names: list[str], split: str = "test") -> dict:
    """:func:`regression_metrics` for ``task_type == "regression"``, else :func:`classification_metrics`."""
    if task_type == "regression":
        return regression_metrics(y_true, out, names, split=split)
    return classification_metrics(y_true, out, task_type, names, split=split)


def headline(metrics: dict) -> float:
    """The single number early stopping maximises: mean AUROC (NaN when undefined)."""
    v = metrics["auroc"]["mean"]
    return math.nan if v is None else float(v)


def format_table(metrics: dict) -> str:
    """Render metrics as a small aligned text table (one row per task, then the mean), then
    the baselines' means and the confound checks when ``metrics`` has them."""
    table = _format_regression(metrics) if "pearson" in metrics else _format_classification(metrics)
    return "\n".join([table, *_baseline_lines(metrics), *_check_lines(metrics)])


def _baseline_lines(metrics: dict) -> list[str]:
    """One line per baseline: its mean headline metric next to the model's."""
    key, label = ("pearson", "Pearson") if "pearson" in metrics else ("auroc", "AUROC")
    model = metrics[key]["mean"]
    fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
    lines = []
    for name, b in (metrics.get("baselines") or {}).items():
        v = b[key]["mean"]
        gain = "" if v is None or model is None else f"  (model {model - v:+.4f})"
        lines.append(f"baseline {name}: mean {label} {fmt(v)}{gain}")
    return lines


def _check_lines(metrics: dict) -> list[str]:
    checks = metrics.get("checks") or {}
    words = {"gc_auroc": "GC content alone separates the test classes at AUROC",
             "shuffle_auroc": "positives vs their own dinucleotide shuffles: model AUROC"}
    return [f"check: {words.get(k, k)} {v:.4f}" for k, v in checks.items()]


def _format_classification(metrics: dict) -> str:
    names = [k for k in metrics["auroc"] if k != "mean"] + ["mean"]
    width = max(len("task"), *(len(n) for n in names))
    fmt = lambda v: "   n/a" if v is None else f"{v:6.4f}"  # noqa: E731
    lines = [f"{'task':<{width}}  {'AUROC':>6}  {'AUPRC':>6}"]
    for n in names:
        lines.append(f"{n:<{width}}  {fmt(metrics['auroc'].get(n))}  {fmt(metrics['auprc'].get(n))}")
    footer = f"split: {metrics['split']}, n = {metrics['n']}"
    if "accuracy" in metrics:
        acc = metrics["accuracy"]
        footer += ", accuracy = " + ("n/a" if acc is None else f"{acc:.4f}")
    if "macro_f1" in metrics:
        f1 = metrics["macro_f1"]
        footer += ", macro-F1 = " + ("n/a" if f1 is None else f"{f1:.4f}")
    lines.append(footer)
    return "\n".join(lines)


def _format_regression(metrics: dict) -> str:
    names = [k for k in metrics["pearson"] if k != "mean"]
    if len(names) > 1:
        names.append("mean")
    width = max(len("target"), *(len(n) for n in names))
    fmt = lambda v: "    n/a" if v is None else f"{v:7.4f}"  # noqa: E731
    lines = [f"{'target':<{width}}  {'Pearson':>7}  {'Spearman':>8}  {'MSE':>7}"]
    for n in names:
        lines.append(f"{n:<{width}}  {fmt(metrics['pearson'].get(n))}  {fmt(metrics['spearman'].get(n)):>8}  "
                     f"{fmt(metrics['mse'].get(n))}")
    lines.append(f"split: {metrics['split']}, n = {metrics['n']}")
    return "\n".join(lines)
