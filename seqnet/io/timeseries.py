"""Gene-expression time series: an expression matrix plus a conditions table.

Inputs
------
* The matrix (TSV, CSV by the ``.csv`` suffix, gzip detected from the content): a header
  row, then one row per gene (or sample): its id, then one value per condition (array).
  Empty cells and ``NA`` / ``NaN`` / ``N/A`` / ``null`` are missing values.
* The conditions table: a header row, then one row per matrix column: column 1 the
  condition (the matrix column name), column 2 the series it belongs to (e.g. the
  synchronisation method), column 3 its time (a number, any unit).  Further columns are
  ignored; rows naming no matrix column are ignored.

What comes out
--------------
Each series becomes one channel, ordered by time.  Series of different lengths and
spacings are **interpolated onto a common grid**: ``T`` evenly spaced points from each
series' first to its last time (``T`` = the longest series' number of time points unless
given).  Series are thus aligned by their relative position in the time course, not by
absolute time.  Replicate arrays (one series, one time) are averaged.

Missing values are never turned into numbers that look like data.  Per gene and series,
linear interpolation between the measured points fills the grid; a grid point is
*observed* when it lies between (or on) that gene's first and last measured point of the
series.  Other grid points (before the first or after the last measurement, or a series
with no measurement at all) hold 0 and are flagged unobserved in the ``mask`` the models
receive as extra input channels.

Standardisation (``standardize``) happens per gene before interpolation: ``"gene"``
centres and scales each row by the mean and standard deviation of all its measured values
in the selected series, ``"series"`` does so per series, ``"none"`` keeps the values.
It needs no statistics from the training set, so predict repeats it on any file.

Examples
--------
>>> ts = read_timeseries("expr.tsv.gz", "conditions.tsv")       # doctest: +SKIP
>>> ts.x.shape, ts.grid.series                                  # doctest: +SKIP
((6178, 24, 4), ['alpha', 'cdc15', 'cdc28', 'elu'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from seqnet.errors import ConfigError, InputError, opt
from seqnet.io.tables import _check_ids, _first_ids, _read_cells, _show, read_matrix

__all__ = ["STANDARDIZE", "MIN_TIME_POINTS", "Conditions", "TimeGrid", "TimeSeries", "read_conditions", "read_timeseries"]

#: Values of ``standardize``.
STANDARDIZE = ("gene", "series", "none")

#: A series with fewer distinct time points is not a time course: left out unless named.
MIN_TIME_POINTS = 3


@dataclass
class Conditions:
    """The conditions table: matrix column -> (series, time).

    Attributes
    ----------
    columns : list of str
        Condition names (matrix column names), in file order.
    series : list of str
        Series of each condition.
    times : numpy.ndarray, shape (n,), dtype float64
        Time of each condition.
    """

    columns: list[str]
    series: list[str]
    times: np.ndarray

    def lookup(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.columns)}


@dataclass
class TimeGrid:
    """The common time grid: ``n_points`` evenly spaced times per series.

    Attributes
    ----------
    series : list of str
        Series names in channel order (``F`` of them).
    start, stop : list of float
        First and last time of each series' grid.
    n_points : int
        Grid points ``T`` per series.
    """

    series: list[str]
    start: list[float]
    stop: list[float]
    n_points: int

    def times(self, k: int) -> np.ndarray:
        """Grid times of series ``k``, shape ``(T,)``."""
        return np.linspace(self.start[k], self.stop[k], self.n_points)

    def to_dict(self) -> dict:
        """Plain types, for a checkpoint."""
        return {"series": list(self.series), "start": [float(v) for v in self.start],
                "stop": [float(v) for v in self.stop], "n_points": int(self.n_points)}

    @classmethod
    def from_dict(cls, d: dict) -> "TimeGrid":
        return cls(series=list(d["series"]), start=list(d["start"]), stop=list(d["stop"]), n_points=int(d["n_points"]))


@dataclass
class TimeSeries:
    """Time series on a common grid.

    Attributes
    ----------
    ids : list of str
        Row ids of the matrix (genes), length ``N``.
    x : numpy.ndarray, shape (N, T, F), dtype float32
        Values on the grid (0 where unobserved).
    mask : numpy.ndarray, shape (N, T, F), dtype bool
        True where the value is interpolated between measured points.
    grid : TimeGrid
    standardize : str
        ``"gene"``, ``"series"`` or ``"none"``.
    left_out : list of str
        Series in the file not used (fewer than :data:`MIN_TIME_POINTS` time points,
        or not among those asked for).
    lines : numpy.ndarray, shape (N,), dtype int64
        File line of each row.
    """

    ids: list[str]
    x: np.ndarray
    mask: np.ndarray
    grid: TimeGrid
    standardize: str
    left_out: list[str] = field(default_factory=list)
    lines: np.ndarray | None = None


def read_conditions(path: str | Path) -> Conditions:
    """Read the conditions table (condition, series, time; header row required).

    Raises
    ------
    InputError
        For a malformed table, fewer than 3 columns, an empty or duplicate condition, an
        empty series name, or a time that is not a finite number (naming line and column).
    """
    header, cells, lines = _read_cells(path)
    if len(header) < 3:
        raise InputError(
            f"{path}: expected 3 columns (condition, series, time), found {len(header)}"
        )
    if len(cells) == 0:
        raise InputError(f"{path}: no condition rows below the header")
    _check_ids(path, cells[0], lines, header[0])
    empty = np.flatnonzero((cells[1] == "").to_numpy())
    if empty.size:
        raise InputError(f"{path}: line {lines[empty[0]]}, column {header[1]!r}: empty cell; expected a series name")
    times = np.array([_number(v) for v in cells[2]], dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(times))
    if bad.size:
        i = bad[0]
        raise InputError(
            f"{path}: line {lines[i]}, column {header[2]!r}: expected a time (a number), found {_show(cells[2].iat[i])}"
        )
    return Conditions(columns=cells[0].tolist(), series=cells[1].tolist(), times=times)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _standardize(values: np.ndarray, groups: list[np.ndarray], how: str) -> np.ndarray:
    """Centre and scale rows of ``values`` ``(N, C)`` over measured (non-NaN) cells.

    ``groups`` lists the column indices of each series (for ``how="series"``).  A row (or
    row-series) with fewer than 2 measured values, or constant ones, is only centred.
    """
    if how == "none":
        return values
    out = values.copy()
    blocks = groups if how == "series" else [np.concatenate(groups)]
    for cols in blocks:
        v = values[:, cols]
        n = np.sum(~np.isnan(v), axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, np.nansum(v, axis=1, keepdims=True) / np.maximum(n, 1), 0.0)
            var = np.where(n > 1, np.nansum((v - mean) ** 2, axis=1, keepdims=True) / np.maximum(n - 1, 1), 1.0)
        sd = np.sqrt(var)
        sd[~(sd > 1e-12)] = 1.0
        out[:, cols] = (v - mean) / sd
    return out


def read_timeseries(
    path: str | Path,
    conditions: str | Path,
    *,
    series: Sequence[str] | None = None,
    time_points: int | None = None,
    standardize: str = "gene",
    grid: TimeGrid | dict | None = None,
) -> TimeSeries:
    """Read an expression matrix and its conditions onto a common time grid.

    Parameters
    ----------
    path : str or Path
        Expression matrix: rows = genes / samples, columns = conditions.
    conditions : str or Path
        Conditions table: condition, series, time.
    series : sequence of str or None
        Series to use, in this channel order.  None takes every series with at least
        :data:`MIN_TIME_POINTS` distinct times, in order of first appearance in the
        conditions table. Default is None.
    time_points : int or None
        Grid points ``T`` per series; None = the longest selected series' number of
        distinct times. Default is None.
    standardize : str
        ``"gene"``, ``"series"`` or ``"none"`` (see the module docstring). Default is
        ``"gene"``.
    grid : TimeGrid or dict or None
        A trained model's grid (predict time): its series, time spans and ``T`` are used
        as they are; ``series`` and ``time_points`` must then be None.

    Returns
    -------
    TimeSeries

    Raises
    ------
    InputError
        For malformed files, non-numeric cells (missing ones excepted), a matrix column
        without a condition row, or a requested series the files do not have.
    ConfigError
        For a bad ``standardize`` or ``time_points``.
    """
    _check_timeseries_options(standardize, time_points)
    if isinstance(grid, dict):
        grid = TimeGrid.from_dict(grid)
    mat = read_matrix(path, allow_missing=True, what="condition")
    cond = read_conditions(conditions)
    col_series, col_times = _column_conditions(path, conditions, mat.names, cond)
    present = _series_columns(cond.series, col_series)
    chosen = _chosen_series(path, conditions, present, col_times, series, grid)
    left_out = [s for s in present if s not in chosen]

    groups = [np.asarray(present[s]) for s in chosen]
    values = _standardize(mat.x.astype(np.float64), groups, standardize)
    if grid is None:
        grid = _grid_of(chosen, groups, col_times, time_points)
    x, mask = _on_grid(values, groups, col_times, grid)
    return TimeSeries(ids=mat.ids, x=x, mask=mask, grid=grid, standardize=standardize, left_out=left_out,
                      lines=mat.lines)


def _check_timeseries_options(standardize: str, time_points: int | None) -> None:
    """Reject an unknown ``standardize`` and a ``time_points`` that is not an integer >= 2."""
    if standardize not in STANDARDIZE:
        raise ConfigError(f"standardize must be one of {', '.join(STANDARDIZE)} for time series, got {standardize!r}")
    if time_points is not None and (isinstance(time_points, bool) or not isinstance(time_points, int) or time_points < 2):
        raise ConfigError(f"time points must be an integer >= 2, got {time_points!r}")


def _column_conditions(
    path: str | Path, conditions: str | Path, names: list[str], cond: Conditions
) -> tuple[list[str], np.ndarray]:
    """``(series, time)`` of each matrix column; every column must be a listed condition."""
    lookup = cond.lookup()
    unknown = [c for c in names if c not in lookup]
    if unknown:
        raise InputError(
            f"{path}: {len(unknown)} of {len(names)} columns have no row in {conditions} "
            f"(first: {_first_ids(unknown)}); expected every column to be a condition listed there"
        )
    col_series = [cond.series[lookup[c]] for c in names]
    col_times = np.array([cond.times[lookup[c]] for c in names])
    return col_series, col_times


def _series_columns(order: list[str], col_series: list[str]) -> dict[str, list[int]]:
    """Matrix column indices of each series that has any, keyed in the order of ``order``."""
    present: dict[str, list[int]] = {}
    for name in order:
        present.setdefault(name, [])
    for j, s in enumerate(col_series):
        present[s].append(j)
    return {s: cols for s, cols in present.items() if cols}


def _chosen_series(
    path: str | Path,
    conditions: str | Path,
    present: dict[str, list[int]],
    col_times: np.ndarray,
    series: Sequence[str] | None,
    grid: TimeGrid | None,
) -> list[str]:
    """The series to use, in channel order: the grid's, those asked for, or every time course."""
    if grid is not None:
        chosen = list(grid.series)
        missing = [s for s in chosen if s not in present]
        if missing:
            raise InputError(
                f"{path}: no columns of series {', '.join(map(repr, missing))} (per {conditions}); the model "
                f"was trained on series {', '.join(grid.series)}"
            )
        return chosen
    if series:
        chosen = list(series)
        missing = [s for s in chosen if s not in present]
        if missing:
            raise InputError(
                f"{conditions}: no series {', '.join(map(repr, missing))} among the columns of {path} "
                f"(series: {', '.join(present)})"
            )
        if len(set(chosen)) != len(chosen):
            raise ConfigError(f"{opt('series')} names a series twice: {', '.join(chosen)}")
        return chosen
    chosen = [s for s, cols in present.items() if len(np.unique(col_times[cols])) >= MIN_TIME_POINTS]
    if not chosen:
        raise InputError(
            f"{conditions}: no series with at least {MIN_TIME_POINTS} time points among the columns of {path} "
            f"(series: {', '.join(f'{s} ({len(np.unique(col_times[c]))})' for s, c in present.items())})"
        )
    return chosen


def _grid_of(
    chosen: list[str], groups: list[np.ndarray], col_times: np.ndarray, time_points: int | None
) -> TimeGrid:
    """A new grid spanning each series' times; ``T`` defaults to the longest series' time count."""
    if time_points is None:
        time_points = max(len(np.unique(col_times[g])) for g in groups)
        time_points = max(time_points, 2)
    return TimeGrid(
        series=chosen,
        start=[float(col_times[g].min()) for g in groups],
        stop=[float(col_times[g].max()) for g in groups],
        n_points=int(time_points),
    )


def _on_grid(
    values: np.ndarray, groups: list[np.ndarray], col_times: np.ndarray, grid: TimeGrid
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate each row and series onto the grid: ``(x, mask)``, each ``(N, T, F)``.

    A grid point is observed (``mask``) when it lies between the row's first and last
    measured time of the series; unobserved points hold 0.
    """
    n, t, f = values.shape[0], grid.n_points, len(groups)
    x = np.zeros((n, t, f), dtype=np.float32)
    mask = np.zeros((n, t, f), dtype=bool)
    for k, cols in enumerate(groups):
        times, means, measured = _replicate_means(values[:, cols], col_times[cols])
        g = grid.times(k)
        for i in np.flatnonzero(measured.any(axis=1)):
            ok = measured[i]
            tt, vv = times[ok], means[i, ok]
            inside = (g >= tt[0] - 1e-9) & (g <= tt[-1] + 1e-9)
            x[i, :, k] = np.where(inside, np.interp(g, tt, vv), 0.0)
            mask[i, :, k] = inside
    return x, mask


def _replicate_means(v: np.ndarray, col_times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average replicates (same series, same time) over their measured values.

    Parameters
    ----------
    v : numpy.ndarray, shape (N, C)
        One series' columns, NaN where missing.
    col_times : numpy.ndarray, shape (C,)
        Time of each column.

    Returns
    -------
    times : numpy.ndarray, shape (U,)
        The distinct times, sorted.
    means : numpy.ndarray, shape (N, U)
        Mean per time; NaN where no replicate was measured.
    measured : numpy.ndarray, shape (N, U), dtype bool
        Whether any replicate was measured.
    """
    times = np.unique(col_times)
    which = np.searchsorted(times, col_times)
    sums = np.zeros((v.shape[0], len(times)))
    counts = np.zeros((v.shape[0], len(times)))
    seen = ~np.isnan(v)
    for c in range(v.shape[1]):
        sums[:, which[c]] += np.where(seen[:, c], v[:, c], 0.0)
        counts[:, which[c]] += seen[:, c]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return times, means, counts > 0
