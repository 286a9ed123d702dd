"""Motifs from attributions: seqlets and TF-MoDISco patterns (modisco-lite).

First-layer filters show what the model can detect; attributions show what it uses in
each sequence.  :func:`modisco_patterns` hands DeepLIFT/SHAP maps
(:func:`seqnet.attribution.deep_lift_shap`) to the maintained ``modisco-lite``
package (Shrikumar et al. 2018, TF-MoDISco; Schreiber's lite rewrite), which

1. finds *seqlets*: windows whose summed contribution stands out from a null built
   from the same maps (a target false discovery rate), positive or negative;
2. clusters the seqlets by the similarity of their hypothetical contributions (Leiden
   on a sparse affinity graph) and aligns each cluster into a *pattern*.

A pattern from positive seqlets is a motif that raises the explained output where it
occurs; one from negative seqlets lowers it (for a binary model: raises the other
class).  Each pattern becomes a :class:`~seqnet.motifs.motif.Motif`: the seqlets'
letter frequencies, trimmed to the columns whose summed absolute contribution reaches
``trim_fraction`` of the pattern's largest (TF-MoDISco's own report trims the same
way), with ``nsites`` the number of seqlets behind it.

modisco-lite compiles numba kernels on first use and caches them on disk; its numba
threads follow torch's thread count (``seqnet --threads``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqnet.errors import ConfigError
from seqnet.motifs.motif import Motif

__all__ = ["Pattern", "modisco_patterns", "MIN_SEQUENCES", "MIN_LENGTH"]

#: Fewest attributed sequences modisco-lite is run on: below this a metacluster rarely
#: reaches its 100 seqlets and the patterns are noise.
MIN_SEQUENCES = 100
#: Shortest sequences modisco-lite is run on: it widens seqlets by 2 x 10 flanking bases
#: while it builds patterns, and on 80-bp sequences with many seqlets it found nothing or
#: ran for over 10 minutes (measured); 100 bp and longer worked.
MIN_LENGTH = 100
#: Leiden runs per clustering (modisco-lite's default is 50; the best of 4 found the same
#: Oct4 / MafK patterns in a third of the time).
LEIDEN_RUNS = 4


@dataclass(eq=False)
class Pattern:
    """One TF-MoDISco pattern.

    Attributes
    ----------
    motif : Motif
        Trimmed letter frequencies of the seqlets; ``nsites`` = seqlets.
    sign : str
        ``"+"``: positive seqlets (the pattern raises the explained output), ``"-"``.
    seqlets : int
        Seqlets in the pattern.
    examples : numpy.ndarray, shape=(S,), dtype=int
        The attributed sequence of each seqlet (indices into the maps).
    contribution : float
        Mean summed contribution of the pattern's trimmed columns per seqlet (signed).
    starts, ends : numpy.ndarray, shape=(S,), dtype=int
        Each seqlet's span in its sequence (0-based, end exclusive; with flanks).
    revcomp : numpy.ndarray, shape=(S,), dtype=bool
        The seqlet reads the pattern on the reverse strand.
    """

    motif: Motif
    sign: str
    seqlets: int
    examples: np.ndarray = field(repr=False)
    contribution: float
    starts: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int64))
    ends: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int64))
    revcomp: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=bool))


def _trim(contrib: np.ndarray, fraction: float) -> tuple[int, int]:
    """``(first, last + 1)`` columns with summed |contribution| >= ``fraction`` of the largest."""
    score = np.abs(contrib).sum(axis=1)
    keep = np.flatnonzero(score >= fraction * score.max()) if score.max() > 0 else np.arange(len(score))
    return int(keep[0]), int(keep[-1]) + 1


def _to_pattern(p, sign: str, name: str, alphabet: str, fraction: float) -> Pattern:
    """A modisco-lite SeqletSet as a :class:`Pattern`."""
    a, b = _trim(np.asarray(p.contrib_scores), fraction)
    seq = np.clip(np.asarray(p.sequence, dtype=np.float64)[a:b], 0.0, None)
    seq = seq + 1e-6  # a column no seqlet covered would be all zero
    seq = seq / seq.sum(axis=1, keepdims=True)
    n = len(p.seqlets)
    motif = Motif(name, seq, nsites=n, alphabet=alphabet)
    examples = np.array([s.example_idx for s in p.seqlets], dtype=np.int64)
    contribution = float(np.asarray(p.contrib_scores)[a:b].sum())
    starts = np.array([s.start for s in p.seqlets], dtype=np.int64)
    ends = np.array([s.end for s in p.seqlets], dtype=np.int64)
    revcomp = np.array([bool(s.is_revcomp) for s in p.seqlets], dtype=bool)
    return Pattern(motif, sign, n, examples, contribution, starts, ends, revcomp)


def modisco_patterns(
    one_hot: np.ndarray,
    hypothetical: np.ndarray,
    *,
    alphabet: str = "ACGT",
    window: int = 20,
    flank: int = 5,
    max_seqlets: int = 2000,
    target_fdr: float = 0.05,
    trim_fraction: float = 0.3,
    name_prefix: str = "pattern",
) -> list[Pattern]:
    """TF-MoDISco patterns of DeepLIFT/SHAP maps, by modisco-lite.

    Parameters
    ----------
    one_hot : numpy.ndarray, shape=(N, C, L)
        The attributed sequences, one-hot.
    hypothetical : numpy.ndarray, shape=(N, C, L)
        Hypothetical contributions (``DeepLiftShap.hypothetical``).
    alphabet : str, optional
        Letters of the channels (4 letters). Default is ``"ACGT"``.
    window : int, optional
        Seqlet core width (modisco-lite's ``sliding_window_size``). Default is 20.
    flank : int, optional
        Bases added on both sides of each seqlet. Default is 5.
    max_seqlets : int, optional
        Seqlets per metacluster (positive, negative) at most. Default is 2000.
    target_fdr : float, optional
        False discovery rate of seqlet calling. Default is 0.05.
    trim_fraction : float, optional
        Columns kept: summed |contribution| at least this fraction of the largest.
        Default is 0.3.
    name_prefix : str, optional
        Patterns are named ``"{name_prefix}_{k}"`` from 1, positive ones first.
        Default is ``"pattern"``.

    Returns
    -------
    list of Pattern
        Positive patterns then negative ones, each by decreasing seqlet count.

    Raises
    ------
    ConfigError
        For fewer than :data:`MIN_SEQUENCES` sequences, maps of different shapes, or
        an alphabet that is not 4 letters.
    """
    x, h = np.asarray(one_hot, dtype=np.float32), np.asarray(hypothetical, dtype=np.float32)
    if x.shape != h.shape or x.ndim != 3:
        raise ConfigError(f"one_hot {x.shape} and hypothetical {h.shape} must be the same (N, C, L) shape")
    if x.shape[1] != 4 or len(alphabet) != 4:
        raise ConfigError(f"TF-MoDISco takes DNA or RNA maps (4 letters), got {x.shape[1]} channels")
    if x.shape[0] < MIN_SEQUENCES:
        raise ConfigError(f"TF-MoDISco needs at least {MIN_SEQUENCES} attributed sequences, got {x.shape[0]}")
    if x.shape[2] < MIN_LENGTH:
        raise ConfigError(f"TF-MoDISco needs sequences of at least {MIN_LENGTH} bases, got {x.shape[2]}")
    pos, neg = _run(x.transpose(0, 2, 1).copy(), h.transpose(0, 2, 1).copy(), window, flank, max_seqlets, target_fdr)
    out: list[Pattern] = []
    for sign, found in (("+", pos), ("-", neg)):
        for p in sorted(found or [], key=lambda p: -len(p.seqlets)):
            out.append(_to_pattern(p, sign, f"{name_prefix}_{len(out) + 1}", alphabet, trim_fraction))
    return out


def _run(x: np.ndarray, h: np.ndarray, window: int, flank: int, max_seqlets: int, target_fdr: float):
    """modisco-lite's ``TFMoDISco`` on ``(N, L, 4)`` arrays, numba threads as torch's."""
    import numba
    import torch
    from modiscolite.tfmodisco import TFMoDISco

    _cache_kernels()
    threads = numba.get_num_threads()
    numba.set_num_threads(max(1, min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS)))
    try:
        return TFMoDISco(one_hot=x, hypothetical_contribs=h, sliding_window_size=window, flank_size=flank,
                         max_seqlets_per_metacluster=max_seqlets, target_seqlet_fdr=target_fdr,
                         n_leiden_runs=LEIDEN_RUNS, verbose=False)
    finally:
        numba.set_num_threads(threads)


def _cache_kernels() -> None:
    """Turn on numba's on-disk cache for modisco-lite's kernels.

    modisco-lite caches its kernels only when it can fork compiling children (a spare
    thread); with one thread every run would compile them again (~25 s).  With the cache
    on, the first run compiles and later runs load them in well under a second."""
    import importlib
    import pkgutil

    import modiscolite
    from numba.core.dispatcher import Dispatcher

    for info in pkgutil.iter_modules(modiscolite.__path__):
        try:
            module = importlib.import_module(f"modiscolite.{info.name}")
        except Exception:  # noqa: BLE001 - an optional part (its CLI, report) may not import
            continue
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and not getattr(value, "_cache_enabled_by_seqnet", False):
                try:
                    value.enable_caching()
                    value._cache_enabled_by_seqnet = True
                except Exception:  # noqa: BLE001 - no writable cache: numba compiles as before
                    pass
