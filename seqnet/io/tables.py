"""TSV / CSV tables: generic reading and label tables matched to FASTA records.

A table has a header row; its first column holds record ids.  The separator comes from the
file name: ``.csv`` / ``.csv.gz`` are comma-separated, everything else is tab-separated.
Gzip is detected from the content.  Every problem a user can cause raises
:class:`~seqnet.errors.InputError` naming the file, the 1-based file line (the header is
line 1) and the column.

Examples
--------
>>> ids, seqs = read_fasta("peaks.fa")                 # doctest: +SKIP
>>> labels = read_labels("labels.tsv", ids)            # doctest: +SKIP
>>> labels.task_type, labels.names, labels.y.shape     # doctest: +SKIP
('multilabel', ['CTCF', 'REST'], (500, 2))
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqnet.errors import InputError, opt
from seqnet.io.fasta import _show, open_text, read_errors

__all__ = ["Labels", "Features", "read_table", "read_labels", "read_features", "TASKS"]

#: Values of the ``task`` argument of :func:`read_labels` (the CLI's ``--task``).
TASKS = ("auto", "classification", "regression")

_ZERO_ONE = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0}

#: Label cells that mean "no label here" (case-insensitive): never a class.
MISSING_LABELS = ("", "na", "nan", "n/a", "n/d", "nd", "null", "none", "?", "-", ".")

#: What a label table's missing cells do: ``error`` (the default) or, for several 0/1
#: columns (multi-label), ``mask`` (the cell is left out of the loss and the metrics).
MISSING_POLICIES = ("error", "mask")

# How many ids an error message lists.
_SHOW_IDS = 3


@dataclass
class Labels:
    """Labels for a list of records.

    Attributes
    ----------
    task_type : str
        ``"binary"`` (one 0/1 column), ``"multilabel"`` (several 0/1 columns),
        ``"multiclass"`` (one column of class names) or ``"regression"`` (numeric columns).
    names : list of str
        Task names (the column headers) for binary / multilabel / regression; the class
        names, sorted, for multiclass (class ``i`` is ``names[i]``).
    y : numpy.ndarray
        float32 ``(N, T)`` for binary / multilabel / regression; int64 ``(N,)`` class
        indices for multiclass.  Rows follow the ``ids`` given to :func:`read_labels`
        (those at ``index`` when some ids may be unlabelled).
    index : numpy.ndarray or None
        int64 positions in ``ids`` of the labelled records, in ``ids`` order, when
        :func:`read_labels` was called with ``allow_unlabelled=True``; None otherwise
        (every id is labelled, in order).
    """

    task_type: str
    names: list[str]
    y: np.ndarray
    index: np.ndarray | None = None


def _separator(path: str | Path) -> str:
    name = Path(path).name.lower()
    return "," if name.endswith((".csv", ".csv.gz")) else "\t"


def _read_cells(path: str | Path) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """Read a table as stripped strings and check its shape.

    Returns
    -------
    header : list of str
        Column names from the first non-blank line.
    cells : pandas.DataFrame
        Data rows as ``str`` (empty cells are ``""``), columns numbered ``0..C-1``.
    lines : numpy.ndarray
        int64 ``(R,)`` 1-based file line of each data row.
    """
    sep = _separator(path)
    with open_text(path) as handle, read_errors(path, "table"):
        text = handle.read()
    if "\x00" in text:
        raise InputError(f"{path}: not a text table file (contains NUL bytes)")
    raw_lines = text.splitlines()
    blank = np.array([not ln.strip() for ln in raw_lines], dtype=bool)
    if blank.all():
        raise InputError(f"{path}: empty file; expected a header row and data rows")
    if '"' not in text:
        frame, line_numbers = _split_unquoted(path, raw_lines, blank, sep)
    else:
        frame, line_numbers = _split_quoted(path, text, sep)
    frame = frame.apply(lambda col: col.str.strip())
    header = frame.iloc[0].tolist()
    _check_header(path, header, line_numbers[0])
    cells = frame.iloc[1:].reset_index(drop=True)
    cells.columns = range(len(header))
    return header, cells, np.asarray(line_numbers[1:], dtype=np.int64)


def _split_unquoted(
    path: str | Path, raw_lines: list[str], blank: np.ndarray, sep: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells and 1-based line numbers of the non-blank lines of a table without quotes."""
    # No quoting, so fields per line = separators + 1.
    keep = np.flatnonzero(~blank)
    kept = pd.Series([raw_lines[i] for i in keep], dtype=object)
    counts = kept.str.count(sep).to_numpy() + 1
    n_cols = int(counts[0])
    bad = np.flatnonzero(counts != n_cols)
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{path}: line {keep[i] + 1}: expected {n_cols} columns as in the header, "
            f"found {counts[i]}"
        )
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(kept)),
            sep=sep,
            header=None,
            dtype=str,
            na_filter=False,
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:  # pragma: no cover - guarded by the count check
        raise InputError(f"{path}: cannot parse table ({str(exc).strip()})") from None
    return frame, keep + 1


def _split_quoted(path: str | Path, text: str, sep: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells and start lines of the non-blank records of a table with quoted fields."""
    # Quoted fields may hold separators or newlines: let the csv module find records
    # and the line each starts on.
    rows: list[list[str]] = []
    starts: list[int] = []
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    previous_end = 0
    try:
        for row in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if rows and len(row) != len(rows[0]):
                raise InputError(
                    f"{path}: line {start}: expected {len(rows[0])} columns as in the "
                    f"header, found {len(row)}"
                )
            rows.append(row)
            starts.append(start)
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: {exc}") from None
    return pd.DataFrame(rows, dtype=str), np.asarray(starts, dtype=np.int64)


def _check_header(path: str | Path, header: list[str], line: int) -> None:
    """Every column needs a name, and no name may be used twice."""
    for j, name in enumerate(header):
        if not name:
            raise InputError(
                f"{path}: line {line}: column {j + 1} has an empty name; a "
                f"header row naming every column is required"
            )
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        if name in seen:
            raise InputError(
                f"{path}: line {line}: column name {name!r} is used twice "
                f"(columns {seen[name] + 1} and {j + 1})"
            )
        seen[name] = j


def _check_ids(path: str | Path, ids: pd.Series, lines: np.ndarray, column: str) -> None:
    """Reject empty and duplicate ids, naming the lines."""
    empty = np.flatnonzero((ids == "").to_numpy())
    if empty.size:
        raise InputError(f"{path}: line {lines[empty[0]]}, column {column!r}: empty id")
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        first = np.flatnonzero(dup)[0]
        value = ids.iloc[first]
        same = np.flatnonzero((ids == value).to_numpy())
        raise InputError(
            f"{path}: duplicate id {value!r} (lines {lines[same[0]]} and {lines[same[1]]})"
        )


def _typed(col: pd.Series) -> pd.Series:
    """Numbers where the whole column is numeric (empty cells become NaN), else strings."""
    col = col.replace("", np.nan)
    try:
        return pd.to_numeric(col)
    except (ValueError, TypeError):
        return col


def read_table(path: str | Path, *, index_col: bool = True) -> pd.DataFrame:
    """Read a TSV or CSV table with a header row.

    Parameters
    ----------
    path : str or Path
        Table file.  ``.csv`` / ``.csv.gz`` are comma-separated, anything else
        tab-separated; gzip is detected from the content.
    index_col : bool, optional
        Use the first column as the index (ids, as ``str``; they must be unique and
        non-empty).  Default is True.

    Returns
    -------
    pandas.DataFrame
        One column per header field (less the id column when ``index_col``).  A column
        whose cells are all numbers (or empty) is numeric (int64, or float64 when a cell is
        empty); other columns hold ``str``.  Empty cells are NaN.

    Raises
    ------
    InputError
        If the file is missing, empty, binary, a damaged gzip, has a row with a different
        number of columns than the header, an unnamed or repeated column, or (with
        ``index_col``) an empty or duplicate id.
    """
    header, cells, lines = _read_cells(path)
    columns = {}
    start = 1 if index_col else 0
    for j in range(start, len(header)):
        columns[header[j]] = _typed(cells[j])
    frame = pd.DataFrame(columns, index=cells.index if not index_col else None)
    if index_col:
        ids = cells[0]
        _check_ids(path, ids, lines, header[0])
        frame.index = pd.Index(ids.to_numpy(dtype=object), name=header[0], dtype=object)
    return frame


def _first_ids(values: Sequence[str]) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:_SHOW_IDS])
    return shown + (", ..." if len(values) > _SHOW_IDS else "")


def _class_order(values: Sequence[str]) -> list[str]:
    """Sort class names, numerically when every name is a number."""
    unique = sorted(set(values))
    try:
        return sorted(unique, key=lambda v: (float(v), v))
    except ValueError:
        return unique


def _numbers(values: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Parse every cell as a float: ``(numbers (R, C) float64, ok (R, C) bool)``.

    A cell is ok when it is a finite number; ``nan`` / ``inf`` spelled out are not.
    """
    parsed = np.array(values.apply(lambda col: pd.to_numeric(col, errors="coerce")), dtype=np.float64)
    return parsed, np.isfinite(parsed)


def read_labels(
    path: str | Path,
    ids: Sequence[str],
    *,
    ids_source: str = "FASTA",
    task: str = "auto",
    allow_unlabelled: bool = False,
    missing: str = "error",
) -> Labels:
    """Read a label table and align it to a list of record ids.

    The first column holds record ids (a header row is required; its name is free).  The
    other columns decide the task (``task="auto"``):

    - one column, every value 0 or 1 -> ``"binary"``;
    - several columns, every value 0 or 1 -> ``"multilabel"``;
    - every value a number and at least one of them not a whole number (``0.37``)
      -> ``"regression"``, one output per column;
    - one column with any other value (``G1``, ``bound``, ``2``) -> ``"multiclass"``, the
      class names being the distinct values sorted (numerically if all are numbers).

    0 and 1 may be written ``0``/``1`` or ``0.0``/``1.0``.  ``task="regression"`` reads
    every label column as a number (whole numbers too); ``task="classification"`` never
    gives regression, and refuses numbers with fractions.

    A value that does not fit is an error naming line and column, never a new class: a
    missing-value cell (empty, ``NA``, ``n/d``, ... see :data:`MISSING_LABELS`), a word in
    a column of numbers, a number in a column of class names.  With ``missing="mask"``
    the missing cells of a multi-label table (several 0/1 columns) are kept as NaN, to be
    left out of the loss and the metrics.

    Parameters
    ----------
    path : str or Path
        Label table (TSV, or CSV by the ``.csv`` / ``.csv.gz`` suffix; gzip ok).
    ids : sequence of str
        Record ids to label, e.g. from :func:`seqnet.io.fasta.read_fasta`.
    ids_source : str, optional
        What ``ids`` came from, for error messages. Default is "FASTA".
    task : str, optional
        ``"auto"``, ``"classification"`` or ``"regression"``. Default is ``"auto"``.
    allow_unlabelled : bool, optional
        Let records in ``ids`` go without a label (an expression matrix usually covers
        more genes than a label table); their positions are left out of ``Labels.index``.
        Label rows naming no record are still an error. Default is False (one to one).
    missing : str, optional
        ``"error"`` or ``"mask"`` (multi-label tables only). Default is ``"error"``.

    Returns
    -------
    Labels
        Task type, names and targets, rows in the order of ``ids``.

    Raises
    ------
    InputError
        If the table is malformed (see :func:`read_table`), has no label column, an empty
        cell, a non-0/1 value among several label columns, a non-number for regression,
        a duplicate id, or ids that do not match ``ids`` exactly (records without a label
        or label rows without a record).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    header, cells, lines = _read_cells(path)
    _require_value_columns(path, header, "label")
    if len(cells) == 0:
        raise InputError(f"{path}: no label rows below the header")
    _check_not_data(path, header, ids, ids_source)
    table_ids = cells[0]
    _check_ids(path, table_ids, lines, header[0])
    values = cells.iloc[:, 1:]
    if missing != "mask":
        _check_no_empty_cell(path, values, header[1:], lines)
    _check_ids_match(path, ids, table_ids, ids_source=ids_source, allow_unlabelled=allow_unlabelled)
    order, index = _label_rows(ids, table_ids, allow_unlabelled)
    return labels_from_cells(values, header[1:], path=path, lines=lines, task=task, order=order, index=index,
                             missing=missing)


def _require_value_columns(path: str | Path, header: list[str], what: str) -> None:
    """A table needs an id column and at least one ``what`` column; hint at a misnamed CSV."""
    if len(header) < 2:
        hint = ""
        if _separator(path) == "\t" and "," in header[0]:
            hint = " (the header holds commas: is it a CSV file? name it .csv)"
        raise InputError(f"{path}: expected an id column and at least one {what} column, found 1 column{hint}")


def _check_not_data(path: str | Path, header: list[str], ids: Sequence[str], ids_source: str) -> None:
    """A first line whose first cell is a record id is data, not the required header."""
    if header[0] in set(ids):
        raise InputError(
            f"{path}: the first line looks like data (its first cell {header[0]!r} is a "
            f"{ids_source} record id); a header row is required"
        )


def _check_no_empty_cell(path: str | Path, values: pd.DataFrame, names: list[str], lines: np.ndarray) -> None:
    """Name the first empty label cell, in file order."""
    empty = (values == "").to_numpy()
    if empty.any():
        i, j = np.argwhere(empty)[0]
        raise InputError(
            f"{path}: line {lines[i]}, column {names[j]!r}: empty cell; expected a label"
        )


def _check_ids_match(
    path: str | Path, ids: Sequence[str], table_ids: pd.Series, *, ids_source: str, allow_unlabelled: bool
) -> None:
    """Ids must match one to one (unlabelled records aside when allowed)."""
    # Extra rows usually mean the wrong label file.
    present = set(table_ids)
    wanted = set(ids)
    unlabelled = [r for r in ids if r not in present]
    unused = [r for r in table_ids if r not in wanted]
    problems = []
    if unlabelled and not allow_unlabelled:
        problems.append(
            f"{len(unlabelled)} of {len(ids)} {ids_source} records have no label "
            f"(first: {_first_ids(unlabelled)})"
        )
    if unused:
        problems.append(
            f"{len(unused)} label rows match no {ids_source} record "
            f"(first: {_first_ids(unused)})"
        )
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems))


def _label_rows(
    ids: Sequence[str], table_ids: pd.Series, allow_unlabelled: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """``(order, index)``: table rows in ``ids`` order, and the labelled positions in ``ids``.

    ``index`` is None unless ``allow_unlabelled`` (then every id is labelled).
    """
    index = None
    kept = list(ids)
    if allow_unlabelled:
        present = set(table_ids)
        index = np.flatnonzero(np.fromiter((r in present for r in ids), dtype=bool, count=len(ids)))
        kept = [ids[i] for i in index]
    return pd.Index(table_ids).get_indexer(kept), index


def labels_from_cells(
    values: pd.DataFrame,
    names: Sequence[str],
    *,
    path: str | Path,
    lines: np.ndarray,
    task: str = "auto",
    order: np.ndarray | None = None,
    index: np.ndarray | None = None,
    missing: str = "error",
) -> Labels:
    """Decide the task of non-empty label cells and encode the targets.

    The rules of :func:`read_labels` (binary / multilabel / regression / multiclass);
    also used for labels that come inside another file (image CSV, NPZ, IDX).

    Parameters
    ----------
    values : pandas.DataFrame
        Label cells as stripped strings, one column per label column, rows in file order.
    names : sequence of str
        Column names.
    path : str or Path
        File named in error messages.
    lines : numpy.ndarray
        File line (or record number) of each row, for error messages.
    task : str
        ``"auto"``, ``"classification"`` or ``"regression"``. Default is ``"auto"``.
    order : numpy.ndarray or None
        Rows to return, in this order. Default is None (all, in file order).
    index : numpy.ndarray or None
        Stored as ``Labels.index``.
    missing : str
        ``"error"`` or ``"mask"`` (see :func:`read_labels`). Default is ``"error"``.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    if order is None:
        order = np.arange(len(values))
    names = list(names)
    is01 = values.isin(list(_ZERO_ONE)).to_numpy()
    gaps = values.apply(lambda col: col.str.strip().str.lower().isin(MISSING_LABELS)).to_numpy()
    if gaps.any():
        return _with_gaps(values, names, is01, gaps, path=path, lines=lines, task=task, order=order, index=index,
                          missing=missing)
    _check_one_kind_of_value(values, names, path=path, lines=lines, task=task)
    if task == "regression" or (task == "auto" and not is01.all()):
        numbers, ok = _numbers(values)
        if task == "regression" or (ok.all() and (numbers != np.round(numbers)).any()):
            if not ok.all():
                i, j = np.argwhere(~ok)[0]
                raise InputError(
                    f"{path}: line {lines[i]}, column {names[j]!r}: expected a number "
                    f"(regression target), found {_show(values.iat[i, j])}"
                )
            y = _float32(path, numbers, values, names, lines)[order]
            return Labels(task_type="regression", names=names, y=y, index=index)
    if len(names) == 1 and not is01.all():
        column = values.iloc[:, 0].to_numpy(dtype=object)[order]
        classes = _class_order(list(values.iloc[:, 0]))
        lookup = {c: k for k, c in enumerate(classes)}
        y = np.fromiter((lookup[v] for v in column), dtype=np.int64, count=len(column))
        return Labels(task_type="multiclass", names=classes, y=y, index=index)
    if not is01.all():
        bad = np.argwhere(~is01)
        i, j = bad[0]  # argwhere is row-major: the first bad cell in file order
        raise InputError(
            f"{path}: line {lines[i]}, column {names[j]!r}: expected 0 or 1, found "
            f"{_show(values.iat[i, j])}"
        )
    y = values.apply(lambda col: col.map(_ZERO_ONE)).to_numpy(dtype=np.float32)[order]
    task_type = "binary" if len(names) == 1 else "multilabel"
    return Labels(task_type=task_type, names=names, y=y, index=index)


def _with_gaps(values: pd.DataFrame, names: list[str], is01: np.ndarray, gaps: np.ndarray, *, path, lines, task: str,
               order: np.ndarray, index, missing: str) -> Labels:
    """Labels of a table with missing cells: NaN where masked (multi-label), else an error."""
    i, j = np.argwhere(gaps)[0]
    where = f"{path}: line {lines[i]}, column {names[j]!r}"
    rest01 = (is01 | gaps).all()
    if missing == "mask" and rest01 and len(names) > 1 and task != "regression":
        y = values.apply(lambda col: col.map(_ZERO_ONE)).to_numpy(dtype=np.float32)  # missing -> NaN
        return Labels(task_type="multilabel", names=names, y=y[order], index=index)
    if rest01 and task != "regression":
        hint = (f"; or {opt('missing_labels')} mask leaves missing cells of a multi-label table out"
                if len(names) > 1 else "")
        raise InputError(f"{where}: missing label {_show(values.iat[i, j])}; expected 0 or 1{hint}")
    numbers, ok = _numbers(values)
    expected = "a number" if task == "regression" or (ok | gaps).all() else "a class label"
    raise InputError(f"{where}: missing label {_show(values.iat[i, j])}; expected {expected}")


def _check_one_kind_of_value(values: pd.DataFrame, names: list[str], *, path, lines, task: str) -> None:
    """A single label column holds numbers or names, not both (a typo never becomes a
    class); classification takes no fractions.  Several columns are 0/1 or numbers,
    which :func:`labels_from_cells` checks itself."""
    if task == "regression" or len(names) != 1:
        return
    numbers, ok = _numbers(values)
    col_ok, col = ok[:, 0], values.iloc[:, 0]
    if col_ok.any() and not col_ok.all():
        names_win = col_ok.sum() < (~col_ok).sum()
        i = int(np.flatnonzero(col_ok if names_win else ~col_ok)[0])
        if names_win:
            expected = "a class name like the column's other values"
        else:
            expected = "0 or 1" if col[col_ok].isin(list(_ZERO_ONE)).all() else "a number"
        raise InputError(f"{path}: line {lines[i]}, column {names[0]!r}: expected {expected}, found "
                         f"{_show(values.iat[i, 0])}")
    fractions = col_ok & (numbers[:, 0] != np.round(numbers[:, 0]))
    if task == "classification" and col_ok.all() and fractions.any():
        i = int(np.flatnonzero(fractions)[0])
        raise InputError(f"{path}: line {lines[i]}, column {names[0]!r}: expected a class label (a name or a whole "
                         f"number), found {_show(values.iat[i, 0])}; numeric targets need {opt('task')} regression")


# ----------------------------------------------------------------------------- numeric tables

#: Cell spellings read as "missing" where missing values are allowed (case-insensitive).
MISSING = ("", "na", "nan", "n/a", "null")


@dataclass
class Features:
    """A numeric table: one row per sample, one column per feature.

    Attributes
    ----------
    ids : list of str
        Row ids (first column), length ``N``.
    names : list of str
        Feature (column) names, length ``F``.
    x : numpy.ndarray, shape (N, F), dtype float32
        Values; NaN marks a missing cell (only when missing cells were allowed).
    lines : numpy.ndarray, shape (N,), dtype int64
        1-based file line of each row, for later error messages.
    """

    ids: list[str]
    names: list[str]
    x: np.ndarray
    lines: np.ndarray


def read_matrix(
    path: str | Path, *, allow_missing: bool = False, what: str = "feature", columns: Sequence[str] | None = None
) -> Features:
    """Read a numeric table with a header row and row ids in the first column.

    Parameters
    ----------
    path : str or Path
        TSV (CSV by the ``.csv`` / ``.csv.gz`` suffix), gzip detected from the content.
    allow_missing : bool, optional
        Read empty cells and ``NA`` / ``NaN`` / ``N/A`` / ``null`` as NaN. When False they
        are an error. Default is False.
    what : str, optional
        What a column holds, for error messages ("feature", "condition"). Default is
        "feature".
    columns : sequence of str or None, optional
        Read only these columns, in this order (others may hold anything); they must all
        be present. Default is None (every column).

    Returns
    -------
    Features

    Raises
    ------
    InputError
        For a malformed table (see :func:`read_table`), a table without value columns or
        rows, or a cell that is not a finite number (naming its line and column).
    """
    header, cells, lines = _read_cells(path)
    _require_value_columns(path, header, what)
    if len(cells) == 0:
        raise InputError(f"{path}: no data rows below the header")
    _check_ids(path, cells[0], lines, header[0])
    names = list(header[1:])
    if columns is None:
        values = cells.iloc[:, 1:]
    else:
        missing = [c for c in columns if c not in names]
        if missing:
            raise InputError(
                f"{path}: {len(missing)} of the {len(columns)} {what} columns needed are missing "
                f"(first: {_first_ids(missing)})"
            )
        names = list(columns)
        values = cells[[header.index(c) for c in columns]]
    numbers, ok = _numbers(values)
    if not ok.all():
        missing = values.apply(lambda col: col.str.lower().isin(MISSING)).to_numpy()
        bad = ~ok & ~missing if allow_missing else ~ok
        if bad.any():
            i, j = np.argwhere(bad)[0]  # row-major: the first bad cell in file order
            cell = values.iat[i, j]
            if missing[i, j]:
                found = "an empty cell" if cell == "" else f"{_show(cell)}"
                raise InputError(
                    f"{path}: line {lines[i]}, column {names[j]!r}: expected a number, found {found} "
                    f"(missing values are not allowed here)"
                )
            raise InputError(
                f"{path}: line {lines[i]}, column {names[j]!r}: expected a number, found {_show(cell)}"
            )
        numbers[missing] = np.nan
    return Features(ids=cells[0].tolist(), names=names, x=_float32(path, numbers, values, names, lines), lines=lines)


def _float32(
    path: str | Path, numbers: np.ndarray, values: pd.DataFrame, names: list[str], lines: np.ndarray
) -> np.ndarray:
    """``numbers`` as float32; a finite number too large for float32 is an error, not inf."""
    with np.errstate(over="ignore"):
        x = numbers.astype(np.float32)
    bad = np.isinf(x) & np.isfinite(numbers)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(
            f"{path}: line {lines[i]}, column {names[j]!r}: {_show(values.iat[i, j])} is too large; expected a "
            f"number between -3.4e38 and 3.4e38 (32-bit floats)"
        )
    return x


def read_features(path: str | Path, columns: Sequence[str] | None = None) -> Features:
    """Read a feature table (samples x features): numbers only, no missing cells.

    The first column holds sample ids (unique, non-empty); every other column is a
    feature named by the header (or only ``columns``, in that order, when given: how a
    trained model reads its features).  See :func:`read_matrix` for the errors.
    """
    return read_matrix(path, allow_missing=False, what="feature", columns=columns)
