"""Reading labelled and unlabelled sequences: the input modes of the sequence kind.

* positives + negatives FASTA (binary), where negatives may be ``"shuffle"``:
  dinucleotide-shuffled copies of the positives (the DeepBind protocol);
* one FASTA + a label table (binary, multi-label, multi-class or regression);
* BED intervals + a genome FASTA (positives), with shuffled or GC-matched genomic
  negatives.

Every loader returns a :class:`~seqnet.datasets.SequenceSet` of ``uint8`` tokens
``(N, L)``: records are centre-cropped / padded to one length, and the real length of
padded records is kept for models that mask padding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from seqnet.alphabets import Alphabet, get_alphabet
from seqnet.datasets import SequenceSet
from seqnet.encode import dinucleotide_shuffle_many, encode, fit_flat
from seqnet.errors import ConfigError, InputError, opt

#: The task of positives vs negatives (or BED peaks vs background) when none is named.
DEFAULT_TASK = "bound"


def encode_records(ids: Sequence[str], seqs: Sequence[str], alphabet: Alphabet, source: str) -> list[np.ndarray]:
    """Encode each record, failing on the first invalid letter with file + record + position."""
    return [encode(s, alphabet, name=i, source=source) for i, s in zip(ids, seqs)]


def read_token_lists(fasta: str | Path, alphabet: Alphabet) -> tuple[list[str], list[np.ndarray]]:
    """Ids and per-record token arrays of a FASTA file, parsed once (see :mod:`seqnet.cache`).

    The arrays are views into one concatenated token buffer (memory-mapped when the
    file's tokens come from the cache).
    """
    from seqnet.cache import fasta_tokens

    ids, flat, lens = fasta_tokens(fasta, alphabet)
    return ids, np.split(flat, np.cumsum(lens)[:-1]) if len(lens) else []


def resolve_length(token_lists: Sequence[np.ndarray], length: int | None, max_length: int) -> int:
    """Input length: ``length`` if given, else the longest record capped at ``max_length``."""
    if length is not None:
        return int(length)
    longest = max(len(t) for t in token_lists)
    return int(min(longest, max_length))


def real_lengths(token_lists: Sequence[np.ndarray], length: int) -> np.ndarray | None:
    """Real length of each record after fitting to ``length``, or None when none is padded."""
    lens = np.fromiter((min(len(t), length) for t in token_lists), dtype=np.int32, count=len(token_lists))
    return None if (lens == length).all() else lens


def fit_lengths(token_lists: Sequence[np.ndarray], length: int, pad_token: int) -> np.ndarray:
    """Centre-crop / pad every record to ``length``; returns ``(N, length)`` uint8."""
    if not len(token_lists):
        return np.zeros((0, length), dtype=np.uint8)
    lens = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    return fit_flat(np.concatenate(token_lists), lens, length, pad_token)


def read_sequences(fasta: str | Path, alphabet: Alphabet, length: int,
                   crop: str | None = None) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Unlabelled sequences for a trained model: ids, tokens ``(N, length)`` and real lengths.

    Records are validated against ``alphabet`` and padded with N to ``length``; the
    lengths are None when no record is padded (see :func:`real_lengths`).

    Parameters
    ----------
    fasta : path
    alphabet : Alphabet
    length : int
        The model's input length.
    crop : str or None
        ``"centre"``: a longer record is centre-cropped to ``length``; None: a longer
        record is an error naming it (nothing is cropped silently). Default is None.

    Raises
    ------
    InputError
        With ``crop=None``, for the first record longer than ``length``, naming it and
        pointing to ``seqnet scan``.
    """

    ids, token_lists = read_token_lists(fasta, alphabet)
    if crop is None:
        refuse_longer(fasta, ids, [len(t) for t in token_lists], length)
    return ids, fit_lengths(token_lists, length, alphabet.unknown), real_lengths(token_lists, length)


def refuse_longer(fasta, ids: Sequence[str], lengths: Sequence[int], length: int) -> None:
    """InputError for the first record longer than the model's input, naming it."""
    for rid, n in zip(ids, lengths):
        if n > length:
            raise InputError(
                f"{fasta}: record {rid!r} is {n} bp, longer than the model's input ({length} bp); scan long "
                f"sequences with `seqnet scan RUN --genome {fasta}`, or pass {opt('crop')} centre to score the "
                f"centre {length} bp"
            )


def read_bed_windows(bed: str | Path, genome: str | Path, length: int, *, tile: bool = False,
                     crop: str | None = None) -> tuple[list[str], np.ndarray]:
    """Unlabelled BED windows for a trained model: ``chrom:start-end`` ids and tokens ``(N, length)``.

    An interval shorter than ``length`` gets the window of ``length`` bases centred on it
    (genome bases, N past a chromosome end); ``tile`` cuts intervals into consecutive
    windows.  A longer interval is an error naming its line unless ``crop="centre"``
    (its centre window) or ``tile``.
    """
    from seqnet.io.bed import read_bed

    if crop is None and not tile:
        for iv in read_bed(bed):
            if iv.end - iv.start > length:
                raise InputError(
                    f"{bed}: line {iv.line}: interval {iv.id} is {iv.end - iv.start} bp, longer than the model's "
                    f"input ({length} bp); scan it with `seqnet scan RUN --genome {genome} --bed {bed}`, or pass "
                    f"{opt('tile')} (consecutive windows) or {opt('crop')} centre (its centre window)"
                )
    _, _, ids, seqs = bed_windows(bed, genome, length=length, tile=tile)
    dna = get_alphabet("dna")
    return ids, fit_lengths(encode_records(ids, seqs, dna, str(genome)), length, dna.unknown)


def _chroms_from_ids(ids: Sequence[str]) -> list[str | None]:
    from seqnet.io.fasta import parse_coordinate_id

    out: list[str | None] = []
    for i in ids:
        parsed = parse_coordinate_id(i)
        out.append(parsed[0] if parsed else None)
    return out


def _paired_groups(pos_ids: Sequence[str], neg_ids: Sequence[str]) -> tuple[np.ndarray, list[str | None]]:
    """Split groups and chromosomes of positives followed by the records of a negatives file.

    A negative named ``<positive id>_shuf`` (as ``seqnet prepare --negatives shuffle``
    writes them) joins its positive's group and chromosome, so training on prepared files
    splits exactly as ``--negatives shuffle`` does; any other negative is a group of its own.
    """
    n = len(pos_ids)
    index = {rid: k for k, rid in enumerate(pos_ids)}
    pos_chroms = _chroms_from_ids(pos_ids)
    neg_chroms = _chroms_from_ids(neg_ids)
    groups = np.arange(n + len(neg_ids))
    for j, rid in enumerate(neg_ids):
        k = index.get(rid[: -len("_shuf")]) if rid.endswith("_shuf") else None
        if k is not None:
            groups[n + j] = k
            neg_chroms[j] = pos_chroms[k]
    return groups, pos_chroms + neg_chroms


def load_positives_negatives(
    positives: str | Path,
    negatives: str | Path,
    *,
    alphabet: str | Alphabet = "dna",
    length: int | None = None,
    max_length: int = 1000,
    seed: int = 0,
    task_name: str | None = None,
    crop: bool = True,
) -> SequenceSet:
    """Binary set from a positives FASTA and a negatives FASTA or ``"shuffle"``.

    Parameters
    ----------
    positives : path
        FASTA (optionally gzipped) of bound sequences.
    negatives : path or ``"shuffle"``
        FASTA of unbound sequences, or ``"shuffle"`` for one dinucleotide-shuffled copy
        of each positive (seeded by ``seed``).
    alphabet : str or Alphabet
        Default is ``"dna"``.
    length : int or None
        Fixed input length; None = longest record capped at ``max_length``.
    task_name : str or None
        Name of the single task. Default is ``"bound"``.
    crop : bool
        Centre-crop records longer than ``length``; False: such a record is an error
        (data for a trained model). Default is True.

    Returns
    -------
    SequenceSet
    """

    alphabet = get_alphabet(alphabet)
    pos_ids, pos_tok = read_token_lists(positives, alphabet)
    if str(negatives) == "shuffle":
        neg_tok = dinucleotide_shuffle_many(pos_tok, seed=seed)
        neg_ids = [f"{i}_shuf" for i in pos_ids]
        groups = np.concatenate([np.arange(len(pos_ids)), np.arange(len(pos_ids))])
        pos_chroms = _chroms_from_ids(pos_ids)
        chroms = pos_chroms + pos_chroms
    else:
        neg_ids, neg_tok = read_token_lists(negatives, alphabet)
        clash = set(pos_ids).intersection(neg_ids)
        if clash:
            first = sorted(clash)[:3]
            raise InputError(
                f"{negatives}: {len(clash)} record ids also occur in {positives} (first: {', '.join(map(repr, first))}); "
                "ids must be unique across positives and negatives"
            )
        groups, chroms = _paired_groups(pos_ids, neg_ids)
    all_tok = list(pos_tok) + list(neg_tok)
    L = resolve_length(all_tok, length, max_length)
    if not crop:
        refuse_longer(positives, pos_ids, [len(t) for t in pos_tok], L)
        refuse_longer(negatives, neg_ids, [len(t) for t in neg_tok], L)
    tokens = fit_lengths(all_tok, L, alphabet.unknown)
    lengths = real_lengths(all_tok, L)
    y = np.concatenate([np.ones(len(pos_tok)), np.zeros(len(neg_tok))]).astype(np.float32)[:, None]
    return SequenceSet(
        ids=list(pos_ids) + list(neg_ids),
        tokens=tokens,
        y=y,
        task_type="binary",
        names=[task_name or DEFAULT_TASK],
        alphabet=alphabet,
        groups=groups.astype(np.int64),
        chroms=chroms,
        lengths=lengths,
        shuffled=_shuffled_negatives(groups, len(pos_tok)) if str(negatives) != "shuffle" else
        np.arange(len(all_tok)) >= len(pos_tok),
    )


def _shuffled_negatives(groups: np.ndarray, n_pos: int) -> np.ndarray | None:
    """Negatives named ``<positive id>_shuf`` (``seqnet prepare --negatives shuffle``) are
    shuffles of their positive, as if made here: flag them (None when there are none)."""
    flag = np.zeros(len(groups), dtype=bool)
    flag[n_pos:] = groups[n_pos:] < n_pos
    return flag if flag.any() else None


def load_fasta_labels(
    fasta: str | Path,
    labels: str | Path,
    *,
    alphabet: str | Alphabet = "dna",
    length: int | None = None,
    max_length: int = 1000,
    task: str = "auto",
    missing: str = "error",
    crop: bool = True,
) -> SequenceSet:
    """Set from one FASTA and a label table (first column = record ids).

    Several 0/1 columns make a multi-label task, one 0/1 column a binary task, one
    column of class names a multi-class task, and numeric columns with fractions (or
    ``task="regression"``) a regression task (see :func:`seqnet.io.tables.read_labels`).
    ``missing="mask"`` keeps missing cells of a multi-label table as NaN targets;
    ``crop=False`` refuses records longer than ``length`` instead of centre-cropping them.
    """
    from seqnet.io.tables import read_labels

    alphabet = get_alphabet(alphabet)
    ids, tok = read_token_lists(fasta, alphabet)
    if not crop and length is not None:
        refuse_longer(fasta, ids, [len(t) for t in tok], length)
    lab = read_labels(labels, ids, ids_source=str(fasta), task=task, missing=missing)
    L = resolve_length(tok, length, max_length)
    return SequenceSet(
        ids=list(ids),
        tokens=fit_lengths(tok, L, alphabet.unknown),
        lengths=real_lengths(tok, L),
        y=lab.y,
        task_type=lab.task_type,
        names=list(lab.names),
        alphabet=alphabet,
        groups=np.arange(len(ids), dtype=np.int64),
        chroms=_chroms_from_ids(ids),
    )


def bed_windows(bed: str | Path, genome: str | Path, *, length: int = 200, tile: bool = False):
    """The windows of BED peaks in a genome: what ``--bed`` input reads as positives.

    A window identical to an earlier one (same ``chrom:start-end`` after re-centring or
    tiling, e.g. a BED line given twice) is dropped, keeping the first, with one warning
    (:func:`seqnet.errors.warn`): duplicates would give records with the same id, and
    copies of one window could land in both the training and the test split.

    Parameters
    ----------
    bed, genome : path
        BED3+ peaks and the genome FASTA (indexed with pyfaidx).
    length : int
        Window length; each interval is re-centred to it. Default is 200.
    tile : bool
        Cut each interval into consecutive ``length`` windows instead. Default is False.

    Returns
    -------
    genome : pyfaidx.Fasta
    intervals : list of Interval
        The BED intervals (the tiles with ``tile``) of the windows kept, one per window,
        e.g. to exclude from background.
    ids, seqs : list of str
        ``chrom:start-end`` ids and sequences of the windows, each window once.
    """
    from seqnet.io.bed import read_bed
    from seqnet.io.bed import tile as tile_intervals
    from seqnet.io.genome import chrom_sizes, extract, open_genome

    intervals = read_bed(bed)
    if not intervals:
        raise InputError(f"{bed}: no intervals found")
    fa = open_genome(genome)
    if tile:
        # Check the regions themselves first, so an error names the BED line's own coordinates.
        sizes = chrom_sizes(fa)
        extract(fa, [iv for iv in intervals if iv.chrom not in sizes or iv.end > sizes[iv.chrom]][:1], None,
                source=str(bed))
        intervals = tile_intervals(intervals, length)
        ids, seqs = extract(fa, intervals, None, source=str(bed))
    else:
        ids, seqs = extract(fa, intervals, length, source=str(bed))
    keep = _first_windows(bed, intervals, ids)
    if len(keep) < len(ids):
        intervals, ids, seqs = ([xs[k] for k in keep] for xs in (intervals, ids, seqs))
    return fa, intervals, ids, seqs


def _first_windows(bed: str | Path, intervals: Sequence, ids: Sequence[str]) -> list[int]:
    """Positions of the first window of each distinct id; warns once when some repeat."""
    from seqnet.errors import warn

    first: dict[str, int] = {}
    keep: list[int] = []
    for k, window in enumerate(ids):
        if first.setdefault(window, k) == k:
            keep.append(k)
    dropped = len(ids) - len(keep)
    if dropped:
        k = next(k for k, window in enumerate(ids) if first[window] != k)
        j = first[ids[k]]
        warn(
            f"{bed}: dropped {dropped} duplicate window{'s' if dropped > 1 else ''} (first: line "
            f"{intervals[k].line}, {ids[k]}, the same window as line {intervals[j].line}); "
            f"each window is used once"
        )
    return keep


def load_bed(
    bed: str | Path,
    genome: str | Path,
    negatives: str,
    *,
    length: int = 200,
    tile: bool = False,
    seed: int = 0,
    task_name: str | None = None,
) -> SequenceSet:
    """Binary set from BED peaks in a genome FASTA (pyfaidx) and generated negatives.

    Parameters
    ----------
    bed : path
        Peaks (BED3+); each re-centred to ``length`` bases around its midpoint.
    genome : path
        Genome FASTA; its ``.fai`` index is built when missing.
    negatives : str
        ``"shuffle"`` (dinucleotide-shuffled peaks) or ``"genome"`` (random GC-matched
        genomic windows that avoid the peaks and N runs).
    length : int
        Window length. Default is 200.
    tile : bool
        Cut each interval into consecutive windows of ``length`` instead of taking one
        window at its centre (for BED files marking whole regions). Default is False.
    """
    from seqnet.io.background import sample_background

    alphabet = get_alphabet("dna")
    if negatives not in ("shuffle", "genome"):
        raise ConfigError(f"{opt('negatives')} with {opt('bed')} must be 'shuffle' or 'genome', got {negatives!r}")
    fa, intervals, pos_ids, pos_seqs = bed_windows(bed, genome, length=length, tile=tile)
    pos_tok = encode_records(pos_ids, pos_seqs, alphabet, str(genome))
    n = len(pos_ids)
    pos_chroms = [iv.chrom for iv in intervals]
    if negatives == "shuffle":
        neg_tok = dinucleotide_shuffle_many(pos_tok, seed=seed)
        neg_ids = [f"{i}_shuf" for i in pos_ids]
        groups = np.concatenate([np.arange(n), np.arange(n)])
        neg_chroms = list(pos_chroms)
    else:
        neg_ids, neg_seqs = sample_background(fa, n, length, exclude=intervals, gc_like=pos_seqs, seed=seed)
        neg_tok = encode_records(neg_ids, neg_seqs, alphabet, str(genome))
        groups = np.arange(2 * n)
        neg_chroms = [i.rsplit(":", 1)[0] for i in neg_ids]
    tokens = fit_lengths(list(pos_tok) + list(neg_tok), length, alphabet.unknown)
    y = np.concatenate([np.ones(n), np.zeros(len(neg_tok))]).astype(np.float32)[:, None]
    return SequenceSet(
        ids=list(pos_ids) + list(neg_ids),
        tokens=tokens,
        y=y,
        task_type="binary",
        names=[task_name or DEFAULT_TASK],
        alphabet=alphabet,
        groups=groups.astype(np.int64),
        chroms=pos_chroms + neg_chroms,
        shuffled=np.arange(2 * n) >= n if negatives == "shuffle" else None,
    )
