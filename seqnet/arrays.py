"""Float-array data sets: gene-expression time series, feature tables and images.

An :class:`ArraySet` is what :class:`seqnet.data.SequenceSet` is for sequences: inputs,
targets, names and split groups, with :meth:`ArraySet.subset` so that
:func:`seqnet.data.split_indices` splits both alike.  Its ``x`` follows the model
contracts: ``(N, T, F)`` for time series (with an observed-value ``mask`` of the same
shape), ``(N, F)`` for tables, ``(N, C, H, W)`` for images.

Preprocessing that predict must repeat is described by ``ArraySet.preprocess`` (a dict of
plain types stored in the checkpoint):

* time series: ``standardize`` (``gene`` / ``series`` / ``none``, done per row by the
  reader) and the time ``grid`` (series, time spans, points);
* tables: ``features`` (column names, in model order) and ``standardize``
  (``feature``: z-score with the training split's ``mean`` / ``std`` per column);
* images: ``image_shape`` ``[C, H, W]`` and ``standardize`` (``channel``: z-score with the
  training split's ``mean`` / ``std`` per channel).

Statistics come from the training split only (:func:`fit_standardizer`), so validation
and test data never leak into them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from seqnet.errors import ConfigError, InputError

#: Input kinds held by an ArraySet.
ARRAY_KINDS = ("timeseries", "table", "image")


@dataclass
class ArraySet:
    """Float inputs with targets.

    Attributes
    ----------
    ids : list of str
        Sample ids (genes, table rows, image positions), length ``N``.
    x : numpy.ndarray, dtype float32
        ``(N, T, F)`` time series, ``(N, F)`` table or ``(N, C, H, W)`` images.
    y : numpy.ndarray
        float32 ``(N, T)`` (binary / multi-label / regression) or int64 ``(N,)`` class
        indices (multi-class).
    task_type : str
        ``"binary"``, ``"multilabel"``, ``"multiclass"`` or ``"regression"``.
    names : list of str
        Task, class or target names.
    kind : str
        ``"timeseries"``, ``"table"`` or ``"image"``.
    mask : numpy.ndarray or None, dtype bool
        Shaped like ``x``, True where a value is observed (time series); None when every
        value is.
    preprocess : dict
        What predict must repeat (see the module docstring).
    notes : list of str
        What the loader left out or decided, for the run log.
    groups : numpy.ndarray, shape (N,), dtype int64
        Split groups (one per sample).
    """

    ids: list[str]
    x: np.ndarray
    y: np.ndarray
    task_type: str
    names: list[str]
    kind: str
    mask: np.ndarray | None = None
    preprocess: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    groups: np.ndarray | None = None
    chroms: None = None  # no coordinates: split_indices splits at random

    def __post_init__(self) -> None:
        if self.groups is None:
            self.groups = np.arange(len(self.ids), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def shape(self) -> tuple[int, ...]:
        """Per-sample input shape, e.g. ``(T, F)``."""
        return tuple(int(v) for v in self.x.shape[1:])

    def subset(self, index: np.ndarray) -> "ArraySet":
        """Rows ``index`` as a new set (arrays copied by fancy indexing)."""
        return replace(
            self,
            ids=[self.ids[i] for i in index],
            x=self.x[index],
            y=self.y[index],
            mask=None if self.mask is None else self.mask[index],
            groups=self.groups[index],
            notes=list(self.notes),
        )


# ----------------------------------------------------------------------------- loading


def load_timeseries(
    path: str | Path,
    conditions: str | Path,
    labels: str | Path,
    *,
    series: Sequence[str] | None = None,
    time_points: int | None = None,
    standardize: str = "gene",
    task: str = "auto",
) -> ArraySet:
    """Labelled time series: an expression matrix, its conditions and a label table.

    Matrix rows without a label are left out (an expression matrix usually covers more
    genes than a label table), noted in ``notes``; label rows naming no matrix row are an
    error.  See :func:`seqnet.io.timeseries.read_timeseries` for alignment and missing
    values.

    Returns
    -------
    ArraySet
        ``x`` ``(N, T, F)`` and ``mask`` ``(N, T, F)``.
    """
    from seqnet.io.tables import read_labels
    from seqnet.io.timeseries import MIN_TIME_POINTS, read_timeseries

    ts = read_timeseries(path, conditions, series=series, time_points=time_points, standardize=standardize)
    lab = read_labels(labels, ts.ids, ids_source=f"{Path(path).name} row", task=task, allow_unlabelled=True)
    keep = lab.index
    if len(keep) == 0:  # pragma: no cover - read_labels already rejects rows naming no matrix row
        raise InputError(f"{labels}: no label row names a row of {path}")
    notes = []
    if len(keep) < len(ts.ids):
        notes.append(f"{len(ts.ids) - len(keep)} of {len(ts.ids)} rows of {Path(path).name} have no label: left out")
    if ts.left_out:
        notes.append(
            f"series not used: {', '.join(ts.left_out)}"
            + ("" if series else f" (fewer than {MIN_TIME_POINTS} time points; name series with --series to use them)")
        )
    g = ts.grid
    notes.append(
        f"time grid: {g.n_points} points per series over " +
        ", ".join(f"{s} {a:g}-{b:g}" for s, a, b in zip(g.series, g.start, g.stop))
        + f"; {100 * (1 - ts.mask[keep].mean()):.1f}% of grid values unobserved (masked)"
    )
    return ArraySet(
        ids=[ts.ids[i] for i in keep], x=ts.x[keep], y=lab.y, task_type=lab.task_type, names=list(lab.names),
        kind="timeseries", mask=ts.mask[keep], notes=notes,
        preprocess={"standardize": standardize, "grid": g.to_dict()},
    )


def load_table(path: str | Path, labels: str | Path, *, standardize: str = "feature", task: str = "auto") -> ArraySet:
    """Labelled feature table: samples x features, and a label table matching its ids one to one.

    Returns
    -------
    ArraySet
        ``x`` ``(N, F)``.
    """
    from seqnet.io.tables import read_features, read_labels

    feats = read_features(path)
    lab = read_labels(labels, feats.ids, ids_source=f"{Path(path).name} row", task=task)
    return ArraySet(
        ids=feats.ids, x=feats.x, y=lab.y, task_type=lab.task_type, names=list(lab.names), kind="table",
        preprocess={"standardize": standardize, "features": list(feats.names)},
    )


def load_images(
    path: str | Path,
    *,
    labels: str | Path | None = None,
    image_shape=None,
    standardize: str = "channel",
    task: str = "auto",
) -> ArraySet:
    """Labelled images from a CSV, NPZ or IDX file (see :mod:`seqnet.io.images`).

    Returns
    -------
    ArraySet
        ``x`` ``(N, C, H, W)``.
    """
    from seqnet.io.images import read_images

    im = read_images(path, shape=image_shape, labels=labels, need_labels=True, task=task)
    lab = im.labels
    return ArraySet(
        ids=im.ids, x=im.x, y=lab.y, task_type=lab.task_type, names=list(lab.names), kind="image",
        preprocess={"standardize": standardize, "image_shape": list(im.shape)},
    )


# ----------------------------------------------------------------------------- standardisation


def _axes(kind: str, x: np.ndarray) -> tuple[int, ...] | None:
    """Axes reduced over by the kind's train-split standardisation (None: none to fit)."""
    if kind == "table":
        return (0,)  # per feature
    if kind == "image":
        return (0, 2, 3)  # per channel
    return None  # time series: standardised per row by the reader


def fit_standardizer(train: ArraySet) -> dict:
    """Mean and standard deviation from the training split, as plain lists for a checkpoint.

    Returns
    -------
    dict
        ``{"mean": [...], "std": [...]}`` (per feature for tables, per channel for
        images); empty when the kind or ``standardize`` setting needs none.
    """
    if train.preprocess.get("standardize") in (None, "none") or _axes(train.kind, train.x) is None:
        return {}
    axes = _axes(train.kind, train.x)
    x = train.x.astype(np.float64)
    mean = x.mean(axis=axes)
    std = x.std(axis=axes)
    std[~(std > 1e-8)] = 1.0  # a constant feature is only centred
    return {"mean": mean.tolist(), "std": std.tolist()}


def standardize(x: np.ndarray, kind: str, preprocess: dict) -> np.ndarray:
    """Apply the fitted ``mean`` / ``std`` of ``preprocess`` to ``x`` (unchanged when there are none)."""
    if "mean" not in preprocess:
        return x
    mean = np.asarray(preprocess["mean"], dtype=np.float32)
    std = np.asarray(preprocess["std"], dtype=np.float32)
    if kind == "image":
        mean, std = mean[None, :, None, None], std[None, :, None, None]
    return ((x - mean) / std).astype(np.float32)


# ----------------------------------------------------------------------------- predict / evaluate


def read_inputs(
    kind: str,
    preprocess: dict,
    *,
    timeseries: str | Path | None = None,
    conditions: str | Path | None = None,
    table: str | Path | None = None,
    images: str | Path | None = None,
    image_labels: str | Path | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Unlabelled inputs for a trained array model, preprocessed as at training time.

    Parameters
    ----------
    kind : str
        The model's input kind.
    preprocess : dict
        The checkpoint's preprocessing (see the module docstring).
    timeseries, conditions, table, images : path or None
        The input files of ``kind``.
    image_labels : path or None
        Unused labels file of IDX images (accepted so evaluate can pass it).

    Returns
    -------
    ids : list of str
    x : numpy.ndarray, float32
        Standardised inputs, shaped for the model.
    mask : numpy.ndarray or None
        Observed-value mask (time series).

    Raises
    ------
    InputError
        When the files do not fit the model (other series, missing feature columns,
        another image shape).
    """
    if kind == "timeseries":
        from seqnet.io.timeseries import read_timeseries

        ts = read_timeseries(timeseries, conditions, standardize=preprocess["standardize"], grid=preprocess["grid"])
        return ts.ids, ts.x, ts.mask
    if kind == "table":
        from seqnet.io.tables import read_features

        # The model's feature columns, by name: other columns may be in any order, or text.
        feats = read_features(table, columns=preprocess["features"])
        return feats.ids, standardize(feats.x, kind, preprocess), None
    if kind == "image":
        from seqnet.io.images import read_images

        im = read_images(images, shape=tuple(preprocess["image_shape"]), labels=image_labels, need_labels=False)
        return im.ids, standardize(im.x, kind, preprocess), None
    raise ConfigError(f"unknown input kind {kind!r}")


def labelled_inputs(
    kind: str,
    preprocess: dict,
    task_type: str,
    *,
    timeseries=None,
    conditions=None,
    labels=None,
    table=None,
    images=None,
) -> ArraySet:
    """Labelled inputs for ``seqnet evaluate``, preprocessed as the checkpoint says.

    Labels are read with the model's task (regression stays regression); classes and
    task names are the file's own, to be matched to the model's by :func:`align_targets`.
    """
    from seqnet.io.tables import read_labels

    task = "regression" if task_type == "regression" else "classification"
    if kind == "image":
        from seqnet.io.images import read_images

        im = read_images(images, shape=tuple(preprocess["image_shape"]), labels=labels, need_labels=True, task=task)
        lab = im.labels
        return ArraySet(ids=im.ids, x=standardize(im.x, kind, preprocess), y=lab.y, task_type=lab.task_type,
                        names=list(lab.names), kind=kind)
    if labels is None:
        raise ConfigError(f"--{kind} input needs --labels LABELS.tsv to be evaluated")
    ids, x, mask = read_inputs(kind, preprocess, timeseries=timeseries, conditions=conditions, table=table)
    source = Path(timeseries or table).name
    lab = read_labels(labels, ids, ids_source=f"{source} row", task=task, allow_unlabelled=kind == "timeseries")
    keep = np.arange(len(ids)) if lab.index is None else lab.index
    return ArraySet(ids=[ids[i] for i in keep], x=x[keep], y=lab.y, task_type=lab.task_type, names=list(lab.names),
                    kind=kind, mask=None if mask is None else mask[keep])


def align_targets(data: ArraySet, tm, *, source: str) -> np.ndarray:
    """Targets of ``data`` in the output order of the trained model ``tm``.

    Class labels are matched by name (a test file may lack some classes); task and
    target columns must include the model's.
    """
    if tm.task_type == "multiclass":
        if data.task_type != "multiclass":
            raise InputError(f"{source}: the model predicts classes ({', '.join(tm.names)}); give one class label per sample")
        unknown = sorted(set(data.names) - set(tm.names))
        if unknown:
            raise InputError(
                f"{source}: classes {', '.join(map(repr, unknown))} are not among the model's classes ({', '.join(tm.names)})"
            )
        return np.array([tm.names.index(n) for n in data.names])[data.y]
    if tm.task_type == "binary" and data.task_type == "multiclass" and len(data.names) <= 2:
        raise InputError(f"{source}: the model predicts {tm.names[0]!r} (0 or 1); labels must be 0 or 1")
    missing = [n for n in tm.names if n not in data.names]
    if missing or data.task_type == "multiclass":
        raise InputError(
            f"{source}: label columns ({', '.join(data.names[:8])}) must include the model's "
            f"{'targets' if tm.task_type == 'regression' else 'tasks'} {', '.join(tm.names)}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
    return data.y[:, [data.names.index(n) for n in tm.names]]
