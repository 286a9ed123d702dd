"""Motif databases and TOMTOM matching: which known motifs do learned motifs look like?

:func:`load_jaspar` reads a whole JASPAR collection (offline, from the SQLite databases
that `pyjaspar` ships), :func:`load_database` reads either that or a user's MEME file,
and :func:`tomtom_matches` compares query motifs (e.g. from
:func:`~seqnet.motifs.extract.extract_motifs`) with a database using the TOMTOM
algorithm of Gupta et al. (2007) as implemented by `memelite`.

memelite scores aligned columns by their Euclidean distance, under which flat,
uninformative columns match flat columns best: a uniform or random motif then "matches"
the long, flat-flanked JASPAR CTCF profiles at p < 1e-10, and so do the weak filters of
any trained network.  Columns are therefore centred and scaled to unit length before
memelite sees them, which makes its distance a function of the columns' Pearson
correlation, MEME Tomtom's default column score (``column_score="pearson"``).

memelite compiles its kernels with numba on first use (tens of seconds up to a few
minutes on a slow machine) and caches them on disk, so later processes start in well
under a second.  Every call here passes float64 arrays, so they all share one compiled
version.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from seqnet.errors import ConfigError, InputError
from seqnet.motifs.motif import Motif, _jaspar_release

__all__ = ["load_jaspar", "load_database", "tomtom_matches", "benjamini_hochberg"]

#: Columns of :func:`tomtom_matches`' table.
MATCH_COLUMNS = [
    "query", "query_alt_name", "best_match_id", "best_match_name", "p", "q", "e_value",
    "strand", "offset", "overlap", "n_targets",
]

# Alphabets whose reverse complement is a flip of both axes (complement of letter c is
# letter A - 1 - c), which is what memelite assumes.
_COMPLEMENTARY = ("ACGT", "ACGU")


# -- databases ------------------------------------------------------------------------


def load_jaspar(
    *,
    release: str | None = None,
    collection: str = "CORE",
    taxon: str | None = "vertebrates",
) -> list[Motif]:
    """Every profile of a JASPAR collection, offline, from pyjaspar's SQLite database.

    Only the newest version of each base id is returned (JASPAR's non-redundant set,
    as on its web site and in pyjaspar's ``fetch_motifs`` default).

    Parameters
    ----------
    release : str or None, optional
        ``"JASPAR2024"`` or ``"2024"``. Default is None, the newest release pyjaspar
        ships.
    collection : str, optional
        JASPAR collection, ``"CORE"`` or ``"UNVALIDATED"`` (case-insensitive).
        Default is ``"CORE"``.
    taxon : str or None, optional
        JASPAR taxonomic group (``"vertebrates"``, ``"plants"``, ``"insects"``,
        ``"nematodes"``, ``"fungi"``, ``"urochordates"``, ...; case-insensitive), or
        None for all of them. Default is ``"vertebrates"``.

    Returns
    -------
    list of Motif
        Sorted by matrix id; ``name`` is the versioned matrix id (``"MA0139.2"``),
        ``alt_name`` the TF name (white space replaced by ``_``), ``pfm`` the counts
        normalised without pseudocounts, ``nsites`` the largest column total.

    Raises
    ------
    ConfigError
        For an unknown release, collection or taxon; the message lists the valid ones.
    """
    from pyjaspar import jaspardb

    release = _jaspar_release(release)
    conn = jaspardb(release=release).conn
    try:
        collections = [r[0] for r in conn.execute("SELECT DISTINCT COLLECTION FROM MATRIX ORDER BY 1")]
        match = [c for c in collections if c.upper() == str(collection).upper()]
        if not match:
            raise ConfigError(
                f"unknown JASPAR collection {collection!r} in {release}; expected one of: "
                f"{', '.join(collections)}"
            )
        collection = match[0]
        # Plain table reads, joined here: correlated sub-queries on these index-less
        # tables take seconds.
        taxa_of = dict(conn.execute("SELECT ID, VAL FROM MATRIX_ANNOTATION WHERE TAG = 'tax_group'"))
        newest: dict[str, tuple] = {}
        for int_id, base, version, name in conn.execute(
            "SELECT ID, BASE_ID, VERSION, NAME FROM MATRIX WHERE COLLECTION = ?", (collection,)
        ):
            if base not in newest or version > newest[base][2]:
                newest[base] = (int_id, base, version, name, taxa_of.get(int_id))
        rows = [newest[b] for b in sorted(newest)]
        if taxon is not None:
            taxa = sorted({str(r[4]) for r in rows if r[4]})
            if str(taxon).lower() not in {t.lower() for t in taxa}:
                raise ConfigError(
                    f"unknown JASPAR taxon {taxon!r} for {release} {collection}; expected one of: "
                    f"{', '.join(taxa)} (or no taxon for all)"
                )
            rows = [r for r in rows if r[4] and str(r[4]).lower() == str(taxon).lower()]
        counts = _counts_of(conn, [r[0] for r in rows])
    finally:
        conn.close()
    motifs = []
    for int_id, base, version, name, _ in rows:
        tf = "_".join(str(name).split()) or None
        motifs.append(Motif.from_counts(counts[int_id], f"{base}.{version}", alt_name=tf))
    return motifs


def _counts_of(conn, ids: Sequence[int]) -> dict[int, np.ndarray]:
    """``{internal id: (W, 4) ACGT counts}`` read with one query per 500 ids."""
    out: dict[int, list] = {i: [] for i in ids}
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for int_id, letter, col, val in conn.execute(
            f"SELECT ID, row, col, val FROM MATRIX_DATA WHERE ID IN ({marks})", chunk
        ):
            out[int_id].append((letter, col, val))
    mats = {}
    for int_id, cells in out.items():
        width = max(col for _, col, _ in cells)
        m = np.zeros((width, 4), dtype=np.float64)
        for letter, col, val in cells:
            m[col - 1, "ACGT".index(letter)] = val  # JASPAR columns are 1-based
        mats[int_id] = m
    return mats


def load_database(
    db: str | os.PathLike | None,
    *,
    release: str | None = None,
    taxon: str | None = "vertebrates",
) -> list[Motif]:
    """The motifs to match against: JASPAR (offline) or a MEME motif file.

    Parameters
    ----------
    db : str, os.PathLike or None
        None for JASPAR CORE (see :func:`load_jaspar`), else the path of a MEME motif
        file (minimal format or MEME output, optionally gzipped).
    release : str or None, optional
        JASPAR release when ``db`` is None. Default is None, the newest shipped.
    taxon : str or None, optional
        JASPAR taxon when ``db`` is None. Default is ``"vertebrates"``.

    Returns
    -------
    list of Motif

    Raises
    ------
    InputError
        For a missing or malformed MEME file, or one without motifs.
    ConfigError
        For an unknown JASPAR release or taxon.
    """
    if db is None:
        return load_jaspar(release=release, taxon=taxon)
    from seqnet.motifs.meme import read_meme

    motifs = read_meme(Path(db))
    if not motifs:
        raise InputError(f"{db}: the MEME file holds no motifs")
    return motifs


# -- statistics -----------------------------------------------------------------------


def benjamini_hochberg(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Benjamini-Hochberg q-values (FDR-adjusted p-values) along one axis.

    ``q_(i) = min_{k >= i} min(1, p_(k) m / k)`` for the p-values sorted ascending,
    ``m`` the number of p-values along ``axis``.

    Parameters
    ----------
    p : numpy.ndarray, shape=(..., m, ...)
        p-values in [0, 1].
    axis : int, optional
        Axis holding one family of tests. Default is -1.

    Returns
    -------
    numpy.ndarray, shape=p.shape
        q-values, float64, in the input order.
    """
    p = np.moveaxis(np.asarray(p, dtype=np.float64), axis, -1)
    m = p.shape[-1]
    if m == 0:
        return np.moveaxis(p.copy(), -1, axis)
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * m / np.arange(1, m + 1)
    # Running minimum from the largest p-value down.
    ranked = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(ranked)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), axis=-1)
    return np.moveaxis(q, -1, axis)


# -- TOMTOM ---------------------------------------------------------------------------


def _standardize(pfm: np.ndarray) -> np.ndarray:
    """Columns centred on their mean and scaled to unit length (uniform columns stay 0)."""
    centred = pfm - pfm.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.where(norm > 0, norm, 1.0)


def run_tomtom(
    queries: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    *,
    reverse_complement: bool = True,
    column_score: str = "pearson",
    quiet: bool = False,
) -> tuple[np.ndarray, ...]:
    """memelite's TOMTOM on ``(W, A)`` matrices: the full query x target result.

    Parameters
    ----------
    queries, targets : sequence of numpy.ndarray, shape=(W, A)
        Letter-probability matrices (rows = positions), all with the same ``A``.
    reverse_complement : bool, optional
        Also align each query with each target's reverse complement and keep the
        better strand (DNA / RNA only). Default is True.
    column_score : str, optional
        ``"pearson"``: every column is centred and scaled to unit length before
        memelite sees it, which turns memelite's Euclidean column distance into
        ``sqrt(2 - 2 r)``, a function of the Pearson correlation ``r`` of the two
        columns (MEME Tomtom's default column score).  ``"euclidean"``: the
        probabilities as they are; then flat, uninformative columns match flat
        columns best, and a uniform or random motif gets p < 1e-10 against the long,
        flat-flanked CTCF profiles of JASPAR (MA1929, MA1930). Default is
        ``"pearson"``.
    quiet : bool, optional
        Silence memelite's warning about small target sets. Default is False.

    Returns
    -------
    p, score, offset, overlap, strand : numpy.ndarray, shape=(n_queries, n_targets)
        p-value of the best alignment (over both strands when ``reverse_complement``),
        its score, the target column (of the reverse-complemented target when
        ``strand`` is 1) aligned with the query's first column, the number of
        overlapping columns, and 0 (+) / 1 (-).
    """
    from memelite import tomtom

    if column_score not in ("pearson", "euclidean"):
        raise ConfigError(f"column_score must be 'pearson' or 'euclidean', got {column_score!r}")
    prep = _standardize if column_score == "pearson" else (lambda m: m)
    # (A, W) float64 C-contiguous copies: one dtype, so one compiled kernel for all calls.
    # Reverse complementing (memelite flips both axes) commutes with the standardising.
    qs = [np.ascontiguousarray(prep(np.asarray(q, dtype=np.float64)).T) for q in queries]
    ts = [np.ascontiguousarray(prep(np.asarray(t, dtype=np.float64)).T) for t in targets]
    # Exactly uniform motifs standardise to all zeros, which memelite refuses when a whole
    # side is zero; they match nothing (p = 1) and are left out of the call.
    qi = [i for i, q in enumerate(qs) if np.any(q)]
    ti = [j for j, t in enumerate(ts) if np.any(t)]
    shape = (len(qs), len(ts))
    p, score = np.ones(shape), np.zeros(shape)
    offset, overlap, strand = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    if qi and ti:
        with warnings.catch_warnings():
            if quiet:
                warnings.filterwarnings("ignore", message=".*target motifs.*")
            res = tomtom([qs[i] for i in qi], [ts[j] for j in ti], reverse_complement=reverse_complement)
        cells = np.ix_(qi, ti)
        for out, value in zip((p, score, offset, overlap, strand), res):
            out[cells] = value
    return p, score, offset, overlap, strand


def tomtom_matches(
    queries: Sequence[Motif], targets: Sequence[Motif], *, column_score: str = "pearson"
) -> pd.DataFrame:
    """Best database match of each query motif, by TOMTOM.

    Every query is aligned with every target (and, for DNA / RNA, with every target's
    reverse complement), columns compared by their Pearson correlation (see
    :func:`run_tomtom`).  The q-value is Benjamini-Hochberg over that query's p-values
    against all targets (one family of tests per query, as MEME's Tomtom reports
    them); the E-value is ``p * n_targets``.

    Parameters
    ----------
    queries : sequence of Motif
        Motifs to identify, e.g. extracted filter motifs.
    targets : sequence of Motif
        The database, e.g. :func:`load_jaspar` (memelite warns when it holds fewer than
        25 motifs: the null distribution is built from the targets' columns).
    column_score : str, optional
        ``"pearson"`` or ``"euclidean"``; see :func:`run_tomtom`. Default is
        ``"pearson"``.

    Returns
    -------
    pandas.DataFrame
        One row per query, in input order, columns: ``query`` (name),
        ``query_alt_name``, ``best_match_id`` (target name), ``best_match_name``
        (target alt_name, or its name), ``p``, ``q``, ``e_value``, ``strand`` (``"+"``
        or ``"-"``: the query matches the target's reverse complement), ``offset``
        (the target column aligned with the query's first column, counted on the
        reverse-complemented target for ``"-"``; negative when the query starts
        before the target), ``overlap`` (aligned columns) and ``n_targets``.

    Raises
    ------
    ConfigError
        For an empty target set or motifs of different alphabets.
    """
    queries, targets = list(queries), list(targets)
    if not targets:
        raise ConfigError("no target motifs to match against")
    alphabets = {m.alphabet for m in queries + targets}
    if len(alphabets) > 1:
        raise ConfigError(f"query and target motifs use different alphabets: {', '.join(sorted(alphabets))}")
    if not queries:
        return pd.DataFrame({c: [] for c in MATCH_COLUMNS})
    return tomtom_tables(queries, targets, column_score=column_score)[0]


#: Columns of the long table of :func:`tomtom_tables`.
ALL_MATCH_COLUMNS = ["query", "target_id", "target_name", "p", "q", "e_value", "strand", "offset", "overlap"]


def tomtom_tables(
    queries: Sequence[Motif], targets: Sequence[Motif], *, q_max: float = 0.05, column_score: str = "pearson"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TOMTOM once, reported two ways: each query's best match, and every match below ``q_max``.

    A motif often matches several members of one TF family (MAFK, MAFF, MAF, NRL all
    read ``TGCTGA(C)TCAGCA``); the best match names one of them, the long table lists all.

    Parameters
    ----------
    queries, targets : sequence of Motif
        As for :func:`tomtom_matches` (``queries`` must not be empty).
    q_max : float, optional
        Keep (query, target) pairs with ``q < q_max`` in the long table. Default is 0.05.
    column_score : str, optional
        See :func:`run_tomtom`. Default is ``"pearson"``.

    Returns
    -------
    best : pandas.DataFrame
        As :func:`tomtom_matches`.
    every : pandas.DataFrame
        Columns :data:`ALL_MATCH_COLUMNS`, one row per significant pair, sorted by query
        (input order) then q.
    """
    queries, targets = list(queries), list(targets)
    rc = queries[0].alphabet in _COMPLEMENTARY
    p, score, offset, overlap, strand = run_tomtom(
        [q.pfm for q in queries], [t.pfm for t in targets], reverse_complement=rc,
        column_score=column_score,
    )
    q = benjamini_hochberg(p, axis=1)
    # Best target: smallest p; ties (p-values that underflow to 0) go to the higher score.
    best = np.lexsort((-score, p), axis=1)[:, 0]
    rows = np.arange(len(queries))
    best_table = pd.DataFrame(
        {
            "query": [m.name for m in queries],
            "query_alt_name": [m.alt_name for m in queries],
            "best_match_id": [targets[j].name for j in best],
            "best_match_name": [targets[j].alt_name or targets[j].name for j in best],
            "p": p[rows, best],
            "q": q[rows, best],
            "e_value": p[rows, best] * len(targets),
            "strand": np.where(strand[rows, best] == 1, "-", "+"),
            "offset": offset[rows, best],
            "overlap": overlap[rows, best],
            "n_targets": len(targets),
        },
        columns=MATCH_COLUMNS,
    )
    qi, tj = np.nonzero(q < q_max)
    every = pd.DataFrame(
        {
            "query": [queries[i].name for i in qi],
            "target_id": [targets[j].name for j in tj],
            "target_name": [targets[j].alt_name or targets[j].name for j in tj],
            "p": p[qi, tj],
            "q": q[qi, tj],
            "e_value": p[qi, tj] * len(targets),
            "strand": np.where(strand[qi, tj] == 1, "-", "+"),
            "offset": offset[qi, tj],
            "overlap": overlap[qi, tj],
        },
        columns=ALL_MATCH_COLUMNS,
    )
    order = np.lexsort((every.q.to_numpy(), qi))
    return best_table, every.iloc[order].reset_index(drop=True)

