"""Classification metrics (scikit-learn), shaped for ``metrics.json``.

A metric that is undefined on the data (e.g. AUROC of a task whose labels are all 0)
is reported as ``None`` (JSON ``null``), never as a made-up number.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score


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
    """Compute AUROC / AUPRC (and accuracy for multi-class).

    Parameters
    ----------
    y_true : numpy.ndarray, shape (N, T) or (N,)
        0/1 targets ``(N, T)`` for binary / multi-label tasks, class indices ``(N,)``
        for multi-class.
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
        ``"accuracy"`` for multi-class; one-vs-rest per class for multi-class AUROC/AUPRC.
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
    auroc = {n: _safe(roc_auc_score, targets[:, i], prob[:, i]) for i, n in enumerate(names)}
    auprc = {n: _safe(average_precision_score, targets[:, i], prob[:, i]) for i, n in enumerate(names)}
    out: dict = {"split": split, "n": int(len(y_true)), "auroc": _with_mean(auroc), "auprc": _with_mean(auprc)}
    if task_type == "multiclass":
        out["accuracy"] = float(accuracy_score(y_true, prob.argmax(axis=1))) if len(y_true) else None
    return out


def headline(metrics: dict) -> float:
    """The single number early stopping maximises: mean AUROC (NaN when undefined)."""
    v = metrics["auroc"]["mean"]
    return math.nan if v is None else float(v)


def format_table(metrics: dict) -> str:
    """Render metrics as a small aligned text table (one row per task, then the mean)."""
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
    lines.append(footer)
    return "\n".join(lines)
