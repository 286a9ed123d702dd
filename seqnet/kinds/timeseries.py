"""The time-series input kind: an expression matrix put on a common time grid per series.

Tensor contract: ``x`` ``(N, T, F)`` — ``T`` grid points, ``F`` series (one channel per
synchronisation method, say) — and an observed-value mask ``(N, T, F)``: grid values
outside a series' measured range, or missing in the matrix, are flagged, never silently 0.
Reading and alignment are :func:`seqnet.io.timeseries.read_timeseries`'s job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from seqnet.datasets import ArraySet
from seqnet.errors import ConfigError, opt
from seqnet.kinds.arrays import ArrayInputs, ArrayKind


def load_timeseries(
    path: str | Path,
    conditions: str | Path,
    labels: str | Path,
    *,
    series: Sequence[str] | None = None,
    time_points: int | None = None,
    standardize: str = "gene",
    task: str = "auto",
    missing: str = "error",
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
    from seqnet.io.timeseries import read_timeseries

    ts = read_timeseries(path, conditions, series=series, time_points=time_points, standardize=standardize)
    lab = read_labels(labels, ts.ids, ids_source=f"{Path(path).name} row", task=task, allow_unlabelled=True,
                      missing=missing)
    keep = lab.index
    return ArraySet(
        ids=[ts.ids[i] for i in keep], x=ts.x[keep], y=lab.y, task_type=lab.task_type, names=list(lab.names),
        kind="timeseries", mask=ts.mask[keep], notes=_notes(ts, keep, Path(path).name, series),
        preprocess={"standardize": standardize, "grid": ts.grid.to_dict()},
    )


def _notes(ts, keep, name: str, series) -> list[str]:
    """What the loader left out and the grid it chose, for the run log."""
    from seqnet.io.timeseries import MIN_TIME_POINTS

    notes = []
    if len(keep) < len(ts.ids):
        notes.append(f"{len(ts.ids) - len(keep)} of {len(ts.ids)} rows of {name} have no label: left out")
    if ts.left_out:
        notes.append(
            f"series not used: {', '.join(ts.left_out)}"
            + ("" if series else f" (fewer than {MIN_TIME_POINTS} time points; name series with {opt('series')} to use them)")
        )
    g = ts.grid
    notes.append(
        f"time grid: {g.n_points} points per series over "
        + ", ".join(f"{s} {a:g}-{b:g}" for s, a, b in zip(g.series, g.start, g.stop))
        + f"; {100 * (1 - ts.mask[keep].mean()):.1f}% of grid values unobserved (masked)"
    )
    return notes


class TimeSeriesKind(ArrayKind):
    """Gene-expression time series: rows are genes, time points the sequence axis."""

    partial_labels = True

    def check_data_config(self, data: dict) -> None:
        super().check_data_config(data)
        series = data.get("series")
        if not (series is None or (isinstance(series, list) and series and all(isinstance(v, str) and v for v in series))):
            raise ConfigError(f"series must be a list of series names, got {series!r}")
        tp = data.get("time_points")
        if not (tp is None or (isinstance(tp, int) and not isinstance(tp, bool) and tp >= 2)):
            raise ConfigError(f"time points must be an integer >= 2, got {tp!r}")

    def record_config(self, cfg: dict, data: ArraySet) -> None:
        grid = data.preprocess["grid"]
        cfg["data"]["series"] = list(grid["series"])
        cfg["data"]["time_points"] = int(grid["n_points"])

    def check_spec(self, spec, purpose: str) -> None:
        if spec.conditions is None:
            raise ConfigError(f"{opt('timeseries')} needs {opt('conditions')} CONDITIONS.tsv "
                              "(condition, series, time per matrix column)")
        if purpose == "train" and spec.labels is None:
            raise ConfigError(f"{opt('timeseries')} needs {opt('labels')} LABELS.tsv (row id, then a class or a value)")

    def load(self, spec, data_cfg: dict, *, task: str = "auto", seed: int = 0, task_name: str | None = None) -> ArraySet:
        return load_timeseries(spec.timeseries, spec.conditions, spec.labels, series=data_cfg.get("series"),
                               time_points=data_cfg.get("time_points"), standardize=data_cfg["standardize"], task=task,
                               missing=data_cfg.get("missing_labels", "error"))

    def read(self, spec, tm) -> tuple[list[str], ArrayInputs]:
        from seqnet.io.timeseries import read_timeseries

        pre = tm.preprocess
        ts = read_timeseries(spec.timeseries, spec.conditions, standardize=pre["standardize"], grid=pre["grid"])
        return ts.ids, ArrayInputs(ts.x, ts.mask)


TIMESERIES = TimeSeriesKind(
    name="timeseries",
    label="time-series",
    default_model="lstm",
    input_options=("timeseries",),
    predict_options=("timeseries",),
    options=frozenset({"timeseries", "conditions", "series", "time_points"}),
    train_options=frozenset(),
    data_keys=frozenset({"standardize", "series", "time_points"}),
    usage=(f"{opt('timeseries')} EXPR.tsv {opt('conditions')} CONDITIONS.tsv {opt('labels')} LABELS.tsv",),
    predict_usage=f"{opt('timeseries')} EXPR.tsv {opt('conditions')} CONDITIONS.tsv",
    give=f"{opt('timeseries')} with {opt('conditions')}",
    class_hint="give one class label per sample",
    standardize=("gene", "series", "none"),
    axes=None,
    nominal_shape=(24, 4),
    shape_words="time points x series, with masks",
    masked=True,
)
