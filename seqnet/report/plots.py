"""Figures of a run: training curves, ROC and precision-recall curves, confusion matrix.

Every function returns PNG bytes (matplotlib, Agg backend: no display needed); callers
write them atomically.  Masked (NaN) labels of a multi-label task are left out of its
curves, as of its metrics.
"""

from __future__ import annotations

import io

import numpy as np

#: At most this many tasks get their own curve; the rest are summarised in the title.
MAX_CURVES = 12


def _figure(width: float = 6.4, height: float = 4.0):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(1, 2, figsize=(width * 2, height))


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def history_png(history: list[dict], task_type: str) -> bytes:
    """Loss (training and validation) and the validation metric per epoch.

    Parameters
    ----------
    history : list of dict
        Rows of ``history.csv`` (see :class:`seqnet.training.FitResult`).
    task_type : str
    """
    fig, (left, right) = _figure()
    epochs = [r["epoch"] for r in history]
    left.plot(epochs, [r["train_loss"] for r in history], marker="o", label="training")
    valid = [r["valid_loss"] for r in history]
    if any(v is not None for v in valid):
        left.plot(epochs, [np.nan if v is None else v for v in valid], marker="o", label="validation")
    left.set(xlabel="epoch", ylabel="loss", title="loss")
    left.legend()
    key = "valid_pearson" if task_type == "regression" else "valid_auroc"
    values = [np.nan if r.get(key) is None else r[key] for r in history]
    right.plot(epochs, values, marker="o", color="tab:green")
    if task_type == "multiclass":
        right.plot(epochs, [np.nan if r.get("valid_accuracy") is None else r["valid_accuracy"] for r in history],
                   marker="o", color="tab:purple", label="accuracy")
        right.legend([key.replace("valid_", ""), "accuracy"])
    right.set(xlabel="epoch", ylabel=key.replace("valid_", "validation "), title="validation metric")
    from matplotlib.ticker import MaxNLocator

    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(fig)


def _targets(y: np.ndarray, task_type: str, n: int) -> np.ndarray:
    """``(N, n)`` 0/1 targets (one-vs-rest for multi-class; NaN where masked)."""
    if task_type == "multiclass":
        out = np.zeros((len(y), n))
        out[np.arange(len(y)), np.asarray(y, dtype=np.int64)] = 1
        return out
    return np.asarray(y, dtype=np.float64).reshape(len(y), n)


def curves_png(y: np.ndarray, prob: np.ndarray, names: list[str], task_type: str) -> bytes:
    """ROC (left) and precision-recall (right) curves, one line per task or class.

    Parameters
    ----------
    y : numpy.ndarray, shape (N, T) or (N,)
        Targets as in ``metrics.json``'s input.
    prob : numpy.ndarray, shape (N, T)
        Predicted probabilities.
    names : list of str
    task_type : str
        ``"binary"``, ``"multilabel"`` or ``"multiclass"``.
    """
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    fig, (roc_ax, pr_ax) = _figure()
    targets = _targets(y, task_type, len(names))
    shown = 0
    for t, name in enumerate(names):
        seen = ~np.isnan(targets[:, t])
        yt, pt = targets[seen, t], np.asarray(prob)[seen, t]
        if len(np.unique(yt)) < 2 or shown >= MAX_CURVES:
            continue
        fpr, tpr, _ = roc_curve(yt, pt)
        precision, recall, _ = precision_recall_curve(yt, pt)
        roc_ax.plot(fpr, tpr, label=f"{name} ({auc(fpr, tpr):.3f})")
        pr_ax.plot(recall, precision, label=f"{name} (base {yt.mean():.2f})")
        shown += 1
    roc_ax.plot([0, 1], [0, 1], color="#999", linestyle=":")
    roc_ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (AUROC)", xlim=(0, 1),
               ylim=(0, 1.01))
    pr_ax.set(xlabel="recall", ylabel="precision", title="precision-recall", xlim=(0, 1), ylim=(0, 1.01))
    extra = len(names) - shown
    for ax in (roc_ax, pr_ax):
        if shown:
            ax.legend(fontsize="small", title=f"+{extra} more" if extra > 0 else None)
    return _png(fig)


def confusion_png(y: np.ndarray, prob: np.ndarray, names: list[str]) -> bytes:
    """Confusion matrix of a multi-class task (rows: true class, columns: predicted),
    counts and row fractions."""
    from sklearn.metrics import confusion_matrix

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    pred = np.asarray(prob).argmax(axis=1)
    m = confusion_matrix(np.asarray(y, dtype=np.int64), pred, labels=np.arange(len(names)))
    frac = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.6 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    ticks = np.arange(len(names))
    ax.set(xticks=ticks, yticks=ticks, xticklabels=names, yticklabels=names, xlabel="predicted", ylabel="true",
           title="confusion matrix (test)")
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", color="white" if frac[i, j] > 0.5 else "black",
                    fontsize="small")
    return _png(fig)


def scatter_png(y: np.ndarray, pred: np.ndarray, names: list[str]) -> bytes:
    """Predicted against true values, one panel per target (the first two), with the diagonal."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    y = np.asarray(y, dtype=np.float64).reshape(len(y), len(names))
    shown = min(len(names), 2)
    fig, axes = plt.subplots(1, shown, figsize=(5.0 * shown, 4.5), squeeze=False)
    for t in range(shown):
        ax = axes[0, t]
        ax.scatter(y[:, t], pred[:, t], s=8, alpha=0.6)
        lo, hi = np.nanmin([y[:, t].min(), pred[:, t].min()]), np.nanmax([y[:, t].max(), pred[:, t].max()])
        ax.plot([lo, hi], [lo, hi], color="#999", linestyle=":")
        ax.set(xlabel="true", ylabel="predicted", title=names[t])
    return _png(fig)
