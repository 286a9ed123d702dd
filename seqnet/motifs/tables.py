"""The rows of ``matches.tsv``: direction, enrichment, redundancy and the main set.

Every motif ``seqnet motifs`` finds (a cluster of filters, or a TF-MoDISco pattern) is a
:class:`Candidate`.  This module says, per candidate, which way it pushes the model
(:func:`direction`), how much more often the sequences it pushes towards carry it
(:func:`enrichment`), and which candidates make the main set (:func:`select`):

* ranked by the size of their influence (filter motifs; TF-MoDISco patterns follow,
  by seqlets), one motif per thing learned: a candidate that shares a significant
  JASPAR match (q < 0.05, any of its matches) with a motif already in the main set,
  or that TOMTOM finds similar to one (q < 0.05), is *redundant*;
* a filter motif whose influence on every output is below ``min_influence`` of the
  largest influence on that output is *weak*;
* at most ``max_motifs`` motifs.

The rest go to ``other_motifs.tsv`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqnet.motifs.motif import Motif

__all__ = ["Groups", "Candidate", "direction", "enrichment", "select", "MATCH_TABLE_COLUMNS"]

#: Columns of matches.tsv (and other_motifs.tsv, which adds ``reason``), in order.
MATCH_TABLE_COLUMNS = [
    "motif", "name", "method", "consensus", "nsites", "information_content", "direction", "influence",
    "influence_by_output", "sequences_with_site", "site_enrichment", "best_match_id", "best_match_name", "p", "q",
    "strand", "offset", "filters", "seqlets",
]
#: q-value below which a database match is significant.
SIGNIFICANT_Q = 0.05


@dataclass
class Groups:
    """The labelled sequences' classes, for directions and enrichment.

    Attributes
    ----------
    task_type : str
        ``"binary"``, ``"multilabel"``, ``"multiclass"``, ``"regression"`` or
        ``"unlabelled"``.
    outputs : list of str
        The model's outputs (tasks, classes or targets).
    labels : list of str
        One name per group: for a binary model the positive then the negative class.
    masks : numpy.ndarray, shape=(G, N), dtype=bool
        Sequences of each group.
    """

    task_type: str
    outputs: list
    labels: list
    masks: np.ndarray

    @classmethod
    def of(cls, y, task_type: str, outputs: list[str], n: int, *, positive: str | None = None,
           negative: str | None = None) -> Groups:
        """Groups of labelled targets ``y`` (None: one group of all ``n`` sequences)."""
        if y is None or task_type == "regression":
            return cls("unlabelled" if y is None else "regression", list(outputs), ["sequences"],
                       np.ones((1, n), dtype=bool))
        y = np.asarray(y)
        if task_type == "multiclass":
            masks = np.stack([y == c for c in range(len(outputs))])
            return cls(task_type, list(outputs), list(outputs), masks)
        y = y.reshape(len(y), -1)
        if task_type == "binary":
            pos = positive or outputs[0]
            neg = negative or f"not {outputs[0]}"
            return cls(task_type, list(outputs), [pos, neg], np.stack([y[:, 0] == 1, y[:, 0] == 0]))
        return cls(task_type, list(outputs), list(outputs), (y == 1).T.copy())


@dataclass(eq=False)
class Candidate:
    """One motif before ranking: a cluster of filters or a TF-MoDISco pattern."""

    motif: Motif
    method: str  # "filters" or "modisco"
    effects: np.ndarray | None  # (T,) signed effect per output (filters)
    hits: np.ndarray = field(repr=False)  # (N,) sequences carrying a site
    filters: list = field(default_factory=list)
    seqlets: int | None = None
    sign: str | None = None  # TF-MoDISco: "+" / "-"
    target: int = 0  # TF-MoDISco: the output explained
    contribution: float | None = None
    match: dict | None = None  # best database match (tomtom_tables row)
    targets: dict = field(default_factory=dict)  # significant database matches: id -> name
    row: dict = field(default_factory=dict)
    reason: str | None = None
    source: str | None = None  # the name the motif had before ranking (cluster_12, pattern_3)
    target_motif: Motif | None = None  # the significant best database match, for its logo

    @property
    def size(self) -> float:
        """|influence| for filter motifs (0 without), for ranking."""
        return 0.0 if self.effects is None or not len(self.effects) else float(np.abs(self.effects).max())


def direction(effects: np.ndarray, groups: Groups) -> tuple[str, float, int]:
    """``(text, signed influence, output index)`` of a motif with per-output effects ``(T,)``.

    Binary: "raises P(positive class)" or "raises P(negative class)"; multi-label: the
    output it moves most; multi-class: the class whose probability it raises most;
    regression: "raises / lowers <target>".
    """
    e = np.asarray(effects, dtype=np.float64)
    if groups.task_type == "multiclass":
        t = int(np.argmax(e))
        return f"raises P({groups.outputs[t]})", float(e[t]), t
    t = int(np.argmax(np.abs(e)))
    name = groups.outputs[t]
    if groups.task_type == "regression":
        return f"{'raises' if e[t] >= 0 else 'lowers'} {name}", float(e[t]), t
    if groups.task_type == "binary" or (groups.task_type == "unlabelled" and len(e) == 1):
        labels = groups.labels if groups.task_type == "binary" else [name, f"not {name}"]
        return (f"raises P({labels[0]})" if e[t] >= 0 else f"raises P({labels[1]})"), float(e[t]), t
    return f"{'raises' if e[t] >= 0 else 'lowers'} P({name})", float(e[t]), t


def enrichment(hits: np.ndarray, groups: Groups, target: int, raises: bool) -> tuple[str, float]:
    """``(text, ratio)``: sequences carrying a site per group, and the site rate in the
    group the motif pushes towards over the rate in the others (NaN without labels).

    Rates are smoothed, ``(k + 0.5) / (n + 1)``, so an empty group gives a finite ratio.
    """
    parts = []
    for label, mask in zip(groups.labels, groups.masks):
        k, n = int(hits[mask].sum()), int(mask.sum())
        parts.append(f"{label} {k}/{n} ({100.0 * k / max(n, 1):.0f}%)")
    text = "; ".join(parts)
    if groups.task_type in ("unlabelled", "regression"):
        return text, float("nan")
    if groups.task_type == "binary":
        inside = groups.masks[0] if raises else groups.masks[1]
    elif groups.task_type == "multiclass":
        inside = groups.masks[target]
    else:
        inside = groups.masks[target] if raises else ~groups.masks[target]

    def rate(mask):
        return (hits[mask].sum() + 0.5) / (mask.sum() + 1.0)

    return text, float(rate(inside) / rate(~inside))


def select(cands: list[Candidate], similar, *, max_motifs: int, min_influence: float) -> tuple[list, list]:
    """Split ranked candidates into the main set and the others (``reason`` set).

    Parameters
    ----------
    cands : list of Candidate
        Filter motifs by decreasing influence, then TF-MoDISco patterns.
    similar : callable
        ``similar(a, b)``: TOMTOM finds candidates ``a`` and ``b`` alike (q < 0.05).
    max_motifs : int
        Size of the main set at most.
    min_influence : float
        Filter motifs below this fraction of the largest influence (per output) are weak.
    """
    effects = [c.effects for c in cands if c.method == "filters" and c.effects is not None and len(c.effects)]
    top = np.abs(np.stack(effects)).max(axis=0) if effects else None
    main, other = [], []
    for c in cands:
        c.reason = _reason(c, main, similar, top, min_influence)
        if c.reason is None and len(main) >= max_motifs:
            c.reason = f"beyond the {max_motifs} motifs of the main set"
        if c.reason is None:
            c.row["motif"] = f"motif_{len(main) + 1}"
            main.append(c)
        else:
            other.append(c)
    for k, c in enumerate(other, start=len(main) + 1):
        c.row["motif"] = f"motif_{k}"
    return main, other


def _reason(c: Candidate, main: list, similar, top, min_influence: float) -> str | None:
    """Why ``c`` stays out of the main set, or None."""
    for m in main:
        shared = sorted(c.targets.keys() & m.targets.keys())
        if not shared and not similar(c, m):
            continue
        if c.method == "modisco" and m.method == "filters":
            return f"also found by filters as {m.row['motif']}"
        if shared:
            return f"redundant with {m.row['motif']} (both match {shared[0]} {c.targets[shared[0]]})"
        return f"similar to {m.row['motif']}"
    if c.method == "filters" and top is not None and c.effects is not None:
        if np.all(np.abs(c.effects) < min_influence * np.maximum(top, 1e-12)):
            return f"weak influence (< {min_influence:g} of the largest)"
    return None


def rows_frame(cands: list[Candidate], *, reason: bool = False) -> pd.DataFrame:
    """The table of candidates' rows (``reason`` added for the others)."""
    columns = MATCH_TABLE_COLUMNS + (["reason"] if reason else [])
    return pd.DataFrame([{**c.row, **({"reason": c.reason} if reason else {})} for c in cands], columns=columns)
