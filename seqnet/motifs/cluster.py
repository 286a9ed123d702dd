"""One motif per thing learned: cluster filter motifs by TOMTOM similarity and merge them.

A convolutional network learns one motif many times: the Oct4 vs MafK DeepBind model
has ~25 filters reading the MAF site, on either strand and at shifted offsets.
:func:`cluster_motifs` compares every motif with every other (and with its reverse
complement) by TOMTOM (memelite, Pearson column scores, see
:func:`seqnet.motifs.match.run_tomtom`), turns the p-values into Benjamini-Hochberg
q-values per query (over the other motifs), and joins motifs by average linkage on
``d_ij = min(q_ij, q_ji)`` cut at ``max_q`` (default 0.01): a motif joins a cluster
when it is on average that similar to all its members, so a chain of pairwise
resemblances (half site -> full site -> other half site) does not pull unrelated
motifs together.

Each cluster is merged into one motif by adding the members' letter counts, aligned to
the cluster's seed (the member with most sites) by TOMTOM's offset and strand; the
counts of a ``-`` member are reverse complemented first.  The merged counts are
trimmed again.  ``nsites`` of a merged motif is the sum of its members' sites (the
counts actually added); ``hits`` (which sequences carry a site) is their union.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from seqnet.alphabets import Alphabet
from seqnet.motifs.extract import FilterMotif, _rc_counts, _set_motif, _Shaping
from seqnet.motifs.motif import Motif

__all__ = ["MotifCluster", "cluster_motifs", "CLUSTER_Q"]

#: Average-linkage cut on the TOMTOM q-value between two motifs.
CLUSTER_Q = 0.01


@dataclass(eq=False)
class MotifCluster:
    """Filters that learned one motif, merged.

    Attributes
    ----------
    motif : Motif
        The merged, trimmed PFM (``nsites``: the sites of all members).
    members : list of FilterMotif
        The member filters, seed first.
    strands : list of str
        ``"+"`` or ``"-"``: each member's orientation relative to the merged motif.
    hits : numpy.ndarray, shape=(S, N), dtype=bool
        Sequence-strands carrying a site of any member.
    """

    motif: Motif
    members: list
    strands: list
    hits: np.ndarray = field(repr=False)

    @property
    def filters(self) -> list[int]:
        """Member filter indices, seed first."""
        return [m.index for m in self.members]

    @property
    def nsites(self) -> int:
        """Distinct sequence-strands with a site of any member."""
        return int(self.hits.sum())


def _similarity(motifs: list[Motif]):
    """``(d (n, n) symmetric q-values, offset, strand)`` of TOMTOM all-vs-all, or None."""
    from seqnet.motifs.match import benjamini_hochberg, run_tomtom

    n = len(motifs)
    try:
        p, _, offset, _, strand = run_tomtom([m.pfm for m in motifs], [m.pfm for m in motifs], quiet=True,
                                             reverse_complement=motifs[0].alphabet in ("ACGT", "ACGU"))
    except Exception as exc:  # memelite / numba failures: leave the motifs unclustered
        warnings.warn(f"TOMTOM failed on the filter motifs ({exc}); motifs are not clustered", stacklevel=3)
        return None
    off_diag = ~np.eye(n, dtype=bool)
    q = np.ones((n, n))
    q[off_diag] = benjamini_hochberg(p[off_diag].reshape(n, n - 1), axis=1).ravel()
    d = np.minimum(q, q.T)
    np.fill_diagonal(d, 0.0)
    return d, offset, strand


def _labels(d: np.ndarray, max_q: float) -> np.ndarray:
    """Average-linkage cluster labels ``(n,)`` cut at ``max_q``."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(d) < 2:
        return np.ones(len(d), dtype=int)
    z = linkage(squareform(d, checks=False), method="average")
    return fcluster(z, t=max_q, criterion="distance")


def cluster_motifs(kept: list[FilterMotif], hits: np.ndarray, shaping: _Shaping, *,
                   max_q: float = CLUSTER_Q) -> list[MotifCluster]:
    """Cluster filter motifs and merge each cluster into one motif.

    Parameters
    ----------
    kept : list of FilterMotif
        Filters with a motif (``counts`` and ``start`` set, as
        :func:`seqnet.motifs.sites.filter_sites` leaves them).
    hits : numpy.ndarray, shape=(F, S, N), dtype=bool
        Per filter (all filters, by index), the sequence-strands carrying a site.
    shaping : seqnet.motifs.extract._Shaping
        Background, pseudocount, trimming and alphabet for the merged motifs.
    max_q : float, optional
        Average-linkage cut on the symmetric TOMTOM q-value. Default is 0.01.

    Returns
    -------
    list of MotifCluster
        Largest cluster (most sites) first; named ``cluster_<seed filter>``.
    """
    if not kept:
        return []
    sim = _similarity([f.motif for f in kept]) if len(kept) > 1 else None
    labels = _labels(sim[0], max_q) if sim is not None else np.arange(len(kept))
    clusters = []
    for label in np.unique(labels):
        idx = [int(i) for i in np.flatnonzero(labels == label)]
        idx.sort(key=lambda i: (-kept[i].nsites, kept[i].index))
        clusters.append(_merge(kept, idx, sim, hits, shaping))
    clusters.sort(key=lambda c: (-c.nsites, c.filters[0]))
    return clusters


def _merge(kept: list[FilterMotif], idx: list[int], sim, hits: np.ndarray, shaping: _Shaping) -> MotifCluster:
    """One cluster's merged motif: counts of members ``idx`` (seed first) aligned to the seed."""
    seed = kept[idx[0]]
    name = f"cluster_{seed.index}"
    if len(idx) == 1:
        motif = Motif(name, seed.motif.pfm, nsites=seed.nsites, alphabet=seed.motif.alphabet)
        return MotifCluster(motif, [seed], ["+"], hits[seed.index].copy())
    _, offset, strand = sim
    placed = [(seed.counts, 0)]
    strands = ["+"]
    for i in idx[1:]:
        m = kept[i]
        minus = int(strand[idx[0], i]) == 1
        counts, shift = _aligned(seed, m, int(offset[idx[0], i]), minus, shaping.alphabet)
        placed.append((counts, shift))
        strands.append("-" if minus else "+")
    lo = min(0, *(-s for _, s in placed))
    hi = max(c.shape[0] - s for c, s in placed)
    merged = np.zeros((hi - lo, shaping.alphabet.size))
    for c, s in placed:
        merged[-s - lo : -s - lo + c.shape[0]] += c
    members = [kept[i] for i in idx]
    union = np.any(hits[[m.index for m in members]], axis=0)
    trial = FilterMotif(seed.index, None, int(union.sum()), seed.threshold)
    if not _set_motif(trial, merged, lo, name, shaping):
        trial.motif = Motif(name, seed.motif.pfm, nsites=trial.nsites, alphabet=seed.motif.alphabet)
    return MotifCluster(trial.motif, members, strands, union)


def _aligned(seed: FilterMotif, m: FilterMotif, o: int, minus: bool, alphabet: Alphabet) -> tuple[np.ndarray, int]:
    """``(counts, shift)``: member ``m``'s window counts in the seed's orientation, and the
    column of them under column 0 of the seed's window.

    ``o`` is TOMTOM's offset with the seed as query: the member's (reverse-complemented
    for ``minus``) trimmed column ``c + o`` lies under the seed's trimmed column ``c``.
    """
    k = m.counts.shape[0]
    if minus:
        # rc(window) column k - 1 - u holds window column u; the trimmed motif starts at
        # rc column k - start - width.
        return _rc_counts(m.counts, alphabet), k - m.start - m.motif.width + o - seed.start
    return m.counts, m.start + o - seed.start
