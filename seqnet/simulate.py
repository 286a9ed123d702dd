"""Planted-motif data sets: JASPAR motif sites sampled into random background sequence.

:func:`simulate` writes a small, fully known data set for demos, tests and sanity checks
of the training and interpretation code, in the same file formats as real data:

``positives.fa`` / ``negatives.fa``
    A binary task: does a sequence carry the *first* motif (the target)?  95% of the
    positives carry one or two target sites; the other 5% carry none, like the
    unexplained peaks of a real ChIP-seq set, so even the true PWM scores an AUROC of
    about 0.97, not 1 (a one-layer CNN reaches 0.96-0.98).  Both classes carry decoy
    sites of the other motifs at the same rate (each with probability 0.25), so a model
    must learn the target itself, not "any motif".
``multilabel.fa`` / ``labels.tsv``
    A multi-label task: each motif is planted (one site) independently with
    ``planted_probability``; ``labels.tsv`` holds one 0/1 column per motif.
``motifs.meme``
    The truth motifs (MEME minimal format, background = the generator's).
``simulation.json``
    Parameters, motif ids and file names, for provenance.

Background model: independent, identically distributed letters with
``P(C) = P(G) = gc / 2`` and ``P(A) = P(T) = (1 - gc) / 2``.  A zero-order background is
exactly what ``motifs.meme`` declares, so PWM scans of the data use the true background.

Sites are sampled letter by letter from the motif's PFM rows, put on a random strand
(the reverse complement for ``-``) and placed at random without overlapping one another.
FASTA headers record them after the id, 0-based start on the forward strand::

    >sim_pos_00001 sites=CTCF:37:+,REST:120:-
    >sim_neg_00002 sites=none

Everything is drawn from ``numpy.random.default_rng`` streams spawned from ``seed``: the
same arguments give byte-identical files (gzip members carry no time stamp).
"""

from __future__ import annotations

import gzip as _gzip
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqnet.errors import ConfigError
from seqnet.outputs import lock, write_bytes_atomic
from seqnet.motifs.meme import write_meme
from seqnet.motifs.motif import Motif, motifs_from_jaspar

__all__ = ["DEFAULT_MOTIFS", "SimulatedData", "simulate"]

#: JASPAR CORE vertebrate base ids, newest version used; the first is the binary target.
#: CTCF, SPI1, CEBPB, FOXA1, POU5F1::SOX2, MAFK, HNF4A, REST: 8-20 bp, 11-23 bits, and
#: none of them scores as another (checked by PWM scans of sampled sites).
DEFAULT_MOTIFS: tuple[str, ...] = (
    "MA0139",  # CTCF
    "MA0080",  # SPI1
    "MA0466",  # CEBPB
    "MA0148",  # FOXA1
    "MA0142",  # POU5F1::SOX2
    "MA0496",  # MAFK
    "MA0114",  # HNF4A
    "MA0138",  # REST
)

#: Fraction of positives that carry the target motif (the rest are label noise).
TARGET_FRACTION = 0.95
#: Probability that a sequence of the binary task carries a site of each non-target motif.
DECOY_PROBABILITY = 0.25

_LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)
_LINE_WIDTH = 80


@dataclass
class SimulatedData:
    """Paths and truth of a data set written by :func:`simulate`.

    Attributes
    ----------
    positives_fasta, negatives_fasta : pathlib.Path
        The binary task (target = ``motifs[0]``).
    multilabel_fasta, labels_tsv : pathlib.Path
        The multi-label task and its ``id`` + one-column-per-motif label table.
    motifs_meme : pathlib.Path
        The truth motifs in MEME minimal format.
    motifs : list of Motif
        The truth motifs, in label-column order.
    columns : list of str
        The label column names of ``labels_tsv`` (also used in the FASTA headers).
    simulation_json : pathlib.Path
        Parameters and motif ids used.
    """

    positives_fasta: Path
    negatives_fasta: Path
    multilabel_fasta: Path
    labels_tsv: Path
    motifs_meme: Path
    motifs: list[Motif]
    columns: list[str]
    simulation_json: Path


def simulate(
    out_dir: str | os.PathLike,
    *,
    n: int = 2000,
    length: int = 200,
    motifs: Sequence[str | Motif] | None = None,
    gc: float = 0.42,
    seed: int = 0,
    planted_probability: float = 0.5,
    gzip: bool = False,
) -> SimulatedData:
    """Write a planted-motif data set to ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Output folder, created if missing; existing files of the same names are
        replaced (each one atomically).
    n : int, optional
        Number of positives, of negatives, and of multi-label records. Default is 2000.
    length : int, optional
        Sequence length; at least twice the widest motif. Default is 200.
    motifs : sequence of str or Motif, optional
        JASPAR ids or TF names (see :func:`~seqnet.motifs.motif.motifs_from_jaspar`) or
        ACGT :class:`Motif` objects; the first is the binary target. Default is None,
        :data:`DEFAULT_MOTIFS`.
    gc : float, optional
        Background GC fraction, in (0, 1). Default is 0.42 (the human genome's).
    seed : int, optional
        Seed of every random draw (non-negative). Default is 0.
    planted_probability : float, optional
        Probability that each motif is planted in a multi-label record, in [0, 1].
        Default is 0.5.
    gzip : bool, optional
        Write ``.fa.gz`` instead of ``.fa``. Default is False.

    Returns
    -------
    SimulatedData
        The paths written and the truth motifs.

    Raises
    ------
    ConfigError
        For ``n < 1``, ``length`` under twice the widest motif, ``gc`` outside (0, 1),
        ``planted_probability`` outside [0, 1], a negative seed, or an unknown,
        repeated or non-DNA motif.

    Notes
    -----
    When the sites drawn for one sequence do not fit in it side by side (only possible
    with short sequences and many motifs), randomly chosen optional sites are dropped
    (decoys; in the multi-label set, any) and the headers and labels describe what was
    planted.  With the defaults every draw fits.
    """
    settings = _checked_settings(n, length, seed, gc, planted_probability, gzip)
    requested, truth = _resolve_motifs(DEFAULT_MOTIFS if motifs is None else motifs)
    _check_length(settings.length, truth)
    columns = _column_names(truth)
    with lock(out_dir):
        paths = _output_paths(out_dir, settings.gzip)
        records = _draw_records(settings, truth)
        for record in records:
            _write_fasta(paths[record.key], record, columns, settings.gzip)
        _write_labels(paths["labels"], records[-1], len(truth), columns)
        write_meme(paths["motifs"], truth, background=settings.background)
        provenance = _provenance(settings, motifs, requested, truth, columns, paths)
        write_bytes_atomic(paths["simulation"], (json.dumps(provenance, indent=2) + "\n").encode("utf-8"))

    return SimulatedData(
        positives_fasta=paths["positives"],
        negatives_fasta=paths["negatives"],
        multilabel_fasta=paths["multilabel"],
        labels_tsv=paths["labels"],
        motifs_meme=paths["motifs"],
        motifs=truth,
        columns=columns,
        simulation_json=paths["simulation"],
    )


# -- argument checks ------------------------------------------------------------------


@dataclass(eq=False)
class _Settings:
    """The checked scalar arguments of :func:`simulate`, plus the background they imply."""

    n: int
    length: int
    seed: int
    gc: float
    planted_probability: float
    gzip: bool
    background: np.ndarray  # (4,) ACGT probabilities


def _checked_settings(n, length, seed, gc, planted_probability, gzip) -> _Settings:
    """Type- and range-check the scalar arguments of :func:`simulate`."""
    n = _check_int("n", n, minimum=1)
    length = _check_int("length", length, minimum=1)
    seed = _check_int("seed", seed, minimum=0)
    gc = _check_float("gc", gc)
    planted_probability = _check_float("planted_probability", planted_probability)
    if not 0.0 < gc < 1.0:
        raise ConfigError(f"gc must be strictly between 0 and 1, got {gc}")
    if not 0.0 <= planted_probability <= 1.0:
        raise ConfigError(f"planted_probability must be in [0, 1], got {planted_probability}")
    background = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    return _Settings(n, length, seed, gc, planted_probability, bool(gzip), background)


def _check_length(length: int, motifs: list[Motif]) -> None:
    """Sequences must hold at least two sites of the widest motif."""
    widest = max(m.width for m in motifs)
    if length < 2 * widest:
        raise ConfigError(
            f"length {length} is too short: it must be at least twice the widest motif "
            f"({widest} bp), i.e. >= {2 * widest}"
        )


def _output_paths(out_dir: str | os.PathLike, gzip: bool) -> dict[str, Path]:
    """Create the output folder; the path of each file, by key."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output folder {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".fa.gz" if gzip else ".fa"
    return {
        "positives": out / f"positives{suffix}",
        "negatives": out / f"negatives{suffix}",
        "multilabel": out / f"multilabel{suffix}",
        "labels": out / "labels.tsv",
        "motifs": out / "motifs.meme",
        "simulation": out / "simulation.json",
    }


def _check_int(name: str, value, *, minimum: int) -> int:
    # bool is an int subclass; True as a count is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ConfigError(f"{name} must be finite, got {value}")
    return value


def _resolve_motifs(motifs: Sequence[str | Motif]) -> tuple[list[str], list[Motif]]:
    """``(as requested, resolved motifs)``; JASPAR look-ups go in one batch."""
    if isinstance(motifs, (str, Motif)):
        motifs = [motifs]
    motifs = list(motifs)
    if not motifs:
        raise ConfigError("motifs is empty; give at least one JASPAR id, TF name or Motif")
    names = [m for m in motifs if not isinstance(m, Motif)]
    for m in names:
        if not isinstance(m, str):
            raise ConfigError(f"motifs must be JASPAR ids, TF names or Motif objects, got {m!r}")
    fetched = iter(motifs_from_jaspar(names)) if names else iter(())
    requested, truth = [], []
    for m in motifs:
        if isinstance(m, Motif):
            if m.alphabet != "ACGT":
                raise ConfigError(f"motif {m.name} has alphabet {m.alphabet}; simulate plants DNA (ACGT) motifs")
            requested.append(m.name)
            truth.append(m)
        else:
            requested.append(m)
            truth.append(next(fetched))
    ids = [m.name for m in truth]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ConfigError(f"motif(s) given more than once: {', '.join(repeated)}")
    return requested, truth


def _jaspar_release_used(motifs) -> str | None:
    """The JASPAR release strings were resolved in; None when only Motif objects were given."""
    import pyjaspar

    if motifs is None:
        return pyjaspar.JASPAR_LATEST_RELEASE
    if isinstance(motifs, (str, Motif)):
        motifs = [motifs]
    return pyjaspar.JASPAR_LATEST_RELEASE if any(isinstance(m, str) for m in motifs) else None


def _column_names(motifs: list[Motif]) -> list[str]:
    """Label columns: upper-cased TF names (or motif names) in ``[A-Za-z0-9_.-]``, unique."""

    def clean(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "motif"

    columns = [clean(m.alt_name).upper() if m.alt_name else clean(m.name) for m in motifs]
    for i, col in enumerate(columns):
        # Two profiles of one TF (MA0139 and MA1929, both CTCF) need the id to tell apart.
        if columns.count(col) > 1 or col == "id":
            columns[i] = f"{col}_{clean(motifs[i].name)}"
    return columns


# -- generation -----------------------------------------------------------------------


@dataclass(eq=False)
class _Records:
    """The records of one FASTA file: ids, ``(N, L)`` uint8 tokens and planted sites.

    ``sites[i]`` lists ``(motif index, start, strand)`` of record ``i``, sorted by start.
    """

    key: str
    ids: list[str]
    tokens: np.ndarray
    sites: list[list[tuple[int, int, str]]]


def _draw_records(settings: _Settings, truth: list[Motif]) -> list[_Records]:
    """Positives, negatives and multi-label records, in that order."""
    n, n_motifs = settings.n, len(truth)
    # One independent stream per file, so e.g. the multi-label set does not change
    # when the binary generator changes how many numbers it draws.
    rng_pos, rng_neg, rng_multi = (
        np.random.default_rng(s) for s in np.random.SeedSequence(settings.seed).spawn(3)
    )
    plans = {
        "positives": (rng_pos, _positive_plans(rng_pos, n, n_motifs)),
        "negatives": (rng_neg, _negative_plans(rng_neg, n, n_motifs)),
        "multilabel": (rng_multi, _multilabel_plans(rng_multi, n, n_motifs, settings.planted_probability)),
    }
    digits = max(5, len(str(n)))
    prefixes = {"positives": "sim_pos_", "negatives": "sim_neg_", "multilabel": "sim_"}
    widths = np.array([m.width for m in truth])
    records = []
    for key, (rng, key_plans) in plans.items():
        tokens, sites = _generate(rng, key_plans, settings.length, settings.background, truth, widths)
        ids = [f"{prefixes[key]}{i + 1:0{digits}d}" for i in range(n)]
        records.append(_Records(key, ids, tokens, sites))
    return records


def _positive_plans(rng: np.random.Generator, n: int, n_motifs: int) -> list[tuple[list[int], list[int]]]:
    """Target sites (index 0, 1-2 copies) in TARGET_FRACTION of positives, plus decoys."""
    has_target = rng.random(n) < TARGET_FRACTION
    n_target = np.where(has_target, rng.integers(1, 3, size=n), 0)
    decoys = rng.random((n, n_motifs - 1)) < DECOY_PROBABILITY
    return [([0] * int(n_target[i]), [j + 1 for j in np.flatnonzero(decoys[i])]) for i in range(n)]


def _negative_plans(rng: np.random.Generator, n: int, n_motifs: int) -> list[tuple[list[int], list[int]]]:
    """Decoys of motifs 1.. only, at the same rate as in the positives."""
    decoys = rng.random((n, n_motifs - 1)) < DECOY_PROBABILITY
    return [([], [j + 1 for j in np.flatnonzero(decoys[i])]) for i in range(n)]


def _multilabel_plans(
    rng: np.random.Generator, n: int, n_motifs: int, planted_probability: float
) -> list[tuple[list[int], list[int]]]:
    """Every motif independently, one site each; all sites optional."""
    present = rng.random((n, n_motifs)) < planted_probability
    return [([], list(np.flatnonzero(present[i]))) for i in range(n)]


def _generate(
    rng: np.random.Generator,
    plans: list[tuple[list[int], list[int]]],
    length: int,
    background: np.ndarray,
    motifs: list[Motif],
    widths: np.ndarray,
) -> tuple[np.ndarray, list[list[tuple[int, int, str]]]]:
    """Background tokens with the planned sites planted.

    ``plans[i]`` is ``(required, optional)`` motif indices for sequence ``i``; optional
    ones are dropped at random while the sites do not fit.  Returns the ``(N, L)`` uint8
    tokens (0..3 = ACGT) and per sequence its ``(motif index, start, strand)`` sites,
    sorted by start.
    """
    n = len(plans)
    tokens = rng.choice(4, size=(n, length), p=background).astype(np.uint8)
    placed: list[list[tuple[int, int, str]]] = []
    rows: list[list[int]] = [[] for _ in motifs]
    starts: list[list[int]] = [[] for _ in motifs]
    minus: list[list[bool]] = [[] for _ in motifs]
    for i, (required, optional) in enumerate(plans):
        optional = list(optional)
        while optional and widths[required + optional].sum() > length:
            optional.pop(int(rng.integers(len(optional))))
        idx = np.asarray(required + optional, dtype=np.int64)
        if idx.size == 0:
            placed.append([])
            continue
        # Non-overlapping placement without rejection: shuffle the sites, split the
        # free bases into gaps at sorted random cut points, lay sites and gaps out.
        idx = idx[rng.permutation(idx.size)]
        w = widths[idx]
        cuts = np.sort(rng.integers(0, length - w.sum() + 1, size=idx.size))
        site_starts = cuts + np.concatenate(([0], np.cumsum(w)[:-1]))
        strands = rng.random(idx.size) < 0.5
        seq_sites = []
        for j, s, neg in zip(idx.tolist(), site_starts.tolist(), strands.tolist()):
            rows[j].append(i)
            starts[j].append(s)
            minus[j].append(neg)
            seq_sites.append((j, s, "-" if neg else "+"))
        placed.append(sorted(seq_sites, key=lambda t: t[1]))

    # Sample all sites of a motif at once and scatter them into the token matrix.
    for j, motif in enumerate(motifs):
        if not rows[j]:
            continue
        sites = _sample_sites(rng, motif.pfm, len(rows[j]))
        neg = np.asarray(minus[j])
        sites[neg] = 3 - sites[neg, ::-1]  # reverse complement: ACGT codes 0..3
        cols = np.asarray(starts[j])[:, None] + np.arange(motif.width)
        tokens[np.asarray(rows[j])[:, None], cols] = sites
    return tokens, placed


def _sample_sites(rng: np.random.Generator, pfm: np.ndarray, k: int) -> np.ndarray:
    """``(k, W)`` uint8 letters drawn from each PFM row by inverse CDF."""
    cdf = np.cumsum(pfm, axis=1)
    cdf[:, -1] = 1.0  # rows printed to 6 decimals may sum to 0.999999
    u = rng.random((k, pfm.shape[0], 1))
    return (u >= cdf[None, :, :]).sum(axis=2).astype(np.uint8)


# -- output ---------------------------------------------------------------------------


def _fasta_bytes(
    ids: list[str],
    tokens: np.ndarray,
    sites: list[list[tuple[int, int, str]]],
    columns: list[str],
) -> bytes:
    """FASTA records with ``sites=`` descriptions, sequence wrapped at 80 columns."""
    letters = _LETTERS[tokens]
    length = tokens.shape[1]
    chunks = []
    for rid, row, seq_sites in zip(ids, letters, sites):
        desc = ",".join(f"{columns[j]}:{s}:{strand}" for j, s, strand in seq_sites)
        chunks.append(f">{rid} sites={desc or 'none'}\n".encode("ascii"))
        raw = row.tobytes()
        chunks.append(b"\n".join(raw[k : k + _LINE_WIDTH] for k in range(0, length, _LINE_WIDTH)))
        chunks.append(b"\n")
    return b"".join(chunks)


def _write_fasta(path: Path, records: _Records, columns: list[str], gzip: bool) -> None:
    """Write one FASTA file, gzip-compressed when asked."""
    data = _fasta_bytes(records.ids, records.tokens, records.sites, columns)
    if gzip:
        # mtime=0 and no file name in the header keep the bytes reproducible.
        data = _gzip.compress(data, compresslevel=6, mtime=0)
    write_bytes_atomic(path, data)


def _write_labels(path: Path, records: _Records, n_motifs: int, columns: list[str]) -> None:
    """Write ``labels.tsv``: 1 where a record carries a site of the column's motif."""
    labels = np.zeros((len(records.ids), n_motifs), dtype=np.uint8)
    for i, sites in enumerate(records.sites):
        for j, _, _ in sites:
            labels[i, j] = 1
    table = ["\t".join(["id", *columns])]
    table += ["\t".join([rid, *map(str, row)]) for rid, row in zip(records.ids, labels.tolist())]
    write_bytes_atomic(path, ("\n".join(table) + "\n").encode("ascii"))


def _provenance(
    settings: _Settings,
    motifs,
    requested: list[str],
    truth: list[Motif],
    columns: list[str],
    paths: dict[str, Path],
) -> dict:
    """The content of ``simulation.json``; ``motifs`` is the argument as given."""
    from seqnet import __version__

    return {
        "generator": "seqnet.simulate",
        "seqnet_version": __version__,
        "seed": settings.seed,
        "n": settings.n,
        "length": settings.length,
        "gc": settings.gc,
        "planted_probability": settings.planted_probability,
        "gzip": settings.gzip,
        "background": {
            "model": "iid",
            **{k: round(v, 12) for k, v in zip("ACGT", settings.background.tolist())},
        },
        "binary_task": {
            "target": columns[0],
            "target_fraction": TARGET_FRACTION,
            "target_sites_per_positive": [1, 2],
            "decoy_probability": DECOY_PROBABILITY,
        },
        "jaspar_release": _jaspar_release_used(motifs),
        "motifs": [
            {
                "requested": req,
                "id": m.name,
                "tf_name": m.alt_name,
                "column": col,
                "width": m.width,
                "consensus": m.consensus(),
            }
            for req, m, col in zip(requested, truth, columns)
        ],
        "files": {key: p.name for key, p in paths.items()},
        "fasta_header": "<id> sites=<column>:<0-based start>:<strand>,... (or sites=none)",
    }
