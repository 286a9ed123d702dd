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

from seqnet.errors import InputError
from seqnet.io.fasta import _show, open_text, read_errors

__all__ = ["Labels", "read_table", "read_labels"]

_ZERO_ONE = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0}

# How many ids an error message lists.
_SHOW_IDS = 3


@dataclass
class Labels:
    """Labels for a list of records.

    Attributes
    ----------
    task_type : str
        ``"binary"`` (one 0/1 column), ``"multilabel"`` (several 0/1 columns) or
        ``"multiclass"`` (one column of class names).
    names : list of str
        Task names (the column headers) for binary / multilabel; the class names, sorted,
        for multiclass (class ``i`` is ``names[i]``).
    y : numpy.ndarray
        float32 ``(N, T)`` for binary / multilabel; int64 ``(N,)`` class indices for
        multiclass.  Rows follow the ``ids`` given to :func:`read_labels`.
    """

    task_type: str
    names: list[str]
    y: np.ndarray


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
        # Fast path: no quoting, so fields per line = separators + 1.
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
        line_numbers = keep + 1
    else:
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
        frame = pd.DataFrame(rows, dtype=str)
        line_numbers = np.asarray(starts, dtype=np.int64)

    frame = frame.apply(lambda col: col.str.strip())
    header = frame.iloc[0].tolist()
    for j, name in enumerate(header):
        if not name:
            raise InputError(
                f"{path}: line {line_numbers[0]}: column {j + 1} has an empty name; a "
                f"header row naming every column is required"
            )
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        if name in seen:
            raise InputError(
                f"{path}: line {line_numbers[0]}: column name {name!r} is used twice "
                f"(columns {seen[name] + 1} and {j + 1})"
            )
        seen[name] = j
    cells = frame.iloc[1:].reset_index(drop=True)
    cells.columns = range(len(header))
    return header, cells, np.asarray(line_numbers[1:], dtype=np.int64)


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


def read_labels(path: str | Path, ids: Sequence[str], *, ids_source: str = "FASTA") -> Labels:
    """Read a label table and align it to a list of record ids.

    The first column holds record ids (a header row is required; its name is free).  The
    other columns decide the task:

    - one column, every value 0 or 1 -> ``"binary"``;
    - several columns, every value 0 or 1 -> ``"multilabel"``;
    - one column with any other value (``G1``, ``bound``, ``2``) -> ``"multiclass"``, the
      class names being the distinct values sorted (numerically if all are numbers).

    0 and 1 may be written ``0``/``1`` or ``0.0``/``1.0``.

    Parameters
    ----------
    path : str or Path
        Label table (TSV, or CSV by the ``.csv`` / ``.csv.gz`` suffix; gzip ok).
    ids : sequence of str
        Record ids to label, e.g. from :func:`seqnet.io.fasta.read_fasta`.
    ids_source : str, optional
        What ``ids`` came from, for error messages. Default is "FASTA".

    Returns
    -------
    Labels
        Task type, names and targets, rows in the order of ``ids``.

    Raises
    ------
    InputError
        If the table is malformed (see :func:`read_table`), has no label column, an empty
        cell, a non-0/1 value among several label columns, a duplicate id, or ids that do
        not match ``ids`` exactly (records without a label or label rows without a record).
    """
    header, cells, lines = _read_cells(path)
    if len(header) < 2:
        hint = ""
        if _separator(path) == "\t" and "," in header[0]:
            hint = " (the header holds commas: is it a CSV file? name it .csv)"
        raise InputError(
            f"{path}: expected an id column and at least one label column, found 1 "
            f"column{hint}"
        )
    if len(cells) == 0:
        raise InputError(f"{path}: no label rows below the header")
    wanted = set(ids)
    if header[0] in wanted:
        raise InputError(
            f"{path}: the first line looks like data (its first cell {header[0]!r} is a "
            f"{ids_source} record id); a header row is required"
        )
    table_ids = cells[0]
    _check_ids(path, table_ids, lines, header[0])

    values = cells.iloc[:, 1:]
    empty = (values == "").to_numpy()
    if empty.any():
        i, j = np.argwhere(empty)[0]
        raise InputError(
            f"{path}: line {lines[i]}, column {header[j + 1]!r}: empty cell; expected a label"
        )

    # Ids must match one to one: extra rows usually mean the wrong label file.
    present = set(table_ids)
    unlabelled = [r for r in ids if r not in present]
    unused = [r for r in table_ids if r not in wanted]
    problems = []
    if unlabelled:
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

    order = pd.Index(table_ids).get_indexer(list(ids))
    names = header[1:]
    is01 = values.isin(list(_ZERO_ONE)).to_numpy()
    if len(names) == 1 and not is01.all():
        column = values.iloc[:, 0].to_numpy(dtype=object)[order]
        classes = _class_order(list(column))
        index = {c: k for k, c in enumerate(classes)}
        y = np.fromiter((index[v] for v in column), dtype=np.int64, count=len(column))
        return Labels(task_type="multiclass", names=classes, y=y)
    if not is01.all():
        bad = np.argwhere(~is01)
        i, j = bad[0]  # argwhere is row-major: the first bad cell in file order
        raise InputError(
            f"{path}: line {lines[i]}, column {names[j]!r}: expected 0 or 1, found "
            f"{_show(values.iat[i, j])}"
        )
    y = values.apply(lambda col: col.map(_ZERO_ONE)).to_numpy(dtype=np.float32)[order]
    task = "binary" if len(names) == 1 else "multilabel"
    return Labels(task_type=task, names=list(names), y=y)
