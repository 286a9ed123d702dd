"""Genome tracks written as they are computed: bedGraph, BigWig (pyBigWig) and BED peaks.

A scan produces values chromosome by chromosome, left to right, in chunks; the writers
here take one chunk at a time, so memory stays bounded however long the chromosome.
Intervals are 0-based half-open (BED convention) in every format.

* :class:`TrackWriter` — one task's ``.bedGraph`` (``chrom start end value``, no
  ``track`` line, so ``bedGraphToBigWig`` accepts it too) and ``.bw``.
* :class:`PeakWriter` — windows at or above a threshold, overlapping or touching ones
  merged, as BED6 (``name`` = task and rank, ``score`` = the best window's value scaled
  to 0-1000, strand ``.``); the best value itself is column 7.

Both are used inside a scratch folder (:func:`seqnet.outputs.staged_dir`), which is
renamed into place only when the whole scan succeeded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["TrackWriter", "PeakWriter"]


class TrackWriter:
    """A bedGraph and a BigWig file of one task, filled chunk by chunk.

    Parameters
    ----------
    bedgraph, bigwig : path
        Files to create.
    chrom_sizes : list of (str, int)
        Every chromosome that may receive values, in the order they will come (the
        BigWig header).
    """

    def __init__(self, bedgraph: str | Path, bigwig: str | Path, chrom_sizes: list[tuple[str, int]]) -> None:
        import pyBigWig

        self._text = open(bedgraph, "w", encoding="ascii", newline="\n")
        self._bw = pyBigWig.open(str(bigwig), "w")
        if self._bw is None:
            self._text.close()
            raise OSError(f"cannot create {bigwig}")
        self._bw.addHeader([(c, int(n)) for c, n in chrom_sizes], maxZooms=10)

    def add(self, chrom: str, starts: np.ndarray, ends: np.ndarray, values: np.ndarray) -> None:
        """Append intervals of ``chrom`` (sorted, not overlapping, after the previous ones).

        Parameters
        ----------
        chrom : str
        starts, ends : numpy.ndarray, shape (n,), int
        values : numpy.ndarray, shape (n,), float
        """
        if not len(starts):
            return
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        self._text.write("".join(f"{chrom}\t{s}\t{e}\t{v:.6g}\n" for s, e, v in zip(starts.tolist(), ends.tolist(),
                                                                                     values.tolist())))
        self._bw.addEntries([chrom] * len(starts), starts.tolist(), ends=ends.tolist(), values=values.tolist())

    def close(self) -> None:
        """Finish both files (the BigWig's zoom levels are written here)."""
        self._text.close()
        self._bw.close()


class PeakWriter:
    """Merged runs of windows at or above ``threshold``, written as BED.

    Parameters
    ----------
    path : path
        BED file to create.
    task : str
        Names the peaks ``<task>_peak<rank>`` (rank in file order).
    threshold : float
        Windows with a value ``>= threshold`` are kept.
    """

    def __init__(self, path: str | Path, task: str, threshold: float) -> None:
        self._out = open(path, "w", encoding="utf-8", newline="\n")
        self.task = task
        self.threshold = float(threshold)
        self._open: list | None = None  # [chrom, start, end, best]
        self.count = 0

    def add(self, chrom: str, starts: np.ndarray, ends: np.ndarray, values: np.ndarray) -> None:
        """Windows of ``chrom`` in order of their start (windows, not their covered bases)."""
        keep = np.asarray(values) >= self.threshold
        for s, e, v in zip(np.asarray(starts)[keep].tolist(), np.asarray(ends)[keep].tolist(),
                           np.asarray(values)[keep].tolist()):
            peak = self._open
            if peak is not None and peak[0] == chrom and s <= peak[2]:
                peak[2] = max(peak[2], e)
                peak[3] = max(peak[3], v)
                continue
            self._flush()
            self._open = [chrom, s, e, v]

    def _flush(self) -> None:
        if self._open is None:
            return
        chrom, s, e, v = self._open
        self.count += 1
        score = int(round(1000 * min(max(v, 0.0), 1.0)))
        self._out.write(f"{chrom}\t{s}\t{e}\t{self.task}_peak{self.count}\t{score}\t.\t{v:.6g}\n")
        self._open = None

    def close(self) -> None:
        """Write the last open peak and close the file."""
        self._flush()
        self._out.close()
