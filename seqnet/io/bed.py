"""BED intervals: reading BED files, recentring to a fixed length and tiling.

Coordinates are 0-based, half-open, as in BED: ``Interval("chr1", 100, 200)`` is the 100
bases ``genome["chr1"][100:200]`` and its id is ``"chr1:100-200"``.

Examples
--------
>>> peaks = read_bed("peaks.bed")                                   # doctest: +SKIP
>>> windows = [recenter(iv, 200) for iv in peaks]                   # doctest: +SKIP
>>> tiles = tile(peaks, 200)                                        # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from seqnet.errors import ConfigError, InputError
from seqnet.io.fasta import _looks_binary, _show, open_text, read_errors

__all__ = [
    "Interval",
    "read_bed",
    "recenter",
    "tile",
]


@dataclass
class Interval:
    """A genomic interval, 0-based half-open like BED.

    Attributes
    ----------
    chrom : str
        Chromosome (sequence) name as in the genome FASTA.
    start : int
        First base, 0-based.
    end : int
        One past the last base.
    name : str or None
        BED column 4 when present. Default is None.
    line : int
        1-based line in the BED file it came from, for error messages; 0 when the interval
        was not read from a file. Default is 0.
    """

    chrom: str
    start: int
    end: int
    name: str | None = None
    line: int = 0

    @property
    def id(self) -> str:
        """``"chrom:start-end"``."""
        return f"{self.chrom}:{self.start}-{self.end}"


# ----------------------------------------------------------------------------- BED

# Comment, track and browser lines; "track" must be a word of its own, so that intervals on
# a sequence named e.g. "trackA" or "browser2" are read, not skipped.
_BED_HEADER = re.compile(r"#|(?:track|browser)(?:\s|$)")


def read_bed(path: str | Path) -> list[Interval]:
    """Read a BED3+ file (plain or gzip).

    Columns beyond the third are ignored except the name (column 4).  Blank lines, ``#``
    comments and ``track`` / ``browser`` lines (those words, then white space or the line
    end) are skipped.  Columns are tab-separated; a line without tabs is split on
    whitespace.

    Parameters
    ----------
    path : str or Path
        BED file.

    Returns
    -------
    list of Interval
        In file order, each remembering its line number.

    Raises
    ------
    InputError
        If the file is missing, binary, holds no intervals, or a line has fewer than 3
        columns, a non-integer coordinate, ``start < 0`` or ``end <= start``.
    """
    intervals: list[Interval] = []
    with open_text(path) as handle, read_errors(path, "BED"):
        for lineno, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n")
            stripped = text.strip()
            if not stripped or _BED_HEADER.match(stripped):
                continue
            fields = text.split("\t") if "\t" in text else text.split()
            if len(fields) < 3:
                if _looks_binary(text):
                    raise InputError(f"{path}: not a text BED file (binary data on line {lineno})")
                raise InputError(
                    f"{path}: line {lineno}: expected at least 3 tab-separated columns "
                    f"(chrom, start, end), found {len(fields)}: {_show(text)}"
                )
            chrom = fields[0].strip()
            coords = []
            for column, label in ((1, "start"), (2, "end")):
                value = fields[column].strip()
                try:
                    coords.append(int(value))
                except ValueError:
                    raise InputError(
                        f"{path}: line {lineno}, column {column + 1} ({label}): expected an "
                        f"integer, found {_show(value)}"
                    ) from None
            start, end = coords
            if start < 0:
                raise InputError(f"{path}: line {lineno}: start {start} is negative")
            if end <= start:
                raise InputError(
                    f"{path}: line {lineno}: end {end} is not after start {start}; BED "
                    f"intervals are 0-based half-open with end > start"
                )
            name = fields[3].strip() if len(fields) > 3 and fields[3].strip() else None
            intervals.append(Interval(chrom, start, end, name, lineno))
    if not intervals:
        raise InputError(
            f"{path}: no intervals found; expected tab-separated lines 'chrom start end'"
        )
    return intervals


# ----------------------------------------------------------------------------- windows


def recenter(interval: Interval, length: int) -> Interval:
    """A window of ``length`` bases centred on the interval's midpoint.

    The window starts at ``(start + end - length) // 2``: when the interval and the window
    differ in length by an odd number of bases, the window sits half a base to the left
    (floor), so e.g. ``recenter(Interval("c", 0, 3), 2)`` is ``c:0-2``.  The window may
    extend past either chromosome end (even start below 0); :func:`extract` pads it.

    Parameters
    ----------
    interval : Interval
        Interval to centre on; name and line are kept.
    length : int
        Window length in bases, > 0.

    Returns
    -------
    Interval
        ``end - start == length``.
    """
    if length <= 0:
        raise ConfigError(f"window length must be a positive integer, got {length}")
    start = (interval.start + interval.end - length) // 2
    return replace(interval, start=start, end=start + length)


def tile(intervals: Sequence[Interval], length: int) -> list[Interval]:
    """Cut each interval into consecutive, non-overlapping windows of ``length`` bases.

    Windows start at the interval's start; a remainder shorter than ``length`` at the
    end is dropped.  An interval shorter than ``length`` yields one window centred on it
    (as :func:`recenter`).  Name and line are kept, so errors still point at the BED line.

    Parameters
    ----------
    intervals : sequence of Interval
    length : int
        Window length in bases, > 0.

    Returns
    -------
    list of Interval
    """
    if length <= 0:
        raise ConfigError(f"window length must be a positive integer, got {length}")
    out: list[Interval] = []
    for iv in intervals:
        n = (iv.end - iv.start) // length
        if n == 0:
            out.append(recenter(iv, length))
            continue
        out.extend(replace(iv, start=iv.start + k * length, end=iv.start + (k + 1) * length) for k in range(n))
    return out
