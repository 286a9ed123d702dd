"""Background windows drawn from a genome as negatives, optionally GC-matched to the
positives.

Examples
--------
>>> genome = open_genome("genome.fa")                               # doctest: +SKIP
>>> peaks = read_bed("peaks.bed")                                   # doctest: +SKIP
>>> ids, seqs = extract(genome, peaks, 200, source="peaks.bed")     # doctest: +SKIP
>>> neg_ids, neg_seqs = sample_background(                          # doctest: +SKIP
...     genome, len(seqs), 200, exclude=peaks, gc_like=seqs, seed=1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyfaidx

from seqnet.errors import ConfigError, InputError
from seqnet.io.bed import Interval
from seqnet.io.genome import _chrom_list, chrom_sizes, extract

__all__ = ["sample_background"]


# Byte -> is G/C, is N (or any non-ACGT letter), over both cases.
_GC = np.zeros(256, dtype=bool)
_GC[list(b"GCgc")] = True
_ACGT = np.zeros(256, dtype=bool)
_ACGT[list(b"ACGTacgt")] = True


def _gc_fraction(counts_gc: np.ndarray, counts_acgt: np.ndarray) -> np.ndarray:
    """GC over called (A/C/G/T) bases; 0 where nothing is called."""
    return np.divide(
        counts_gc, counts_acgt, out=np.zeros(counts_gc.shape), where=counts_acgt > 0
    )


def _gc_bin(frac: np.ndarray, bins: int) -> np.ndarray:
    """Bin index of each GC fraction; the epsilon keeps exact edges (e.g. 0.7) in the upper bin."""
    return np.minimum(np.floor(frac * bins + 1e-9).astype(np.int64), bins - 1)


def _seq_gc(seqs: Sequence[str]) -> np.ndarray:
    """GC fraction of each sequence, counted with numpy on the joined bytes."""
    data = np.frombuffer("".join(seqs).encode("ascii", "replace"), dtype=np.uint8)
    bounds = np.cumsum([0] + [len(s) for s in seqs])
    gc = np.add.reduceat(_GC[data].astype(np.int64), bounds[:-1]) if data.size else None
    acgt = np.add.reduceat(_ACGT[data].astype(np.int64), bounds[:-1]) if data.size else None
    if gc is None:
        return np.zeros(len(seqs))
    empty = bounds[:-1] == bounds[1:]  # reduceat misreports empty slices
    gc[empty] = 0
    acgt[empty] = 0
    return _gc_fraction(gc, acgt)


def _merged(exclude: Sequence[Interval]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per chromosome, sorted disjoint (starts, ends) covering the excluded intervals."""
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for iv in exclude:
        by_chrom.setdefault(iv.chrom, []).append((iv.start, iv.end))
    merged = {}
    for chrom, pairs in by_chrom.items():
        arr = np.array(sorted(pairs), dtype=np.int64)
        starts, ends = arr[:, 0], np.maximum.accumulate(arr[:, 1])
        # A new block starts where an interval begins after everything before it ended.
        new = np.ones(len(arr), dtype=bool)
        new[1:] = starts[1:] > ends[:-1]
        merged[chrom] = (starts[new], np.maximum.reduceat(ends, np.flatnonzero(new)))
    return merged


def _overlaps(starts: np.ndarray, length: int, blocks: tuple[np.ndarray, np.ndarray] | None):
    """Whether each window ``[s, s + length)`` overlaps a merged excluded block."""
    if blocks is None or blocks[0].size == 0:
        return np.zeros(starts.shape, dtype=bool)
    b_start, b_end = blocks
    k = np.searchsorted(b_end, starts, side="right")  # first block ending after s
    hit = k < b_start.size
    hit[hit] = b_start[k[hit]] < starts[hit] + length
    return hit


def _quotas(n: int, weights: np.ndarray) -> np.ndarray:
    """Split ``n`` into integer quotas proportional to ``weights`` (largest remainders)."""
    share = n * weights / weights.sum()
    quota = np.floor(share).astype(np.int64)
    rest = n - int(quota.sum())
    if rest:
        # Stable sort: ties go to the lower bin, so the split is deterministic.
        order = np.argsort(-(share - quota), kind="stable")
        quota[order[:rest]] += 1
    return quota


def _spill_quotas(quota: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Move the part of each GC bin's quota that the genome cannot fill to the nearest
    bins with spare windows (closest GC first), so matching degrades gracefully instead
    of failing when, say, the peaks are GC-richer than most of the genome.

    ``available.sum() >= quota.sum()`` must hold.
    """
    quota = np.asarray(quota, dtype=np.int64).copy()
    available = np.asarray(available, dtype=np.int64)
    take = np.minimum(quota, available)
    deficit = quota - take
    for b in np.flatnonzero(deficit):
        need = int(deficit[b])
        # neighbours ordered by distance, ties to the lower bin
        order = sorted(range(len(quota)), key=lambda j: (abs(j - b), j))
        for j in order:
            if need == 0:
                break
            spare = int(available[j] - take[j])
            if spare > 0:
                moved = min(spare, need)
                take[j] += moved
                need -= moved
    return take


def sample_background(
    genome: pyfaidx.Fasta,
    n: int,
    length: int,
    *,
    exclude: Sequence[Interval],
    gc_like: Sequence[str] | None = None,
    seed: int = 0,
    max_n_fraction: float = 0.0,
    chroms: Sequence[str] | None = None,
    gc_bins: int = 20,
) -> tuple[list[str], list[str]]:
    """Draw random genomic windows as negatives, optionally GC-matched to the positives.

    Candidate windows tile each chromosome end to end from a random offset (seeded), so
    the chosen windows never overlap one another.  Every candidate is scored at once with
    numpy (each chromosome is fetched once as a byte array): windows overlapping an
    ``exclude`` interval or with more than ``max_n_fraction`` non-ACGT bases are dropped.
    Without ``gc_like`` ``n`` windows are drawn uniformly from the rest.  With it, the GC
    fraction (G+C over A/C/G/T bases) of the ``gc_like`` sequences is binned into
    ``gc_bins`` equal bins on [0, 1]; each bin gets a quota proportional to its count
    (largest remainders) and is filled with random candidates of the same GC bin; what a
    bin cannot fill is taken from the nearest bins that can.

    Parameters
    ----------
    genome : pyfaidx.Fasta
        From :func:`open_genome`.
    n : int
        Number of windows, >= 0.
    length : int
        Window length in bases, > 0.
    exclude : sequence of Interval
        Regions the windows must not overlap (typically the peaks).  Intervals on
        chromosomes not sampled are ignored.
    gc_like : sequence of str or None, optional
        Sequences whose GC distribution to match. Default is None (no matching).
    seed : int, optional
        Seed for :func:`numpy.random.default_rng`; same inputs and seed give the same
        windows. Default is 0.
    max_n_fraction : float, optional
        Largest allowed fraction of non-ACGT bases (N, IUPAC codes) in a window.
        Default is 0.0 (none).
    chroms : sequence of str or None, optional
        Chromosomes to sample from. Default is None (all that are at least ``length``).
    gc_bins : int, optional
        Number of GC bins for matching. Default is 20.

    Returns
    -------
    ids : list of str
        ``"chrom:start-end"`` of each window, in random order.
    seqs : list of str
        Their sequences, letters as in the genome.

    Raises
    ------
    InputError
        If the genome cannot provide ``n`` windows; the message says how many it found.
    ConfigError
        For a bad ``n``, ``length``, ``max_n_fraction``, ``gc_bins`` or unknown ``chroms``.
    """
    shown = str(getattr(genome, "filename", "genome"))
    _check_background_options(n, length, max_n_fraction, gc_bins)
    sizes = chrom_sizes(genome)
    names = _sampled_chroms(chroms, sizes, shown)
    rng = np.random.default_rng(seed)
    max_n = int(np.floor(max_n_fraction * length + 1e-9))
    tiling = _Tiling(length, max_n, gc_bins, blocks=_merged(exclude))
    candidates = _candidates(genome, names, sizes, rng, tiling)
    _require_windows(shown, candidates, n, length, len(exclude))
    picked = _pick(rng, n, candidates, gc_like, gc_bins)
    windows = [
        Interval(names[int(c)], int(s), int(s) + length)
        for c, s in zip(candidates.chrom[picked], candidates.start[picked])
    ]
    return extract(genome, windows, None, source=shown)


def _check_background_options(n: int, length: int, max_n_fraction: float, gc_bins: int) -> None:
    """Range checks of :func:`sample_background`'s numeric arguments."""
    if n < 0:
        raise ConfigError(f"number of background windows must be >= 0, got {n}")
    if length <= 0:
        raise ConfigError(f"window length must be a positive integer, got {length}")
    if not 0.0 <= max_n_fraction <= 1.0:
        raise ConfigError(f"max_n_fraction must be between 0 and 1, got {max_n_fraction}")
    if gc_bins < 1:
        raise ConfigError(f"gc_bins must be >= 1, got {gc_bins}")


def _sampled_chroms(chroms: Sequence[str] | None, sizes: dict[str, int], shown: str) -> list[str]:
    """The chromosomes to sample from, each once, in the given (or the genome's) order."""
    if chroms is None:
        return list(sizes)
    unknown = [c for c in chroms if c not in sizes]
    if unknown:
        raise ConfigError(
            f"unknown chromosome {unknown[0]!r} in chroms (genome {shown} has: "
            f"{_chrom_list(sizes)})"
        )
    return list(dict.fromkeys(chroms))


@dataclass(eq=False)
class _Tiling:
    """How candidate windows are cut and which are usable.

    Attributes
    ----------
    length : int
        Window (tile) length.
    max_n : int
        Most non-ACGT bases a usable window may hold.
    gc_bins : int
        Number of equal GC bins on [0, 1].
    blocks : dict
        Merged excluded intervals per chromosome (see :func:`_merged`).
    """

    length: int
    max_n: int
    gc_bins: int
    blocks: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(eq=False)
class _Candidates:
    """Usable windows, each field ``(K,)`` int64: index into the sampled chromosomes, start, GC bin."""

    chrom: np.ndarray
    start: np.ndarray
    gc_bin: np.ndarray


def _candidates(
    genome: pyfaidx.Fasta, names: list[str], sizes: dict[str, int], rng: np.random.Generator, tiling: _Tiling
) -> _Candidates:
    """Score every tile of every chromosome and keep the usable ones.

    Tiles run end to end from a random offset (from 0 on a chromosome shorter than two
    windows), so no two candidates overlap.
    """
    length = tiling.length
    offsets = rng.integers(0, length, size=len(names))
    chrom, start, gc_bin = [], [], []
    for ci, name in enumerate(names):
        size = sizes[name]
        offset = int(offsets[ci]) if size >= 2 * length else 0
        n_tiles = (size - offset) // length
        if n_tiles <= 0:
            continue
        starts, bins = _usable_tiles(genome, name, offset, n_tiles, tiling)
        chrom.append(np.full(starts.size, ci, dtype=np.int64))
        start.append(starts)
        gc_bin.append(bins)
    return _Candidates(_joined(chrom), _joined(start), _joined(gc_bin))


def _usable_tiles(
    genome: pyfaidx.Fasta, chrom: str, offset: int, n_tiles: int, tiling: _Tiling
) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, GC bins)`` of the usable tiles of one chromosome, scored at once with numpy."""
    length = tiling.length
    seq = genome[chrom][offset : offset + n_tiles * length]
    tiles = np.frombuffer(str(seq).encode("ascii", "replace"), dtype=np.uint8)
    tiles = tiles.reshape(n_tiles, length)
    called = _ACGT[tiles].sum(axis=1)
    gc = _GC[tiles].sum(axis=1)
    starts = offset + length * np.arange(n_tiles, dtype=np.int64)
    ok = (length - called <= tiling.max_n) & ~_overlaps(starts, length, tiling.blocks.get(chrom))
    frac = _gc_fraction(gc[ok], called[ok])
    return starts[ok], _gc_bin(frac, tiling.gc_bins)


def _require_windows(shown: str, candidates: _Candidates, n: int, length: int, n_excluded: int) -> None:
    """Fail, saying how many were found, when fewer than ``n`` windows are usable."""
    total = candidates.start.size
    if total < n:
        raise InputError(
            f"{shown}: found only {total} background windows of {length} bp (no N, not "
            f"overlapping the {n_excluded} excluded intervals) but {n} were asked for; "
            f"ask for fewer or shorter windows"
        )


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate int64 arrays; an empty int64 array for none."""
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _pick(
    rng: np.random.Generator,
    n: int,
    candidates: _Candidates,
    gc_like: Sequence[str] | None,
    gc_bins: int,
) -> np.ndarray:
    """Indices of ``n`` distinct candidates: uniform, or GC-matched to ``gc_like``."""
    if gc_like is None:
        return rng.choice(candidates.start.size, size=n, replace=False)
    if len(gc_like) == 0:
        raise ConfigError("gc_like is empty; give the sequences to match or None")
    target = _gc_bin(_seq_gc(gc_like), gc_bins)
    quota = _quotas(n, np.bincount(target, minlength=gc_bins).astype(np.float64))
    available = np.bincount(candidates.gc_bin, minlength=gc_bins)
    quota = _spill_quotas(quota, available)
    parts = [
        rng.choice(np.flatnonzero(candidates.gc_bin == b), size=int(q), replace=False)
        for b, q in enumerate(quota)
        if q
    ]
    return rng.permutation(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
